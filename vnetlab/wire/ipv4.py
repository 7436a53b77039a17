"""IPv4 header (RFC 791) and fragmentation.

Design note: follows ``include/uapi/linux/ip.h`` (``struct iphdr``) and the checks of
``ip_rcv_core`` in ``net/ipv4/ip_input.c``: version 4, ihl >= 5, the header fits the buffer,
total length covers the header and does not exceed the buffer, header checksum is valid. The
payload returned by ``parse`` is cut at total_length, dropping Ethernet padding (the kernel's
``pskb_trim_rcsum``). The reserved ("evil") flag bit is ignored and not re-emitted.

``Ipv4Header`` is a value: ``total_length`` is filled by ``parse`` and ignored by ``emit``,
which computes it and the header checksum from the payload. ``frag_offset`` is in 8-byte units.
:func:`fragment` follows ``ip_do_fragment`` in ``net/ipv4/ip_output.c``: data per fragment
is a multiple of 8, MF on all but the last, the first fragment keeps every option and later
ones get non-copied options overwritten with NOOP (``ip_options_fragment``), so every fragment
has the same header length.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from ipaddress import IPv4Address

from vnetlab.wire.checksum import internet_checksum
from vnetlab.wire.errors import ParseError

__all__ = [
    "IP_DF",
    "IP_MF",
    "IP_OFFMASK",
    "IPPROTO_ICMP",
    "IPPROTO_TCP",
    "IPPROTO_UDP",
    "IPV4_HLEN",
    "Ipv4Header",
    "fragment",
    "pseudo_header",
]

IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IP_DF = 0x4000
IP_MF = 0x2000
IP_OFFMASK = 0x1FFF
IPV4_HLEN = 20

_IP = struct.Struct("!BBHHHBBH4s4s")
_PSEUDO = struct.Struct("!4s4sBBH")

IPOPT_END = 0
IPOPT_NOOP = 1
IPOPT_COPY = 0x80


@dataclass(frozen=True, slots=True)
class Ipv4Header:
    """``struct iphdr`` as a value (options raw, padded to a multiple of 4 bytes)."""

    src: IPv4Address
    dst: IPv4Address
    proto: int
    ttl: int = 64
    tos: int = 0
    ident: int = 0
    df: bool = False
    mf: bool = False
    frag_offset: int = 0
    options: bytes = b""
    total_length: int = 0

    def __post_init__(self) -> None:
        if not (0 <= self.proto <= 0xFF and 0 <= self.ttl <= 0xFF and 0 <= self.tos <= 0xFF):
            raise ValueError("ipv4: proto, ttl and tos must fit 8 bits")
        if not 0 <= self.ident <= 0xFFFF:
            raise ValueError(f"ipv4: ident {self.ident} does not fit 16 bits")
        if not 0 <= self.frag_offset <= IP_OFFMASK:
            raise ValueError(f"ipv4: frag_offset {self.frag_offset} does not fit 13 bits")
        if len(self.options) % 4 or len(self.options) > 40:
            raise ValueError(
                f"ipv4: options of {len(self.options)} bytes (must be a multiple of 4, at most 40)"
            )

    @property
    def header_len(self) -> int:
        """Header length in bytes (20 + options)."""
        return IPV4_HLEN + len(self.options)

    @property
    def is_fragment(self) -> bool:
        """True for any fragment of a fragmented datagram (MF set or non-zero offset)."""
        return self.mf or self.frag_offset != 0

    def with_ttl(self, ttl: int) -> Ipv4Header:
        return replace(self, ttl=ttl)

    @classmethod
    def parse(cls, data: bytes) -> tuple[Ipv4Header, bytes]:
        """Parse and validate a header; returns (header, payload cut at total_length)."""
        n = len(data)
        if n < IPV4_HLEN:
            raise ParseError(f"ipv4: buffer of {n} bytes is shorter than the 20-byte header")
        vihl, tos, total, ident, frag, ttl, proto, _csum, src, dst = _IP.unpack_from(data)
        if vihl >> 4 != 4:
            raise ParseError(f"ipv4: version {vihl >> 4} is not 4")
        hlen = (vihl & 0xF) * 4
        if hlen < IPV4_HLEN:
            raise ParseError(f"ipv4: ihl {vihl & 0xF} is below the minimum of 5")
        if hlen > n:
            raise ParseError(f"ipv4: header length {hlen} exceeds buffer of {n} bytes")
        if total < hlen:
            raise ParseError(f"ipv4: total length {total} is less than header length {hlen}")
        if total > n:
            raise ParseError(f"ipv4: total length {total} exceeds buffer of {n} bytes")
        if internet_checksum(memoryview(data)[:hlen]) != 0:
            raise ParseError(f"ipv4: bad header checksum {_csum:#06x}")
        hdr = cls(
            IPv4Address(src),
            IPv4Address(dst),
            proto,
            ttl,
            tos,
            ident,
            bool(frag & IP_DF),
            bool(frag & IP_MF),
            frag & IP_OFFMASK,
            bytes(data[IPV4_HLEN:hlen]),
            total,
        )
        return hdr, bytes(data[hlen:total])

    def emit(self, payload: bytes) -> bytes:
        """Header (with computed total length and checksum) followed by ``payload``."""
        hlen = IPV4_HLEN + len(self.options)
        total = hlen + len(payload)
        if total > 0xFFFF:
            raise ValueError(f"ipv4: total length {total} exceeds 65535")
        frag = (IP_DF if self.df else 0) | (IP_MF if self.mf else 0) | self.frag_offset
        fields = [
            0x40 | (hlen >> 2), self.tos, total, self.ident, frag, self.ttl, self.proto, 0,
            self.src.packed, self.dst.packed,
        ]
        fixed = _IP.pack(*fields)
        fields[7] = internet_checksum(fixed, self.options)
        return _IP.pack(*fields) + self.options + payload


def pseudo_header(src: IPv4Address, dst: IPv4Address, proto: int, length: int) -> bytes:
    """The 12-byte IPv4 pseudo-header used by UDP and TCP checksums (RFC 768, RFC 793)."""
    return _PSEUDO.pack(src.packed, dst.packed, 0, proto, length)


def _options_for_later_fragments(options: bytes) -> bytes:
    """``ip_options_fragment``: overwrite options without the copied flag with NOOP."""
    out = bytearray(options)
    i, n = 0, len(out)
    while i < n:
        kind = out[i]
        if kind == IPOPT_END:
            break
        if kind == IPOPT_NOOP:
            i += 1
            continue
        if i + 1 >= n:
            break
        optlen = out[i + 1]
        if optlen < 2 or optlen > n - i:
            break
        if not kind & IPOPT_COPY:
            out[i : i + optlen] = bytes([IPOPT_NOOP]) * optlen
        i += optlen
    return bytes(out)


def fragment(hdr: Ipv4Header, payload: bytes, mtu: int) -> list[bytes]:
    """Split a datagram into RFC 791 fragments, each at most ``mtu`` bytes long.

    A datagram that fits is returned whole (one element). ValueError if it does not fit and DF
    is set (the caller sends ICMP frag-needed instead), or if ``mtu`` leaves no room for 8 bytes
    of data. Re-fragmenting a fragment keeps its offset base and its MF on the last piece.
    """
    hlen = hdr.header_len
    if hlen + len(payload) <= mtu:
        return [hdr.emit(payload)]
    if hdr.df:
        raise ValueError(
            f"ipv4: datagram of {hlen + len(payload)} bytes exceeds mtu {mtu} and DF is set"
        )
    chunk = (mtu - hlen) // 8 * 8
    if chunk < 8:
        raise ValueError(f"ipv4: mtu {mtu} leaves no room for 8 data bytes after {hlen}")
    later = replace(hdr, options=_options_for_later_fragments(hdr.options))
    out: list[bytes] = []
    view = memoryview(payload)
    n = len(payload)
    for off in range(0, n, chunk):
        last = off + chunk >= n
        base = hdr if off == 0 else later
        piece = replace(base, frag_offset=hdr.frag_offset + off // 8, mf=hdr.mf or not last)
        out.append(piece.emit(bytes(view[off : off + chunk])))
    return out
