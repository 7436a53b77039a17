"""hypothesis: every parser either parses or raises ParseError; valid values round-trip."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import replace
from ipaddress import IPv4Address

from hypothesis import given, settings
from hypothesis import strategies as st

from vnetlab.wire import (
    ArpPacket,
    EthernetHeader,
    IcmpMessage,
    Ipv4Header,
    ParseError,
    UdpHeader,
    VlanTag,
    describe,
    fragment,
    internet_checksum,
    mac_to_bytes,
    mac_to_str,
    parse_vlan,
    read_pcap,
)

FUZZ = settings(max_examples=300, deadline=None)

addrs = st.builds(IPv4Address, st.integers(0, 2**32 - 1))
macs = st.binary(min_size=6, max_size=6)
u8, u16 = st.integers(0, 0xFF), st.integers(0, 0xFFFF)


def _fix_ipv4_checksum(data: bytes) -> bytes:
    """Make the header checksum right (when a header is there) to reach the deeper checks."""
    if len(data) < 20:
        return data
    hlen = max(20, (data[0] & 0xF) * 4)
    if hlen > len(data):
        return data
    buf = bytearray(data)
    buf[10:12] = b"\x00\x00"
    buf[10:12] = internet_checksum(bytes(buf[:hlen])).to_bytes(2, "big")
    return bytes(buf)


def _parses_or_parse_error(parser: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parser(data)


@FUZZ
@given(st.binary(max_size=80))
def test_fuzz_ethernet_vlan_arp_udp(data: bytes) -> None:
    for parser in (EthernetHeader.parse, parse_vlan, VlanTag.parse, ArpPacket.parse,
                   UdpHeader.parse):
        _parses_or_parse_error(parser, data)


@FUZZ
@given(
    st.sampled_from([None, 0x45, 0x46, 0x4F, 0x44, 0x65]),
    st.binary(max_size=80),
    st.none() | st.integers(0, 100),
    st.booleans(),
)
def test_fuzz_ipv4(first: int | None, data: bytes, total: int | None, fix: bool) -> None:
    buf = bytearray(data)
    if first is not None and buf:
        buf[0] = first
    if total is not None and len(buf) >= 4:
        buf[2:4] = total.to_bytes(2, "big")
    data = _fix_ipv4_checksum(bytes(buf)) if fix else bytes(buf)
    _parses_or_parse_error(Ipv4Header.parse, data)


@FUZZ
@given(st.binary(max_size=64), st.booleans())
def test_fuzz_icmp(data: bytes, fix: bool) -> None:
    if fix and len(data) >= 8:
        buf = bytearray(data)
        buf[2:4] = b"\x00\x00"
        buf[2:4] = internet_checksum(bytes(buf)).to_bytes(2, "big")
        data = bytes(buf)
    _parses_or_parse_error(IcmpMessage.parse, data)
    if fix and len(data) >= 8:
        assert IcmpMessage.parse(data).emit() == data


@FUZZ
@given(st.binary(max_size=120))
def test_fuzz_pcap(data: bytes) -> None:
    _parses_or_parse_error(lambda d: read_pcap(io.BytesIO(d)), data)
    _parses_or_parse_error(lambda d: read_pcap(io.BytesIO(bytes.fromhex("d4c3b2a1") + d)), data)


@FUZZ
@given(st.binary(max_size=120))
def test_fuzz_describe_never_raises(data: bytes) -> None:
    assert isinstance(describe(data), str)
    ip = Ipv4Header(IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2"), data[0] if data else 1)
    assert isinstance(describe(bytes(12) + b"\x08\x00" + ip.emit(data[1:])), str)


@FUZZ
@given(st.text(max_size=20))
def test_fuzz_mac_to_bytes(text: str) -> None:
    try:
        b = mac_to_bytes(text)
    except ValueError:
        return
    assert mac_to_str(b) == text.lower()


@FUZZ
@given(macs, macs, u16, st.binary(max_size=40))
def test_roundtrip_ethernet(dst: bytes, src: bytes, et: int, payload: bytes) -> None:
    hdr = EthernetHeader(dst, src, et)
    wire = hdr.emit(payload)
    assert EthernetHeader.parse(wire) == (hdr, payload)


@FUZZ
@given(st.integers(0, 4095), u16, st.integers(0, 7), st.booleans(), st.binary(max_size=20))
def test_roundtrip_vlan(vid: int, et: int, pcp: int, dei: bool, payload: bytes) -> None:
    tag = VlanTag(vid=vid, ethertype=et, pcp=pcp, dei=dei)
    assert parse_vlan(tag.emit(payload)) == (tag, payload)


@FUZZ
@given(u16, macs, addrs, macs, addrs)
def test_roundtrip_arp(op: int, sha: bytes, spa: IPv4Address, tha: bytes, tpa: IPv4Address) -> None:
    arp = ArpPacket(op, sha, spa, tha, tpa)
    wire = arp.emit()
    assert len(wire) == 28 and ArpPacket.parse(wire) == arp
    assert ArpPacket.parse(wire).emit() == wire


ipv4_headers = st.builds(
    Ipv4Header,
    src=addrs, dst=addrs, proto=u8, ttl=u8, tos=u8, ident=u16, df=st.booleans(),
    mf=st.booleans(), frag_offset=st.integers(0, 0x1FFF),
    options=st.integers(0, 10).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n)),
)


@FUZZ
@given(ipv4_headers, st.binary(max_size=64))
def test_roundtrip_ipv4(hdr: Ipv4Header, payload: bytes) -> None:
    wire = hdr.emit(payload)
    assert internet_checksum(wire[: hdr.header_len]) == 0
    parsed, got = Ipv4Header.parse(wire + b"\x00" * 3)
    assert parsed == replace(hdr, total_length=len(wire)) and got == payload
    assert parsed.emit(got) == wire


@FUZZ
@given(u8, u8, st.integers(0, 2**32 - 1), st.binary(max_size=64))
def test_roundtrip_icmp(kind: int, code: int, rest: int, payload: bytes) -> None:
    msg = IcmpMessage(kind, code, rest, payload)
    assert IcmpMessage.parse(msg.emit()) == msg


@FUZZ
@given(u16, u16, st.binary(max_size=64), addrs, addrs, st.booleans())
def test_roundtrip_udp(sport: int, dport: int, payload: bytes, src: IPv4Address,
                       dst: IPv4Address, checksummed: bool) -> None:
    wire = UdpHeader(sport, dport).emit(payload, *((src, dst) if checksummed else ()))
    hdr, got = UdpHeader.parse(wire + b"pad")
    assert (hdr.sport, hdr.dport, hdr.length, got) == (sport, dport, len(wire), payload)
    assert (hdr.checksum != 0) == checksummed
    assert hdr.emit(got, *((src, dst) if checksummed else ())) == wire


@FUZZ
@given(ipv4_headers, st.binary(max_size=3000), st.integers(68, 1500))
def test_fragment_properties(hdr: Ipv4Header, payload: bytes, mtu: int) -> None:
    hdr = replace(hdr, df=False, frag_offset=0, mf=False)
    try:
        frags = fragment(hdr, payload, mtu)
    except ValueError:
        assert mtu - hdr.header_len < 8
        return
    data = b""
    for i, f in enumerate(frags):
        assert len(f) <= mtu
        h, body = Ipv4Header.parse(f)
        assert h.frag_offset * 8 == len(data)
        assert h.mf == (i < len(frags) - 1)
        assert h.header_len == hdr.header_len
        data += body
    assert data == payload
