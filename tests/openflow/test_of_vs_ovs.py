"""Differential: the emulated ``ovs-ofctl`` against OVS 3.1's on a private real
ovs-vswitchd, line for line (durations and ages aside)."""

from __future__ import annotations

import pytest

from tests.openflow.corpus import BAD_FLOWS, BAD_GROUPS, GOOD_FLOWS, GOOD_GROUPS
from tests.openflow.oflab import Emulated, RealOvs, strip_ages


@pytest.fixture
def both(ovs: RealOvs) -> tuple[Emulated, RealOvs]:
    emu = Emulated()
    for side in (emu, ovs):
        side.ofctl("del-groups", "br0")
        side.ofctl("del-flows", "br0")
        assert side.ofctl("add-group", "br0", "group_id=1,type=all,bucket=output:1").status == 0
    return emu, ovs


def same(emu: Emulated, ovs: RealOvs, *argv: str) -> None:
    a, b = emu.ofctl(*argv), ovs.ofctl(*argv)
    assert (a.status, a.stderr) == (b.status, b.stderr), argv
    assert strip_ages(a.stdout) == strip_ages(b.stdout), argv


@pytest.mark.parametrize("flow", GOOD_FLOWS + BAD_FLOWS)
def test_add_flow_then_dump(both: tuple[Emulated, RealOvs], flow: str) -> None:
    emu, ovs = both
    same(emu, ovs, "add-flow", "br0", flow)
    same(emu, ovs, "dump-flows", "br0")
    same(emu, ovs, "--no-stats", "dump-flows", "br0")
    same(emu, ovs, "--names", "dump-flows", "br0")
