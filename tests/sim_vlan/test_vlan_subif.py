"""802.1Q subinterfaces in the emulator: tag on egress, demultiplex by VID on ingress."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from vnetlab.model import load_lab_text
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.netdev import Skb
from vnetlab.sim.trace import Trace
from vnetlab.wire.ethernet import ETH_P_8021Q, ETH_P_ARP, ETH_P_IP, EthernetHeader, parse_vlan
from vnetlab.wire.pcap import read_pcap

TSHARK = shutil.which("tshark")

# a: eth0 with eth0.100 (10.0.100.1) and eth0.200 (10.0.200.1), plain 10.0.0.1 on eth0
# b: the same on its end of the veth
LAB = """\
name: subif
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  a:
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
      eth0.100: {type: vlan, link: eth0, id: 100, addresses: [10.0.100.1/24]}
      eth0.200: {type: vlan, link: eth0, id: 200, addresses: [10.0.200.1/24]}
  b:
    interfaces:
      eth0: {addresses: [10.0.0.2/24]}
      eth0.100: {type: vlan, link: eth0, id: 100, addresses: [10.0.100.2/24]}
      eth0.200: {type: vlan, link: eth0, id: 200, addresses: [10.0.200.2/24]}
links:
  - endpoints: [a:eth0, b:eth0]
"""


def _engine(text: str = LAB) -> SimEngine:
    e = SimEngine()
    e.realize(load_lab_text(textwrap.dedent(text)))
    return e


def _frames(path: Path) -> list[bytes]:
    return [d for _, d in read_pcap(path)]


def test_subinterface_tags_on_egress_seen_on_the_parent(tmp_path: Path) -> None:
    e = _engine()
    parent, sub = tmp_path / "eth0.pcap", tmp_path / "eth0.100.pcap"
    e.start_capture("a", "eth0", parent)
    e.start_capture("a", "eth0.100", sub)
    assert e.ping("a", IPv4Address("10.0.100.2")).reachable
    e.stop_captures()
    tagged = _frames(parent)
    assert tagged
    vids = set()
    for f in tagged:
        eth, payload = EthernetHeader.parse(f)
        assert eth.ethertype == ETH_P_8021Q
        tag, _inner = parse_vlan(payload)
        assert tag.ethertype in (ETH_P_IP, ETH_P_ARP)
        vids.add(tag.vid)
    assert vids == {100}
    # tcpdump -i eth0.100 sees the same frames without the tag
    untagged = _frames(sub)
    assert [EthernetHeader.parse(f)[0].ethertype for f in untagged] == [
        parse_vlan(EthernetHeader.parse(f)[1])[0].ethertype for f in tagged
    ]
    assert all(len(t) == len(u) + 4 for t, u in zip(tagged, untagged, strict=True))


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_tshark_reads_the_802_1q_tags(tmp_path: Path) -> None:
    """The real dissector is the oracle for the tag bytes we write."""
    e = _engine()
    parent = tmp_path / "eth0.pcap"
    e.start_capture("a", "eth0", parent)
    assert e.ping("a", IPv4Address("10.0.100.2")).reachable
    e.stop_captures()
    frames = _frames(parent)
    out = subprocess.run(
        [str(TSHARK), "-r", str(parent), "-T", "fields", "-e", "vlan.id", "-e", "vlan.etype"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.splitlines()
    rows = [ln.split("\t") for ln in out]
    assert len(rows) == len(frames) >= 4  # ARP request/reply, echo request/reply
    assert {r[0] for r in rows} == {"100"}
    assert {r[1] for r in rows} == {"0x0806", "0x0800"}


def test_demultiplex_by_vid_and_counters() -> None:
    e = _engine()
    assert e.ping("a", IPv4Address("10.0.200.2"), count=3).received == 3
    assert e.ping("a", IPv4Address("10.0.0.2")).reachable  # untagged stays with the parent
    st = e.observe().nodes["b"]
    v100, v200, eth0 = st.link("eth0.100"), st.link("eth0.200"), st.link("eth0")
    assert v100.kind == "vlan" and v100.stats.rx_packets == 0
    assert v200.stats.rx_packets >= 4 and v200.stats.tx_packets >= 4  # ARP + 3 echoes
    # the parent counts every frame it carried, tagged or not
    assert eth0.stats.rx_packets == v200.stats.rx_packets + 2
    assert v200.mac == eth0.mac and v200.mtu == eth0.mtu
    # each VLAN's neighbours are separate
    neighs = {(n.dst, n.dev) for n in st.neighs}
    assert ("10.0.200.1", "eth0.200") in neighs and ("10.0.0.1", "eth0") in neighs


def test_unknown_vid_is_dropped_without_counting_a_drop() -> None:
    e = _engine()
    a = e.dev("a", "eth0")
    b = e.dev("b", "eth0")
    # an ARP request tagged with VID 300, for which b has no subinterface
    frame = b"\xff" * 6 + a.mac + b"\x81\x00" + (300).to_bytes(2, "big") + b"\x08\x06" + bytes(28)
    t = Trace("vid 300")
    rx_before = [d.rx_packets for d in e.ns("b").devices.values()]
    a.xmit(Skb(frame, t.root))
    e.advance(0.01)
    st = e.observe().nodes["b"]
    assert st.link("eth0").stats.rx_packets == 1
    assert st.link("eth0").stats.rx_dropped == 0  # Linux: PACKET_OTHERHOST, not rx_dropped
    assert st.link("eth0.100").stats.rx_packets == 0 and st.link("eth0.200").stats.rx_packets == 0
    assert sum(d.rx_packets for d in e.ns("b").devices.values()) == sum(rx_before) + 1
    assert "has no vlan 300 device" in t.verdict()
    assert b.vlans is not None and set(b.vlans) == {100, 200}


def test_parent_down_takes_its_vlans_down_and_up_again() -> None:
    e = _engine()
    a = e.dev("a", "eth0")
    a.set_admin(False)
    st = e.observe().nodes["a"]
    assert not st.link("eth0.100").admin_up and st.link("eth0.100").operstate == "DOWN"
    assert not e.ping("a", IPv4Address("10.0.100.2")).reachable
    a.set_admin(True)
    assert e.observe().nodes["a"].link("eth0.100").admin_up
    assert e.ping("a", IPv4Address("10.0.100.2")).reachable


def test_vlan_on_a_bridge_device_and_trace_wording() -> None:
    # host br0.100 talks tagged through a filtering bridge whose "self" is in VLAN 100
    e = _engine(
        """\
        name: brsub
        ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
        nodes:
          s:
            interfaces:
              br0: {type: bridge, vlan_filtering: true, vlans: [{vid: 100}]}
              br0.100: {type: vlan, link: br0, id: 100, addresses: [10.0.100.1/24]}
              p1: {master: br0, bridge_port: {vlans: [{vid: 100, pvid: true, untagged: true}]}}
          h:
            interfaces:
              eth0: {addresses: [10.0.100.2/24]}
        links:
          - endpoints: [s:p1, h:eth0]
        """
    )
    t = e.trace("h", IPv4Address("10.0.100.1"))
    assert t.verdict().startswith("delivered to s:br0.100")
    t2 = e.trace("s", IPv4Address("10.0.100.2"))
    assert t2.verdict().startswith("delivered to h:eth0")
    from vnetlab.tools.trace_render import render_trace

    text = render_trace(t2)
    assert "br0.100: vlan 100: tag and send on br0" in text
    assert "ingress br0 (self): tagged vlan 100 allowed" in text
    assert "egress p1: vlan 100 untagged" in text


@pytest.mark.parametrize("vid", [1, 4094])
def test_vid_edges_work(vid: int) -> None:
    e = _engine(LAB.replace("id: 100", f"id: {vid}"))
    assert e.ping("a", IPv4Address("10.0.100.2")).reachable
