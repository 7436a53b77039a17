"""plan() for macvlan, ipvlan and tun/tap: pure, no root (the ipvlan realizer is checked
here because this kernel has no ipvlan module)."""

from __future__ import annotations

import pytest
from labs_l2dev import ipvlan_lab, macvlan_lab

from vnetlab.engine import UnsupportedError
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds import KINDS, UNSUPPORTED_KINDS
from vnetlab.kernel.kinds.ipvlan import IFLA_IPVLAN_MODE, IPVLAN_MODES
from vnetlab.kernel.kinds.lowerdev import AddLowerDev
from vnetlab.kernel.kinds.macvlan import MACVLAN_MODES
from vnetlab.kernel.kinds.tuntap import AddTuntap
from vnetlab.kernel.plan import plan, plan_script
from vnetlab.model import load_lab_text
from vnetlab.model.kinds import DEVICE_KINDS


def test_every_kind_has_a_realizer() -> None:
    for kind in ("macvlan", "ipvlan", "tun", "tap"):
        assert kind in DEVICE_KINDS and kind in KINDS and kind not in UNSUPPORTED_KINDS


def test_macvlan_is_made_in_the_lower_namespace_into_the_child() -> None:
    lab = load_lab_text(macvlan_lab("private"))
    ops = [o for o in plan(lab, unsupported={}) if isinstance(o, AddLowerDev)]
    assert len(ops) == 3
    op = ops[0]
    assert (op.kind, op.mode, op.link, op.link_ns) == ("macvlan", "private", "eth0",
                                                       "vnl-mv-private.host")
    assert op.ns == "vnl-mv-private.c1"
    assert op.shell() == (
        "ip -n vnl-mv-private.host link add link eth0 name mv0 netns vnl-mv-private.c1 "
        f"address {lab.nodes['c1'].interfaces['mv0'].mac} mtu 1500 group 30318 "
        "type macvlan mode private")
    assert MACVLAN_MODES == {"private": 1, "vepa": 2, "bridge": 4, "passthru": 8}


def test_ipvlan_realizer_and_refusal() -> None:
    lab = load_lab_text(ipvlan_lab("l3"))
    ops = [o for o in plan(lab, unsupported={}) if isinstance(o, AddLowerDev)]
    assert [o.shell().split(" type ")[1] for o in ops] == ["ipvlan mode l3"] * 2
    assert all(o.mac is None for o in ops)  # the lower's MAC, never sent
    assert M.u16(IFLA_IPVLAN_MODE, IPVLAN_MODES["l3"]) == b"\x06\x00\x01\x00\x01\x00\x00\x00"
    reason = "this kernel has no ipvlan support (module missing: EOPNOTSUPP)"
    with pytest.raises(UnsupportedError, match="c1:ipv0 is a ipvlan: this kernel has no ipvlan"):
        plan(lab, unsupported={"ipvlan": reason})


def test_tuntap_plan_and_script() -> None:
    text = """\
name: tt
nodes:
  h:
    interfaces:
      br0: {type: bridge}
      tap0: {type: tap, master: br0, user: nobody, group: 0}
      tun0: {type: tun, mtu: 1400}
"""
    lab = load_lab_text(text)
    ops = [o for o in plan(lab, unsupported={}) if isinstance(o, AddTuntap)]
    assert [(o.ifname, o.mode, o.user, o.mac is not None, o.mtu) for o in ops] == [
        ("tap0", "tap", "nobody", True, 1500), ("tun0", "tun", None, False, 1400)]
    script = plan_script(lab)
    assert "ip -n vnl-tt.h tuntap add dev tap0 mode tap user nobody group 0\n" in script
    assert "ip -n vnl-tt.h tuntap add dev tun0 mode tun\n" in script
