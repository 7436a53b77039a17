"""scapy as an oracle: our bytes decode identically in scapy, and scapy's bytes parse here."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

pytest.importorskip("scapy")

from scapy.layers.inet import ICMP, IP, UDP, IPerror, defragment  # noqa: E402
from scapy.layers.l2 import ARP, Dot1Q, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

from vnetlab.wire import (  # noqa: E402
    ARPOP_REQUEST,
    BROADCAST,
    ETH_P_8021Q,
    ETH_P_ARP,
    ETH_P_IP,
    ICMP_FRAG_NEEDED,
    IPPROTO_ICMP,
    IPPROTO_UDP,
    ArpPacket,
    EthernetHeader,
    IcmpMessage,
    Ipv4Header,
    UdpHeader,
    VlanTag,
    fragment,
    mac_to_bytes,
    parse_vlan,
    verify_checksum,
)

A = IPv4Address
M1, M2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
B1, B2 = mac_to_bytes(M1), mac_to_bytes(M2)


def test_arp_emit_decodes_in_scapy() -> None:
    arp = ArpPacket.request(B1, A("10.0.0.1"), A("10.0.0.2"))
    frame = EthernetHeader(BROADCAST, B1, ETH_P_ARP).emit(arp.emit())
    pkt = Ether(frame)
    assert pkt.dst == "ff:ff:ff:ff:ff:ff" and pkt.src == M1 and pkt.type == 0x0806
    a = pkt[ARP]
    assert (a.hwtype, a.ptype, a.hwlen, a.plen, a.op) == (1, 0x0800, 6, 4, 1)
    assert (a.hwsrc, a.psrc, a.hwdst, a.pdst) == (M1, "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2")
    assert bytes(pkt) == frame


def test_scapy_arp_parses() -> None:
    raw = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=M1) / ARP(op=2, hwsrc=M1, psrc="10.0.0.1",
                                                              hwdst=M2, pdst="10.0.0.2"))
    eth, payload = EthernetHeader.parse(raw)
    arp = ArpPacket.parse(payload)
    assert eth.ethertype == ETH_P_ARP and arp.op == 2 and arp.sha == B1 and arp.tha == B2
    assert (arp.spa, arp.tpa) == (A("10.0.0.1"), A("10.0.0.2"))
    assert arp.op != ARPOP_REQUEST


def test_icmp_echo_matches_scapy() -> None:
    ip = Ipv4Header(A("10.0.0.1"), A("10.0.0.2"), IPPROTO_ICMP, ident=77, df=True, tos=0x10)
    echo = IcmpMessage.echo(0x1234, 9, bytes(range(56)))
    frame = EthernetHeader(B2, B1, ETH_P_IP).emit(ip.emit(echo.emit()))
    pkt = Ether(frame)
    p = pkt[IP]
    assert (p.version, p.ihl, p.tos, p.len, p.id, p.flags, p.frag, p.ttl, p.proto) == (
        4, 5, 0x10, 84, 77, 2, 0, 64, 1,
    )
    assert (p.src, p.dst) == ("10.0.0.1", "10.0.0.2")
    i = pkt[ICMP]
    assert (i.type, i.code, i.id, i.seq) == (8, 0, 0x1234, 9)
    assert bytes(i.payload) == bytes(range(56))
    # scapy recomputes both checksums from scratch: they must equal ours.
    fresh = Ether(frame)
    del fresh[IP].chksum
    del fresh[ICMP].chksum
    assert bytes(fresh) == frame


def test_scapy_icmp_echo_parses() -> None:
    raw = bytes(IP(src="10.1.1.1", dst="10.2.2.2", ttl=5, id=3) / ICMP(type=0, id=5, seq=6)
                / Raw(b"hello"))
    hdr, payload = Ipv4Header.parse(raw)
    assert (hdr.src, hdr.dst, hdr.ttl, hdr.ident, hdr.proto) == (
        A("10.1.1.1"), A("10.2.2.2"), 5, 3, IPPROTO_ICMP,
    )
    msg = IcmpMessage.parse(payload)
    assert (msg.type, msg.ident, msg.seq, msg.payload) == (0, 5, 6, b"hello")
    assert hdr.emit(msg.emit()) == raw


def test_icmp_errors_decode_in_scapy() -> None:
    orig = Ipv4Header(A("10.0.0.1"), A("10.9.9.9"), IPPROTO_UDP, ident=4).emit(
        UdpHeader(4000, 33434).emit(bytes(1000), A("10.0.0.1"), A("10.9.9.9"))
    )
    err = IcmpMessage.dest_unreach(ICMP_FRAG_NEEDED, orig, mtu=1400)
    wire = Ipv4Header(A("10.0.0.254"), A("10.0.0.1"), IPPROTO_ICMP).emit(err.emit())
    pkt = IP(wire)
    assert len(wire) == 576
    assert (pkt[ICMP].type, pkt[ICMP].code, pkt[ICMP].nexthopmtu) == (3, 4, 1400)
    assert pkt[IPerror].dst == "10.9.9.9" and pkt[IPerror].id == 4
    te = IcmpMessage.time_exceeded(orig[:60])
    pkt = IP(Ipv4Header(A("10.0.0.254"), A("10.0.0.1"), IPPROTO_ICMP).emit(te.emit()))
    assert (pkt[ICMP].type, pkt[ICMP].code) == (11, 0)
    del pkt[ICMP].chksum
    assert IcmpMessage.parse(bytes(pkt[ICMP])) == te


def test_udp_checksum_matches_scapy() -> None:
    src, dst = A("192.0.2.1"), A("198.51.100.7")
    for body in (b"", b"x", b"odd-length!", bytes(range(256)) * 3):
        seg = UdpHeader(5353, 4789).emit(body, src, dst)
        wire = Ipv4Header(src, dst, IPPROTO_UDP).emit(seg)
        pkt = IP(wire)
        u = pkt[UDP]
        assert (u.sport, u.dport, u.len) == (5353, 4789, 8 + len(body))
        ours = u.chksum
        del u.chksum
        assert IP(bytes(pkt))[UDP].chksum == ours
        assert verify_checksum(seg, src, dst)


def test_scapy_udp_parses() -> None:
    raw = bytes(IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=68, dport=67) / Raw(b"dhcp"))
    ip, seg = Ipv4Header.parse(raw)
    udp, body = UdpHeader.parse(seg)
    assert (udp.sport, udp.dport, udp.length, body) == (68, 67, 12, b"dhcp")
    assert verify_checksum(seg, ip.src, ip.dst)
    assert udp.emit(body, ip.src, ip.dst) == seg


def test_vlan_matches_scapy() -> None:
    tag = VlanTag(vid=42, ethertype=ETH_P_IP, pcp=3, dei=False)
    inner = Ipv4Header(A("10.0.0.1"), A("10.0.0.2"), IPPROTO_ICMP).emit(
        IcmpMessage.echo(1, 1).emit()
    )
    frame = EthernetHeader(B2, B1, ETH_P_8021Q).emit(tag.emit(inner))
    pkt = Ether(frame)
    assert (pkt[Dot1Q].vlan, pkt[Dot1Q].prio, pkt[Dot1Q].dei, pkt[Dot1Q].type) == (42, 3, 0, 0x800)
    assert pkt[ICMP].type == 8
    raw = bytes(Ether(src=M1, dst=M2) / Dot1Q(vlan=7, prio=1, dei=1) / ARP())
    eth, payload = EthernetHeader.parse(raw)
    got, rest = parse_vlan(payload)
    assert eth.ethertype == ETH_P_8021Q
    assert got == VlanTag(vid=7, ethertype=ETH_P_ARP, pcp=1, dei=True)
    assert len(rest) == 28


def test_fragments_reassemble_in_scapy() -> None:
    src, dst = A("10.0.0.1"), A("10.0.0.2")
    body = bytes(i % 251 for i in range(3000))
    seg = UdpHeader(1000, 2000).emit(body, src, dst)
    record_route = b"\x07\x07\x04" + bytes(4) + b"\x00"
    hdr = Ipv4Header(src, dst, IPPROTO_UDP, ident=0x4242, options=record_route)
    frags = fragment(hdr, seg, 1500)
    assert len(frags) == 3 and all(len(f) <= 1500 for f in frags)
    pkts = [IP(f) for f in frags]
    assert [p.flags.MF for p in pkts] == [1, 1, 0]
    assert pkts[0].frag == 0 and pkts[1].frag * 8 == 1472
    # record-route (0x07, not copied) survives only in the first fragment.
    assert frags[0][20] == 7 and frags[1][20:28] == b"\x01" * 7 + b"\x00"
    whole = defragment(pkts)
    assert len(whole) == 1
    assert bytes(whole[0][UDP].payload) == body
