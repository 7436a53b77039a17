"""ICMPv6 (RFC 4443), neighbour discovery (RFC 4861) and MLDv2 reports (RFC 3810).

Design note: follows ``include/uapi/linux/icmpv6.h`` (``struct icmp6hdr``: type, code,
checksum and a 32-bit union kept here as one integer ``rest``: ident<<16|seq for echo,
the MTU for packet too big, the pointer for parameter problem, R/S/O flags for NA, hop
limit/flags/router lifetime for RA, the record count for an MLDv2 report). Unlike ICMPv4 the
checksum covers the IPv6 pseudo-header (``csum_ipv6_magic``), so ``emit`` and ``parse``
take the source and destination addresses.

Error quotes follow ``icmp6_send`` in ``net/ipv6/icmp.c``: as much of the offending packet
as keeps the error within the minimum MTU (1280 - 40 - 8 = 1232 bytes of quote).

ND messages (``struct nd_msg``, ``struct rs_msg``, ``struct ra_msg``) are the ICMPv6 header,
a fixed body (the target address; RA's reachable/retrans timers) and TLV options in 8-byte
units (``ndisc_parse_options``): source/target link-layer address, prefix information, MTU.
An MLDv2 report (type 143, ``struct mld2_report``) carries group records.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from ipaddress import IPv6Address

from vnetlab.wire.checksum import internet_checksum
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ipv6 import IPPROTO_ICMPV6, IPV6_HLEN, pseudo_header6

__all__ = [
    "ICMPV6_DEST_UNREACH",
    "ICMPV6_ECHO_REPLY",
    "ICMPV6_ECHO_REQUEST",
    "ICMPV6_MAX_QUOTE",
    "ICMPV6_MLD2_REPORT",
    "ICMPV6_PARAMPROB",
    "ICMPV6_PKT_TOOBIG",
    "ICMPV6_TIME_EXCEED",
    "Icmpv6Message",
    "Mld2Record",
    "NdOption",
    "NDISC_NEIGHBOUR_ADVERTISEMENT",
    "NDISC_NEIGHBOUR_SOLICITATION",
    "NDISC_ROUTER_ADVERTISEMENT",
    "NDISC_ROUTER_SOLICITATION",
    "NdMessage",
    "mld2_report",
]

ICMPV6_DEST_UNREACH = 1
ICMPV6_PKT_TOOBIG = 2
ICMPV6_TIME_EXCEED = 3
ICMPV6_PARAMPROB = 4
ICMPV6_ECHO_REQUEST = 128
ICMPV6_ECHO_REPLY = 129
ICMPV6_MGM_QUERY = 130
ICMPV6_MGM_REPORT = 131
ICMPV6_MGM_REDUCTION = 132
NDISC_ROUTER_SOLICITATION = 133
NDISC_ROUTER_ADVERTISEMENT = 134
NDISC_NEIGHBOUR_SOLICITATION = 135
NDISC_NEIGHBOUR_ADVERTISEMENT = 136
NDISC_REDIRECT = 137
ICMPV6_MLD2_REPORT = 143

# destination unreachable codes
ICMPV6_NOROUTE = 0
ICMPV6_ADM_PROHIBITED = 1
ICMPV6_NOT_NEIGHBOUR = 2  # beyond scope of source address
ICMPV6_ADDR_UNREACH = 3
ICMPV6_PORT_UNREACH = 4
ICMPV6_POLICY_FAIL = 5
ICMPV6_REJECT_ROUTE = 6
# time exceeded codes
ICMPV6_EXC_HOPLIMIT = 0
ICMPV6_EXC_FRAGTIME = 1
# parameter problem codes
ICMPV6_HDR_FIELD = 0
ICMPV6_UNK_NEXTHDR = 1
ICMPV6_UNK_OPTION = 2

# ND option types (``enum`` in include/net/ndisc.h)
ND_OPT_SOURCE_LL_ADDR = 1
ND_OPT_TARGET_LL_ADDR = 2
ND_OPT_PREFIX_INFO = 3
ND_OPT_REDIRECT_HDR = 4
ND_OPT_MTU = 5
ND_OPT_NONCE = 14  # RFC 7527 enhanced DAD: 6 random bytes in the DAD NS

# NA flags in ``rest``
ND_NA_ROUTER = 1 << 31
ND_NA_SOLICITED = 1 << 30
ND_NA_OVERRIDE = 1 << 29

# MLDv2 record types (RFC 3810 5.2.12)
MLD2_MODE_IS_INCLUDE = 1
MLD2_MODE_IS_EXCLUDE = 2
MLD2_CHANGE_TO_INCLUDE = 3
MLD2_CHANGE_TO_EXCLUDE = 4
MLD2_ALLOW_NEW_SOURCES = 5
MLD2_BLOCK_OLD_SOURCES = 6

ICMPV6_HLEN = 8
#: IPV6_MIN_MTU (1280) - the IPv6 header (40) - the ICMPv6 header (8)
ICMPV6_MAX_QUOTE = 1280 - IPV6_HLEN - ICMPV6_HLEN

_HDR = struct.Struct("!BBHI")

#: the ICMPv6 types that are errors (type < 128, RFC 4443 2.1)
def is_error_type(t: int) -> bool:
    return t < 128


def checksum6(src: IPv6Address, dst: IPv6Address, data: bytes) -> int:
    return internet_checksum(pseudo_header6(src, dst, IPPROTO_ICMPV6, len(data)), data)


@dataclass(frozen=True, slots=True)
class Icmpv6Message:
    """An ICMPv6 message: type, code, 32-bit rest of header, and the body after it."""

    type: int
    code: int
    rest: int = 0
    payload: bytes = b""

    def __post_init__(self) -> None:
        if not (0 <= self.type <= 0xFF and 0 <= self.code <= 0xFF):
            raise ValueError("icmpv6: type and code must fit 8 bits")
        if not 0 <= self.rest <= 0xFFFFFFFF:
            raise ValueError(f"icmpv6: rest {self.rest:#x} does not fit 32 bits")

    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF

    @property
    def mtu(self) -> int:
        return self.rest

    @property
    def is_error(self) -> bool:
        return is_error_type(self.type)

    @classmethod
    def echo(cls, ident: int, seq: int, payload: bytes = b"",
             reply: bool = False) -> Icmpv6Message:
        if not (0 <= ident <= 0xFFFF and 0 <= seq <= 0xFFFF):
            raise ValueError("icmpv6: echo ident and seq must fit 16 bits")
        kind = ICMPV6_ECHO_REPLY if reply else ICMPV6_ECHO_REQUEST
        return cls(kind, 0, (ident << 16) | seq, bytes(payload))

    @classmethod
    def error(cls, type_: int, code: int, original: bytes, info: int = 0) -> Icmpv6Message:
        """An error quoting ORIGINAL (the offending IPv6 packet), ``info`` the MTU of a
        packet too big or the pointer of a parameter problem."""
        return cls(type_, code, info, bytes(original[:ICMPV6_MAX_QUOTE]))

    @classmethod
    def parse(cls, data: bytes, src: IPv6Address | None = None,
              dst: IPv6Address | None = None) -> Icmpv6Message:
        """Parse a whole message; with SRC and DST, verify the checksum too."""
        if len(data) < ICMPV6_HLEN:
            raise ParseError(
                f"icmpv6: message of {len(data)} bytes is shorter than the 8-byte header")
        kind, code, csum, rest = _HDR.unpack_from(data)
        if src is not None and dst is not None and checksum6(src, dst, data) != 0:
            raise ParseError(f"icmpv6: bad checksum {csum:#06x}")
        return cls(kind, code, rest, bytes(data[ICMPV6_HLEN:]))

    def emit(self, src: IPv6Address, dst: IPv6Address) -> bytes:
        body = _HDR.pack(self.type, self.code, 0, self.rest) + self.payload
        csum = checksum6(src, dst, body)
        return _HDR.pack(self.type, self.code, csum, self.rest) + self.payload


@dataclass(frozen=True, slots=True)
class NdOption:
    """One ND option: type and its value (the bytes after type and length, padded)."""

    type: int
    value: bytes

    def emit(self) -> bytes:
        raw = bytes([self.type, 0]) + self.value
        pad = -len(raw) % 8
        raw += b"\x00" * pad
        return bytes([self.type, len(raw) // 8]) + raw[2:]

    @classmethod
    def lladdr(cls, type_: int, mac: bytes) -> NdOption:
        return cls(type_, mac)

    @classmethod
    def mtu_opt(cls, mtu: int) -> NdOption:
        return cls(ND_OPT_MTU, b"\x00\x00" + mtu.to_bytes(4, "big"))

    @classmethod
    def prefix(cls, prefix: IPv6Address, plen: int, *, onlink: bool = True,
               autonomous: bool = True, valid: int = 2592000,
               preferred: int = 604800) -> NdOption:
        flags = (0x80 if onlink else 0) | (0x40 if autonomous else 0)
        return cls(ND_OPT_PREFIX_INFO, struct.pack("!BBIII16s", plen, flags, valid,
                                                   preferred, 0, prefix.packed))

    @property
    def mac(self) -> bytes:
        return self.value[:6]


def parse_options(data: bytes) -> list[NdOption]:
    """``ndisc_parse_options``: a zero length or a cut option is malformed."""
    out: list[NdOption] = []
    i = 0
    while i < len(data):
        if len(data) - i < 2:
            raise ParseError("ndisc: option header cut short")
        t, ln = data[i], data[i + 1] * 8
        if ln == 0 or i + ln > len(data):
            raise ParseError(f"ndisc: option {t} has bad length {data[i + 1]}")
        out.append(NdOption(t, bytes(data[i + 2:i + ln])))
        i += ln
    return out


@dataclass(frozen=True, slots=True)
class NdMessage:
    """RS, RA, NS or NA: the ICMPv6 ``rest``, the target (NS/NA), RA's timers, options."""

    type: int
    rest: int = 0
    target: IPv6Address | None = None
    reachable_time: int = 0  # RA only (ms)
    retrans_timer: int = 0  # RA only (ms)
    options: tuple[NdOption, ...] = field(default_factory=tuple)

    @property
    def router(self) -> bool:
        return bool(self.rest & ND_NA_ROUTER)

    @property
    def solicited(self) -> bool:
        return bool(self.rest & ND_NA_SOLICITED)

    @property
    def override(self) -> bool:
        return bool(self.rest & ND_NA_OVERRIDE)

    @property
    def router_lifetime(self) -> int:
        return self.rest & 0xFFFF

    @property
    def cur_hop_limit(self) -> int:
        return self.rest >> 24

    def option(self, type_: int) -> NdOption | None:
        return next((o for o in self.options if o.type == type_), None)

    def lladdr(self, type_: int) -> bytes | None:
        o = self.option(type_)
        return None if o is None else o.mac

    def to_icmp(self) -> Icmpv6Message:
        body = b""
        if self.type in (NDISC_NEIGHBOUR_SOLICITATION, NDISC_NEIGHBOUR_ADVERTISEMENT):
            assert self.target is not None
            body = self.target.packed
        elif self.type == NDISC_ROUTER_ADVERTISEMENT:
            body = struct.pack("!II", self.reachable_time, self.retrans_timer)
        body += b"".join(o.emit() for o in self.options)
        return Icmpv6Message(self.type, 0, self.rest, body)

    def emit(self, src: IPv6Address, dst: IPv6Address) -> bytes:
        return self.to_icmp().emit(src, dst)

    @classmethod
    def from_icmp(cls, msg: Icmpv6Message) -> NdMessage:
        """``ndisc_rcv`` checks: code 0, the fixed body present, options well formed."""
        if msg.code != 0:
            raise ParseError(f"ndisc: code {msg.code} is not 0")
        body = msg.payload
        if msg.type in (NDISC_NEIGHBOUR_SOLICITATION, NDISC_NEIGHBOUR_ADVERTISEMENT):
            if len(body) < 16:
                raise ParseError("ndisc: NS/NA shorter than its target address")
            return cls(msg.type, msg.rest, IPv6Address(body[:16]),
                       options=tuple(parse_options(body[16:])))
        if msg.type == NDISC_ROUTER_ADVERTISEMENT:
            if len(body) < 8:
                raise ParseError("ndisc: RA shorter than its timers")
            reach, retrans = struct.unpack_from("!II", body)
            return cls(msg.type, msg.rest, None, reach, retrans,
                       tuple(parse_options(body[8:])))
        if msg.type == NDISC_ROUTER_SOLICITATION:
            return cls(msg.type, msg.rest, options=tuple(parse_options(body)))
        raise ParseError(f"ndisc: type {msg.type} is not RS/RA/NS/NA")


@dataclass(frozen=True, slots=True)
class Mld2Record:
    """``struct mld2_grec``: record type, multicast address, sources (aux data unused)."""

    type: int
    group: IPv6Address
    sources: tuple[IPv6Address, ...] = ()

    def emit(self) -> bytes:
        return (struct.pack("!BBH16s", self.type, 0, len(self.sources), self.group.packed)
                + b"".join(s.packed for s in self.sources))


def mld2_report(records: list[Mld2Record]) -> Icmpv6Message:
    """An MLDv2 report (type 143): reserved 16 bits, the record count, the records."""
    return Icmpv6Message(ICMPV6_MLD2_REPORT, 0, len(records),
                         b"".join(r.emit() for r in records))


def parse_mld2_records(msg: Icmpv6Message) -> list[Mld2Record]:
    out: list[Mld2Record] = []
    data = msg.payload
    i = 0
    for _ in range(msg.rest & 0xFFFF):
        if len(data) < i + 20:
            raise ParseError("mld2: group record cut short")
        t, aux, ns, grp = struct.unpack_from("!BBH16s", data, i)
        i += 20
        srcs = tuple(IPv6Address(data[i + 16 * k:i + 16 * k + 16]) for k in range(ns))
        if len(data) < i + 16 * ns:
            raise ParseError("mld2: sources cut short")
        i += 16 * ns + aux * 4
        out.append(Mld2Record(t, IPv6Address(grp), srcs))
    return out
