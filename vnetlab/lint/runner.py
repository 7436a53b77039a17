"""Lint a lab: load it as far as it goes, run every rule family, apply expect/select/ignore.

Design note
-----------
The lab is loaded in the loader's three stages, but a stage's refusal does not end the
run: unreadable input (no file, not UTF-8, not YAML) raises ``LabError`` (the CLI exits
2); a lab that fails type validation becomes ``LAB001`` findings; a lab that fails
``resolve()`` is linted *unresolved* — each family runs on the raw model, and a family
that trips over a dangling reference there is skipped (the resolver's problems say why) —
and each resolver problem becomes a finding: under the rule that reported the same YAML
path (a duplicate address is ``ADDR002``, not a generic refusal) or else ``LAB001``.

``FAMILIES`` is the one explicit table of rule families (one module each, in the order
their findings are computed; output is sorted by line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from vnetlab.lint import (
    addressing,
    capacity,
    l2loop,
    macvlan,
    mtu,
    overlay,
    ovs,
    routing,
    security,
    sriov,
    vlan,
)
from vnetlab.lint.context import Context, Finding, LintOptions
from vnetlab.lint.rules import RULES, SEVERITY_RANK
from vnetlab.model.errors import LabError, Problem, format_path, line_of
from vnetlab.model.load import parse_yaml, validation_problems
from vnetlab.model.resolver import resolve
from vnetlab.model.spec import LabSpec

#: (family, its check) — every rule of RULES belongs to one of these or to the runner
FAMILIES: tuple[tuple[str, Callable[[Context], None]], ...] = (
    ("mtu", mtu.check),
    ("l2loop", l2loop.check),
    ("security", security.check),
    ("sriov", sriov.check),
    ("capacity", capacity.check),
    ("addressing", addressing.check),
    ("routing", routing.check),
    ("vlan", vlan.check),
    ("overlay", overlay.check),
    ("macvlan", macvlan.check),
    ("ovs", ovs.check),
)


@dataclass(frozen=True, slots=True)
class LintResult:
    source: str
    lab: str | None
    findings: list[Finding]

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "note": 0, "expected": 0}
        for f in self.findings:
            out["expected" if f.expected else f.severity] += 1
        return out

    def failed(self, fail_on: str) -> bool:
        """Any unexpected finding at or above ``fail_on`` (``never``: none fails)."""
        if fail_on == "never":
            return False
        limit = SEVERITY_RANK[fail_on]
        return any(not f.expected and f.rank >= limit for f in self.findings)


def selected(rule: str, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> bool:
    """``--select``/``--ignore`` take ids or id prefixes (``SEC`` = every SEC rule)."""
    sel = list(select)
    if sel and not any(rule.startswith(s) for s in sel):
        return False
    return not any(rule.startswith(s) for s in ignore)


def run_families(ctx: Context) -> None:
    for _name, check in FAMILIES:
        if ctx.resolved:
            check(ctx)
            continue
        before = len(ctx.findings)
        try:
            check(ctx)
        except Exception:  # noqa: BLE001 - an unresolved lab may break any assumption
            del ctx.findings[before:]  # the resolver's problems explain why


def lint_lab(lab: LabSpec, lines: Mapping[str, int] | None = None, *,
             source: str = "<lab>", options: LintOptions | None = None,
             select: Iterable[str] = (), ignore: Iterable[str] = ()) -> LintResult:
    """Lint a validated (not necessarily resolved) ``LabSpec``."""
    lines = lines or {}
    refused: list[Problem] = []
    try:
        ctx = Context(resolve(lab, lines, source=source), lines, True,
                      options or LintOptions())
    except LabError as e:
        refused = e.problems
        ctx = Context(lab, lines, False, options or LintOptions())
    run_families(ctx)
    found = {(f.problem.path, f.problem.line) for f in ctx.findings}
    for p in refused:
        if (p.path, p.line) not in found:
            ctx.findings.append(Finding("LAB001", p))
    return _finish(ctx.findings, lab, lines, source, select, ignore)


def _finish(findings: list[Finding], lab: LabSpec | None, lines: Mapping[str, int],
            source: str, select: Iterable[str], ignore: Iterable[str]) -> LintResult:
    select, ignore = list(select), list(ignore)
    out = [f for f in findings if selected(f.rule, select, ignore)]
    if lab is not None:
        expect = lab.lint.expect
        fired = {f.rule for f in out}
        for k, rule in enumerate(expect):
            segs = ("lint", "expect", k)
            where = (format_path(segs), line_of(lines, segs))
            if rule not in RULES:
                out.append(Finding("LINT002", Problem(
                    *where, f"lint.expect names {rule!r}, which is not a rule id",
                    RULES["LINT002"].fix)))
            elif rule not in fired and selected(rule, select, ignore):
                out.append(Finding("LINT001", Problem(
                    *where, f"the lab declares {rule} ({RULES[rule].name}) but lint does "
                    "not find it", RULES["LINT001"].fix)))
        out = [Finding(f.rule, f.problem, True) if f.rule in expect else f for f in out]
    out = [f for f in out if selected(f.rule, select, ignore)]
    out.sort(key=lambda f: (f.problem.line is None, f.problem.line or 0, f.rule,
                            f.problem.path))
    return LintResult(source, lab.name if lab is not None else None, out)


def lint_text(text: str, source: str = "<string>", *, options: LintOptions | None = None,
              select: Iterable[str] = (), ignore: Iterable[str] = ()) -> LintResult:
    """Lint YAML text. Raises ``LabError`` only for input that is not YAML at all."""
    data, lines = parse_yaml(text, source)
    if not isinstance(data, dict):
        raise LabError(source, [Problem(
            "", lines.get(""), "the top level must be a mapping with keys name, nodes, "
            "links, checks", "start the file with 'name: my-lab' and 'nodes:'")])
    try:
        lab = LabSpec.model_validate(data)
    except ValidationError as e:
        problems = validation_problems(e, data, lines)
        return _finish([Finding("LAB001", p) for p in problems], None, lines, source,
                       select, ignore)
    except RecursionError:
        raise LabError(source, [Problem(
            "", None, "the YAML is nested too deeply to be a lab", None)]) from None
    return lint_lab(lab, lines, source=source, options=options, select=select,
                    ignore=ignore)


def lint_file(path: str | Path, *, options: LintOptions | None = None,
              select: Iterable[str] = (), ignore: Iterable[str] = ()) -> LintResult:
    """Lint a lab file; ``LabError`` when it cannot be read as YAML (exit 2)."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise LabError(source, [Problem("", None, f"no such file: {source}",
                                        "check the path and name")]) from None
    except IsADirectoryError:
        raise LabError(source, [Problem("", None, f"{source} is a directory, not a lab "
                                        "file", None)]) from None
    except OSError as e:
        raise LabError(source, [Problem("", None, f"cannot read {source}: {e.strerror}",
                                        None)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LabError(source, [Problem(
            "", None, f"not UTF-8 text (byte {e.start} cannot be decoded)", None)]) from None
    return lint_text(text, source, options=options, select=select, ignore=ignore)
