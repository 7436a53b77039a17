"""VXLAN header (RFC 7348 section 5): 8 bytes between the outer UDP header and the inner frame.

Design note: ``flags`` (8 bits, the I flag 0x08 marks a valid VNI), 24 reserved bits, the
24-bit VNI and 8 reserved bits; follows ``struct vxlanhdr`` (include/net/vxlan.h).
``vxlan_rcv`` drops packets whose I flag is clear, so ``parse`` reports it in ``valid_vni``
and leaves the decision to the receiver. IPv4 encapsulation costs 50 bytes:
outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 (``VXLAN_HEADROOM``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vnetlab.wire.errors import ParseError

__all__ = [
    "IANA_VXLAN_PORT",
    "LINUX_VXLAN_PORT",
    "VXLAN_FLAG_VNI",
    "VXLAN_HEADROOM",
    "VXLAN_HLEN",
    "VxlanHeader",
]

VXLAN_HLEN = 8
VXLAN_FLAG_VNI = 0x08
VXLAN_HEADROOM = 14 + 20 + 8 + 8  # outer Ethernet + IPv4 + UDP + VXLAN = 50
IANA_VXLAN_PORT = 4789
#: the kernel's default when ``dstport`` is not given (iproute2 warns about it)
LINUX_VXLAN_PORT = 8472

_HDR = struct.Struct("!II")


@dataclass(frozen=True, slots=True)
class VxlanHeader:
    vni: int
    flags: int = VXLAN_FLAG_VNI

    def __post_init__(self) -> None:
        if not 0 <= self.vni <= 0xFFFFFF:
            raise ValueError(f"vxlan: VNI {self.vni} does not fit 24 bits")
        if not 0 <= self.flags <= 0xFF:
            raise ValueError(f"vxlan: flags {self.flags} do not fit 8 bits")

    @property
    def valid_vni(self) -> bool:
        return bool(self.flags & VXLAN_FLAG_VNI)

    @classmethod
    def parse(cls, data: bytes) -> tuple[VxlanHeader, bytes]:
        if len(data) < VXLAN_HLEN:
            raise ParseError(f"vxlan: {len(data)} bytes is shorter than the 8-byte header")
        w0, w1 = _HDR.unpack_from(data)
        return cls(vni=w1 >> 8, flags=w0 >> 24), bytes(data[VXLAN_HLEN:])

    def emit(self, inner_frame: bytes) -> bytes:
        return _HDR.pack(self.flags << 24, self.vni << 8) + inner_frame
