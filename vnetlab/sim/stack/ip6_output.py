"""IPv6 output: route, source, hop limit, source fragmentation, the neighbour layer
(net/ipv6/ip6_output.c ``ip6_xmit``/``ip6_finish_output2``/``ip6_fragment``, route.c
``ip6_route_output`` and the PMTU exceptions ``rt6_do_update_pmtu``).

Design note
-----------
``Ip6Output`` is the output half of ``Ipv6Stack`` (which inherits it; the state lives
there): every sender — ping, ICMPv6 errors, NDISC, MLD, forwarding — ends in
``neigh_output``: a multicast next hop maps to 33:33 + its low 32 bits with no
resolution, a NOARP device (tun, lo, ipvlan l3) uses its own address, everything else
goes through ``nd_tbl``. Only the source fragments IPv6: a packet larger than the path MTU
is cut into pieces with a fragment header when the socket allows it ("-M want"), refused
with EMSGSIZE when it does not ("-M do"). A packet too big lowers the path MTU for 600 s,
never below 1280.
"""

from __future__ import annotations

import errno
from ipaddress import IPv6Address
from typing import TYPE_CHECKING

from vnetlab.sim.clock import S
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.sched.qdisc import dev_queue_xmit
from vnetlab.sim.stack.addr6 import (
    LOOPBACK6,
    ip6_str,
    ipv6_eth_mc_map,
    is_linklocal,
    is_multicast,
)
from vnetlab.sim.stack.route6 import Rt6
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire.ipv6 import IPPROTO_FRAGMENT, IPV6_HLEN, Ipv6Header, fragment

if TYPE_CHECKING:
    from vnetlab.sim.clock import Scheduler
    from vnetlab.sim.stack.ipv6_conf import Ipv6Conf
    from vnetlab.sim.stack.neigh import NeighTable
    from vnetlab.sim.stack.netns import Namespace
    from vnetlab.sim.stack.route6 import Fib6

ETH_P_IPV6 = 0x86DD
_ETH_P_IPV6_BYTES = ETH_P_IPV6.to_bytes(2, "big")
IPV6_MIN_MTU = 1280
IP6_RT_MTU_EXPIRES = 600 * S  # net.ipv6.route.mtu_expires


class NoRoute6(OSError):
    """ENETUNREACH from ``ip6_route_output``."""

    def __init__(self) -> None:
        super().__init__(errno.ENETUNREACH, "Network is unreachable")


class MessageTooLong6(OSError):
    """EMSGSIZE: the packet exceeds the path MTU and the socket does not fragment."""

    def __init__(self, mtu: int) -> None:
        super().__init__(errno.EMSGSIZE, f"message too long, mtu={mtu}")
        self.mtu = mtu


def _a6(n: int) -> IPv6Address:
    return IPv6Address(n)


class Ip6Output:
    """The output path; ``Ipv6Stack`` provides the state and the lookups named here."""

    ns: Namespace
    sched: Scheduler
    fib6: Fib6
    nd_tbl: NeighTable
    pmtu: dict[int, tuple[int, int]]
    frag_id: int

    def dev_conf(self, dev: NetDevice) -> Ipv6Conf:  # pragma: no cover - Ipv6Stack's
        raise NotImplementedError

    def disabled(self, dev: NetDevice) -> bool:  # pragma: no cover - Ipv6Stack's
        raise NotImplementedError

    def is_local(self, addr: int, dev: NetDevice | None = None) -> bool:  # pragma: no cover
        raise NotImplementedError

    def select_src(self, dev: NetDevice, dst: int) -> int | None:  # pragma: no cover
        raise NotImplementedError

    def count(self, name: str) -> None:  # pragma: no cover - Ipv6Stack's
        raise NotImplementedError

    # -- path MTU (``rt6_do_update_pmtu``, ``ip6_mtu``) -----------------------------------
    def path_mtu(self, dev: NetDevice, dst: int) -> int:
        mtu = self.dev_conf(dev).mtu if dev.mtu >= IPV6_MIN_MTU else dev.mtu
        mtu = min(mtu, dev.mtu)
        e = self.pmtu.get(dst)
        if e is not None:
            if e[1] > self.sched.now:
                mtu = min(mtu, e[0])
            else:
                del self.pmtu[dst]
        return mtu

    def update_pmtu(self, dst: int, mtu: int, trace: TraceNode | None = None) -> None:
        """A packet too big: remember MTU (never below 1280: ``rt6_do_update_pmtu``)."""
        mtu = max(mtu, IPV6_MIN_MTU)
        old = self.pmtu.get(dst)
        if old is not None and old[0] <= mtu and old[1] > self.sched.now:
            return
        self.pmtu[dst] = (mtu, self.sched.now + IP6_RT_MTU_EXPIRES)
        if trace is not None:
            trace.add(self.ns.name, f"path MTU to {ip6_str(dst)} is now {mtu} (cached 600 s)",
                      EventKind.LEARN)

    # -- output --------------------------------------------------------------------------
    def route_output(self, dst: int, oif: NetDevice | None = None) -> Rt6:
        """``ip6_route_output``: a link-local or link-scope multicast destination needs
        the device (``-I``/``%dev``); otherwise the FIB."""
        if dst == LOOPBACK6 or (oif is None and self.is_local(dst)):
            return Rt6(dst, 128, self.ns.lo, None, 0, "kernel", "local", "local")
        if oif is not None and (is_linklocal(dst) or is_multicast(dst)):
            return Rt6(dst, 128, oif, None, 0, "kernel")
        rt = self.fib6.lookup(dst, oif=oif)
        if rt is None or rt.type == "multicast" and oif is None and not is_multicast(dst):
            raise NoRoute6()
        return rt

    def ip6_output(
        self, dst: int, nexthdr: int, payload: bytes, trace: TraceNode | None, *,
        src: int | None = None, hop_limit: int | None = None, oif: NetDevice | None = None,
        dontfrag: bool = False, ext: bytes = b"",
    ) -> None:
        """``ip6_route_output`` + ``ip6_xmit``/``ip6_append_data``: route, source,
        header, then ``ip6_finish_output2``. EXT: extension headers before the payload
        (hop-by-hop for MLD), with NEXTHDR the first of them."""
        rt = self.route_output(dst, oif)
        dev = rt.dev
        if src is None:
            src = rt.prefsrc if rt.prefsrc is not None else self.select_src(dev, dst)
            if src is None:
                if rt.type == "local":
                    src = dst
                else:
                    raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
        if hop_limit is None:  # IPV6_MULTICAST_HOPS defaults to 1, unicast to hop_limit
            hop_limit = 1 if is_multicast(dst) else self.dev_conf(dev).hop_limit
        hdr = Ipv6Header(_a6(src), _a6(dst), nexthdr, hop_limit)
        if trace is not None:
            trace.add(self.ns.name, f"route {ip6_str(dst)}: {rt.describe()} "
                      f"(src {ip6_str(src)})", EventKind.ROUTE)
        nexthop = rt.via if rt.via is not None else dst
        mtu = self.path_mtu(dev, dst)
        total = IPV6_HLEN + len(ext) + len(payload)
        if total > mtu and dontfrag:
            raise MessageTooLong6(mtu)
        self.output_frags(dev, nexthop, hdr, ext, payload, trace, mtu=mtu)

    def output_frags(
        self, dev: NetDevice, nexthop: int, hdr: Ipv6Header, ext: bytes, payload: bytes,
        trace: TraceNode | None, *, mtu: int,
    ) -> None:
        """``ip6_finish_output``: fragment at the source when larger than the MTU."""
        if IPV6_HLEN + len(ext) + len(payload) <= mtu:
            self.neigh_output(dev, nexthop, hdr.emit(ext + payload), trace)
            return
        self.frag_id = (self.frag_id + 1) & 0xFFFFFFFF
        # the fragment header goes after the unfragmentable part (none here but HBH)
        if ext:
            inner_nh = ext[0]
            unfrag = bytes([IPPROTO_FRAGMENT]) + ext[1:]
            fhdr = hdr
        else:
            inner_nh = hdr.next_header
            unfrag = b""
            fhdr = Ipv6Header(hdr.src, hdr.dst, IPPROTO_FRAGMENT, hdr.hop_limit,
                              hdr.traffic_class, hdr.flow_label)
        pieces = fragment(fhdr, unfrag, inner_nh, payload, mtu, self.frag_id)
        self.count("FragCreates")
        if trace is not None:
            trace.add(self.ns.name, f"fragment {IPV6_HLEN + len(ext) + len(payload)} bytes "
                      f"into {len(pieces)} for MTU {mtu} of {dev.name}", EventKind.FRAGMENT)
        for p in pieces:
            self.neigh_output(dev, nexthop, p, trace)

    def neigh_output(self, dev: NetDevice, nexthop: int, packet: bytes,
                     trace: TraceNode | None) -> None:
        """``ip6_finish_output2``: multicast maps to 33:33:..., NOARP devices use their
        own address, everything else resolves through ``nd_tbl``."""
        if self.disabled(dev):
            if trace is not None:
                trace.drop(dev.where, f"IPv6 is disabled on {dev.name} (disable_ipv6=1)",
                           DropReason.IPV6DISABLED)
            return
        if is_multicast(nexthop):
            self.dev_xmit_ip(dev, ipv6_eth_mc_map(nexthop), packet, trace)
        elif dev.noarp:
            self.dev_xmit_ip(dev, dev.mac, packet, trace)
        else:
            self.nd_tbl.output(dev, nexthop, packet, trace)

    def dev_xmit_ip(self, dev: NetDevice, dst_mac: bytes, packet: bytes,
                    trace: TraceNode | None) -> None:
        skb = Skb(dst_mac + dev.mac + _ETH_P_IPV6_BYTES + packet, trace)
        if dev.qdisc is None:
            dev.xmit(skb)
        else:
            dev_queue_xmit(dev, skb)
