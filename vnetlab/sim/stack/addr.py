"""IPv4 addresses as ints inside the emulator (fast LPM, cheap hashing)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


def ip_int(a: str | ipaddress.IPv4Address) -> int:
    return int(ipaddress.IPv4Address(a))


def ip_str(a: int) -> str:
    return str(ipaddress.IPv4Address(a))


def mask(plen: int) -> int:
    return (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0


@dataclass(frozen=True, slots=True)
class InetAddr:
    """``struct in_ifaddr``: one address on one device."""

    local: int
    plen: int

    @property
    def network(self) -> int:
        return self.local & mask(self.plen)

    @property
    def broadcast(self) -> int:
        return self.network | (~mask(self.plen) & 0xFFFFFFFF)

    def contains(self, ip: int) -> bool:
        return (ip & mask(self.plen)) == self.network

    def __str__(self) -> str:
        return f"{ip_str(self.local)}/{self.plen}"
