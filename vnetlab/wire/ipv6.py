"""IPv6 header (RFC 8200), the hop-by-hop Router Alert option and the fragment header.

Design note: follows ``include/uapi/linux/ipv6.h`` (``struct ipv6hdr``) and the checks of
``ipv6_rcv``/``ip6_rcv_core`` in ``net/ipv6/ip6_input.c``: version 6, the 40-byte header fits,
the payload length does not exceed the buffer (a longer buffer is Ethernet padding and is
cut: ``pskb_trim_rcsum``). There is no header checksum. ``Ipv6Header.next_header`` is the
first header after the fixed one; ``parse`` returns the raw payload, and
:func:`walk_ext_headers` follows hop-by-hop / routing / destination-options / fragment
headers to the upper-layer protocol as ``ipv6_find_hdr`` does.

Hop-by-hop with Router Alert (RFC 2711, value 0 = MLD) is what MLD reports carry
(``ip6_ra_chain``); :func:`hbh_router_alert` builds it with the PadN the kernel uses.

:func:`fragment` follows ``ip6_fragment`` in ``net/ipv6/ip6_output.c``: the unfragmentable
part (the fixed header and any hop-by-hop header) is repeated, every fragment carries an
8-byte fragment header, data per fragment is a multiple of 8 and each fragment is at most
``mtu`` bytes. Only the source fragments in IPv6; routers send Packet Too Big instead.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from ipaddress import IPv6Address

from vnetlab.wire.errors import ParseError

__all__ = [
    "IPPROTO_DSTOPTS",
    "IPPROTO_FRAGMENT",
    "IPPROTO_HOPOPTS",
    "IPPROTO_ICMPV6",
    "IPPROTO_NONE",
    "IPPROTO_ROUTING",
    "IPV6_HLEN",
    "FragHeader",
    "Ipv6Header",
    "fragment",
    "hbh_router_alert",
    "pseudo_header6",
    "walk_ext_headers",
]

IPPROTO_HOPOPTS = 0
IPPROTO_ROUTING = 43
IPPROTO_FRAGMENT = 44
IPPROTO_ICMPV6 = 58
IPPROTO_NONE = 59
IPPROTO_DSTOPTS = 60
IPV6_HLEN = 40
FRAG_HLEN = 8

_IP6 = struct.Struct("!IHBB16s16s")
_FRAG = struct.Struct("!BBHI")
_PSEUDO6 = struct.Struct("!16s16sI3xB")


@dataclass(frozen=True, slots=True)
class Ipv6Header:
    """``struct ipv6hdr`` as a value; ``payload_length`` is filled by ``parse`` only."""

    src: IPv6Address
    dst: IPv6Address
    next_header: int
    hop_limit: int = 64
    traffic_class: int = 0
    flow_label: int = 0
    payload_length: int = 0

    def __post_init__(self) -> None:
        if not (0 <= self.next_header <= 0xFF and 0 <= self.hop_limit <= 0xFF
                and 0 <= self.traffic_class <= 0xFF):
            raise ValueError("ipv6: next header, hop limit and traffic class must fit 8 bits")
        if not 0 <= self.flow_label < 1 << 20:
            raise ValueError(f"ipv6: flow label {self.flow_label} does not fit 20 bits")

    def with_hop_limit(self, hop_limit: int) -> Ipv6Header:
        return replace(self, hop_limit=hop_limit)

    @classmethod
    def parse(cls, data: bytes) -> tuple[Ipv6Header, bytes]:
        """Parse and validate; returns (header, payload cut at payload_length)."""
        n = len(data)
        if n < IPV6_HLEN:
            raise ParseError(f"ipv6: buffer of {n} bytes is shorter than the 40-byte header")
        vtf, plen, nh, hl, src, dst = _IP6.unpack_from(data)
        if vtf >> 28 != 6:
            raise ParseError(f"ipv6: version {vtf >> 28} is not 6")
        if IPV6_HLEN + plen > n:
            raise ParseError(
                f"ipv6: payload length {plen} exceeds the {n - IPV6_HLEN} bytes available")
        hdr = cls(IPv6Address(src), IPv6Address(dst), nh, hl, (vtf >> 20) & 0xFF,
                  vtf & 0xFFFFF, plen)
        return hdr, bytes(data[IPV6_HLEN:IPV6_HLEN + plen])

    def emit(self, payload: bytes) -> bytes:
        if len(payload) > 0xFFFF:
            raise ValueError(f"ipv6: payload of {len(payload)} bytes exceeds 65535 (no jumbo)")
        vtf = (6 << 28) | (self.traffic_class << 20) | self.flow_label
        return _IP6.pack(vtf, len(payload), self.next_header, self.hop_limit,
                         self.src.packed, self.dst.packed) + payload


def pseudo_header6(src: IPv6Address, dst: IPv6Address, proto: int, length: int) -> bytes:
    """The 40-byte IPv6 pseudo-header of upper-layer checksums (RFC 8200 section 8.1)."""
    return _PSEUDO6.pack(src.packed, dst.packed, length, proto)


def hbh_router_alert(next_header: int, value: int = 0) -> bytes:
    """A hop-by-hop header holding a Router Alert option (RFC 2711) and a 2-byte PadN,
    as ``ip6_ra_chain`` users (MLD) send it: 8 bytes."""
    return bytes([next_header, 0, 5, 2]) + value.to_bytes(2, "big") + b"\x01\x00"


@dataclass(frozen=True, slots=True)
class FragHeader:
    """``struct frag_hdr``: next header, offset in 8-byte units, M flag, identification."""

    next_header: int
    offset: int
    more: bool
    ident: int

    @classmethod
    def parse(cls, data: bytes) -> FragHeader:
        if len(data) < FRAG_HLEN:
            raise ParseError(f"ipv6: fragment header of {len(data)} bytes is short")
        nh, _res, off, ident = _FRAG.unpack_from(data)
        return cls(nh, off >> 3, bool(off & 1), ident)

    def emit(self) -> bytes:
        return _FRAG.pack(self.next_header, 0, (self.offset << 3) | int(self.more), self.ident)


def walk_ext_headers(
    next_header: int, payload: bytes
) -> tuple[int, int, FragHeader | None, bool]:
    """Follow extension headers from NEXT_HEADER over PAYLOAD.

    Returns (upper-layer protocol, offset of its data in PAYLOAD, the fragment header if
    any, whether a hop-by-hop Router Alert was seen). ParseError when a header is cut.
    """
    off = 0
    frag: FragHeader | None = None
    router_alert = False
    nh = next_header
    while nh in (IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT):
        if nh == IPPROTO_FRAGMENT:
            frag = FragHeader.parse(payload[off:off + FRAG_HLEN])
            nh = frag.next_header
            off += FRAG_HLEN
            if frag.offset:  # later fragments: the upper header is not here
                return nh, off, frag, router_alert
            continue
        if len(payload) < off + 2:
            raise ParseError("ipv6: extension header cut short")
        hlen = (payload[off + 1] + 1) * 8
        if len(payload) < off + hlen:
            raise ParseError("ipv6: extension header cut short")
        if nh == IPPROTO_HOPOPTS:
            i = off + 2
            while i < off + hlen:
                t = payload[i]
                if t == 0:  # Pad1
                    i += 1
                    continue
                if i + 1 >= off + hlen:
                    break
                if t == 5:
                    router_alert = True
                i += 2 + payload[i + 1]
        nh = payload[off]
        off += hlen
    return nh, off, frag, router_alert


def fragment(hdr: Ipv6Header, unfrag: bytes, nexthdr: int, data: bytes, mtu: int,
             ident: int) -> list[bytes]:
    """``ip6_fragment``: HDR + UNFRAG (hop-by-hop etc., whose last next-header byte must be
    rewritten by the caller to 44 — pass ``hdr.next_header`` = 44 when UNFRAG is empty),
    then a fragment header naming NEXTHDR, then pieces of DATA."""
    per = (mtu - IPV6_HLEN - len(unfrag) - FRAG_HLEN) // 8 * 8
    if per < 8:
        raise ValueError(f"ipv6: mtu {mtu} leaves no room for 8 data bytes")
    out: list[bytes] = []
    n = len(data)
    for off in range(0, n, per):
        last = off + per >= n
        fh = FragHeader(nexthdr, off // 8, not last, ident)
        out.append(hdr.emit(unfrag + fh.emit() + data[off:off + per]))
    return out
