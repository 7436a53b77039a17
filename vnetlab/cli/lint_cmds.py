"""``vnetlab lint LAB...``: the lab's failure modes and exposures, before anything is built.

Exit status: 0 no finding at or above ``--fail-on`` (findings a lab declares in
``lint.expect`` never count); 1 some; 2 input that cannot be read (no file, not UTF-8,
not YAML) or bad arguments. A lab that does not *resolve* is linted anyway: the
resolver's refusals are findings (LAB001 or the rule they belong to).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

FORMATS = ("rich", "json", "sarif")
FAIL_ON = ("error", "warning", "note", "never")
_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}


def _ids(values: tuple[str, ...], param: str) -> list[str]:
    from vnetlab.lint.rules import RULES

    out: list[str] = []
    for value in values:
        for word in (w.strip().upper() for w in value.split(",")):
            if not word:
                continue
            if not any(r.startswith(word) for r in RULES):
                raise click.BadParameter(
                    f"{word!r} is neither a rule id nor the prefix of one (rules: "
                    f"{', '.join(RULES)})", param_hint=param)
            out.append(word)
    return out


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vnetlab")
    except PackageNotFoundError:
        return "0"


def register(cli: click.Group, *, friendly: Callable[[Any], Any]) -> None:
    @cli.command("lint")
    @click.argument("labs", nargs=-1, metavar="LAB...",
                    type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="rich",
                  show_default=True, help="rich: for people; json; sarif: SARIF 2.1.0 for "
                  "code-scanning services.")
    @click.option("--select", multiple=True, metavar="IDS",
                  help="Only these rules (ids or prefixes, comma-separated; repeatable).")
    @click.option("--ignore", multiple=True, metavar="IDS",
                  help="Not these rules (ids or prefixes, comma-separated; repeatable).")
    @click.option("--fail-on", type=click.Choice(FAIL_ON), default="error",
                  show_default=True, help="Exit 1 on a finding of this severity or worse.")
    @click.option("--gc-thresh3", type=click.IntRange(1, 1 << 30), default=1024,
                  show_default=True, help="The host's net.ipv4.neigh.default.gc_thresh3 "
                  "(NEIGH001; lint never reads the host).")
    @click.option("--list-rules", is_flag=True, help="Print the rule table and exit.")
    @friendly
    def lint_cmd(labs: tuple[Path, ...], fmt: str, select: tuple[str, ...],
                 ignore: tuple[str, ...], fail_on: str, gc_thresh3: int,
                 list_rules: bool) -> None:
        """Find LAB's failure modes and security exposures before it is built.

        Each finding names its rule, the YAML file:line and a fix. Declare the findings
        an example demonstrates with `lint: {expect: [ID, ...]}` in the lab."""
        from vnetlab.lint.context import LintOptions
        from vnetlab.lint.runner import lint_file

        if list_rules:
            _print_rules(fmt)
            return
        if not labs:
            raise click.UsageError("give at least one LAB (or --list-rules)")
        sel, ign = _ids(select, "--select"), _ids(ignore, "--ignore")
        opts = LintOptions(gc_thresh3=gc_thresh3)
        from vnetlab.cli.errors import report_lab_error
        from vnetlab.model.errors import LabError

        try:
            results = [lint_file(lab, options=opts, select=sel, ignore=ign) for lab in labs]
        except LabError as e:  # not a lab at all: exit 2, as JSON for the JSON formats
            report_lab_error(e, as_json=fmt != "rich")
        failed = any(r.failed(fail_on) for r in results)
        if fmt == "json":
            from vnetlab.lint.report import to_json

            docs = [to_json(r, fail_on) for r in results]
            click.echo(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2))
        elif fmt == "sarif":
            from vnetlab.lint.report import to_sarif

            click.echo(json.dumps(to_sarif(results, _version()), indent=2))
        else:
            for r in results:
                _print_rich(r, fail_on)
        sys.exit(1 if failed else 0)


def _print_rich(result: Any, fail_on: str) -> None:
    from rich.markup import escape

    from vnetlab.cli.console import console

    for f in result.findings:
        p = f.problem
        where = f"{result.source}:{p.line}" if p.line is not None else result.source
        head = f"[bold]{escape(where)}[/]" + (f": {escape(p.path)}" if p.path else "")
        tag = " [dim](expected)[/]" if f.expected else ""
        console.print(head)
        console.print(f"  [{_STYLE[f.severity]}]{f.severity}[/] [bold]{f.rule}[/]{tag} "
                      f"{escape(p.message)}")
        if p.hint:
            console.print(f"  [dim]fix:[/] {escape(p.hint)}")
    c = result.counts()
    parts = [f"{c[s]} {s}{'s' if c[s] != 1 else ''}" for s in ("error", "warning", "note")
             if c[s]]
    if c["expected"]:
        parts.append(f"{c['expected']} expected")
    verdict = "[bold red]fails[/]" if result.failed(fail_on) else "[bold green]ok[/]"
    summary = ", ".join(parts) if parts else "no findings"
    console.print(f"{escape(result.source)}: {summary} — {verdict} (--fail-on {fail_on})")


def _print_rules(fmt: str) -> None:
    from vnetlab.lint.rules import RULES

    if fmt == "json":
        click.echo(json.dumps([{"id": r.id, "name": r.name, "severity": r.severity,
                                "family": r.family, "summary": r.summary,
                                "explanation": r.explanation, "fix": r.fix}
                               for r in RULES.values()], indent=2))
        return
    from rich.table import Table

    from vnetlab.cli.console import console

    t = Table("id", "severity", "name", "summary")
    for r in RULES.values():
        t.add_row(r.id, r.severity, r.name, r.summary)
    console.print(t)
