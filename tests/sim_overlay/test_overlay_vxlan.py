"""VXLAN and Geneve in the emulator: encapsulation bytes, FDB, learning, MTU, tshark."""

from __future__ import annotations

import shutil
import subprocess
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from vnetlab.model import LabError, load_lab, load_lab_text
from vnetlab.sim.engine import SimEngine
from vnetlab.wire.ethernet import EthernetHeader
from vnetlab.wire.ipv4 import Ipv4Header
from vnetlab.wire.pcap import read_pcap
from vnetlab.wire.udp import UdpHeader
from vnetlab.wire.vxlan import VxlanHeader

ROOT = Path(__file__).resolve().parents[2]

TWO_HOSTS = """
name: vx
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  h1:
    interfaces:
      eth0: {{addresses: [10.0.0.1/24]}}
      vx0: {{type: vxlan, id: 100, {h1}, addresses: [192.168.100.1/24]}}
  h2:
    interfaces:
      eth0: {{addresses: [10.0.0.2/24]}}
      vx0: {{type: vxlan, id: {vni2}, {h2}, addresses: [192.168.100.2/24]}}
links: [{{endpoints: [h1:eth0, h2:eth0]}}]
"""


def two_hosts(h1: str = "remote: 10.0.0.2, dev: eth0", h2: str = "remote: 10.0.0.1, dev: eth0",
              vni2: int = 100) -> SimEngine:
    lab = load_lab_text(TWO_HOSTS.format(h1=h1, h2=h2, vni2=vni2))
    e = SimEngine()
    e.realize(lab)
    return e


def udp_packets(pcap: Path) -> list[tuple[Ipv4Header, UdpHeader, bytes]]:
    out = []
    for _, frame in read_pcap(pcap):
        eth, payload = EthernetHeader.parse(frame)
        if eth.ethertype != 0x0800:
            continue
        ip, l4 = Ipv4Header.parse(payload)
        if ip.proto == 17 and not ip.frag_offset:
            udp, data = UdpHeader.parse(l4) if not ip.mf else (UdpHeader.parse(l4[:8])[0], l4[8:])
            out.append((ip, udp, data))
    return out


def test_default_port_is_linux_8472_and_headers_are_real(tmp_path: Path) -> None:
    e = two_hosts()
    e.start_capture("h1", "eth0", tmp_path / "u.pcap")
    assert e.ping("h1", IPv4Address("192.168.100.2")).reachable
    e.stop_captures()
    pkts = udp_packets(tmp_path / "u.pcap")
    assert pkts, "VXLAN packets on the underlay"
    for ip, udp, data in pkts:
        assert udp.dport == 8472
        assert 32768 <= udp.sport <= 60999
        assert udp.checksum == 0  # Linux sends IPv4 VXLAN without UDP checksum by default
        assert not ip.df  # df unset by default
        hdr, inner = VxlanHeader.parse(data)
        assert hdr.vni == 100 and hdr.valid_vni
        assert len(ip.emit(b"")) + 8 + 8 + len(inner) == ip.total_length


def test_bound_vxlan_mtu_is_underlay_minus_50_and_1500_is_refused() -> None:
    lab = load_lab_text(TWO_HOSTS.format(h1="remote: 10.0.0.2, dev: eth0",
                                         h2="remote: 10.0.0.1", vni2=100))
    assert lab.nodes["h1"].interfaces["vx0"].mtu == 1450  # bound: underlay 1500 - 50
    assert lab.nodes["h2"].interfaces["vx0"].mtu == 1500  # unbound: Linux's 1500
    with pytest.raises(LabError) as err:
        load_lab_text(TWO_HOSTS.format(h1="remote: 10.0.0.2, dev: eth0, mtu: 1500",
                                       h2="remote: 10.0.0.1", vni2=100))
    text = str(err.value)
    assert "nodes.h1.interfaces.vx0.mtu" in text and "Invalid argument" in text
    assert "at most mtu 1450" in text


def test_largest_df_ping_over_bound_vxlan_is_1422() -> None:
    e = two_hosts()
    assert e.ping("h1", IPv4Address("192.168.100.2"), size=1422, dont_fragment=True).reachable
    r = e.ping("h1", IPv4Address("192.168.100.2"), size=1423, dont_fragment=True)
    assert not r.reachable and r.errors == ("ping: local error: message too long, mtu=1450",)


def test_unbound_mtu_1500_first_big_ping_passes_then_pmtu_refuses(tmp_path: Path) -> None:
    e = two_hosts(h1="remote: 10.0.0.2, mtu: 1500", h2="remote: 10.0.0.1, mtu: 1500")
    dst = IPv4Address("192.168.100.2")
    e.start_capture("h1", "eth0", tmp_path / "u.pcap")
    assert e.ping("h1", dst, size=1400, dont_fragment=True).reachable
    first = e.ping("h1", dst, size=1472, dont_fragment=True)
    e.stop_captures()
    assert first.reachable, "the outer packet is fragmented (df unset) and gets through"
    frags = [p for _, p in read_pcap(tmp_path / "u.pcap") if p[12:14] == b"\x08\x00"
             and (p[20] & 0x20 or p[21] or p[20] & 0x1F)]
    assert frags, "the 1550-byte outer packet left in fragments"
    assert all(len(f) - 14 <= 1500 for f in frags)
    later = e.ping("h1", dst, size=1472, dont_fragment=True)
    assert not later.reachable
    assert later.errors == ("ping: local error: message too long, mtu=1450",)
    # without -M do, ping fragments to the learned path MTU and gets through again
    assert e.ping("h1", dst, size=1472).reachable


def test_df_set_loses_the_first_big_ping() -> None:
    e = two_hosts(h1="remote: 10.0.0.2, mtu: 1500, df: set", h2="remote: 10.0.0.1, mtu: 1500")
    r = e.ping("h1", IPv4Address("192.168.100.2"), size=1472, dont_fragment=True)
    assert not r.reachable and r.errors == ()
    h1 = e.namespaces["h1"].devices["vx0"]
    assert h1.tx_dropped == 1


def test_vni_mismatch_is_dropped_and_the_trace_says_so() -> None:
    e = two_hosts(vni2=200)
    assert not e.ping("h1", IPv4Address("192.168.100.2")).reachable
    e.advance(5)  # let that resolution fail, so the traced ping starts a fresh one
    t = e.trace("h1", IPv4Address("192.168.100.2"))
    # the probe dies waiting for ARP; the verdict names why ARP failed
    assert t.verdict().startswith("dropped at h1: no ARP reply for 192.168.100.2 on vx0")
    assert "dropped at h2:udp/8472: no vxlan device for VNI 100" in t.verdict()


def test_learning_records_remote_vtep_and_nolearning_does_not() -> None:
    e = two_hosts()
    e.ping("h1", IPv4Address("192.168.100.2"))
    h2 = e.observe().nodes["h2"]
    mac_h1 = e.observe().nodes["h1"].link("vx0").mac
    learned = [f for f in h2.fdb if f.port == "vx0" and f.mac == mac_h1]
    assert [(f.dst, f.flags) for f in learned] == [("10.0.0.1", ("self",))]
    defaults = [f for f in h2.fdb if f.mac == "00:00:00:00:00:00"]
    assert [(f.dst, f.flags) for f in defaults] == [("10.0.0.1", ("self", "permanent"))]
    e2 = two_hosts(h2="remote: 10.0.0.1, dev: eth0, learning: false")
    e2.ping("h1", IPv4Address("192.168.100.2"))
    assert not [f for f in e2.observe().nodes["h2"].fdb if f.flags == ("self",)]


def test_learned_vtep_entries_age_out_after_300s() -> None:
    e = two_hosts()
    e.ping("h1", IPv4Address("192.168.100.2"))
    # h2's neighbour entry for h1 goes DELAY -> PROBE 5 s later: its unicast ARP probe
    # crosses the tunnel again and refreshes the learned entry; let that settle first
    e.advance(10)
    e.advance(290)
    assert [f for f in e.observe().nodes["h2"].fdb if f.flags == ("self",)]
    e.advance(10)
    assert not [f for f in e.observe().nodes["h2"].fdb if f.flags == ("self",)]


HER = """
name: her
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  sw:
    interfaces:
      br0: {type: bridge}
      p1: {master: br0}
      p2: {master: br0}
      p3: {master: br0}
  h1:
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
      vx0: {type: vxlan, id: 7, dev: eth0, %s, addresses: [192.168.7.1/24]}
  h2:
    interfaces:
      eth0: {addresses: [10.0.0.2/24]}
      vx0: {type: vxlan, id: 7, dev: eth0, %s, addresses: [192.168.7.2/24]}
  h3:
    interfaces:
      eth0: {addresses: [10.0.0.3/24]}
      vx0: {type: vxlan, id: 7, dev: eth0, %s, addresses: [192.168.7.3/24]}
links:
  - endpoints: [sw:p1, h1:eth0]
  - endpoints: [sw:p2, h2:eth0]
  - endpoints: [sw:p3, h3:eth0]
"""


def _fdb(*dsts: str) -> str:
    return "fdb: [" + ", ".join(f'{{mac: "00:00:00:00:00:00", dst: {d}}}' for d in dsts) + "]"


def test_head_end_replication_sends_bum_to_every_default_vtep(tmp_path: Path) -> None:
    lab = load_lab_text(HER % (_fdb("10.0.0.2", "10.0.0.3"), _fdb("10.0.0.1", "10.0.0.3"),
                                _fdb("10.0.0.1", "10.0.0.2")))
    e = SimEngine()
    e.realize(lab)
    e.start_capture("h1", "eth0", tmp_path / "h1.pcap")
    assert e.ping("h1", IPv4Address("192.168.7.3")).reachable
    e.stop_captures()
    arp_copies = []
    for ip, _udp, data in udp_packets(tmp_path / "h1.pcap"):
        _, inner = VxlanHeader.parse(data)
        if inner[12:14] == b"\x08\x06" and inner[0:6] == b"\xff" * 6 and str(ip.src) == "10.0.0.1":
            arp_copies.append(str(ip.dst))
    assert sorted(arp_copies) == ["10.0.0.2", "10.0.0.3"]


def test_multicast_group_floods_bum_with_ttl_1(tmp_path: Path) -> None:
    group = "group: 239.1.1.1"
    e = SimEngine()
    e.realize(load_lab_text(HER % (group, group, group)))
    e.start_capture("h1", "eth0", tmp_path / "h1.pcap")
    assert e.ping("h1", IPv4Address("192.168.7.3")).reachable
    assert e.ping("h1", IPv4Address("192.168.7.2")).reachable
    e.stop_captures()
    to_group = [(f, ip) for _, f in read_pcap(tmp_path / "h1.pcap")
                if f[12:14] == b"\x08\x00" and (ip := Ipv4Header.parse(f[14:])[0]).dst
                == IPv4Address("239.1.1.1")]
    assert to_group
    for frame, ip in to_group:
        assert frame[0:6] == bytes.fromhex("01005e010101")  # ip_eth_mc_map
        assert ip.ttl == 1
    # replies and later unicast go straight to the learned VTEP, not the group
    assert any(str(ip.dst) == "10.0.0.3" for ip, _, _ in udp_packets(tmp_path / "h1.pcap"))


GENEVE = ROOT / "examples" / "geneve-options.yaml"


def test_geneve_mtu_counts_the_options() -> None:
    lab = load_lab(GENEVE)
    assert lab.nodes["h1"].interfaces["gnv0"].mtu == 1500 - 50 - 8


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_decodes_geneve_options_and_vxlan(tmp_path: Path) -> None:
    e = SimEngine()
    e.realize(load_lab(GENEVE))
    e.start_capture("h1", "eth0", tmp_path / "g.pcap")
    assert e.ping("h1", IPv4Address("172.16.0.2")).reachable
    e.stop_captures()
    out = subprocess.run(
        ["tshark", "-r", str(tmp_path / "g.pcap"), "-Y", "geneve && icmp", "-T", "fields",
         "-e", "geneve.vni", "-e", "geneve.option.class", "-e", "geneve.option.type.critical",
         "-e", "geneve.option.unknown.data", "-e", "icmp.type"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split("\n")
    rows = [line.split("\t") for line in out if line]
    assert ["0x0000002a", "0x0102", "1", "00000001", "8"] in [
        [r[0].replace("0x00002a", "0x0000002a"), *r[1:]] for r in rows
    ]
    assert any(r[3] == "00000002" and r[4] == "0" for r in rows)  # the reply's own option

    e = two_hosts()
    e.start_capture("h1", "eth0", tmp_path / "v.pcap")
    assert e.ping("h1", IPv4Address("192.168.100.2")).reachable
    e.stop_captures()
    out = subprocess.run(
        ["tshark", "-r", str(tmp_path / "v.pcap"), "-d", "udp.port==8472,vxlan",
         "-Y", "vxlan && icmp", "-T", "fields", "-e", "vxlan.vni", "-e", "icmp.type"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()
    assert out == ["100", "8", "100", "0"]


def test_overlay_captures_are_byte_identical_across_runs(tmp_path: Path) -> None:
    from vnetlab.tools.checks import run_checks

    lab = load_lab(ROOT / "examples" / "k8s-flannel.yaml")
    blobs = []
    for run in range(2):
        e = SimEngine()
        e.realize(lab)
        d = tmp_path / str(run)
        run_checks(e, lab, capture_dir=d, capture=["node1:eth0", "fabric:p2"])
        blobs.append([(d / n).read_bytes() for n in ("node1-eth0.pcap", "fabric-p2.pcap")])
    assert blobs[0] == blobs[1]
