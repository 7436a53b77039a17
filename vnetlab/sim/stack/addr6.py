"""IPv6 addresses as ints inside the emulator, and ``struct inet6_ifaddr``.

Design note
-----------
Like ``addr.py`` for IPv4: a 128-bit address is a Python int (cheap hashing, masks by
shifts); text goes through ``ipaddress`` so it is RFC 5952 (``ip -6`` prints the same).
``Inet6Addr`` mirrors ``struct inet6_ifaddr`` (include/net/if_inet6.h): the flags are the
IFA_F_* words iproute2 prints. An address flagged "tentative" or "dadfailed" is neither a
usable source nor a local destination (``ipv6_chk_addr`` skips IFA_F_TENTATIVE), except
that NDISC still sees NS/NA for it (``ndisc_recv_ns`` DAD logic).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice

ALL128 = (1 << 128) - 1
#: ff02::1, ff02::2, ff02::16 (all nodes, all routers, all MLDv2-capable routers)
ALL_NODES = 0xFF02 << 112 | 1
ALL_ROUTERS = 0xFF02 << 112 | 2
ALL_MLDV2_ROUTERS = 0xFF02 << 112 | 0x16
LOOPBACK6 = 1
LL_PREFIX = 0xFE80 << 112  # fe80::/64
SOLICITED_NODE_PREFIX = (0xFF02 << 112) | (1 << 32) | (0xFF << 24)  # ff02::1:ff00:0/104


def ip6_int(a: str | ipaddress.IPv6Address) -> int:
    return int(ipaddress.IPv6Address(a))


def ip6_str(a: int) -> str:
    return str(ipaddress.IPv6Address(a))


def mask6(plen: int) -> int:
    return (ALL128 << (128 - plen)) & ALL128 if plen else 0


def solicited_node(addr: int) -> int:
    """``addrconf_addr_solict_mult``: ff02::1:ff + the low 24 bits of ADDR."""
    return SOLICITED_NODE_PREFIX | (addr & 0xFFFFFF)


def ipv6_eth_mc_map(addr: int) -> bytes:
    """``ipv6_eth_mc_map``: 33:33 + the low 32 bits of the group."""
    return b"\x33\x33" + (addr & 0xFFFFFFFF).to_bytes(4, "big")


def is_multicast(addr: int) -> bool:
    return addr >> 120 == 0xFF


def is_linklocal(addr: int) -> bool:
    """fe80::/10 (``ipv6_addr_type`` IPV6_ADDR_LINKLOCAL)."""
    return addr >> 118 == 0xFE80 >> 6


def mc_scope(addr: int) -> int:
    """The 4-bit scope of a multicast address (2 link-local, 1 interface-local)."""
    return (addr >> 112) & 0xF


def addr_scope(addr: int) -> str:
    """The scope word ``ip -6 addr`` prints (``ipv6_addr_scope``)."""
    if addr == LOOPBACK6:
        return "host"
    if is_linklocal(addr):
        return "link"
    return "global"


@dataclass(slots=True, eq=False)
class Inet6Addr:
    """``struct inet6_ifaddr``: one IPv6 address on one device (identity, not value)."""

    addr: int
    plen: int
    dev: NetDevice
    scope: str = "global"  # "global" | "link" | "host"
    flags: set[str] = field(default_factory=set)
    valid_lft: int | None = None  # seconds; None = forever
    prefered_lft: int | None = None
    dad_probes: int = 0
    created_ns: int = 0

    @property
    def usable(self) -> bool:
        """Neither tentative nor dadfailed: a source, and a local destination."""
        return not ("tentative" in self.flags or "dadfailed" in self.flags)

    @property
    def network(self) -> int:
        return self.addr & mask6(self.plen)

    def contains(self, ip: int) -> bool:
        return (ip & mask6(self.plen)) == self.network

    def __str__(self) -> str:
        return f"{ip6_str(self.addr)}/{self.plen}"


__all__ = [
    "ALL_MLDV2_ROUTERS",
    "ALL_NODES",
    "ALL_ROUTERS",
    "Inet6Addr",
    "LL_PREFIX",
    "LOOPBACK6",
    "addr_scope",
    "ip6_int",
    "ip6_str",
    "ipv6_eth_mc_map",
    "is_linklocal",
    "is_multicast",
    "mask6",
    "mc_scope",
    "solicited_node",
]
