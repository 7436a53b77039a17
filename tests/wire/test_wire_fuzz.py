"""hypothesis: every parser either parses or raises ParseError; valid values round-trip."""

from __future__ import annotations

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


def _parses_iff(parser: Callable[[bytes], object], data: bytes, valid: bool) -> object:
    """PARSER accepts DATA exactly when the independent reference says it is VALID (a
    valid input wrongly refused fails, as does garbage wrongly accepted); only ParseError
    may signal the refusal."""
    try:
        got = parser(data)
    except ParseError:
        assert not valid, f"{parser} refused a valid input {data.hex()}"
        return None
    assert valid, f"{parser} accepted an invalid input {data.hex()}"
    return got


def _be16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 2], "big")


@FUZZ
@given(st.binary(max_size=80), st.booleans())
def test_fuzz_ethernet_vlan_arp_udp(data: bytes, arpish: bool) -> None:
    if arpish and len(data) >= 6:  # often a valid Ethernet/IPv4 ARP head, so both paths run
        data = bytes.fromhex("000108000604") + data[6:]
    eth = _parses_iff(EthernetHeader.parse, data, len(data) >= 14)
    if eth is not None:
        hdr, rest = eth  # type: ignore[misc]
        assert (hdr.dst, hdr.src, hdr.ethertype) == (data[:6], data[6:12], _be16(data, 12))
        assert hdr.emit(rest) == data
    for parser in (parse_vlan, VlanTag.parse):
        tag = _parses_iff(parser, data, len(data) >= 4)
        if tag is not None:
            t, rest = tag  # type: ignore[misc]
            assert t.emit(rest) == data and t.vid == _be16(data, 0) & 0xFFF
    arp_ok = len(data) >= 28 and data[:6] == bytes.fromhex("000108000604")
    arp = _parses_iff(ArpPacket.parse, data, arp_ok)
    if arp is not None:
        assert arp.emit() == data[:28]  # type: ignore[attr-defined]
    udp_ok = len(data) >= 8 and 8 <= _be16(data, 4) <= len(data)
    udp = _parses_iff(UdpHeader.parse, data, udp_ok)
    if udp is not None:
        uh, payload = udp  # type: ignore[misc]
        assert (uh.sport, uh.dport, payload) == (_be16(data, 0), _be16(data, 2),
                                                 data[8:_be16(data, 4)])


def _ipv4_valid(data: bytes) -> bool:
    """``ip_rcv_core``'s checks, written out independently."""
    if len(data) < 20 or data[0] >> 4 != 4:
        return False
    hlen = (data[0] & 0xF) * 4
    total = _be16(data, 2)
    return 20 <= hlen <= len(data) and hlen <= total <= len(data) and (
        internet_checksum(data[:hlen]) == 0)


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
    got = _parses_iff(Ipv4Header.parse, data, _ipv4_valid(data))
    if got is not None:
        hdr, payload = got  # type: ignore[misc]
        whole = data[:hdr.total_length]
        # emit gives the same bytes back, except the reserved flag bit it ignores
        expect = bytearray(whole)
        expect[6] &= 0x7F
        expect[10:12] = b"\0\0"
        expect[10:12] = internet_checksum(bytes(expect[:hdr.header_len])).to_bytes(2, "big")
        assert hdr.emit(payload) == bytes(expect)
        assert payload == whole[hdr.header_len:]


@FUZZ
@given(st.binary(max_size=64), st.booleans())
def test_fuzz_icmp(data: bytes, fix: bool) -> None:
    if fix and len(data) >= 8:
        buf = bytearray(data)
        buf[2:4] = b"\x00\x00"
        buf[2:4] = internet_checksum(bytes(buf)).to_bytes(2, "big")
        data = bytes(buf)
    valid = len(data) >= 8 and internet_checksum(data) == 0
    msg = _parses_iff(IcmpMessage.parse, data, valid)
    if msg is not None:
        assert msg.emit() == data  # type: ignore[attr-defined]


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 999_999),
                          st.binary(max_size=30)), max_size=4),
       st.booleans(), st.integers(0, 40), st.binary(max_size=8))
def test_fuzz_pcap(records: list[tuple[int, int, bytes]], big: bool, cut: int,
                   junk: bytes) -> None:
    """A pcap image built by hand (either byte order) reads back record by record; cut
    short or with junk after it, it is refused exactly when a record is incomplete."""
    order = ">" if big else "<"
    import struct

    image = struct.pack(order + "IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    want = []
    for sec, usec, frame in records:
        image += struct.pack(order + "IIII", sec, usec, len(frame), len(frame)) + frame
        want.append(((sec * 1_000_000 + usec) * 1000, frame))
    assert read_pcap(io.BytesIO(image)) == want
    # a truncated image: fine only when the cut falls exactly on a record boundary
    short = image[:len(image) - cut] if cut else image
    bounds = {24}
    pos = 24
    for _, _, frame in records:
        pos += 16 + len(frame)
        bounds.add(pos)
    ok = len(short) in bounds
    _parses_iff(lambda d: read_pcap(io.BytesIO(d)), short, ok)
    # junk after the last record: a record header needs 16 bytes, so 1..15 never parse
    tail = image + junk
    if junk:
        _parses_iff(lambda d: read_pcap(io.BytesIO(d)), tail, False)
    # a bad magic or version is refused whatever follows
    _parses_iff(lambda d: read_pcap(io.BytesIO(d)), b"\xd4\xc3\xb2\xa0" + image[4:], False)
    bad_ver = bytearray(image)
    bad_ver[4:6] = (3).to_bytes(2, "big" if big else "little")
    _parses_iff(lambda d: read_pcap(io.BytesIO(d)), bytes(bad_ver), False)


@FUZZ
@given(st.binary(max_size=120))
def test_fuzz_describe_never_raises(data: bytes) -> None:
    text = describe(data)
    assert isinstance(text, str) and text
    if len(data) < 14:
        assert text.startswith("malformed ethernet"), text
    ip = Ipv4Header(IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2"), data[0] if data else 1)
    framed = describe(bytes(12) + b"\x08\x00" + ip.emit(data[1:]))
    assert isinstance(framed, str)
    # the IPv4 layer parsed: the addresses are named unless a later header was malformed
    assert "10.0.0.1" in framed or framed.startswith("malformed "), framed


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
