"""The main routing table (net/ipv4/fib_*.c), longest-prefix match.

Design note
-----------
Routes are kept grouped by prefix length, longest first; a lookup walks the groups and
returns the first match with the lowest metric, like ``fib_table_lookup``. Connected
routes (``proto kernel scope link src ADDR``) appear when an address is added on a device
that is up and go when it goes down; static routes through a device are flushed when the
device goes down (``fib_sync_down_dev``) and do not come back by themselves, as on Linux.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import ip_str, mask


@dataclass(slots=True)
class Route:
    dst: int
    plen: int
    dev: NetDevice
    via: int | None = None
    metric: int = 0
    proto: str = "boot"  # what `ip route add` gives (RTPROT_BOOT); "kernel": connected
    scope: str = "global"
    prefsrc: int | None = None
    _mask: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self._mask = mask(self.plen)

    @property
    def dst_str(self) -> str:
        return "default" if self.plen == 0 else f"{ip_str(self.dst)}/{self.plen}"

    def describe(self) -> str:
        s = self.dst_str
        if self.via is not None:
            s += f" via {ip_str(self.via)}"
        s += f" dev {self.dev.name}"
        if self.proto != "boot":
            s += f" proto {self.proto}"
        if self.scope != "global":
            s += f" scope {self.scope}"
        if self.prefsrc is not None:
            s += f" src {ip_str(self.prefsrc)}"
        if self.metric:
            s += f" metric {self.metric}"
        return s


class RouteExists(ValueError):
    pass


class Fib:
    __slots__ = ("routes",)

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, route: Route, *, append: bool = False) -> None:
        """``ip route add`` (NLM_F_EXCL): same dst/plen/metric exists -> File exists."""
        if not append:
            for r in self.routes:
                if r.dst == route.dst and r.plen == route.plen and r.metric == route.metric:
                    raise RouteExists(f"route {route.dst_str} metric {route.metric} exists")
        self.routes.append(route)
        # longest prefix first, then metric: the order fib_table_lookup effectively uses
        self.routes.sort(key=lambda r: (-r.plen, r.metric))

    def remove_where(self, pred: Callable[[Route], bool]) -> None:
        self.routes = [r for r in self.routes if not pred(r)]

    def lookup(self, dst: int) -> Route | None:
        for r in self.routes:
            if (dst & r._mask) == r.dst and r.dev.admin_up:
                return r
        return None
