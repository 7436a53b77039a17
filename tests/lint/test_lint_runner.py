"""The runner: labs that do not load are findings, not tracebacks; lint.expect; select."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.labs import _LOOP, _TWO_HOSTS_BRIDGED, _sriov
from vnetlab.lint.runner import LintResult, lint_file, lint_text
from vnetlab.model.errors import LabError


def lint(tmp_path: Path, text: str, **kw: object) -> LintResult:
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    return lint_file(path, **kw)  # type: ignore[arg-type]


def rules(r: LintResult) -> list[str]:
    return [f.rule for f in r.findings]


def test_unresolved_lab_is_findings_with_lines(tmp_path: Path) -> None:
    r = lint(tmp_path, _LOOP.format(stp="").replace("a1: {master: br1}",
                                                     "a1: {master: brX}"))
    lab001 = [f for f in r.findings if f.rule == "LAB001"]
    assert lab001 and lab001[0].problem.line == 8
    assert "master 'brX'" in lab001[0].problem.message
    assert r.failed("error")


def test_type_errors_are_lab001(tmp_path: Path) -> None:
    r = lint(tmp_path, "name: x\nnodes:\n  a:\n    interfaces:\n      eth0: {mtu: lots}\n")
    assert rules(r) == ["LAB001"]
    assert r.findings[0].problem.line == 5
    assert r.lab is None


def test_not_yaml_raises_lab_error(tmp_path: Path) -> None:
    with pytest.raises(LabError):
        lint(tmp_path, "name: [unclosed\n")
    with pytest.raises(LabError):
        lint_file(tmp_path / "missing.yaml")


def test_resolver_refusal_is_reported_under_the_rule_not_twice(tmp_path: Path) -> None:
    r = lint(tmp_path, _TWO_HOSTS_BRIDGED.format(name="ip", bip="10.0.0.1", amac="", bmac=""))
    assert rules(r) == ["ADDR002"]
    assert r.findings[0].problem.path == "nodes.b.interfaces.eth0.addresses[0]"
    r = lint(tmp_path, _sriov("{totalvfs: 4, numvfs: 8}"))
    assert rules(r) == ["SRIOV001"]


def test_duplicate_in_different_domains_is_only_the_resolvers(tmp_path: Path) -> None:
    text = ("name: x\nnodes:\n  a: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}\n"
            "  b: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}\n"
            "  c: {interfaces: {eth0: {}, eth1: {}}}\n"
            "links:\n  - endpoints: [a:eth0, c:eth0]\n  - endpoints: [b:eth0, c:eth1]\n")
    assert rules(lint(tmp_path, text)) == ["LAB001"]


def test_expected_findings_do_not_fail(tmp_path: Path) -> None:
    text = _LOOP.format(stp="") + "lint: {expect: [L2001]}\n"
    r = lint(tmp_path, text)
    assert [(f.rule, f.expected) for f in r.findings] == [("L2001", True)]
    assert not r.failed("error") and not r.failed("note")
    assert r.counts()["expected"] == 1


def test_expected_finding_that_does_not_fire(tmp_path: Path) -> None:
    text = _LOOP.format(stp=", stp: true") + "lint:\n  expect: [L2001]\n"
    r = lint(tmp_path, text)
    assert rules(r) == ["LINT001"]
    assert r.findings[0].problem.path == "lint.expect[0]"
    assert r.findings[0].problem.line == text.splitlines().index("  expect: [L2001]") + 1
    assert r.failed("error")


def test_unknown_expected_id(tmp_path: Path) -> None:
    r = lint(tmp_path, _LOOP.format(stp=", stp: true") + "lint: {expect: [XYZ999]}\n")
    assert rules(r) == ["LINT002"]


def test_expect_id_shape_is_checked_at_load(tmp_path: Path) -> None:
    r = lint(tmp_path, _LOOP.format(stp=", stp: true") + "lint: {expect: [loop]}\n")
    assert rules(r) == ["LAB001"]


def test_select_and_ignore(tmp_path: Path) -> None:
    text = _LOOP.format(stp="") + "lint: {expect: [L2001]}\n"
    assert rules(lint(tmp_path, text, ignore=["L2"])) == []
    # an expected rule that is not selected is not "missing"
    assert rules(lint(tmp_path, text, select=["SEC"])) == []
    assert rules(lint(tmp_path, text, select=["L2001"])) == ["L2001"]


def test_lint_text_same_as_file(tmp_path: Path) -> None:
    text = _LOOP.format(stp="")
    a = lint_text(text, "x.yaml")
    b = lint(tmp_path, text)
    assert [(f.rule, f.problem) for f in a.findings] == [(f.rule, f.problem) for f in b.findings]


def test_fail_on_levels(tmp_path: Path) -> None:
    from tests.lint.labs import _three_hosts

    r = lint(tmp_path, _three_hosts())  # SEC001, a warning
    assert rules(r) == ["SEC001"]
    assert not r.failed("error")
    assert r.failed("warning") and r.failed("note")
    assert not r.failed("never")
