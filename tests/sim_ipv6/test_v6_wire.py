"""IPv6 and ICMPv6 wire formats (vnetlab/wire/ipv6.py, icmpv6.py)."""

from __future__ import annotations

import struct
from ipaddress import IPv6Address

import pytest

from vnetlab.wire.errors import ParseError
from vnetlab.wire.icmpv6 import (
    ICMPV6_MAX_QUOTE,
    ICMPV6_PKT_TOOBIG,
    MLD2_CHANGE_TO_EXCLUDE,
    ND_OPT_SOURCE_LL_ADDR,
    ND_OPT_TARGET_LL_ADDR,
    NDISC_NEIGHBOUR_ADVERTISEMENT,
    NDISC_NEIGHBOUR_SOLICITATION,
    NDISC_ROUTER_ADVERTISEMENT,
    Icmpv6Message,
    Mld2Record,
    NdMessage,
    NdOption,
    mld2_report,
    parse_mld2_records,
)
from vnetlab.wire.ipv6 import (
    IPPROTO_FRAGMENT,
    IPPROTO_ICMPV6,
    FragHeader,
    Ipv6Header,
    fragment,
    hbh_router_alert,
    walk_ext_headers,
)

A = IPv6Address("fe80::ff:fe00:1")
B = IPv6Address("ff02::1:ff00:2")


def _naive_sum(data: bytes) -> int:
    """RFC 1071 by the book, word by word (independent of wire.checksum)."""
    if len(data) % 2:
        data += b"\x00"
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def test_header_round_trip_and_padding_cut() -> None:
    h = Ipv6Header(A, B, IPPROTO_ICMPV6, 255, traffic_class=0xB8, flow_label=0x12345)
    raw = h.emit(b"abcd")
    assert len(raw) == 44 and raw[0] == 0x6B and raw[1] == 0x81
    assert struct.unpack("!H", raw[4:6])[0] == 4
    got, payload = Ipv6Header.parse(raw + b"\x00" * 10)  # Ethernet padding
    assert payload == b"abcd"
    assert (got.src, got.dst, got.hop_limit, got.flow_label) == (A, B, 255, 0x12345)


@pytest.mark.parametrize(("raw", "words"), [
    (b"\x60" + b"\x00" * 10, "shorter than the 40-byte header"),
    (b"\x40" + b"\x00" * 39, "version 4 is not 6"),
    (b"\x60\x00\x00\x00\x00\x08" + b"\x00" * 34, "payload length 8 exceeds"),
])
def test_bad_headers_are_refused(raw: bytes, words: str) -> None:
    with pytest.raises(ParseError, match=words):
        Ipv6Header.parse(raw)


def test_icmpv6_checksum_covers_the_pseudo_header() -> None:
    msg = Icmpv6Message.echo(0x1234, 7, b"hello")
    raw = msg.emit(A, B)
    pseudo = A.packed + B.packed + struct.pack("!I3xB", len(raw), 58)
    body = raw[:2] + b"\x00\x00" + raw[4:]
    assert struct.unpack("!H", raw[2:4])[0] == _naive_sum(pseudo + body)
    assert Icmpv6Message.parse(raw, A, B) == msg
    with pytest.raises(ParseError, match="bad checksum"):
        Icmpv6Message.parse(raw, A, IPv6Address("ff02::1"))


def test_error_quote_keeps_the_error_within_1280_bytes() -> None:
    big = Ipv6Header(A, B, IPPROTO_ICMPV6).emit(b"x" * 3000)
    e = Icmpv6Message.error(ICMPV6_PKT_TOOBIG, 0, big, 1280)
    assert len(e.payload) == ICMPV6_MAX_QUOTE == 1232
    assert 40 + len(e.emit(A, B)) == 1280 and e.mtu == 1280


def test_ns_na_round_trip_with_options() -> None:
    mac = bytes.fromhex("020000000001")
    ns = NdMessage(NDISC_NEIGHBOUR_SOLICITATION, 0, IPv6Address("2001:db8::2"),
                   options=(NdOption.lladdr(ND_OPT_SOURCE_LL_ADDR, mac),))
    raw = ns.emit(A, B)
    assert len(raw) == 32  # 8 + target 16 + option 8: tcpdump's "length 32"
    back = NdMessage.from_icmp(Icmpv6Message.parse(raw, A, B))
    assert back.target == IPv6Address("2001:db8::2")
    assert back.lladdr(ND_OPT_SOURCE_LL_ADDR) == mac
    na = NdMessage(NDISC_NEIGHBOUR_ADVERTISEMENT, 0xE0000000, IPv6Address("2001:db8::2"),
                   options=(NdOption.lladdr(ND_OPT_TARGET_LL_ADDR, mac),))
    back = NdMessage.from_icmp(Icmpv6Message.parse(na.emit(A, B), A, B))
    assert back.router and back.solicited and back.override


def test_bad_nd_option_length_is_malformed() -> None:
    body = IPv6Address("2001:db8::2").packed + bytes([1, 0, 0, 0, 0, 0, 0, 0])
    with pytest.raises(ParseError, match="bad length"):
        NdMessage.from_icmp(Icmpv6Message(NDISC_NEIGHBOUR_SOLICITATION, 0, 0, body))


def test_ra_with_prefix_and_mtu() -> None:
    ra = NdMessage(NDISC_ROUTER_ADVERTISEMENT, (64 << 24) | 1800, None, 0, 0,
                   (NdOption.prefix(IPv6Address("2001:db8::"), 64), NdOption.mtu_opt(1400)))
    back = NdMessage.from_icmp(Icmpv6Message.parse(ra.emit(A, B), A, B))
    assert back.router_lifetime == 1800 and back.cur_hop_limit == 64
    assert [len(o.emit()) for o in back.options] == [32, 8]


def test_mldv2_report_records() -> None:
    rec = Mld2Record(MLD2_CHANGE_TO_EXCLUDE, IPv6Address("ff02::1:ff00:1"))
    msg = mld2_report([rec])
    dst = IPv6Address("ff02::16")
    raw = msg.emit(IPv6Address("::"), dst)
    assert raw[0] == 143 and len(raw) == 28  # tcpdump: "length 28"
    assert parse_mld2_records(Icmpv6Message.parse(raw, IPv6Address("::"), dst)) == [rec]


def test_hop_by_hop_router_alert_is_walked() -> None:
    hbh = hbh_router_alert(IPPROTO_ICMPV6)
    assert len(hbh) == 8
    nh, off, frag, ra = walk_ext_headers(0, hbh + b"icmp")
    assert (nh, off, frag, ra) == (IPPROTO_ICMPV6, 8, None, True)


def test_fragments_carry_a_fragment_header_and_fit_the_mtu() -> None:
    hdr = Ipv6Header(A, B, IPPROTO_FRAGMENT)
    data = bytes(range(256)) * 12  # 3072 bytes
    pieces = fragment(hdr, b"", IPPROTO_ICMPV6, data, 1280, 0xABCD)
    assert [len(p) for p in pieces] == [1280, 1280, 40 + 8 + 3072 - 2 * 1232]
    got = b""
    for i, p in enumerate(pieces):
        h, payload = Ipv6Header.parse(p)
        fh = FragHeader.parse(payload)
        assert (fh.ident, fh.next_header, fh.more) == (0xABCD, 58, i < 2)
        assert fh.offset * 8 == len(got)
        got += payload[8:]
    assert got == data
