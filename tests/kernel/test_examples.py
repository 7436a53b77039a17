"""Every example lab this kernel supports passes its checks on the linux engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from vnetlab.engine import UnsupportedError
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.model.load import load_lab

pytestmark = pytest.mark.kernel
EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_checks_pass_on_the_kernel(path: Path) -> None:
    from vnetlab.tools.checks import run_checks

    lab = load_lab(path)
    e = LinuxEngine()
    try:
        try:
            e.realize(lab)
        except UnsupportedError as err:
            pytest.skip(str(err))
        report = run_checks(e, lab)
    finally:
        e.teardown()
    failed = [r for r in report.results if r.status == "fail"]
    assert not failed, "\n".join(f"{r.subject}: want {r.expected}, got {r.got} ({r.detail})"
                                 for r in failed)
    assert any(r.status == "pass" for r in report.results)
