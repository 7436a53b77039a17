"""Kernel tests of issue 5: skipped without root; nothing of ours may be left behind."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim_l2dev"))  # labs_l2dev

from tests.kernel.conftest import _kernel_skip_reason, ours_left  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _kernel_skip_reason()
    if reason is None:
        return
    for item in items:
        if "kernel_l2dev" in str(item.path) and item.get_closest_marker("kernel") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module", autouse=True)
def l2dev_nothing_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    run_dir = tmp_path_factory.mktemp("vnetlab-l2dev-run")
    old = os.environ.get("VNETLAB_RUN_DIR")
    os.environ["VNETLAB_RUN_DIR"] = str(run_dir)
    before = set(ours_left()) if shutil.which("ip") else set()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("VNETLAB_RUN_DIR", None)
        else:
            os.environ["VNETLAB_RUN_DIR"] = old
    if shutil.which("ip") and os.geteuid() == 0:
        left = sorted(set(ours_left()) - before)
        assert not left, f"l2dev kernel tests left these behind: {left}"
        assert not list(Path(run_dir).glob("*.json"))
