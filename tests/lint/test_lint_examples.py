"""Every example lab lints clean or declares exactly the findings it demonstrates."""

from __future__ import annotations

from pathlib import Path

import pytest

from vnetlab.lint.runner import lint_file

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_lints_as_declared(path: Path) -> None:
    r = lint_file(path)
    undeclared = [f.render(r.source) for f in r.findings if not f.expected]
    assert not undeclared, "\n".join(undeclared)
    assert not r.failed("note")


def test_the_examples_show_the_seeds_failure_modes_and_exposures() -> None:
    fired = {f.rule for p in EXAMPLES for f in lint_file(p).findings}
    assert {"MTU001", "L2001", "SEC001", "SEC002", "SEC003"} <= fired
