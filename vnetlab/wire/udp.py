"""UDP header (RFC 768) with the IPv4 pseudo-header checksum.

Design note: follows ``include/uapi/linux/udp.h`` (``struct udphdr``) and ``__udp4_lib_rcv``
in ``net/ipv4/udp.c``: the length field must be at least 8 and at most the bytes available;
the payload is cut at that length. A checksum field of 0 means "no checksum" over IPv4; a
computed checksum of 0 is sent as 0xffff. ``UdpHeader`` is a value: ``length`` and
``checksum`` are filled by ``parse`` and recomputed by ``emit``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv4Address

from vnetlab.wire.checksum import internet_checksum
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ipv4 import IPPROTO_UDP, pseudo_header

__all__ = ["UDP_HLEN", "UdpHeader", "verify_checksum"]

UDP_HLEN = 8

_UDP = struct.Struct("!HHHH")


@dataclass(frozen=True, slots=True)
class UdpHeader:
    """``struct udphdr``: source port, destination port, length, checksum."""

    sport: int
    dport: int
    length: int = 0
    checksum: int = 0

    def __post_init__(self) -> None:
        for name in ("sport", "dport", "length", "checksum"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFFFF:
                raise ValueError(f"udp: {name} {value} does not fit 16 bits")

    @classmethod
    def parse(cls, data: bytes) -> tuple[UdpHeader, bytes]:
        """Parse the header; returns (header, payload cut at the length field)."""
        n = len(data)
        if n < UDP_HLEN:
            raise ParseError(f"udp: datagram of {n} bytes is shorter than the 8-byte header")
        sport, dport, length, csum = _UDP.unpack_from(data)
        if length < UDP_HLEN:
            raise ParseError(f"udp: length field {length} is below the 8-byte header")
        if length > n:
            raise ParseError(f"udp: length field {length} exceeds the {n} bytes available")
        return cls(sport, dport, length, csum), bytes(data[UDP_HLEN:length])

    def emit(
        self,
        payload: bytes,
        src: IPv4Address | None = None,
        dst: IPv4Address | None = None,
    ) -> bytes:
        """Header and payload; checksummed with the pseudo-header when src and dst are given."""
        length = UDP_HLEN + len(payload)
        if length > 0xFFFF:
            raise ValueError(f"udp: length {length} exceeds 65535")
        csum = 0
        if src is not None and dst is not None:
            hdr = _UDP.pack(self.sport, self.dport, length, 0)
            csum = internet_checksum(pseudo_header(src, dst, IPPROTO_UDP, length), hdr, payload)
            if csum == 0:
                csum = 0xFFFF
        return _UDP.pack(self.sport, self.dport, length, csum) + payload


def verify_checksum(data: bytes, src: IPv4Address, dst: IPv4Address) -> bool:
    """True when the datagram's checksum is valid or absent (0); False if wrong or malformed."""
    if len(data) < UDP_HLEN:
        return False
    length = int.from_bytes(data[4:6], "big")
    if length < UDP_HLEN or length > len(data):
        return False
    if data[6] == 0 and data[7] == 0:
        return True
    return internet_checksum(
        pseudo_header(src, dst, IPPROTO_UDP, length), memoryview(data)[:length]
    ) == 0
