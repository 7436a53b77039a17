"""The linux engine's kind table: every model kind has one, and each kind's op prints
and sends the same thing (no root: requests go to a recording socket and are decoded with
pyroute2)."""

from __future__ import annotations

import ast
import struct
from pathlib import Path
from typing import Any, cast

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from tests.kernel.test_overlay import GENEVE_LAB, VLAN_LAB, VXLAN_LAB
from vnetlab.kernel import features, nl
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds import KINDS, UNSUPPORTED_KINDS, by_info_kind
from vnetlab.kernel.kinds.tuntap import AddTuntap
from vnetlab.kernel.ops.base import NewLink, NsHandle, Op, Realized
from vnetlab.kernel.ops.ipv6 import SettleAddrconf
from vnetlab.kernel.ops.netns import AddNetns, SetSysctl
from vnetlab.kernel.plan import plan
from vnetlab.model import load_lab_text
from vnetlab.model.kinds import DEVICE_KINDS
from vnetlab.model.spec import LabSpec

KERNEL = Path(__file__).resolve().parents[2] / "vnetlab" / "kernel"

BRIDGE_PVID_LAB = """
name: pv
nodes:
  a:
    interfaces:
      br0: {type: bridge, default_pvid: 5}
      br1: {type: bridge, stp: true, ageing_time: 12.5}
      p1: {master: br0}
  b:
    interfaces:
      eth0: {}
links:
  - endpoints: [a:p1, b:eth0]
"""

DUMMY_LAB = """
name: dm
nodes:
  a:
    interfaces:
      d0: {type: dummy, mtu: 9000}
"""

MACVLAN_LAB = """
name: mv
nodes:
  host:
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
      mv1: {type: macvlan, link: eth0, mode: bridge}
  c1:
    interfaces:
      mv0: {type: macvlan, link: "host:eth0", mode: private}
  peer:
    interfaces:
      eth0: {}
links:
  - endpoints: [host:eth0, peer:eth0]
"""


class RecordingSock:
    def __init__(self) -> None:
        self.sent: list[tuple[int, bytes, Any]] = []

    def send_raw(self, mtype: int, body: bytes, flags: int = 0, tag: object = None) -> None:
        self.sent.append((mtype, body, tag))


def _apply_recorded(ops: list[Op]) -> dict[Op, list[tuple[int, bytes]]]:
    """Apply every rtnetlink op on recording sockets: op -> the requests it sent."""
    r = Realized()
    socks: dict[str, RecordingSock] = {}
    for op in ops:
        if isinstance(op, AddNetns):
            socks[op.ns] = RecordingSock()
            sock = cast(nl.NlSocket, socks[op.ns])  # records what apply sends, nothing else
            r.ns[op.ns] = NsHandle(op.ns, 1000 + len(socks), sock)
    sent: dict[Op, list[tuple[int, bytes]]] = {}
    for op in ops:
        if isinstance(op, AddNetns | SetSysctl | AddTuntap):
            continue  # they touch the host, not a socket
        if isinstance(op, SettleAddrconf):
            continue  # a bounded wait for DAD (IPv6 on): it only reads, it sends nothing
        op.apply(r)
        sent[op] = [(t, b) for s in socks.values() for t, b, tag in s.sent if tag is op]
    return sent


def _decode(body: bytes) -> Any:
    m = ifinfmsg(struct.pack("IHHII", 16 + len(body), M.RTM_NEWLINK, 5, 1, 0) + body)
    m.decode()
    return m


def test_every_model_kind_has_a_kernel_kind_and_a_probe() -> None:
    for kind in DEVICE_KINDS:
        assert kind in KINDS or kind in UNSUPPORTED_KINDS, kind
        assert kind in features.PROBES, kind
    assert set(KINDS) <= set(DEVICE_KINDS)


def test_linkwatch_knowledge_sits_with_the_kinds() -> None:
    carrier = {k for k, v in KINDS.items() if v.carrier}
    follows = {k for k, v in KINDS.items() if v.follows_lower}
    assert (carrier, follows) == ({"veth", "bridge"}, {"vlan", "macvlan", "ipvlan"})
    assert by_info_kind("tun") is KINDS["tap"] is KINDS["tun"]  # a TAP reports "tun"
    assert by_info_kind("loopback") is None and by_info_kind(None) is None
    # a NIC's PF and its VFs are physical: no IFLA_INFO_KIND, and the PF stays in the host
    assert by_info_kind("") is None
    assert {k for k, v in KINDS.items() if v.in_host} == {"nic"}


@pytest.mark.parametrize("text", [VXLAN_LAB.format(name="vk"), VLAN_LAB, BRIDGE_PVID_LAB,
                                  GENEVE_LAB.replace("OPTIONS", ""), MACVLAN_LAB,
                                  DUMMY_LAB])
def test_each_new_link_sends_what_it_prints(text: str) -> None:
    lab: LabSpec = load_lab_text(text)
    sent = _apply_recorded(plan(lab, unsupported={}))
    links = [op for op in sent if isinstance(op, NewLink)]
    assert links
    for op in links:
        [(mtype, body)] = sent[op]
        assert mtype == M.RTM_NEWLINK
        m = _decode(body)
        words = op.shell().split()
        assert m["index"] == op.index
        assert m.get_attr("IFLA_IFNAME") == op.ifname
        assert m.get_attr("IFLA_MTU") == int(words[words.index("mtu") + 1])
        assert m.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND") == words[words.index("type") + 1]
        data = m.get_nested("IFLA_LINKINFO", "IFLA_INFO_DATA")
        opts = dict(zip(words[words.index("type") + 2::2],
                        words[words.index("type") + 3::2], strict=False))
        if op.info_kind() == "bridge":
            assert data.get_attr("IFLA_BR_STP_STATE") == int(opts["stp_state"])
            assert data.get_attr("IFLA_BR_AGEING_TIME") == int(opts["ageing_time"])
            pvid = data.get_attr("IFLA_BR_VLAN_DEFAULT_PVID")
            assert (str(pvid) if pvid is not None else None) == opts.get("vlan_default_pvid")
        elif op.info_kind() in ("vxlan", "geneve"):
            assert data.get_attr(f"IFLA_{op.info_kind().upper()}_ID") == int(opts["id"])
            remote = data.get_attr("IFLA_VXLAN_GROUP" if op.info_kind() == "vxlan"
                                   else "IFLA_GENEVE_REMOTE")
            assert remote == opts.get("remote")
        elif op.info_kind() == "vlan":
            assert data.get_attr("IFLA_VLAN_ID") == int(opts["id"])
        elif op.info_kind() == "dummy":  # no options: no IFLA_INFO_DATA, as ip sends it
            assert data is None and words[-2:] == ["type", "dummy"]
        if words[words.index("add") + 1] == "link":  # ip link add link LOWER name NAME
            assert m.get_attr("IFLA_LINK") is not None


#: kernel modules that may spell a kind's name, and why
NAMES_A_KIND = {
    "devtun.py": "the /dev/net/tun ioctls take the mode (IFF_TUN or IFF_TAP)",
    "probe.py": "the probes of stacked kinds stack on a veth",
    "dump.py": "the snapshot's dumper prints each kind's IFLA_INFO_DATA in iproute2's words "
               "(ip -d -j); it realizes nothing",
}


def test_no_kernel_module_names_a_kind_outside_the_kinds() -> None:
    kinds = set(DEVICE_KINDS)
    for path in KERNEL.rglob("*.py"):
        if "kinds" in path.relative_to(KERNEL).parts or path.name in NAMES_A_KIND:
            continue
        tree = ast.parse(path.read_text())
        named = {n.value for n in ast.walk(tree)
                 if isinstance(n, ast.Constant) and isinstance(n.value, str)} & kinds
        assert not named, f"{path.name} names {named}"
