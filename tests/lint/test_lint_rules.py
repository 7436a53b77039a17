"""Every rule: a lab that triggers it, a lab that does not; findings carry the YAML line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.labs import CASES
from vnetlab.lint.context import LintOptions
from vnetlab.lint.rules import RULES
from vnetlab.lint.runner import LintResult, lint_file


def lint(tmp_path: Path, text: str, gc: int = 1024) -> LintResult:
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    return lint_file(path, options=LintOptions(gc_thresh3=gc))


def test_every_rule_family_rule_has_a_case() -> None:
    covered = {c[0] for c in CASES}
    runner_rules = {"LAB001", "LINT001", "LINT002"}  # tested in test_lint_runner.py
    assert covered | runner_rules == set(RULES)


@pytest.mark.parametrize(("rule", "trigger", "clean", "gc"),
                         [pytest.param(c[0], c[2], c[3], c[4], id=f"{c[0]}-{c[1]}")
                          for c in CASES])
def test_rule_triggers_and_stays_quiet(tmp_path: Path, rule: str, trigger: str, clean: str,
                                       gc: int) -> None:
    hit = lint(tmp_path, trigger, gc)
    fired = [f for f in hit.findings if f.rule == rule]
    assert fired, [f.render(hit.source) for f in hit.findings]
    for f in fired:
        # a finding points at a line of the file, with a message and a fix
        assert f.problem.line is not None and f.problem.line >= 1
        assert f.problem.message and f.problem.hint
        assert f.render(hit.source).startswith(f"{hit.source}:{f.problem.line}: ")
        assert f.severity == RULES[rule].severity
    ok = lint(tmp_path, clean)
    assert rule not in {f.rule for f in ok.findings}, \
        [f.render(ok.source) for f in ok.findings]
    # the clean twin does not just fail differently
    assert not [f for f in ok.findings if f.rule == "LAB001"], \
        [f.render(ok.source) for f in ok.findings]


def test_rule_table_is_consistent() -> None:
    import re

    from vnetlab.lint.runner import FAMILIES
    from vnetlab.model.spec import _RULE_ID_RE

    families = {name for name, _ in FAMILIES}
    assert {r.family for r in RULES.values()} == families | {"runner"}
    for r in RULES.values():
        assert r.id == r.id.upper() and re.match(_RULE_ID_RE, r.id), r.id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.name), r.name
        assert r.summary and r.explanation and r.fix and "\n" not in r.summary
    assert len({r.name for r in RULES.values()}) == len(RULES)
