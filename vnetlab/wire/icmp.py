"""ICMP for IPv4 (RFC 792, RFC 1191, RFC 1812 section 4.3.2.3).

Design note: follows ``include/uapi/linux/icmp.h`` (``struct icmphdr``: type, code, checksum
and a 32-bit union kept here as one integer ``rest``: ident<<16|seq for echo, the next-hop MTU
in the low 16 bits for frag-needed, 0 otherwise). ``emit`` computes the checksum over the whole
message; ``parse`` rejects a wrong one.

Error constructors follow ``icmp_send`` in ``net/ipv4/icmp.c``: the quote is the original IP
datagram (header included, already trimmed to its total length) cut so that the whole error
packet, a 20-byte IP header plus the 8-byte ICMP header plus the quote, fits in 576 bytes:
at most ``ICMP_MAX_QUOTE`` = 548 bytes of the original.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vnetlab.wire.checksum import internet_checksum
from vnetlab.wire.errors import ParseError

__all__ = [
    "ICMP_DEST_UNREACH",
    "ICMP_ECHO",
    "ICMP_ECHOREPLY",
    "ICMP_EXC_FRAGTIME",
    "ICMP_EXC_TTL",
    "ICMP_FRAG_NEEDED",
    "ICMP_HLEN",
    "ICMP_HOST_UNREACH",
    "ICMP_MAX_QUOTE",
    "ICMP_NET_UNREACH",
    "ICMP_PORT_UNREACH",
    "ICMP_PROT_UNREACH",
    "ICMP_TIME_EXCEEDED",
    "IcmpMessage",
]

ICMP_ECHOREPLY = 0
ICMP_DEST_UNREACH = 3
ICMP_ECHO = 8
ICMP_TIME_EXCEEDED = 11

ICMP_NET_UNREACH = 0
ICMP_HOST_UNREACH = 1
ICMP_PROT_UNREACH = 2
ICMP_PORT_UNREACH = 3
ICMP_FRAG_NEEDED = 4
ICMP_EXC_TTL = 0
ICMP_EXC_FRAGTIME = 1

ICMP_HLEN = 8
#: 576 (minimum reassembly buffer, RFC 1812) - 20 (IP header) - 8 (ICMP header).
ICMP_MAX_QUOTE = 576 - 20 - ICMP_HLEN

_ICMP = struct.Struct("!BBHI")


def _quote(original: bytes) -> bytes:
    """The original datagram trimmed to its IPv4 total length (if readable), then to 548."""
    if len(original) >= 4 and original[0] >> 4 == 4:
        total = int.from_bytes(original[2:4], "big")
        if (original[0] & 0xF) * 4 <= total < len(original):
            original = original[:total]
    return bytes(original[:ICMP_MAX_QUOTE])


@dataclass(frozen=True, slots=True)
class IcmpMessage:
    """An ICMP message: type, code, 32-bit rest of header, and the data after it."""

    type: int
    code: int
    rest: int = 0
    payload: bytes = b""

    def __post_init__(self) -> None:
        if not (0 <= self.type <= 0xFF and 0 <= self.code <= 0xFF):
            raise ValueError("icmp: type and code must fit 8 bits")
        if not 0 <= self.rest <= 0xFFFFFFFF:
            raise ValueError(f"icmp: rest {self.rest:#x} does not fit 32 bits")

    @property
    def ident(self) -> int:
        """Echo identifier (high 16 bits of rest)."""
        return self.rest >> 16

    @property
    def seq(self) -> int:
        """Echo sequence number (low 16 bits of rest)."""
        return self.rest & 0xFFFF

    @property
    def mtu(self) -> int:
        """Next-hop MTU of a frag-needed message (RFC 1191; low 16 bits of rest)."""
        return self.rest & 0xFFFF

    @property
    def is_error(self) -> bool:
        """True for error messages (which quote an original datagram)."""
        return self.type in (ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, 4, 5, 12)

    @classmethod
    def echo(cls, ident: int, seq: int, payload: bytes = b"", reply: bool = False) -> IcmpMessage:
        """Echo request (or reply when ``reply``)."""
        if not (0 <= ident <= 0xFFFF and 0 <= seq <= 0xFFFF):
            raise ValueError("icmp: echo ident and seq must fit 16 bits")
        kind = ICMP_ECHOREPLY if reply else ICMP_ECHO
        return cls(kind, 0, (ident << 16) | seq, bytes(payload))

    @classmethod
    def dest_unreach(cls, code: int, original_ip_datagram: bytes, mtu: int = 0) -> IcmpMessage:
        """Destination unreachable quoting the original; ``mtu`` is used for frag-needed."""
        if not 0 <= mtu <= 0xFFFF:
            raise ValueError(f"icmp: mtu {mtu} does not fit 16 bits")
        return cls(ICMP_DEST_UNREACH, code, mtu, _quote(original_ip_datagram))

    @classmethod
    def time_exceeded(cls, original_ip_datagram: bytes, code: int = ICMP_EXC_TTL) -> IcmpMessage:
        """Time exceeded (TTL expired in transit by default) quoting the original."""
        return cls(ICMP_TIME_EXCEEDED, code, 0, _quote(original_ip_datagram))

    @classmethod
    def parse(cls, data: bytes) -> IcmpMessage:
        """Parse a whole ICMP message (the IPv4 payload) and verify its checksum."""
        if len(data) < ICMP_HLEN:
            raise ParseError(
                f"icmp: message of {len(data)} bytes is shorter than the {ICMP_HLEN}-byte header"
            )
        kind, code, csum, rest = _ICMP.unpack_from(data)
        if internet_checksum(data) != 0:
            raise ParseError(f"icmp: bad checksum {csum:#06x}")
        return cls(kind, code, rest, bytes(data[ICMP_HLEN:]))

    def emit(self) -> bytes:
        hdr = _ICMP.pack(self.type, self.code, 0, self.rest)
        csum = internet_checksum(hdr, self.payload)
        return _ICMP.pack(self.type, self.code, csum, self.rest) + self.payload
