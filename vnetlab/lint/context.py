"""A finding (a rule id on the loader's ``Problem``) and the context every rule family sees.

Design note: a finding *is* a ``vnetlab.model.errors.Problem`` (YAML path, line, message,
hint = the rule's fix unless the finding has a better one) tagged with its rule, so it
prints as ``lab.yaml:12: nodes.h1.interfaces.vx0.mtu: ...`` like every lab error.
Families report through ``Context.add``; options that come from outside the lab (the
host's gc_thresh3 — lint must not read /proc, that is the linux engine's) live in
``LintOptions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from vnetlab.lint.rules import RULES, SEVERITY_RANK, Severity
from vnetlab.lint.view import LabView
from vnetlab.model.errors import Problem, format_path, line_of
from vnetlab.model.spec import LabSpec

#: the kernel's default net.ipv4.neigh.default.gc_thresh3 (net/ipv4/arp.c arp_tbl)
DEFAULT_GC_THRESH3 = 1024


@dataclass(frozen=True, slots=True)
class LintOptions:
    gc_thresh3: int = DEFAULT_GC_THRESH3


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    problem: Problem
    #: declared in the lab's lint.expect: shown, but does not fail the run
    expected: bool = False

    @property
    def severity(self) -> Severity:
        return RULES[self.rule].severity

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    def render(self, source: str) -> str:
        """``lab.yaml:7: nodes.h.interfaces.vx0: MTU001 message`` (+ hint line)."""
        p = self.problem
        return Problem(p.path, p.line, f"{self.rule} [{self.severity}] {p.message}",
                       p.hint).render(source)


@dataclass
class Context:
    lab: LabSpec
    lines: Mapping[str, int]
    #: resolve() accepted the lab (defaults are explicit, references hold)
    resolved: bool
    options: LintOptions = field(default_factory=LintOptions)
    findings: list[Finding] = field(default_factory=list)
    _view: LabView | None = None

    @property
    def view(self) -> LabView:
        if self._view is None:
            self._view = LabView(self.lab)
        return self._view

    def add(self, rule: str, segs: Sequence[object], message: str,
            hint: str | None = None) -> None:
        assert rule in RULES, rule
        self.findings.append(Finding(rule, Problem(
            format_path(segs), line_of(self.lines, segs), message,
            hint if hint is not None else RULES[rule].fix)))
