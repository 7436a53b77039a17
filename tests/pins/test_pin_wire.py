"""Pins for the wire formats (issue 20): every range check at both edges, option handling of
later fragments, the exact-MTU boundary and MF on the last fragment.

Each limit is the width of the kernel's own field (``struct iphdr``, ``struct arphdr``,
``struct icmphdr``, ``struct vlan_hdr``): the largest value fits, one more does not, zero fits
and minus one does not. ``ip_options_fragment`` (net/ipv4/ip_options.c) is the model for the
later-fragment options; ``ip_do_fragment`` (net/ipv4/ip_output.c) for the split.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pytest

from vnetlab.wire.arp import ARPOP_REPLY, ArpPacket
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ethernet import EthernetHeader, VlanTag
from vnetlab.wire.icmp import ICMP_MAX_QUOTE, IcmpMessage
from vnetlab.wire.ipv4 import Ipv4Header, fragment

A = IPv4Address("10.0.0.1")
B = IPv4Address("10.0.0.2")
MAC = b"\x02\x00\x00\x00\x00\x01"


def _ip(**kw: Any) -> Ipv4Header:
    return Ipv4Header(A, B, **{"proto": 1, **kw})


@pytest.mark.parametrize(("field", "top"), [
    ("proto", 0xFF), ("ttl", 0xFF), ("tos", 0xFF), ("ident", 0xFFFF), ("frag_offset", 0x1FFF),
])
def test_ipv4_field_ranges_at_both_edges(field: str, top: int) -> None:
    assert getattr(_ip(**{field: 0}), field) == 0
    assert getattr(_ip(**{field: top}), field) == top
    for bad in (-1, top + 1):
        with pytest.raises(ValueError):
            _ip(**{field: bad})


def test_ipv4_options_length_limits() -> None:
    assert _ip(options=b"\x01" * 40).header_len == 60
    assert _ip(options=b"\x01" * 4).header_len == 24
    for bad in (b"\x01" * 44, b"\x01" * 2, b"\x01" * 41):
        with pytest.raises(ValueError):
            _ip(options=bad)


def _raw(vihl: int = 0x45, total: int | None = None, payload: bytes = b"abcd",
         frag: int = 0, opts: bytes = b"") -> bytes:
    """A header by hand (checksum right), to reach parse's checks one by one."""
    hdr = _ip(options=opts, df=bool(frag & 0x4000), mf=bool(frag & 0x2000),
              frag_offset=frag & 0x1FFF).emit(payload)
    b = bytearray(hdr)
    b[0] = vihl
    if total is not None:
        b[2:4] = total.to_bytes(2, "big")
    b[10:12] = b"\0\0"
    hl = (vihl & 0xF) * 4
    from vnetlab.wire.checksum import internet_checksum
    b[10:12] = internet_checksum(bytes(b[:max(hl, 20)])).to_bytes(2, "big")
    return bytes(b)


def test_ipv4_parse_accepts_the_edges() -> None:
    data = _raw()
    hdr, payload = Ipv4Header.parse(data)
    assert (hdr.total_length, payload) == (24, b"abcd")
    # total length == buffer and == header length (no payload) are both fine
    h0, p0 = Ipv4Header.parse(_ip().emit(b""))
    assert (h0.total_length, p0) == (20, b"")
    # ethernet padding after total length is cut off (pskb_trim_rcsum)
    assert Ipv4Header.parse(data + b"\0" * 6)[1] == b"abcd"
    # a header with options: hlen == buffer is fine
    hopt, popt = Ipv4Header.parse(_ip(options=b"\x01\x01\x01\x00").emit(b""))
    assert (hopt.header_len, hopt.options, popt) == (24, b"\x01\x01\x01\x00", b"")
    flags = Ipv4Header.parse(_raw(frag=0x4000 | 0x2000 | 7))[0]
    assert (flags.df, flags.mf, flags.frag_offset) == (True, True, 7)
    assert Ipv4Header.parse(_raw(frag=0x2000))[0].mf and not Ipv4Header.parse(_raw())[0].mf


@pytest.mark.parametrize("bad", [
    lambda: _raw()[:19],                       # shorter than the header
    lambda: _raw(vihl=0x55),                   # version 5
    lambda: _raw(vihl=0x35),                   # version 3
    lambda: _raw(vihl=0x44),                   # ihl 4
    lambda: _raw(vihl=0x46)[:23],              # ihl 6 = 24 bytes > a 23-byte buffer
    lambda: _raw(total=19),                    # total < header
    lambda: _raw(total=25),                    # total > buffer
    lambda: _raw()[:10] + b"\x12\x34" + _raw()[12:],   # checksum
])
def test_ipv4_parse_rejects(bad: Any) -> None:
    with pytest.raises(ParseError):
        Ipv4Header.parse(bad())


def test_ipv4_emit_total_length_limit() -> None:
    assert len(_ip().emit(b"x" * (0xFFFF - 20))) == 0xFFFF
    with pytest.raises(ValueError):
        _ip().emit(b"x" * (0xFFFF - 19))


def test_uapi_numbers_and_header_value_defaults() -> None:
    from vnetlab.wire import ipv4 as w

    # include/uapi/linux/in.h and ip.h
    assert (w.IPPROTO_ICMP, w.IPPROTO_TCP, w.IPPROTO_UDP) == (1, 6, 17)
    assert (w.IP_DF, w.IP_MF, w.IP_OFFMASK, w.IPV4_HLEN) == (0x4000, 0x2000, 0x1FFF, 20)
    assert (w.IPOPT_END, w.IPOPT_NOOP, w.IPOPT_COPY) == (0, 1, 0x80)
    from vnetlab.wire import arp as wa
    from vnetlab.wire import ethernet as we
    from vnetlab.wire import icmp as wi

    # include/uapi/linux/if_ether.h, if_vlan.h, if_arp.h, icmp.h
    assert (we.ETH_HLEN, we.ETH_ZLEN, we.VLAN_HLEN) == (14, 60, 4)
    assert (we.ETH_P_IP, we.ETH_P_ARP, we.ETH_P_8021Q, we.ETH_P_8021AD, we.ETH_P_IPV6) == (
        0x0800, 0x0806, 0x8100, 0x88A8, 0x86DD)
    assert (wa.ARPHRD_ETHER, wa.ARPOP_REQUEST, wa.ARPOP_REPLY, wa.ARP_LEN) == (1, 1, 2, 28)
    assert (wi.ICMP_ECHOREPLY, wi.ICMP_DEST_UNREACH, wi.ICMP_ECHO, wi.ICMP_TIME_EXCEEDED) == (
        0, 3, 8, 11)
    assert (wi.ICMP_NET_UNREACH, wi.ICMP_HOST_UNREACH, wi.ICMP_PROT_UNREACH,
            wi.ICMP_PORT_UNREACH, wi.ICMP_FRAG_NEEDED) == (0, 1, 2, 3, 4)
    assert (wi.ICMP_EXC_TTL, wi.ICMP_EXC_FRAGTIME, wi.ICMP_HLEN) == (0, 1, 8)
    h = _ip()
    assert (h.ttl, h.tos, h.ident, h.df, h.mf, h.frag_offset, h.total_length) == (
        64, 0, 0, False, False, 0, 0)
    assert [_ip(mf=mf, frag_offset=off).is_fragment
            for mf, off in ((False, 0), (True, 0), (False, 1), (True, 5))] == [
        False, True, True, True]
    assert _ip(ttl=9).with_ttl(3) == _ip(ttl=3)


def test_datagram_of_exactly_mtu_is_not_fragmented() -> None:
    hdr = _ip(ident=7)
    assert fragment(hdr, b"x" * 1480, 1500) == [hdr.emit(b"x" * 1480)]
    assert len(fragment(hdr, b"x" * 1481, 1500)) == 2


def test_fragments_mf_offsets_and_sizes() -> None:
    hdr = _ip(ident=9)
    pieces = [Ipv4Header.parse(p) for p in fragment(hdr, bytes(range(256)) * 10, 1000)]
    # (1000 - 20) // 8 * 8 = 976 bytes of data per fragment: 976, 976, 608
    assert [len(p) for _, p in pieces] == [976, 976, 608]
    assert [h.frag_offset for h, _ in pieces] == [0, 122, 244]
    assert [h.mf for h, _ in pieces] == [True, True, False]  # MF clear on the last
    assert b"".join(p for _, p in pieces) == bytes(range(256)) * 10
    # re-fragmenting a non-last fragment: its MF stays on every piece, offsets keep the base
    again = [Ipv4Header.parse(p)[0] for p in fragment(_ip(mf=True, frag_offset=100),
                                                      b"y" * 64, 52)]
    assert [h.mf for h in again] == [True, True]
    assert [h.frag_offset for h in again] == [100, 104]
    # an MTU that leaves exactly 8 data bytes works; 7 does not
    assert len(fragment(hdr, b"z" * 16, 28)) == 2
    with pytest.raises(ValueError):
        fragment(hdr, b"z" * 16, 27)
    with pytest.raises(ValueError):
        fragment(_ip(df=True), b"z" * 16, 28)


def test_later_fragment_options_noop_skip_and_end() -> None:
    # NOOP; RR (7, not copied) len 7; LSRR (0x83, copied) len 7; END; junk that must survive
    rr = bytes([7, 7, 4]) + bytes(4)
    lsrr = bytes([0x83, 7, 4]) + bytes(4)
    # after END: bytes that would be a valid non-copied option (7, len 4) must stay as they are
    opts = b"\x01" + rr + lsrr + b"\x00" + b"\x07\x04\x00\x00"  # 20 bytes
    pieces = [Ipv4Header.parse(p)[0] for p in fragment(_ip(options=opts), b"q" * 64, 80)]
    assert pieces[0].options == opts
    assert pieces[1].options == b"\x01" + b"\x01" * 7 + lsrr + b"\x00" + b"\x07\x04\x00\x00"
    # an option whose length runs past the end, or is below 2, stops the walk untouched
    for tail in (b"\x07\x09\x00\x00", b"\x07\x01\x07\x03", b"\x01\x01\x01\x07"):
        opt = b"\x01\x01\x01\x01" + tail
        later = [Ipv4Header.parse(p)[0] for p in fragment(_ip(options=opt), b"q" * 64, 80)]
        assert later[1].options == opt, tail
    # a non-copied option exactly filling the rest is overwritten
    exact = b"\x01" + bytes([7, 7, 4]) + bytes(4)
    later = [Ipv4Header.parse(p)[0] for p in fragment(_ip(options=exact), b"q" * 64, 80)]
    assert later[1].options == b"\x01" * 8


def test_arp_sender_and_target_slices() -> None:
    sha, tha = b"\x02\x11\x22\x33\x44\x55", b"\x02\x66\x77\x88\x99\xaa"
    raw = ArpPacket(ARPOP_REPLY, sha, A, tha, B).emit()
    assert len(raw) == 28 and raw[8:14] == sha and raw[14:18] == A.packed
    assert raw[18:24] == tha and raw[24:28] == B.packed and raw[:8] == bytes.fromhex(
        "0001080006040002")
    p = ArpPacket.parse(raw + b"\0" * 18)
    assert (p.op, p.sha, p.spa, p.tha, p.tpa) == (ARPOP_REPLY, sha, A, tha, B)
    with pytest.raises(ParseError):
        ArpPacket.parse(raw[:27])
    for i, v in ((1, 6), (3, 0x06), (4, 7), (5, 5), (2, 0x86)):
        bad = bytearray(raw)
        bad[i] = v
        with pytest.raises(ParseError):
            ArpPacket.parse(bytes(bad))
    assert ArpPacket(0xFFFF, sha, A, tha, B).op == 0xFFFF
    for op in (-1, 0x10000):
        with pytest.raises(ValueError):
            ArpPacket(op, sha, A, tha, B)
    with pytest.raises(ValueError):
        ArpPacket(1, sha[:5], A, tha, B)
    with pytest.raises(ValueError):
        ArpPacket(1, sha, A, tha + b"\0", B)


def test_ethernet_and_vlan_ranges() -> None:
    assert EthernetHeader(MAC, MAC, 0xFFFF).ethertype == 0xFFFF
    assert EthernetHeader(MAC, MAC, 0).ethertype == 0
    for et in (-1, 0x10000):
        with pytest.raises(ValueError):
            EthernetHeader(MAC, MAC, et)
    with pytest.raises(ValueError):
        EthernetHeader(MAC[:5], MAC, 0x800)
    with pytest.raises(ValueError):
        EthernetHeader(MAC, MAC + b"\0", 0x800)
    hdr, rest = EthernetHeader.parse(b"\x01" * 6 + MAC + b"\x08\x00")
    assert (hdr.dst, hdr.src, hdr.ethertype, rest) == (b"\x01" * 6, MAC, 0x800, b"")
    with pytest.raises(ParseError):
        EthernetHeader.parse(b"\x01" * 13)
    for kw in ({"vid": 0xFFF}, {"vid": 0}, {"pcp": 7, "vid": 1}, {"pcp": 0, "vid": 1},
               {"ethertype": 0xFFFF, "vid": 1}, {"ethertype": 0, "vid": 1}):
        VlanTag(**{"ethertype": 0x800, **kw})
    for kw in ({"vid": 0x1000}, {"vid": -1}, {"pcp": 8, "vid": 1}, {"pcp": -1, "vid": 1},
               {"ethertype": 0x10000, "vid": 1}, {"ethertype": -1, "vid": 1}):
        with pytest.raises(ValueError):
            VlanTag(**{"ethertype": 0x800, **kw})
    tag = VlanTag(vid=0xABC, ethertype=0x86DD, pcp=5, dei=True)
    raw = tag.emit(b"pp")
    assert raw == bytes([0xBA, 0xBC, 0x86, 0xDD]) + b"pp"
    assert VlanTag.parse(raw) == (tag, b"pp")
    assert VlanTag.parse(bytes([0x0F, 0xFF, 8, 0]))[0] == VlanTag(vid=0xFFF, ethertype=0x800)
    with pytest.raises(ParseError):
        VlanTag.parse(b"\x00\x01\x08")


def test_icmp_ranges_quote_and_fields() -> None:
    for kw in ({"type": 0xFF, "code": 0}, {"type": 0, "code": 0xFF},
               {"type": 0, "code": 0, "rest": 0xFFFFFFFF}):
        IcmpMessage(**kw)
    for kw in ({"type": 0x100, "code": 0}, {"type": -1, "code": 0}, {"type": 0, "code": 256},
               {"type": 0, "code": -1}, {"type": 0, "code": 0, "rest": 1 << 32},
               {"type": 0, "code": 0, "rest": -1}):
        with pytest.raises(ValueError):
            IcmpMessage(**kw)
    e = IcmpMessage.echo(0xFFFF, 0xFFFF, b"hi", reply=True)
    assert (e.type, e.ident, e.seq, e.rest) == (0, 0xFFFF, 0xFFFF, 0xFFFFFFFF)
    e0 = IcmpMessage.echo(0x1234, 0x0001)
    assert (e0.type, e0.ident, e0.seq) == (8, 0x1234, 1)
    for ident, seq in ((0x10000, 0), (0, 0x10000), (-1, 0), (0, -1)):
        with pytest.raises(ValueError):
            IcmpMessage.echo(ident, seq)
    assert IcmpMessage.dest_unreach(4, b"", mtu=0xFFFF).mtu == 0xFFFF
    for mtu in (-1, 0x10000):
        with pytest.raises(ValueError):
            IcmpMessage.dest_unreach(4, b"", mtu=mtu)
    # the quote: cut at the original's total length (padding dropped), then at 548 bytes
    orig = _ip().emit(b"d" * 8)
    assert IcmpMessage.dest_unreach(1, orig + b"\0\0").payload == orig
    assert IcmpMessage.dest_unreach(1, orig).payload == orig
    big = _ip().emit(b"d" * 1000)
    assert len(IcmpMessage.dest_unreach(1, big).payload) == ICMP_MAX_QUOTE == 548
    assert IcmpMessage.time_exceeded(b"\x45\x00").payload == b"\x45\x00"
    assert [IcmpMessage(t, 0).is_error for t in (0, 3, 4, 5, 8, 11, 12)] == [
        False, True, True, True, False, True, True]
    raw = IcmpMessage.echo(1, 2, b"abc").emit()
    assert IcmpMessage.parse(raw) == IcmpMessage.echo(1, 2, b"abc")
    assert IcmpMessage.parse(raw[:8] + b"abc").payload == b"abc"
    with pytest.raises(ParseError):
        IcmpMessage.parse(raw[:7])
    with pytest.raises(ParseError):
        IcmpMessage.parse(raw[:-1] + b"x")
