"""What the ``ip`` subcommands need for IPv6: the address family option, the IPv6 stack
of a namespace, and iproute2's parsing of ``inet6`` prefixes and addresses.

Design note
-----------
``ip -4``/``-6``/``-f FAMILY``/``-family FAMILY`` set iproute2's ``preferred_family``
(``env.opts["family"]``: ``None`` for unspecified, else ``"inet"``/``"inet6"``/``"link"``).
``ip addr add ADDR`` without ``-6`` decides the family from the address, as
``get_prefix`` does with AF_UNSPEC; with a family given, an address of the other family
gets the words iproute2 prints (``inet6 prefix is expected rather than ...``).

The IPv6 state lives in ``ns.ipv6`` (``Ipv6Stack``: ``addrs``, ``fib6``, ``nd_tbl``,
``conf``), the emulator's ``struct inet6_dev`` and friends; ``stack6`` is the one place
that looks it up, so a namespace without it (a world built before IPv6 existed, or a
stack that is off) reads as "no IPv6 addresses, routes or neighbours".
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from vnetlab.script.args import Env

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice
    from vnetlab.sim.stack.netns import Namespace

#: ``ip -f NAME`` / ``-family NAME``: iproute2's ``read_family`` words
FAMILIES = {"inet": "inet", "inet6": "inet6", "link": "link", "bridge": "bridge",
            "mpls": "mpls"}


def family(env: Env) -> str | None:
    """The ``preferred_family`` of this ``ip`` run (None: unspecified)."""
    f = env.opts.get("family")
    return f if isinstance(f, str) else None


def stack6(ns: Namespace) -> Any | None:
    """The namespace's IPv6 stack, or None when it has none."""
    return getattr(ns, "ipv6", None)


def dev_addrs6(ns: Namespace, dev: NetDevice) -> list[Any]:
    """DEV's IPv6 addresses in ``idev->addr_list`` order, what ``ip -6 addr`` dumps (the
    stack keeps it: global before link before host, newest first within a scope)."""
    s = stack6(ns)
    if s is None:
        return []
    return list(s.addrs.get(dev, []))


def is_v6(text: str) -> bool:
    """Would ``get_addr`` with AF_UNSPEC read TEXT as IPv6 (it has a colon)?"""
    return ":" in text


def parse_prefix6(env: Env, s: str, *, default_plen: int = 128,
                  what: str = "inet6") -> tuple[int, int]:
    """``get_prefix(..., AF_INET6)``: (address, prefix length), or iproute2's words
    (WHAT is "any valid" when no family was given: ``get_prefix`` with AF_UNSPEC)."""
    ip, _, plen = s.partition("/")
    try:
        addr = ipaddress.IPv6Address(ip)
        n = int(plen) if plen else default_plen
        if not 0 <= n <= 128 or (plen and not plen.isdigit()):
            raise ValueError
    except ValueError:
        raise env.fail(f'Error: {what} prefix is expected rather than "{s}".',
                       rc=1) from None
    return int(addr), n


def parse_addr6(env: Env, s: str) -> int:
    """``get_addr(..., AF_INET6)``: a single address (a scope ``%dev`` is not one)."""
    try:
        return int(ipaddress.IPv6Address(s))
    except ValueError:
        raise env.fail(f'Error: inet6 address is expected rather than "{s}".', rc=1) from None


def ip6_text(a: int) -> str:
    return str(ipaddress.IPv6Address(a))


__all__ = ["FAMILIES", "dev_addrs6", "family", "ip6_text", "is_v6", "parse_addr6",
           "parse_prefix6", "stack6"]


def addr6_add(ns: Namespace, dev: NetDevice, addr: int, plen: int, flags: set[str]) -> None:
    """``inet6_addr_add`` (RTM_NEWADDR): addrconf's manual-address path (permanent,
    tentative until DAD ends unless ``nodad``). OSError as the kernel answers."""
    from vnetlab.sim.stack.addrconf import inet6_addr_add

    inet6_addr_add(ns, dev, addr, plen, flags=tuple(sorted(flags)))


def addr6_del(ns: Namespace, ifa: Any) -> None:
    """``inet6_addr_del`` (RTM_DELADDR): DAD stops, the solicited-node group is left."""
    from vnetlab.sim.stack.addrconf import ipv6_del_addr

    ipv6_del_addr(ns, ifa)
