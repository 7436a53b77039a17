"""describe() one-liners and fragment() edge cases."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from vnetlab.wire import (
    BROADCAST,
    ETH_P_8021Q,
    ETH_P_ARP,
    ETH_P_IP,
    ETH_P_IPV6,
    ICMP_FRAG_NEEDED,
    ICMP_PORT_UNREACH,
    IPPROTO_ICMP,
    IPPROTO_UDP,
    ArpPacket,
    EthernetHeader,
    IcmpMessage,
    Ipv4Header,
    UdpHeader,
    VlanTag,
    describe,
    fragment,
)

A = IPv4Address
M1, M2 = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
H1, H2 = A("10.0.0.1"), A("10.0.0.2")


def _ip_frame(hdr: Ipv4Header, payload: bytes) -> bytes:
    return EthernetHeader(M2, M1, ETH_P_IP).emit(hdr.emit(payload))


def test_describe_arp() -> None:
    req = EthernetHeader(BROADCAST, M1, ETH_P_ARP).emit(ArpPacket.request(M1, H1, H2).emit())
    assert describe(req) == (
        "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, Request who-has 10.0.0.2 tell 10.0.0.1, "
        "length 28"
    )
    rep = EthernetHeader(M1, M2, ETH_P_ARP).emit(ArpPacket(2, M2, H2, M1, H1).emit())
    assert describe(rep).endswith("ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02, length 28")


def test_describe_ipv4() -> None:
    ping = _ip_frame(Ipv4Header(H1, H2, IPPROTO_ICMP), IcmpMessage.echo(1, 1, bytes(56)).emit())
    assert describe(ping) == "10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64"
    orig = Ipv4Header(H1, A("10.9.9.9"), IPPROTO_UDP).emit(UdpHeader(1, 2).emit(b"x"))
    err = IcmpMessage.dest_unreach(ICMP_PORT_UNREACH, orig)
    assert describe(_ip_frame(Ipv4Header(H2, H1, IPPROTO_ICMP), err.emit())) == (
        "10.0.0.2 > 10.0.0.1: ICMP 10.9.9.9 port unreachable, length 37"
    )
    ptb = IcmpMessage.dest_unreach(ICMP_FRAG_NEEDED, orig, mtu=1400)
    assert "need to frag (mtu 1400)" in describe(_ip_frame(Ipv4Header(H2, H1, 1), ptb.emit()))
    te = IcmpMessage.time_exceeded(orig)
    assert "ICMP time exceeded in-transit" in describe(_ip_frame(Ipv4Header(H2, H1, 1), te.emit()))
    udp = _ip_frame(Ipv4Header(H1, H2, IPPROTO_UDP), UdpHeader(5000, 53).emit(b"q" * 10, H1, H2))
    assert describe(udp) == "10.0.0.1.5000 > 10.0.0.2.53: UDP, length 10"


def test_describe_vlan_other_and_malformed() -> None:
    inner = ArpPacket.request(M1, H1, H2).emit()
    tagged = EthernetHeader(BROADCAST, M1, ETH_P_8021Q).emit(
        VlanTag(vid=10, ethertype=ETH_P_ARP).emit(inner)
    )
    assert ", vlan 10, p 0, ARP, Request who-has 10.0.0.2" in describe(tagged)
    assert describe(EthernetHeader(M2, M1, ETH_P_IPV6).emit(bytes(40))).endswith("IPv6, length 40")
    assert describe(EthernetHeader(M2, M1, 0x88CC).emit(b"ab")).endswith(
        "ethertype 0x88cc, length 2"
    )
    assert describe(b"\x00" * 5).startswith("malformed ethernet")
    assert describe(EthernetHeader(M2, M1, ETH_P_IP).emit(b"\x45")).startswith("malformed ipv4")
    assert describe(EthernetHeader(M2, M1, ETH_P_ARP).emit(b"")).startswith("malformed arp")


def test_describe_fragments() -> None:
    seg = UdpHeader(1, 2).emit(bytes(3000), H1, H2)
    frags = fragment(Ipv4Header(H1, H2, IPPROTO_UDP, ident=9), seg, 1500)
    lines = [describe(EthernetHeader(M2, M1, ETH_P_IP).emit(f)) for f in frags]
    assert lines[0] == "10.0.0.1 > 10.0.0.2: udp, length 1480 (frag id 9, more)"
    assert lines[1] == "10.0.0.1 > 10.0.0.2: udp fragment id 9, offset 1480, length 1480, more"
    assert lines[2] == "10.0.0.1 > 10.0.0.2: udp fragment id 9, offset 2960, length 48"


def test_fragment_edges() -> None:
    hdr = Ipv4Header(H1, H2, IPPROTO_UDP)
    assert fragment(hdr, bytes(1480), 1500) == [hdr.emit(bytes(1480))]
    with pytest.raises(ValueError, match="DF"):
        fragment(Ipv4Header(H1, H2, IPPROTO_UDP, df=True), bytes(1481), 1500)
    with pytest.raises(ValueError, match="no room"):
        fragment(hdr, bytes(100), 27)
    # 28 = 20 + 8: one 8-byte block per fragment.
    assert len(fragment(hdr, bytes(20), 28)) == 3
    # Re-fragmenting a middle fragment keeps the offset base and MF on the last piece.
    middle = Ipv4Header(H1, H2, IPPROTO_UDP, mf=True, frag_offset=100)
    pieces = [Ipv4Header.parse(f)[0] for f in fragment(middle, bytes(1000), 576)]
    assert [(p.frag_offset, p.mf) for p in pieces] == [(100, True), (169, True)]
