"""A namespace's IPv6 state and its input, forward and output paths (net/ipv6/ip6_input.c,
ip6_output.c, and the per-namespace ``struct netns_ipv6``).

Design note
-----------
``Ipv6Stack`` holds what ``ip -6`` shows of a namespace: addresses per device
(``inet6_dev->addr_list``: ``Inet6Addr``), the FIB (``route6.Fib6``), the neighbour table
(``nd_tbl``: the very ``NeighTable`` ARP uses, with NDISC's solicit), the sysctls
(``ipv6_conf``), learned path MTUs, reassembly queues and ICMPv6/UDP sockets. It listens on
the namespace's ``netdev_chain`` like ``addrconf_notify`` and passes every event on to
``addrconf.addrconf_notify`` when that module exists (link-locals, DAD, RS: not this
module's business), and does itself what the kernel does in the routing/neighbour code:
a device going down loses its routes and neighbours (``rt6_sync_down_dev``,
``neigh_ifdown``).

The receive path is plain functions in ``ip6_input.py`` (``ip6_rcv`` in ``PTYPE_BASE`` for
0x86DD, local delivery through ``INET6_PROTOS``, ``ip6_forward``); the output path every
sender uses is ``ip6_output.Ip6Output``, which this class inherits (route, source, hop
limit, fragmentation at the source, the neighbour layer, multicast MAC mapping).

``disable_ipv6`` (per device, or ``all``): the device's addresses and routes go
(``addrconf_ifdown``), its frames are dropped at ``ip6_rcv`` and nothing is sent from it.
"""

from __future__ import annotations

import errno
import importlib
from collections.abc import Callable
from functools import cache, partial
from types import ModuleType
from typing import TYPE_CHECKING, Any

from vnetlab.sim.clock import S
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.notifier import NetdevEvent, NetdevNotifierInfo
from vnetlab.sim.stack.addr6 import (
    Inet6Addr,
    addr_scope,
    ip6_str,
    is_linklocal,
    is_multicast,
    mask6,
)
from vnetlab.sim.stack.icmp6_ratelimit import Icmp6RateLimiter
from vnetlab.sim.stack.icmpv6 import icmpv6_rcv
from vnetlab.sim.stack.ip6_input import udpv6_rcv
from vnetlab.sim.stack.ip6_output import (
    ETH_P_IPV6,
    Ip6Output,
    MessageTooLong6,
    NoRoute6,
)
from vnetlab.sim.stack.ipv6_conf import (
    ICMP_DEFAULTS,
    NEIGH_ALIASES,
    NEIGH_DEFAULTS,
    Ipv6Conf,
    conf_field,
    conf_get,
    parse_conf_value,
)
from vnetlab.sim.stack.ndisc import ndisc_solicit
from vnetlab.sim.stack.neigh import NeighTable
from vnetlab.sim.stack.route6 import (
    IP6_RT_PRIO_ADDRCONF,
    MULTICAST_PREFIX,
    Fib6,
    Rt6,
)
from vnetlab.sim.trace import TraceNode
from vnetlab.wire.ipv4 import IPPROTO_UDP
from vnetlab.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Header

if TYPE_CHECKING:
    from vnetlab.sim.stack.netns import Namespace

IP6_FRAG_TIME = 60 * S  # net.ipv6.ip6frag_time


#: a ``inet6_protocol`` handler: (namespace, device, IPv6 header, upper-layer data, trace)
L4Handler6 = Callable[["Namespace", NetDevice, Ipv6Header, bytes, "TraceNode | None"], None]

#: ``inet6_protos`` (``inet6_add_protocol``): local delivery per next header
INET6_PROTOS: dict[int, L4Handler6] = {
    IPPROTO_ICMPV6: icmpv6_rcv,
    IPPROTO_UDP: udpv6_rcv,
}


#: ``ipv6_addr_src_scope`` order of the scope words (wider is larger)
_SCOPE_RANK = {"host": 1, "link": 2, "global": 14}


@cache
def _addrconf() -> ModuleType | None:
    """``sim/stack/addrconf.py`` (helper v6addrconf) once it exists; None before.
    An explicit call target, not a registration: nothing happens on import. Looked up
    once per process (a failed import costs a file-system search)."""
    try:
        return importlib.import_module("vnetlab.sim.stack.addrconf")
    except ModuleNotFoundError:
        return None


@cache
def _mcast6() -> ModuleType | None:
    try:
        return importlib.import_module("vnetlab.sim.stack.mcast6")
    except ModuleNotFoundError:
        return None


class Ipv6Stack(Ip6Output):
    """A namespace's IPv6 state (``struct netns_ipv6`` + the ``inet6_dev``s)."""

    def __init__(self, ns: Namespace, *, enabled: bool) -> None:
        self.ns = ns
        self.sched = ns.sched
        self.conf_all = Ipv6Conf(accept_dad=0)
        self.conf_default = Ipv6Conf()
        if not enabled:
            self.conf_all.disable_ipv6 = 1
            self.conf_default.disable_ipv6 = 1
        self.conf: dict[NetDevice, Ipv6Conf] = {}
        self.neigh_parms: dict[NetDevice | None, dict[str, int]] = {None: dict(NEIGH_DEFAULTS)}
        self.icmp_conf: dict[str, int | str] = dict(ICMP_DEFAULTS)
        self.addrs: dict[NetDevice, list[Inet6Addr]] = {}
        self.fib6 = Fib6()
        self.nd_tbl = NeighTable(self, partial(ndisc_solicit, self), fmt=ip6_str,
                                 request="neighbour solicitation",
                                 reply="neighbour advertisement", locktime=0)
        #: learned path MTUs (``rt6_exception``): dst -> (mtu, expires)
        self.pmtu: dict[int, tuple[int, int]] = {}
        self.frags: dict[tuple[int, int, int], list[tuple[int, bool, bytes]]] = {}
        self.frag_id = 0
        #: the first fragment of each queue, whole (the quote of a reassembly time exceeded)
        self.frag_first: dict[tuple[int, int, int], bytes] = {}
        self.icmp6_sockets: dict[int, Any] = {}  # echo ident -> ping socket (IcmpHandler6)
        self.udp6_sockets: dict[int, Any] = {}
        self.icmp_limit = Icmp6RateLimiter()
        self.stats: dict[str, int] = {}
        #: neighbours that said they are routers (NTF_ROUTER: an NA with R, an RA)
        self.nd_router: set[tuple[NetDevice, int]] = set()
        #: nonces of our own DAD probes in flight (addrconf adds; ``ndisc_recv_ns`` checks)
        self.dad_nonces: set[bytes] = set()
        ns.netdev_chain.register(self.netdev_event)

    # -- sysctls -------------------------------------------------------------------------
    def dev_conf(self, dev: NetDevice) -> Ipv6Conf:
        c = self.conf.get(dev)
        if c is None:  # a device registered before this stack existed
            c = self.netdev_register(dev)
        return c

    def netdev_register(self, dev: NetDevice) -> Ipv6Conf:
        """``ipv6_add_dev``: the device's conf starts as a copy of ``default``; its ``mtu``
        is the link's; ``lo`` never does DAD (accept_dad -1)."""
        c = self.conf_default.copy()
        c.mtu = dev.mtu
        if dev is getattr(self.ns, "lo", None) or dev.kind == "loopback":
            c.accept_dad = -1
        self.conf[dev] = c
        self.neigh_parms[dev] = dict(self.neigh_parms[None])
        ac = _addrconf()
        if ac is not None:  # the inet6_dev and its first groups (ff02::1 ...)
            ac.ipv6_add_dev(self.ns, dev)
        return c

    def disabled(self, dev: NetDevice) -> bool:
        """``ip6_rcv``/``ip6_output``'s test: ``idev->cnf.disable_ipv6`` (all writes through)."""
        return bool(self.dev_conf(dev).disable_ipv6)

    def forwarding(self, dev: NetDevice | None = None) -> bool:
        if dev is None:
            return bool(self.conf_all.forwarding)
        return bool(self.dev_conf(dev).forwarding)

    def neigh_parm(self, dev: NetDevice, key: str) -> int:
        return self.neigh_parms.get(dev, self.neigh_parms[None])[key]

    def _conf_for(self, scope: str) -> Ipv6Conf:
        if scope == "all":
            return self.conf_all
        if scope == "default":
            return self.conf_default
        dev = self.ns.devices.get(scope)
        if dev is None:
            raise OSError(errno.ENOENT, "No such file or directory")
        return self.dev_conf(dev)

    def sysctl_get(self, key: str) -> str:
        """``sysctl -n net.ipv6.KEY``: ``conf.DEV.X``, ``neigh.DEV.X``, ``icmp.X``."""
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "conf":
            return conf_get(self._conf_for(parts[1]), parts[2])
        if len(parts) == 3 and parts[0] == "neigh":
            parms = self._neigh_for(parts[1])
            name = parts[2]
            if name in NEIGH_ALIASES:
                base, div = NEIGH_ALIASES[name]
                return str(parms[base] // div)
            if name == "retrans_time":  # USER_HZ ticks at HZ=250 as this kernel shows
                return str(parms["retrans_time_ms"] * 250 // 1000)
            if name not in parms:
                raise OSError(errno.ENOENT, "No such file or directory")
            return str(parms[name])
        if len(parts) == 2 and parts[0] == "icmp" and parts[1] in self.icmp_conf:
            return str(self.icmp_conf[parts[1]])
        raise OSError(errno.ENOENT, "No such file or directory")

    def _neigh_for(self, scope: str) -> dict[str, int]:
        if scope == "default":
            return self.neigh_parms[None]
        dev = self.ns.devices.get(scope)
        if dev is None:
            raise OSError(errno.ENOENT, "No such file or directory")
        self.dev_conf(dev)
        return self.neigh_parms[dev]

    def sysctl_set(self, key: str, value: str | int) -> None:
        """``sysctl -w net.ipv6.KEY=VALUE`` with the kernel's side effects."""
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "conf":
            scope, name = parts[1], conf_field(parts[2])
            conf = self._conf_for(scope)
            v = parse_conf_value(conf, name, value)
            if name == "forwarding":
                self._set_forwarding(scope, conf, int(v))
            elif name == "disable_ipv6":
                self._set_disable(scope, conf, int(v))
            else:
                setattr(conf, name, v)
                if scope == "all" and name == "addr_gen_mode":
                    pass  # all.addr_gen_mode is only a value (addrconf reads the device's)
            return
        if len(parts) == 3 and parts[0] == "neigh":
            parms = self._neigh_for(parts[1])
            name = parts[2]
            try:
                v2 = int(str(value).strip())
            except ValueError:
                raise OSError(errno.EINVAL, "Invalid argument") from None
            if name in NEIGH_ALIASES:
                base, mul = NEIGH_ALIASES[name]
                parms[base] = v2 * mul
            elif name == "retrans_time":
                parms["retrans_time_ms"] = v2 * 1000 // 250
            elif name in parms:
                parms[name] = v2
            else:
                raise OSError(errno.ENOENT, "No such file or directory")
            return
        if len(parts) == 2 and parts[0] == "icmp" and parts[1] in self.icmp_conf:
            if parts[1] == "ratemask":
                self.icmp_conf["ratemask"] = str(value).strip()
                return
            try:
                self.icmp_conf[parts[1]] = int(str(value).strip())
            except ValueError:
                raise OSError(errno.EINVAL, "Invalid argument") from None
            return
        raise OSError(errno.ENOENT, "No such file or directory")

    def _set_forwarding(self, scope: str, conf: Ipv6Conf, v: int) -> None:
        """``addrconf_fixup_forwarding``: ``all`` writes default and every device too; a
        device whose value changed joins or leaves the all-routers groups
        (``dev_forward_change``)."""
        before = {d: c.forwarding for d, c in self.conf.items()}
        conf.forwarding = v
        if scope == "all":
            self.conf_default.forwarding = v
            for c in self.conf.values():
                c.forwarding = v
        ac = _addrconf()
        if ac is not None:
            for d, c in list(self.conf.items()):
                if bool(c.forwarding) != bool(before.get(d)):
                    ac.addrconf_forward_change(self.ns, d)

    def _set_disable(self, scope: str, conf: Ipv6Conf, v: int) -> None:
        """``addrconf_disable_ipv6``: ``all`` writes default and every device; a device
        going to 1 loses its addresses and routes (``addrconf_ifdown``), to 0 on an up
        device starts autoconfiguration (``addrconf_dev_config``)."""
        if scope == "default":
            conf.disable_ipv6 = v
            return
        targets = [(d, c, c.disable_ipv6) for d, c in self.conf.items()
                   if scope == "all" or c is conf]
        conf.disable_ipv6 = v
        if scope == "all":
            self.conf_default.disable_ipv6 = v
        for dev, c, old in targets:
            c.disable_ipv6 = v
            if bool(old) == bool(v):
                continue
            ac = _addrconf()
            down = getattr(ac, "addrconf_ifdown", None) if ac is not None else None
            if v:
                if down is not None:
                    down(self.ns, dev)
                else:
                    self.ifdown(dev)
            elif dev.admin_up:
                if ac is not None:
                    ac.addrconf_notify(self.ns, dev, NetdevEvent.UP)
                else:
                    self._fallback_up(dev)

    # -- device events (addrconf_notify's hook) -------------------------------------------
    def netdev_event(self, event: NetdevEvent, info: NetdevNotifierInfo) -> None:
        dev = info.dev
        if event is NetdevEvent.DOWN or event is NetdevEvent.UNREGISTER:
            # rt6_sync_down_dev + neigh_ifdown (addrconf_ifdown does the addresses)
            if self.fib6.main or self.fib6.local:
                self.fib6.remove_where(lambda r: r.dev is dev)
            if self.nd_tbl.entries:
                self.nd_tbl.flush_dev(dev)
        ac = _addrconf()
        if ac is not None:
            ac.addrconf_notify(self.ns, dev, event)
        elif event is NetdevEvent.UP and not self.disabled(dev):
            # without addrconf: the routes of the addresses already there
            self._fallback_up(dev)
        if event is NetdevEvent.UNREGISTER:
            self.addrs.pop(dev, None)
            self.conf.pop(dev, None)
            self.neigh_parms.pop(dev, None)

    def _fallback_up(self, dev: NetDevice) -> None:
        if dev is not self.ns.lo:
            self.fib6.add(Rt6(MULTICAST_PREFIX, 8, dev, None, IP6_RT_PRIO_ADDRCONF, "kernel",
                              "multicast", "local"), replace_same=True)
        for ifa in self.addrs.get(dev, []):
            self.addr_routes(ifa)

    def ifdown(self, dev: NetDevice) -> None:
        """``addrconf_ifdown`` (the part this module can do without addrconf)."""
        self.addrs.pop(dev, None)
        self.fib6.remove_where(lambda r: r.dev is dev)
        self.nd_tbl.flush_dev(dev)

    # -- addresses -----------------------------------------------------------------------
    def add_addr(self, ifa: Inet6Addr) -> None:
        """``ipv6_add_addr`` + the address's routes when usable (``ipv6_ifa_notify``).
        addrconf calls this for link-locals and manual addresses (through DAD); unit tests
        call it for addresses added directly (no "tentative": usable at once)."""
        lst = self.addrs.setdefault(ifa.dev, [])
        # ipv6_link_dev_addr: sorted by scope, global first, and before the first address
        # of the same or a narrower scope, so newest first within a scope (what `ip -6
        # addr` lists: measured, a stable-privacy retry is listed above the dadfailed one)
        rank = _SCOPE_RANK.get(ifa.scope, 0)
        at = next((i for i, a in enumerate(lst) if rank >= _SCOPE_RANK.get(a.scope, 0)),
                  len(lst))
        lst.insert(at, ifa)
        if ifa.created_ns == 0:
            ifa.created_ns = self.sched.now
        if ifa.dev.admin_up:
            self.addr_routes(ifa)

    def addr_routes(self, ifa: Inet6Addr) -> None:
        """The prefix route (``addrconf_prefix_route``, metric 256, unless noprefixroute
        or /128) and, once usable, the local route (``__ipv6_ifa_notify`` RTM_NEWADDR)."""
        dev = ifa.dev
        if self.disabled(dev):
            return
        if ifa.plen < 128 and "noprefixroute" not in ifa.flags and dev is not self.ns.lo:
            self.fib6.add(Rt6(ifa.addr & mask6(ifa.plen), ifa.plen, dev, None,
                              IP6_RT_PRIO_ADDRCONF, "kernel"), replace_same=True)
        if ifa.usable:
            self.fib6.add(Rt6(ifa.addr, 128, dev, None, 0, "kernel", "local", "local"),
                          replace_same=True)

    def addr_ready(self, ifa: Inet6Addr) -> None:
        """DAD completed (``addrconf_dad_completed`` → ``ipv6_ifa_notify``)."""
        ifa.flags.discard("tentative")
        if ifa.dev.admin_up:
            self.addr_routes(ifa)

    def del_addr(self, ifa: Inet6Addr) -> None:
        """``ipv6_del_addr``: its local route; its prefix route when no other address of
        the device is on that prefix."""
        lst = self.addrs.get(ifa.dev, [])
        if ifa in lst:
            lst.remove(ifa)
        if not lst:
            self.addrs.pop(ifa.dev, None)
        dev = ifa.dev
        self.fib6.remove_where(lambda r: r.table == "local" and r.type == "local"
                               and r.dst == ifa.addr and r.dev is dev)
        if not any(a.plen == ifa.plen and a.network == ifa.network for a in lst):
            self.fib6.remove_where(lambda r: r.table == "main" and r.proto == "kernel"
                                   and r.dev is dev and r.plen == ifa.plen
                                   and r.dst == ifa.network)

    def dev_addrs(self, dev: NetDevice) -> list[Inet6Addr]:
        return self.addrs.get(dev, [])

    def find_addr(self, addr: int, dev: NetDevice | None = None) -> Inet6Addr | None:
        """``ipv6_get_ifaddr``: the address entry, usable or not."""
        devs = [dev] if dev is not None else list(self.addrs)
        for d in devs:
            for a in self.addrs.get(d, []):
                if a.addr == addr:
                    return a
        return None

    def is_local(self, addr: int, dev: NetDevice | None = None) -> bool:
        """``ipv6_chk_addr``: a usable address on a device that is up (any device for a
        global address — weak host; a link-local only on DEV when given)."""
        for d, lst in self.addrs.items():
            if not d.admin_up:
                continue
            for a in lst:
                if a.addr == addr and a.usable:
                    if dev is not None and is_linklocal(addr) and d is not dev:
                        continue
                    return True
        return False

    def mc_joined(self, dev: NetDevice, group: int) -> bool:
        """``ipv6_chk_mcast_addr``: mcast6 decides when it exists; before, every device
        is in ff02::1 and in the solicited-node groups of its addresses."""
        m = _mcast6()
        if m is not None:
            return bool(m.ipv6_chk_mcast_addr(self.ns, dev, group))
        from vnetlab.sim.stack.addr6 import ALL_NODES, ALL_ROUTERS, solicited_node

        if group == ALL_NODES or (group == 0xFF01 << 112 | 1):
            return True
        if group == ALL_ROUTERS and self.forwarding():  # ipv6_mc_up: routers join ff02::2
            return True
        return any(solicited_node(a.addr) == group for a in self.addrs.get(dev, []))

    def select_src(self, dev: NetDevice, dst: int) -> int | None:
        """``ipv6_dev_get_saddr`` reduced to its first rules: a usable address of DEV of
        the destination's scope (link-local for link-local/link-scope multicast
        destinations), the longest common prefix among equals; then any global address of
        another device (rule 2 prefers the same scope)."""
        want_link = is_linklocal(dst) or (is_multicast(dst) and (dst >> 112) & 0xF <= 2)

        def rank(a: Inet6Addr) -> tuple[int, int]:
            same_scope = (a.scope == "link") == want_link
            common = 128 - (a.addr ^ dst).bit_length()
            return (0 if same_scope else 1, -common)

        cands = [a for a in self.addrs.get(dev, []) if a.usable and a.scope != "host"]
        if cands:
            return min(cands, key=rank).addr
        if want_link:
            return None
        for d, lst in self.addrs.items():
            if d.admin_up:
                for a in lst:
                    if a.usable and a.scope == "global":
                        return a.addr
        return None

    def count(self, name: str) -> None:
        self.stats[name] = self.stats.get(name, 0) + 1

    def link_failure(self, packet: bytes, trace: TraceNode | None) -> None:
        """``ip6_link_failure``: the neighbour failed; address unreachable to the sender."""
        from vnetlab.sim.stack.icmpv6 import icmpv6_send
        from vnetlab.wire.icmpv6 import ICMPV6_ADDR_UNREACH, ICMPV6_DEST_UNREACH

        icmpv6_send(self, packet, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, trace)

    def frag_expire(self, arg: tuple[tuple[int, int, int], object]) -> None:
        """``ip6_frag_expire``: a queue still incomplete after ``ip6frag_time``."""
        key, queue = arg
        if self.frags.get(key) is queue:
            del self.frags[key]
            first = self.frag_first.pop(key, None)
            if first is not None:
                # ip6_frag_expire: only when the first fragment came (INET_FRAG_FIRST_IN)
                from vnetlab.sim.stack.icmpv6 import icmpv6_send
                from vnetlab.wire.icmpv6 import ICMPV6_EXC_FRAGTIME, ICMPV6_TIME_EXCEED

                self.count("ReasmFails")
                icmpv6_send(self, first, ICMPV6_TIME_EXCEED, ICMPV6_EXC_FRAGTIME, None)


__all__ = ["ETH_P_IPV6", "INET6_PROTOS", "Ipv6Stack", "MessageTooLong6", "NoRoute6", "addr_scope"]
