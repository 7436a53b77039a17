"""Hand-checked byte literals for every wire format."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address

import pytest

from vnetlab.wire import (
    ARPOP_REPLY,
    ARPOP_REQUEST,
    BROADCAST,
    ETH_P_8021Q,
    ETH_P_ARP,
    ETH_P_IP,
    ICMP_DEST_UNREACH,
    ICMP_ECHO,
    ICMP_ECHOREPLY,
    ICMP_FRAG_NEEDED,
    ICMP_MAX_QUOTE,
    ICMP_PORT_UNREACH,
    ICMP_TIME_EXCEEDED,
    IPPROTO_ICMP,
    IPPROTO_UDP,
    ZERO,
    ArpPacket,
    EthernetHeader,
    IcmpMessage,
    Ipv4Header,
    ParseError,
    UdpHeader,
    VlanTag,
    internet_checksum,
    is_broadcast,
    is_multicast,
    mac_to_bytes,
    mac_to_str,
    parse_vlan,
    verify_checksum,
)

A = IPv4Address
MAC1 = bytes.fromhex("020000000001")
MAC2 = bytes.fromhex("020000000002")

# RFC 791-style example header (the classic "checksum 0xb861" one): 192.168.0.1 -> .199, UDP.
IP_B861 = bytes.fromhex("450000730000400040 11b861c0a80001c0a800c7".replace(" ", ""))


def test_checksum_rfc1071_example() -> None:
    # RFC 1071 section 3: words 0001 f203 f4f5 f6f7 sum to ddf2, checksum is its complement.
    assert internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0xFFFF - 0xDDF2
    assert internet_checksum(b"") == 0xFFFF
    assert internet_checksum(b"\xff\xff") == 0
    assert internet_checksum(b"\x01") == internet_checksum(b"\x01\x00") == 0xFEFF
    assert internet_checksum(b"\x00\x01", b"\xf2\x03", b"\xf4\xf5\xf6\xf7") == 0x220D


def test_mac_helpers() -> None:
    assert mac_to_bytes("02:00:00:AA:bb:cc") == bytes.fromhex("020000aabbcc")
    assert mac_to_str(bytes.fromhex("020000AABBCC")) == "02:00:00:aa:bb:cc"
    bad_macs = ("02:00:00:aa:bb", "02-00-00-aa-bb-cc", "02:00:00:aa:bb:cg", "", "0:0:0:0:0:0\n")
    for bad in bad_macs:
        with pytest.raises(ValueError, match="invalid MAC"):
            mac_to_bytes(bad)
    assert is_broadcast(BROADCAST) and is_multicast(BROADCAST)
    assert is_multicast(bytes.fromhex("01005e000001")) and not is_multicast(MAC1)
    assert not is_broadcast(ZERO) and bytes(6) == ZERO


def test_ethernet_bytes() -> None:
    frame = BROADCAST + MAC1 + b"\x08\x06" + b"payload"
    hdr, payload = EthernetHeader.parse(frame)
    assert hdr == EthernetHeader(BROADCAST, MAC1, ETH_P_ARP)
    assert payload == b"payload"
    assert hdr.emit(payload) == frame
    assert EthernetHeader(MAC2, MAC1, ETH_P_IP).emit(b"") == MAC2 + MAC1 + b"\x08\x00"  # no pad
    with pytest.raises(ParseError, match="ethernet"):
        EthernetHeader.parse(frame[:13])
    with pytest.raises(ValueError):
        EthernetHeader(b"\x00" * 5, MAC1, ETH_P_IP)


def test_vlan_not_stripped_and_parsed() -> None:
    # pcp 5, dei 1, vid 100 -> TCI 0xb064; inner IPv4.
    frame = MAC2 + MAC1 + b"\x81\x00" + b"\xb0\x64\x08\x00" + b"ip"
    hdr, payload = EthernetHeader.parse(frame)
    assert hdr.ethertype == ETH_P_8021Q and payload == b"\xb0\x64\x08\x00ip"
    tag, inner = parse_vlan(payload)
    assert tag == VlanTag(vid=100, ethertype=ETH_P_IP, pcp=5, dei=True)
    assert tag.tci == 0xB064 and inner == b"ip"
    assert hdr.emit(tag.emit(inner)) == frame
    with pytest.raises(ParseError, match="vlan"):
        parse_vlan(b"\x00\x64\x08")
    with pytest.raises(ValueError):
        VlanTag(vid=4096, ethertype=ETH_P_IP)


def test_arp_request_bytes() -> None:
    wire = bytes.fromhex(
        "0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002".replace(" ", "")
    )
    arp = ArpPacket.request(MAC1, A("10.0.0.1"), A("10.0.0.2"))
    assert arp.emit() == wire and len(wire) == 28
    assert ArpPacket.parse(wire + bytes(18)) == arp  # Ethernet padding ignored
    reply = ArpPacket(ARPOP_REPLY, MAC2, A("10.0.0.2"), MAC1, A("10.0.0.1"))
    assert ArpPacket.parse(reply.emit()) == reply
    assert arp.op == ARPOP_REQUEST
    with pytest.raises(ParseError, match="arp"):
        ArpPacket.parse(wire[:27])
    with pytest.raises(ParseError, match="unsupported"):
        ArpPacket.parse(b"\x00\x06" + wire[2:])  # htype IEEE 802


def test_ipv4_known_header() -> None:
    payload = bytes(range(95))
    hdr, got = Ipv4Header.parse(IP_B861 + payload + b"\x00\x00pad")
    assert got == payload  # trailing Ethernet padding dropped
    assert hdr == Ipv4Header(
        A("192.168.0.1"), A("192.168.0.199"), IPPROTO_UDP, ttl=64, df=True, total_length=115
    )
    assert hdr.header_len == 20
    assert hdr.emit(payload) == IP_B861 + payload
    assert hdr.with_ttl(63).emit(payload)[8] == 63


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (IP_B861[:19], "shorter than the 20-byte header"),
        (b"\x65" + IP_B861[1:], "version 6"),
        (b"\x44" + IP_B861[1:], "ihl 4"),
        (b"\x46" + IP_B861[1:], "header length 24 exceeds buffer of 20 bytes"),
        (IP_B861[:2] + b"\x00\x10" + IP_B861[4:], "total length 16 is less than header length"),
        (IP_B861, "total length 115 exceeds buffer of 20 bytes"),
        (IP_B861[:10] + b"\xb8\x62" + IP_B861[12:] + bytes(95), "checksum"),
    ],
)
def test_ipv4_errors(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        Ipv4Header.parse(data)


def test_ipv4_options_round_trip() -> None:
    opts = b"\x94\x04\x00\x00"  # router alert
    hdr = Ipv4Header(A("10.0.0.1"), A("224.0.0.22"), 2, ttl=1, options=opts)
    wire = hdr.emit(b"igmp")
    assert wire[0] == 0x46 and len(wire) == 28 and internet_checksum(wire[:24]) == 0
    assert Ipv4Header.parse(wire) == (replace(hdr, total_length=28), b"igmp")
    with pytest.raises(ValueError):
        Ipv4Header(A("10.0.0.1"), A("10.0.0.2"), 1, options=b"\x01")


def test_icmp_echo_bytes() -> None:
    msg = IcmpMessage.echo(1, 1)
    assert msg.emit() == bytes.fromhex("0800f7fd00010001")  # 0x0802 complemented
    assert IcmpMessage.parse(msg.emit()) == msg
    reply = IcmpMessage.echo(0x1234, 7, b"abcd", reply=True)
    assert reply.type == ICMP_ECHOREPLY and (reply.ident, reply.seq) == (0x1234, 7)
    assert IcmpMessage.parse(reply.emit()) == reply
    assert IcmpMessage.echo(1, 2).type == ICMP_ECHO
    bad = bytearray(msg.emit())
    bad[-1] ^= 1
    with pytest.raises(ParseError, match="checksum"):
        IcmpMessage.parse(bytes(bad))
    with pytest.raises(ParseError, match="icmp"):
        IcmpMessage.parse(b"\x08\x00\xf7")


def _big_datagram(size: int) -> bytes:
    return Ipv4Header(A("10.0.0.1"), A("10.0.1.1"), IPPROTO_UDP).emit(bytes(size - 20))


def test_icmp_errors_quote_limit() -> None:
    orig = _big_datagram(1500)
    err = IcmpMessage.dest_unreach(ICMP_FRAG_NEEDED, orig, mtu=1400)
    assert err.type == ICMP_DEST_UNREACH and err.mtu == 1400 and err.rest == 1400
    assert err.payload == orig[:ICMP_MAX_QUOTE] and ICMP_MAX_QUOTE == 548
    outer = Ipv4Header(A("10.0.0.254"), A("10.0.0.1"), IPPROTO_ICMP).emit(err.emit())
    assert len(outer) == 576
    small = _big_datagram(60)
    te = IcmpMessage.time_exceeded(small + bytes(6))  # Ethernet padding is not quoted
    assert te.type == ICMP_TIME_EXCEEDED and te.code == 0 and te.payload == small
    pu = IcmpMessage.dest_unreach(ICMP_PORT_UNREACH, small)
    assert pu.rest == 0 and IcmpMessage.parse(pu.emit()) == pu


def test_udp_bytes() -> None:
    assert UdpHeader(1234, 53).emit(b"") == bytes.fromhex("04d2003500080000")
    hdr, payload = UdpHeader.parse(bytes.fromhex("04d20035000a0000") + b"hi" + b"pad")
    assert hdr == UdpHeader(1234, 53, 10, 0) and payload == b"hi"
    src, dst = A("10.0.0.1"), A("10.0.0.2")
    wire = UdpHeader(1234, 53).emit(b"hi", src, dst)
    assert verify_checksum(wire, src, dst)
    assert not verify_checksum(wire, src, A("10.0.0.3"))
    assert verify_checksum(UdpHeader(1, 2).emit(b"x"), src, dst)  # checksum 0: none
    with pytest.raises(ParseError, match="below"):
        UdpHeader.parse(bytes.fromhex("04d2003500070000"))
    with pytest.raises(ParseError, match="exceeds"):
        UdpHeader.parse(bytes.fromhex("04d20035000a0000"))
    with pytest.raises(ParseError, match="shorter"):
        UdpHeader.parse(b"\x00" * 7)


def test_udp_zero_checksum_sent_as_ffff() -> None:
    # Choose the payload so the checksum would compute to 0: find the word that makes it so.
    src, dst = A("10.0.0.1"), A("10.0.0.2")
    base = UdpHeader(1, 2).emit(b"\x00\x00", src, dst)
    csum = int.from_bytes(base[6:8], "big")
    # Putting the complement-sum into the payload word drives the sum to 0xffff (checksum 0).
    wire = UdpHeader(1, 2).emit(csum.to_bytes(2, "big"), src, dst)
    assert wire[6:8] == b"\xff\xff"
    assert verify_checksum(wire, src, dst)
