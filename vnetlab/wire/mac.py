"""Ethernet MAC addresses as 6-byte ``bytes`` values.

Design note: the emulator keeps MACs as raw 6-byte ``bytes`` (what is on the wire, hashable,
cheap to compare); strings exist only at the edges (YAML, traces). The text form is the
lowercase colon form the kernel prints (``ip link``: ``02:00:00:aa:bb:cc``). The I/G bit
(least significant bit of the first octet, IEEE 802-2014 8.2) marks group addresses.
"""

from __future__ import annotations

import re

__all__ = ["BROADCAST", "ZERO", "is_broadcast", "is_multicast", "mac_to_bytes", "mac_to_str"]

BROADCAST: bytes = b"\xff" * 6
ZERO: bytes = b"\x00" * 6

_MAC_RE = re.compile(r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}")


def mac_to_bytes(s: str) -> bytes:
    """Parse ``"02:00:00:aa:bb:cc"`` (any case) into 6 bytes; ValueError otherwise."""
    if not isinstance(s, str) or _MAC_RE.fullmatch(s) is None:
        raise ValueError(
            f"invalid MAC address {s!r}: expected six colon-separated hex octets "
            "like 02:00:00:aa:bb:cc"
        )
    return bytes.fromhex(s.replace(":", ""))


def mac_to_str(b: bytes) -> str:
    """Lowercase colon form of a 6-byte MAC."""
    if len(b) != 6:
        raise ValueError(f"a MAC address is 6 bytes, got {len(b)}")
    return b.hex(":")


def is_multicast(b: bytes) -> bool:
    """True for group addresses (I/G bit set), broadcast included."""
    return bool(b[0] & 1)


def is_broadcast(b: bytes) -> bool:
    """True for ff:ff:ff:ff:ff:ff."""
    return b == BROADCAST
