"""The NIC's embedded switch: what goes where, decided inside the NIC."""

from __future__ import annotations

from ipaddress import IPv4Address

from sriovlab import build, frames_seen, lab_text, pf, ping_ok, vf

from vnetlab.sim.devices.sriov.eswitch import ETH_P_8021AD, ETH_P_8021Q, outer_key
from vnetlab.sim.trace import DropReason, EventKind
from vnetlab.tools.checks import ETH_P_802_EX1
from vnetlab.wire.mac import mac_to_str

BCAST = b"\xff" * 6


def _frame(dst: bytes, src: bytes, tag: tuple[int, int] | None = None, size: int = 64) -> bytes:
    head = dst + src
    if tag is not None:
        head += tag[0].to_bytes(2, "big") + tag[1].to_bytes(2, "big")
    head += ETH_P_802_EX1.to_bytes(2, "big")
    return head.ljust(size, b"\x00")


def _ours(frames: list[bytes]) -> list[bytes]:
    """The test's own frames (ethertype 0x88B5, tagged or not)."""
    out = []
    for f in frames:
        at = 12
        while int.from_bytes(f[at:at + 2], "big") in (ETH_P_8021Q, ETH_P_8021AD):
            at += 4  # past every VLAN tag (QinQ has two)
        if int.from_bytes(f[at:at + 2], "big") == ETH_P_802_EX1:
            out.append(f)
    return out


def _events(trace: object) -> list[tuple[EventKind, str, DropReason | None]]:
    out: list[tuple[EventKind, str, DropReason | None]] = []

    def walk(node: object) -> None:
        for item in getattr(node, "items", []):
            if hasattr(item, "items"):
                walk(item)
            else:
                out.append((item.kind, item.what, item.reason))

    walk(getattr(trace, "root", trace))
    return out


def test_vf_to_vf_in_the_same_vlan_never_touches_the_wire() -> None:
    eng, _ = build(lab_text())
    wire = frames_seen(eng, "ext", "eth0")
    assert ping_ok(eng, "ns0", "10.0.0.2")
    ipv4_on_wire = [f for f in wire if f[12:14] == b"\x08\x00"]
    assert ipv4_on_wire == []  # the echo request and reply stayed in the NIC
    assert any(f[12:14] == b"\x08\x06" for f in wire)  # the ARP broadcast did go out
    trace = eng.trace("ns0", IPv4Address("10.0.0.2"))
    assert trace.verdict().startswith("delivered to ns1:vf1")
    texts = [w for _, w, _ in _events(trace)]
    assert any("VEB:" in t and "is VF 1" in t and "inside the NIC" in t for t in texts)
    assert not any("on the wire" in t for t in texts)


def test_vfs_in_different_port_vlans_are_isolated() -> None:
    eng, _ = build(lab_text("0: {vlan: 100}, 1: {vlan: 100}, 2: {vlan: 200}"))
    seen2 = frames_seen(eng, "ns2", "vf2")
    assert ping_ok(eng, "ns0", "10.0.0.2")
    assert not ping_ok(eng, "ns0", "10.0.0.3")
    mac0 = vf(eng, 0).mac
    assert not [f for f in seen2 if f[6:12] == mac0]  # not even the ARP broadcasts


def test_broadcast_reaches_every_function_of_the_vlan_and_the_wire_once() -> None:
    eng, _ = build(lab_text())
    seen = {k: frames_seen(eng, f"ns{k}", f"vf{k}") for k in range(3)}
    host = frames_seen(eng, "host", "eth0")
    wire = frames_seen(eng, "ext", "eth0")
    mac0 = vf(eng, 0).mac
    eng.inject("ns0", "vf0", _frame(BCAST, mac0), 1, 0.0)
    assert len(_ours(seen[1])) == 1 and len(_ours(seen[2])) == 1
    assert len(_ours(seen[0])) == 1  # vf0's own tap: its transmit, no copy back
    assert len(_ours(host)) == 1 and len(_ours(wire)) == 1
    assert pf(eng).sriov.vfs[1].stats.broadcast >= 1  # type: ignore[union-attr]


def test_vf_reaches_the_pf_host_stack_without_the_wire() -> None:
    eng, _ = build(lab_text())
    wire = frames_seen(eng, "ext", "eth0")
    before = pf(eng).rx_packets
    assert ping_ok(eng, "ns1", "10.0.0.254")
    assert pf(eng).rx_packets > before
    assert [f for f in wire if f[12:14] == b"\x08\x00"] == []


def test_vf_reaches_the_wire_through_the_physical_port() -> None:
    eng, _ = build(lab_text())
    before = pf(eng).tx_packets_phy
    assert ping_ok(eng, "ns2", "10.0.0.100")
    assert pf(eng).tx_packets_phy > before
    assert pf(eng).rx_packets_phy > 0


def test_port_vlan_tags_on_the_wire_with_qos_as_pcp_and_strips_on_delivery() -> None:
    eng, _ = build(lab_text("0: {vlan: 100, qos: 5}, 1: {vlan: 7, proto: 802.1ad}"))
    wire = frames_seen(eng, "ext", "eth0")
    v0, v1 = vf(eng, 0), vf(eng, 1)
    eng.inject("ns0", "vf0", _frame(BCAST, v0.mac), 1, 0.0)
    eng.inject("ns1", "vf1", _frame(BCAST, v1.mac), 1, 0.0)
    tagged = _ours(wire)
    assert [outer_key(f) for f in tagged] == [(ETH_P_8021Q, 100), (ETH_P_8021AD, 7)]
    assert tagged[0][14] >> 5 == 5  # PCP
    seen0 = frames_seen(eng, "ns0", "vf0")
    ext_mac = eng.dev("ext", "eth0").mac
    eng.inject("ext", "eth0", _frame(v0.mac, ext_mac, (ETH_P_8021Q, 100)), 1, 0.0)
    eng.inject("ext", "eth0", _frame(v0.mac, ext_mac), 1, 0.0)  # untagged: not VLAN 100
    got = _ours(seen0)
    assert len(got) == 1 and outer_key(got[0]) == (0, 0)  # delivered untagged


def test_a_vf_with_a_port_vlan_may_not_tag_frames_itself() -> None:
    eng, _ = build(lab_text("0: {vlan: 100}"))
    v0 = vf(eng, 0)
    wire = frames_seen(eng, "ext", "eth0")
    eng.inject("ns0", "vf0", _frame(BCAST, v0.mac, (ETH_P_8021Q, 5)), 3, 0.0)
    assert _ours(wire) == []
    assert pf(eng).tx_spoofed == 3
    assert eng.counter("host", "eth0", "vf0_tx_dropped") == 3


def test_unknown_unicast_from_the_wire_is_filtered_unless_the_pf_is_promiscuous() -> None:
    eng, _ = build(lab_text())
    host = frames_seen(eng, "host", "eth0")
    ext_mac = eng.dev("ext", "eth0").mac
    stranger = bytes.fromhex("020000000099")
    eng.inject("ext", "eth0", _frame(stranger, ext_mac), 2, 0.0)
    assert _ours(host) == []
    pf(eng).set_promiscuity(1)  # a bridge port or tcpdump: the PF takes what is unmatched
    eng.inject("ext", "eth0", _frame(stranger, ext_mac), 2, 0.0)
    assert len(_ours(host)) == 2


def test_unknown_unicast_from_a_vf_goes_to_the_wire_only() -> None:
    eng, _ = build(lab_text())
    wire = frames_seen(eng, "ext", "eth0")
    seen1 = frames_seen(eng, "ns1", "vf1")
    eng.inject("ns0", "vf0", _frame(bytes.fromhex("020000000099"), vf(eng, 0).mac), 1, 0.0)
    assert len(_ours(wire)) == 1 and _ours(seen1) == []


def test_trace_names_the_decisions_with_typed_events() -> None:
    eng, _ = build(lab_text("0: {vlan: 100}, 1: {vlan: 100}"))
    trace = eng.trace("ns0", IPv4Address("10.0.0.2"))
    assert trace.verdict().startswith("delivered to ns1:vf1")
    kinds = {(k, w.split(":")[0]) for k, w, _ in _events(trace)}
    assert (EventKind.ENCAP, "VF 0 port VLAN") in kinds
    assert (EventKind.DECAP, "VF 1 port VLAN") in kinds
    assert any(k is EventKind.HOP and "PCIe DMA" in w for k, w, _ in _events(trace))
    assert mac_to_str(vf(eng, 1).mac) in " ".join(w for _, w, _ in _events(trace))


SWITCHED = """
name: sriov-sw
nodes:
  h1:
    interfaces:
      eth0: {type: nic, wire: "sw:p1", sriov: {numvfs: 1, vfs: {0: {vlan: 10}}}}
  h2:
    interfaces:
      eth0: {type: nic, wire: "sw:p2", sriov: {numvfs: 1}}
  sw:
    interfaces:
      br0: {type: bridge, vlan_filtering: true}
      p1: {type: nic, master: br0, bridge_port: {vlans: [{vid: 10}]}}
      p2: {type: nic, master: br0, bridge_port: {vlans: [{vid: 10, pvid: true, untagged: true}]}}
  a:
    interfaces:
      v: {type: vf, link: "h1:eth0", vf: 0, addresses: [10.1.0.1/24]}
  b:
    interfaces:
      v: {type: vf, link: "h2:eth0", vf: 0, addresses: [10.1.0.2/24]}
"""


def test_vfs_of_two_hosts_meet_through_an_external_switch() -> None:
    """h1's VF tags VLAN 10 in its NIC, the switch's trunk port takes it, its access port
    untags it for h2's untagged VF; a nic can be a bridge port of a switch node."""
    eng, _ = build(SWITCHED)
    trunk = frames_seen(eng, "sw", "p1")
    assert ping_ok(eng, "a", "10.1.0.2")
    assert any(outer_key(f) == (ETH_P_8021Q, 10) and f[16:18] == b"\x08\x00" for f in trunk)
    trace = eng.trace("a", IPv4Address("10.1.0.2"))
    assert trace.verdict().startswith("delivered to b:v")


def test_a_vf_without_port_vlan_joins_the_vlans_of_its_own_vlan_devices() -> None:
    """Guest tagging: vf0.100 on VF 0 registers VLAN 100 with the NIC
    (``ndo_vlan_rx_add_vid``); tagged frames for VLAN 100 reach it, VLAN 200 does not."""
    text = lab_text(numvfs=1).replace(
        "      vf0: {type: vf, link: host:eth0, vf: 0, addresses: [10.0.0.1/24]}",
        "      vf0: {type: vf, link: host:eth0, vf: 0}\n"
        "      vf0.100: {type: vlan, link: vf0, id: 100, addresses: [10.0.100.1/24]}")
    eng, _ = build(text)
    sub = frames_seen(eng, "ns0", "vf0.100")
    v0 = vf(eng, 0)
    ext_mac = eng.dev("ext", "eth0").mac
    eng.inject("ext", "eth0", _frame(v0.mac, ext_mac, (ETH_P_8021Q, 100)), 2, 0.0)
    eng.inject("ext", "eth0", _frame(v0.mac, ext_mac, (ETH_P_8021Q, 200)), 2, 0.0)
    got = _ours(sub)
    assert len(got) == 2 and all(outer_key(f) == (0, 0) for f in got)  # the vlan dev untags


def test_an_8021ad_port_vlan_carries_the_guests_own_tag_inside() -> None:
    eng, _ = build(lab_text("0: {vlan: 7, proto: 802.1ad, qos: 2}"))
    wire = frames_seen(eng, "ext", "eth0")
    v0 = vf(eng, 0)
    eng.inject("ns0", "vf0", _frame(BCAST, v0.mac, (ETH_P_8021Q, 33)), 1, 0.0)
    (f,) = _ours(wire)
    assert outer_key(f) == (ETH_P_8021AD, 7) and f[14] >> 5 == 2
    assert outer_key(f[:12] + f[16:]) == (ETH_P_8021Q, 33)  # QinQ: the C-tag inside
    assert pf(eng).tx_spoofed == 0
