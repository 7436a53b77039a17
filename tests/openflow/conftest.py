"""Fixtures of the OpenFlow tests (helpers in ``tests.openflow.oflab``).

Every differential test runs twice: ``live`` against a private real ovs-vswitchd (skipped
when Open vSwitch is not installed) and ``golden`` against the answers real OVS gave when
the golden file was recorded (``VNETLAB_OF_RECORD=1 pytest tests/openflow`` rewrites it), so
the emulator is held to OVS's output on machines without OVS too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.openflow.oflab import SKIP_REASON, Oracle, RealOvs, Recording, Replay, real_ovs

GOLDEN = Path(__file__).parent / "golden" / "ovs31.json"


@pytest.fixture(scope="module")
def ovs() -> Iterator[RealOvs]:
    """A private real ovs-vswitchd with br0 (p1..p3); skips when OVS is not installed."""
    if SKIP_REASON:
        pytest.skip(SKIP_REASON)
    yield from real_ovs()


@pytest.fixture(scope="session")
def golden_store() -> Iterator[dict[str, list[list[object]]]]:
    recorded: dict[str, list[list[object]]] = (
        json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {})
    fresh: dict[str, list[list[object]]] = {}
    yield fresh if os.environ.get("VNETLAB_OF_RECORD") else recorded
    if os.environ.get("VNETLAB_OF_RECORD") and fresh:
        recorded.update(fresh)
        GOLDEN.parent.mkdir(exist_ok=True)
        # one test per line: small, and a re-recording diffs test by test
        lines = [f"{json.dumps(k)}:{json.dumps(recorded[k], separators=(',', ':'))}"
                 for k in sorted(recorded)]
        GOLDEN.write_text("{\n" + ",\n".join(lines) + "\n}\n")


def _key(request: pytest.FixtureRequest) -> str:
    params = dict(getattr(request.node, "callspec", None).params) if hasattr(
        request.node, "callspec") else {}
    params.pop("oracle", None)
    return f"{request.node.module.__name__}::{request.node.originalname}" + (
        json.dumps(params, sort_keys=True, default=str) if params else "")


@pytest.fixture(params=["live", "golden"])
def oracle(request: pytest.FixtureRequest,
           golden_store: dict[str, list[list[object]]]) -> Oracle:
    key = _key(request)
    if request.param == "live":
        real: RealOvs = request.getfixturevalue("ovs")
        log: list[list[object]] = []
        if os.environ.get("VNETLAB_OF_RECORD"):
            golden_store[key] = log
        return Recording(real, log)
    if os.environ.get("VNETLAB_OF_RECORD"):
        pytest.skip("recording the golden file")
    if key not in golden_store:
        pytest.skip(f"no recording of real OVS for {key}")
    return Replay(golden_store[key])
