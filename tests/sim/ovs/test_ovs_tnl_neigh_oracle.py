"""The tunnel neighbour cache commands against real ovs-vswitchd (tnl-neigh-cache.c):
``tnl/neigh/set`` (and its errors), ``tnl/neigh/show``, ``tnl/neigh/flush``, the
``tnl/arp/*`` aliases — replies compared byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sim.ovs.oracle import missing, oracle
from vnetlab.sim.ovs.appctl import run_appctl
from vnetlab.sim.ovs.vswitchd import Vswitchd

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))

SEQUENCE: list[list[str]] = [
    ["tnl/neigh/show"],
    ["tnl/neigh/set", "br-phy", "1.1.2.92", "aa:55:aa:55:00:00"],
    ["tnl/neigh/show"],
    ["tnl/neigh/set", "br-phy", "1.1.2.92", "AA:55:aa:55:0:1"],
    ["tnl/arp/show"],
    ["tnl/neigh/set", "br-phy", "1.1.2.300", "aa:55:aa:55:00:00"],
    ["tnl/neigh/set", "br-phy", "1.1.2.93", "aa:55:aa:55:00"],
    ["tnl/neigh/set", "br-phy", "1.1.2.93"],
    ["tnl/neigh/show", "x"],
    ["tnl/neigh/flush"],
    ["tnl/arp/show"],
]


def test_tnl_neigh_commands_match_ovs(tmp_path: Path) -> None:
    vs = Vswitchd(None, dummy=True)
    with oracle(tmp_path) as o:
        vs.ctl_path = f"{o.d}/vs.ctl"
        for argv in SEQUENCE:
            real = o.appctl(*argv, check=False)
            ours = run_appctl(vs, argv)
            assert (ours.stdout, ours.stderr, ours.status) == (
                real.stdout, real.stderr, real.returncode), argv
