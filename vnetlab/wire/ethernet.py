"""Ethernet II header and IEEE 802.1Q VLAN tag.

Design note: follows ``include/uapi/linux/if_ether.h`` (``struct ethhdr``, ETH_* constants) and
``include/linux/if_vlan.h`` (``struct vlan_hdr``: TCI then encapsulated protocol). A frame
here is what a veth delivers: destination, source, ethertype, payload, with no FCS and no
padding (``emit`` never pads to ETH_ZLEN; Linux veth frames are not padded either).

``EthernetHeader.parse`` never strips a VLAN tag: a tagged frame parses with ethertype
ETH_P_8021Q and a payload that starts at the TCI; call :func:`parse_vlan` on that payload.
Invariants: ``dst``/``src`` are 6 bytes, ethertype and TCI fields fit their bit widths.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vnetlab.wire.errors import ParseError

__all__ = [
    "ETH_HLEN",
    "ETH_P_8021AD",
    "ETH_P_8021Q",
    "ETH_P_ARP",
    "ETH_P_IP",
    "ETH_P_IPV6",
    "ETH_ZLEN",
    "VLAN_HLEN",
    "EthernetHeader",
    "VlanTag",
    "parse_vlan",
]

ETH_HLEN = 14
ETH_ZLEN = 60
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_IPV6 = 0x86DD
VLAN_HLEN = 4

_ETH = struct.Struct("!6s6sH")
_VLAN = struct.Struct("!HH")


@dataclass(frozen=True, slots=True)
class EthernetHeader:
    """``struct ethhdr``: h_dest, h_source, h_proto."""

    dst: bytes
    src: bytes
    ethertype: int

    def __post_init__(self) -> None:
        if len(self.dst) != 6 or len(self.src) != 6:
            raise ValueError("ethernet: dst and src must be 6-byte MAC addresses")
        if not 0 <= self.ethertype <= 0xFFFF:
            raise ValueError(f"ethernet: ethertype {self.ethertype:#x} does not fit 16 bits")

    @classmethod
    def parse(cls, frame: bytes) -> tuple[EthernetHeader, bytes]:
        """Split ``frame`` into header and payload (tags are left in the payload)."""
        if len(frame) < ETH_HLEN:
            raise ParseError(
                f"ethernet: frame of {len(frame)} bytes is shorter than the {ETH_HLEN}-byte header"
            )
        dst, src, ethertype = _ETH.unpack_from(frame)
        return cls(dst, src, ethertype), bytes(frame[ETH_HLEN:])

    def emit(self, payload: bytes) -> bytes:
        """Header followed by ``payload``; no padding, no FCS."""
        return _ETH.pack(self.dst, self.src, self.ethertype) + payload


@dataclass(frozen=True, slots=True, kw_only=True)
class VlanTag:
    """802.1Q tag as it follows the 0x8100 ethertype: TCI (pcp, dei, vid) then the inner type.

    Keyword-only (``VlanTag(vid=10, ethertype=ETH_P_IP)``) so field order cannot be confused.
    """

    vid: int
    ethertype: int
    pcp: int = 0
    dei: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.vid <= 0xFFF:
            raise ValueError(f"vlan: vid {self.vid} does not fit 12 bits")
        if not 0 <= self.pcp <= 7:
            raise ValueError(f"vlan: pcp {self.pcp} does not fit 3 bits")
        if not 0 <= self.ethertype <= 0xFFFF:
            raise ValueError(f"vlan: ethertype {self.ethertype:#x} does not fit 16 bits")

    @property
    def tci(self) -> int:
        """Tag control information: pcp(3) | dei(1) | vid(12)."""
        return (self.pcp << 13) | (int(self.dei) << 12) | self.vid

    @classmethod
    def parse(cls, data: bytes) -> tuple[VlanTag, bytes]:
        """Parse the 4 tag bytes (TCI, inner ethertype) at the start of ``data``."""
        if len(data) < VLAN_HLEN:
            raise ParseError(
                f"vlan: {len(data)} bytes is shorter than the {VLAN_HLEN}-byte 802.1Q tag"
            )
        tci, ethertype = _VLAN.unpack_from(data)
        return (
            cls(vid=tci & 0xFFF, ethertype=ethertype, pcp=tci >> 13, dei=bool(tci & 0x1000)),
            bytes(data[VLAN_HLEN:]),
        )

    def emit(self, payload: bytes) -> bytes:
        """TCI and inner ethertype followed by ``payload`` (the part after a 0x8100 ethertype)."""
        return _VLAN.pack(self.tci, self.ethertype) + payload


def parse_vlan(payload: bytes) -> tuple[VlanTag, bytes]:
    """Parse the tag at the start of the payload of a 0x8100 frame; returns (tag, inner payload)."""
    return VlanTag.parse(payload)
