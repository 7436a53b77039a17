"""Bridge VLAN filtering in the emulator (net/bridge/br_vlan.c), and the example lab."""

from __future__ import annotations

import textwrap
from ipaddress import IPv4Address
from pathlib import Path

from vnetlab.model import load_lab, load_lab_text
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.netdev import Skb
from vnetlab.sim.trace import Trace
from vnetlab.tools.checks import run_checks
from vnetlab.tools.trace_render import render_trace
from vnetlab.wire.pcap import read_pcap

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vlan-trunk.yaml"

# one switch: access ports a (VLAN 10), b (VLAN 10), c (VLAN 20), trunk t (10, 20 tagged)
# to a host "tr" with subinterfaces eth0.10 / eth0.20; all hosts share one IP subnet
SWITCH = """\
name: sw
nodes:
  s:
    interfaces:
      br0: {type: bridge, vlan_filtering: FILTER}
      pa: {master: br0, bridge_port: {vlans: [{vid: 10, pvid: true, untagged: true}]}}
      pb: {master: br0, bridge_port: {vlans: [{vid: 10, pvid: true, untagged: true}]}}
      pc: {master: br0, bridge_port: {vlans: [{vid: 20, pvid: true, untagged: true}]}}
      pt: {master: br0, bridge_port: {vlans: [{vid: "10-20"}]}}
  a: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}
  b: {interfaces: {eth0: {addresses: [10.0.0.2/24]}}}
  c: {interfaces: {eth0: {addresses: [10.0.0.3/24]}}}
  tr:
    interfaces:
      eth0: {}
      eth0.10: {type: vlan, link: eth0, id: 10, addresses: [10.0.0.10/24]}
      eth0.20: {type: vlan, link: eth0, id: 20, addresses: [10.0.1.20/24]}
links:
  - endpoints: [s:pa, a:eth0]
  - endpoints: [s:pb, b:eth0]
  - endpoints: [s:pc, c:eth0]
  - endpoints: [s:pt, tr:eth0]
"""


def _engine(filtering: bool = True, text: str = SWITCH) -> SimEngine:
    e = SimEngine()
    e.realize(load_lab_text(textwrap.dedent(text.replace("FILTER", str(filtering).lower()))))
    return e


def _capture(e: SimEngine, tmp: Path, *eps: str) -> dict[str, Path]:
    out = {}
    for ep in eps:
        node, _, ifname = ep.partition(":")
        out[ep] = tmp / f"{node}-{ifname}.pcap"
        e.start_capture(node, ifname, out[ep])
    return out


def _frames(p: Path) -> list[bytes]:
    return [d for _, d in read_pcap(p)]


def _vid(f: bytes) -> int | None:
    return int.from_bytes(f[14:16], "big") & 0xFFF if f[12:14] == b"\x81\x00" else None


def test_access_ports_untag_and_same_vlan_reaches(tmp_path: Path) -> None:
    e = _engine()
    caps = _capture(e, tmp_path, "a:eth0", "b:eth0")
    assert e.ping("a", IPv4Address("10.0.0.2")).reachable
    e.stop_captures()
    for ep in caps:
        fs = _frames(caps[ep])
        assert fs and all(_vid(f) is None for f in fs), ep  # access ports send untagged


def test_trunk_carries_tags_and_subinterface_answers(tmp_path: Path) -> None:
    e = _engine()
    caps = _capture(e, tmp_path, "tr:eth0", "a:eth0")
    assert e.ping("a", IPv4Address("10.0.0.10")).reachable  # VLAN 10 over the trunk
    e.stop_captures()
    trunk = _frames(caps["tr:eth0"])
    assert trunk and {_vid(f) for f in trunk} == {10}
    assert all(_vid(f) is None for f in _frames(caps["a:eth0"]))


def test_vlans_are_isolated_even_in_one_subnet(tmp_path: Path) -> None:
    e = _engine()
    caps = _capture(e, tmp_path, "c:eth0")
    assert not e.ping("a", IPv4Address("10.0.0.3")).reachable  # c is in VLAN 20
    e.stop_captures()
    # flooding is confined to VLAN 10: a's ARP broadcasts never reach c's access port
    assert not any(f[12:14] == b"\x08\x06" for f in _frames(caps["c:eth0"]))


def test_flood_confined_to_the_vlan_in_trace() -> None:
    e = _engine()
    t = e.trace("a", IPv4Address("10.0.0.3"))
    text = render_trace(t)
    assert "ingress port pa: untagged -> pvid 10" in text
    assert "broadcast vlan 10 -> flood to pt, pb" in text
    assert "egress pt: vlan 10 tagged" in text and "egress pb: vlan 10 untagged" in text
    assert "pc" not in text.split("flood to", 1)[1].split("\n", 1)[0]


def test_ingress_filter_drops_a_vid_not_on_the_port() -> None:
    e = _engine()
    tr = e.dev("tr", "eth0")
    # a frame tagged 30 from the trunk host: 30 is outside the trunk's 10-20
    frame = b"\xff" * 6 + tr.mac + b"\x81\x00" + (30).to_bytes(2, "big") + b"\x08\x06" + bytes(28)
    t = Trace("vid 30")
    tr.xmit(Skb(frame, t.root))
    e.advance(0.01)
    assert t.verdict() == "dropped at s:br0: vlan 30 not allowed on port pt: dropped"
    # nothing was learned for it
    assert not [f for f in e.observe().nodes["s"].fdb if f.vlan == 30]


def test_untagged_frame_on_a_port_without_pvid_is_dropped() -> None:
    e = _engine()
    tr = e.dev("tr", "eth0")  # the trunk port has no PVID: untagged frames are refused
    t = Trace("untagged")
    tr.xmit(Skb(b"\xff" * 6 + tr.mac + b"\x08\x06" + bytes(28), t.root))
    e.advance(0.01)
    assert t.verdict() == "dropped at s:br0: untagged frame on port pt, which has no pvid: dropped"


def test_fdb_entries_carry_the_vid_and_membership_is_observable() -> None:
    e = _engine()
    assert e.ping("a", IPv4Address("10.0.0.10")).reachable
    assert e.ping("c", IPv4Address("10.0.1.20")).received == 0  # c is not in 10.0.1.0/24
    st = e.observe().nodes["s"]
    trunk_mac = e.observe().nodes["tr"].link("eth0").mac
    learned = {(f.mac, f.port, f.vlan) for f in st.fdb if not f.flags}
    assert (trunk_mac, "pt", 10) in learned
    a_mac = e.observe().nodes["a"].link("eth0").mac
    assert (a_mac, "pa", 10) in learned
    # local entries per VLAN, like `bridge fdb show`: "vlan 10 permanent" on the port
    assert any(f.port == "pa" and f.vlan == 10 and f.flags == ("permanent",) for f in st.fdb)
    vl = {(v.port, v.vid): v.flags for v in st.vlans}
    assert vl[("pa", 10)] == ("PVID", "Egress Untagged")
    assert vl[("pt", 15)] == ()
    assert vl[("br0", 1)] == ("PVID", "Egress Untagged")  # the bridge itself: default_pvid
    assert ("pa", 1) not in vl  # the lab's list replaced the default


def test_one_mac_in_two_vlans_has_two_entries() -> None:
    e = _engine()
    assert e.ping("a", IPv4Address("10.0.0.10")).reachable
    tr = e.dev("tr", "eth0")
    frame = b"\xff" * 6 + tr.mac + b"\x81\x00" + (20).to_bytes(2, "big") + b"\x08\x06" + bytes(28)
    tr.xmit(Skb(frame))
    e.advance(0.01)
    mac = e.observe().nodes["tr"].link("eth0").mac
    vlans = sorted(f.vlan for f in e.observe().nodes["s"].fdb if f.mac == mac and not f.flags)
    assert vlans == [10, 20]


def test_filtering_off_is_the_old_behaviour(tmp_path: Path) -> None:
    e = _engine(filtering=False)
    # ports ignore their VLAN lists: a reaches c (same subnet) and tagged frames pass as is
    assert e.ping("a", IPv4Address("10.0.0.3")).reachable
    st = e.observe().nodes["s"]
    assert all(f.vlan is None for f in st.fdb) and st.vlans == ()
    caps = _capture(e, tmp_path, "a:eth0")
    tr = e.dev("tr", "eth0")
    a_mac = e.dev("a", "eth0").mac
    frame = a_mac + tr.mac + b"\x81\x00" + (30).to_bytes(2, "big") + b"\x08\x00" + bytes(28)
    tr.xmit(Skb(frame))
    e.advance(0.01)
    e.stop_captures()
    assert frame in _frames(caps["a:eth0"])  # forwarded by MAC, tag untouched
    br = e.dev("s", "br0")
    assert e.dev("s", "pa").rx_handler == br.handle_frame  # the fast path's handler


def test_switching_filtering_at_runtime() -> None:
    e = _engine(filtering=False)
    br = e.dev("s", "br0")
    assert e.ping("a", IPv4Address("10.0.0.3")).reachable
    br.set_vlan_filtering(True)  # type: ignore[attr-defined]
    assert not e.ping("b", IPv4Address("10.0.0.3")).reachable
    assert e.ping("b", IPv4Address("10.0.0.1")).reachable
    br.set_vlan_filtering(False)  # type: ignore[attr-defined]
    assert all(f.vlan is None for f in e.observe().nodes["s"].fdb)


def test_example_lab_passes() -> None:
    lab = load_lab(EXAMPLE)
    e = SimEngine()
    e.realize(lab)
    report = run_checks(e, lab)
    bad = [r for r in report.results if r.status != "pass"]
    assert not bad, bad
    assert len(report.results) >= 15
