"""Geneve header and option TLVs (RFC 8926 section 3).

Design note: the base header is 8 bytes — version (2 bits, must be 0), option length
(6 bits, in 4-byte words), O (control/OAM) and C (critical options present) flags, protocol
type (0x6558 Transparent Ethernet Bridging for an inner Ethernet frame), 24-bit VNI and a
reserved byte — followed by variable-length options. Each option TLV is a 16-bit class,
an 8-bit type whose high bit is the "critical" bit, 3 reserved bits and a 5-bit length in
4-byte words, then the data (a multiple of 4 bytes). Follows ``struct genevehdr`` and
``struct geneve_opt`` (include/net/geneve.h). ``GENEVE_BASE_HEADROOM`` is 50 over IPv4,
like VXLAN, plus the options.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vnetlab.wire.errors import ParseError

__all__ = [
    "ETH_P_TEB",
    "GENEVE_BASE_HEADROOM",
    "GENEVE_HLEN",
    "GENEVE_PORT",
    "GeneveHeader",
    "GeneveOption",
]

GENEVE_HLEN = 8
GENEVE_PORT = 6081
ETH_P_TEB = 0x6558
GENEVE_BASE_HEADROOM = 14 + 20 + 8 + GENEVE_HLEN
GENEVE_CRIT_OPT_TYPE = 0x80

_BASE = struct.Struct("!BBHI")
_OPT = struct.Struct("!HBB")


@dataclass(frozen=True, slots=True)
class GeneveOption:
    """One option TLV. ``type`` keeps its critical bit (0x80) as on the wire."""

    opt_class: int
    type: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.opt_class <= 0xFFFF:
            raise ValueError(f"geneve: option class {self.opt_class} does not fit 16 bits")
        if not 0 <= self.type <= 0xFF:
            raise ValueError(f"geneve: option type {self.type} does not fit 8 bits")
        if len(self.data) % 4 or len(self.data) > 124:
            raise ValueError(
                f"geneve: option data is {len(self.data)} bytes; it must be a multiple of 4, "
                "at most 124"
            )

    @property
    def critical(self) -> bool:
        return bool(self.type & GENEVE_CRIT_OPT_TYPE)

    @property
    def length(self) -> int:
        return 4 + len(self.data)

    def emit(self) -> bytes:
        return _OPT.pack(self.opt_class, self.type, len(self.data) // 4) + self.data


@dataclass(frozen=True, slots=True)
class GeneveHeader:
    vni: int
    protocol: int = ETH_P_TEB
    options: tuple[GeneveOption, ...] = ()
    oam: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.vni <= 0xFFFFFF:
            raise ValueError(f"geneve: VNI {self.vni} does not fit 24 bits")
        if self.options_len > 252:
            raise ValueError(f"geneve: {self.options_len} bytes of options exceed 252")

    @property
    def options_len(self) -> int:
        return sum(o.length for o in self.options)

    @property
    def critical(self) -> bool:
        return any(o.critical for o in self.options)

    @property
    def header_len(self) -> int:
        return GENEVE_HLEN + self.options_len

    @classmethod
    def parse(cls, data: bytes) -> tuple[GeneveHeader, bytes]:
        if len(data) < GENEVE_HLEN:
            raise ParseError(f"geneve: {len(data)} bytes is shorter than the 8-byte header")
        b0, b1, proto, w = _BASE.unpack_from(data)
        ver, opt_words = b0 >> 6, b0 & 0x3F
        if ver != 0:
            raise ParseError(f"geneve: version {ver} is not 0")
        end = GENEVE_HLEN + opt_words * 4
        if end > len(data):
            raise ParseError(f"geneve: options of {opt_words * 4} bytes exceed the packet")
        opts = []
        pos = GENEVE_HLEN
        while pos < end:
            if pos + 4 > end:
                raise ParseError("geneve: truncated option header")
            ocls, otype, olen = _OPT.unpack_from(data, pos)
            dlen = (olen & 0x1F) * 4
            if pos + 4 + dlen > end:
                raise ParseError(f"geneve: option data of {dlen} bytes overruns the options")
            opts.append(GeneveOption(ocls, otype, bytes(data[pos + 4 : pos + 4 + dlen])))
            pos += 4 + dlen
        hdr = cls(vni=w >> 8, protocol=proto, options=tuple(opts), oam=bool(b1 & 0x80))
        if hdr.critical != bool(b1 & 0x40):
            raise ParseError("geneve: C flag disagrees with the options' critical bits")
        return hdr, bytes(data[end:])

    def emit(self, inner: bytes) -> bytes:
        opts = b"".join(o.emit() for o in self.options)
        b1 = (0x80 if self.oam else 0) | (0x40 if self.critical else 0)
        return _BASE.pack(len(opts) // 4, b1, self.protocol, self.vni << 8) + opts + inner
