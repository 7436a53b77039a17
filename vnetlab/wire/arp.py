"""ARP for Ethernet/IPv4 (RFC 826).

Design note: follows ``include/uapi/linux/if_arp.h`` (``struct arphdr`` plus the Ethernet/IPv4
body, 28 bytes). Only htype 1 (ARPHRD_ETHER), ptype 0x0800, hlen 6, plen 4 is accepted; any
other combination is a ParseError, as ``arp_rcv`` drops it for an Ethernet device. Trailing
bytes (Ethernet padding to 60 bytes) are ignored on parse; ``emit`` gives exactly 28 bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv4Address

from vnetlab.wire.errors import ParseError

__all__ = ["ARP_LEN", "ARPHRD_ETHER", "ARPOP_REPLY", "ARPOP_REQUEST", "ArpPacket"]

ARPHRD_ETHER = 1
ARPOP_REQUEST = 1
ARPOP_REPLY = 2
ARP_LEN = 28

_ARP = struct.Struct("!HHBBH6s4s6s4s")


@dataclass(frozen=True, slots=True)
class ArpPacket:
    """Ethernet/IPv4 ARP: operation, sender and target hardware/protocol addresses."""

    op: int
    sha: bytes
    spa: IPv4Address
    tha: bytes
    tpa: IPv4Address

    def __post_init__(self) -> None:
        if len(self.sha) != 6 or len(self.tha) != 6:
            raise ValueError("arp: sha and tha must be 6-byte MAC addresses")
        if not 0 <= self.op <= 0xFFFF:
            raise ValueError(f"arp: op {self.op} does not fit 16 bits")

    @classmethod
    def request(cls, sha: bytes, spa: IPv4Address, tpa: IPv4Address) -> ArpPacket:
        """Who-has ``tpa`` tell ``spa`` (target hardware address zero, as Linux sends it)."""
        return cls(ARPOP_REQUEST, sha, spa, b"\x00" * 6, tpa)

    @classmethod
    def parse(cls, data: bytes) -> ArpPacket:
        if len(data) < ARP_LEN:
            raise ParseError(
                f"arp: packet of {len(data)} bytes is shorter than the {ARP_LEN}-byte "
                "Ethernet/IPv4 ARP"
            )
        htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP.unpack_from(data)
        if htype != ARPHRD_ETHER or ptype != 0x0800 or hlen != 6 or plen != 4:
            raise ParseError(
                f"arp: unsupported htype {htype} ptype {ptype:#06x} hlen {hlen} plen {plen} "
                "(only Ethernet/IPv4: 1, 0x0800, 6, 4)"
            )
        return cls(op, sha, IPv4Address(spa), tha, IPv4Address(tpa))

    def emit(self) -> bytes:
        return _ARP.pack(
            ARPHRD_ETHER, 0x0800, 6, 4, self.op,
            self.sha, self.spa.packed, self.tha, self.tpa.packed,
        )
