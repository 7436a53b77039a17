"""The plaintext-VXLAN labs on both engines: the spy reads the tenant's inner header and
its forgery lands; through the VPN it reads no VXLAN, finds nothing, and the VPN counts
its forgery as an authentication failure."""

from __future__ import annotations

import shutil

import pytest

from tests.security.labs_run import run_example
from vnetlab.engine import Engine
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.sim.engine import SimEngine

ENGINES = ["sim", pytest.param("linux", marks=[
    pytest.mark.kernel,
    pytest.mark.skipif(shutil.which("ip") is None, reason="iproute2 is not installed"),
])]


def _make(name: str) -> Engine:
    return SimEngine() if name == "sim" else LinuxEngine()


@pytest.mark.parametrize("engine", ENGINES)
def test_plain_vxlan_is_read_and_forged(engine: str) -> None:
    e = _make(engine)
    try:
        out = run_example(e, "security-plaintext-vxlan", program="underlay:spy0")
    finally:
        e.teardown()
    assert not out.failed, out.failed
    assert out.attacker["vxlan"] > 0 and out.attacker["found"] > 0
    assert out.attacker["injected"] == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_vpn_underlay_hides_and_rejects(engine: str) -> None:
    e = _make(engine)
    try:
        out = run_example(e, "security-plaintext-vxlan-mitigated", program="underlay:spy0")
        vpn = e.programs["vtep1:tun0"].counters  # type: ignore[attr-defined]
        auth_failed = vpn["auth_failed"]
    finally:
        e.teardown()
    assert not out.failed, out.failed
    assert out.attacker["vxlan"] == 0 and out.attacker["found"] == 0
    assert out.attacker["injected"] == 1
    assert auth_failed == 1
