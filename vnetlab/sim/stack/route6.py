"""The IPv6 FIB: the ``local`` and ``main`` tables (net/ipv6/route.c, ip6_fib.c).

Design note
-----------
``Fib6`` keeps two tables as ``ip -6 route show table all`` lists them: ``local`` (type
local for each usable address, ``multicast ff00::/8`` per device, anycast) and ``main``
(``fe80::/64 dev X proto kernel metric 256 pref medium`` per device with a link-local,
each global prefix, user routes with metric 1024). A lookup consults ``local`` first, then
``main`` (the default rules, priorities 0 and 32766), each by longest prefix then lowest
metric, skipping routes through a device that is down — the kernel's ``fib6_lookup`` with
``rt6_check_dev``/``rt6_score_route`` reduced to what this emulator needs. The kernel
metric (256) and user metric (1024) are ``IP6_RT_PRIO_ADDRCONF`` and ``IP6_RT_PRIO_USER``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vnetlab.sim.stack.addr6 import ip6_str, mask6

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice
    from vnetlab.sim.stack.netns import Namespace

IP6_RT_PRIO_USER = 1024
IP6_RT_PRIO_ADDRCONF = 256
MULTICAST_PREFIX = 0xFF << 120  # ff00::/8


@dataclass(slots=True)
class Rt6:
    """``struct fib6_info``, the fields ``ip -6 route`` prints."""

    dst: int
    plen: int
    dev: NetDevice
    via: int | None = None
    metric: int = IP6_RT_PRIO_USER
    proto: str = "boot"  # "kernel" for addrconf's routes, "ra" from router advertisements
    #: "unicast" | "local" | "multicast" | "anycast" | "unreachable" | "prohibit" |
    #: "blackhole" (``ip -6 route add prohibit PREFIX``)
    type: str = "unicast"
    table: str = "main"  # "main" | "local"
    pref: str = "medium"
    prefsrc: int | None = None
    _mask: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self._mask = mask6(self.plen)

    @property
    def dst_str(self) -> str:
        if self.plen == 0:
            return "default"
        if self.plen == 128:
            return ip6_str(self.dst)
        return f"{ip6_str(self.dst)}/{self.plen}"

    def describe(self) -> str:
        """The line ``ip -6 route show table all`` prints (the table word for local)."""
        s = self.dst_str if self.type == "unicast" else f"{self.type} {self.dst_str}"
        if self.via is not None:
            s += f" via {ip6_str(self.via)}"
        if self.type not in ("prohibit", "blackhole", "unreachable"):
            s += f" dev {self.dev.name}"
        else:
            s += " dev lo"
        if self.table != "main":
            s += f" table {self.table}"
        s += f" proto {self.proto}"
        if self.prefsrc is not None:
            s += f" src {ip6_str(self.prefsrc)}"
        s += f" metric {self.metric} pref {self.pref}"
        return s

    def matches(self, dst: int) -> bool:
        return (dst & self._mask) == self.dst


class RouteExists6(ValueError):
    pass


class Fib6:
    __slots__ = ("main", "local")

    def __init__(self) -> None:
        self.main: list[Rt6] = []
        self.local: list[Rt6] = []

    def table(self, name: str) -> list[Rt6]:
        return self.local if name == "local" else self.main

    @property
    def routes(self) -> list[Rt6]:
        return self.local + self.main

    def add(self, rt: Rt6, *, replace_same: bool = False) -> None:
        """``ip -6 route add`` (NLM_F_EXCL): same dst/plen/metric/dev -> File exists.
        (IPv6 keeps same-prefix routes through different devices or gateways apart.)"""
        tbl = self.table(rt.table)
        for r in tbl:
            # fib6_add_rt2node: a user add (NLM_F_EXCL) of the same prefix and metric is
            # EEXIST whatever the device; addrconf's own routes (no nlh) sit side by side
            # per device (fe80::/64 dev A and dev B), idempotent on the same device
            if (r.dst == rt.dst and r.plen == rt.plen and r.metric == rt.metric
                    and r.type == rt.type and (not replace_same or r.dev is rt.dev)):
                if replace_same:
                    return
                raise RouteExists6(f"route {rt.dst_str} metric {rt.metric} exists")
        tbl.append(rt)
        tbl.sort(key=lambda r: (-r.plen, r.metric))

    def remove_where(self, pred: Callable[[Rt6], bool]) -> None:
        self.main[:] = [r for r in self.main if not pred(r)]
        self.local[:] = [r for r in self.local if not pred(r)]

    def lookup(self, dst: int, *, oif: NetDevice | None = None) -> Rt6 | None:
        """``fib6_rule_lookup``: local, then main; with OIF only routes through it."""
        for tbl in (self.local, self.main):
            for r in tbl:
                if (r.matches(dst) and r.dev.admin_up
                        and (oif is None or r.dev is oif)):
                    return r
        return None


def ip6_route_add_kernel(
    ns: Namespace, dst: int, plen: int, dev: NetDevice, *, table: str = "main",
    type_: str = "unicast", metric: int = IP6_RT_PRIO_ADDRCONF,
) -> Rt6:
    """A route addrconf installs (``addrconf_prefix_route``, ``addrconf_add_mroute``,
    the local route of an address): proto kernel, idempotent."""
    rt = Rt6(dst & mask6(plen), plen, dev, None, metric, "kernel", type_, table)
    ns.ipv6.fib6.add(rt, replace_same=True)
    return rt


def ip6_route_del_kernel(ns: Namespace, dst: int, plen: int, dev: NetDevice, *,
                         table: str = "main", type_: str = "unicast") -> None:
    ns.ipv6.fib6.remove_where(
        lambda r: r.dev is dev and r.dst == dst & mask6(plen) and r.plen == plen
        and r.table == table and r.type == type_ and r.proto == "kernel")


__all__ = ["Fib6", "IP6_RT_PRIO_ADDRCONF", "IP6_RT_PRIO_USER", "MULTICAST_PREFIX", "Rt6",
           "RouteExists6", "ip6_route_add_kernel", "ip6_route_del_kernel"]
