"""A namespace's IPv4 input, forward and output paths (net/ipv4/ip_{input,forward,output}.c).

Design note
-----------
``ip_rcv`` is the handler the namespace's ``ptype_base`` table names for ethertype 0x0800.
It validates the header, then ``ip_route_input``: a local address (any interface: Linux is
a weak-host) → ``ip_local_deliver``, which reassembles and hands the datagram to the handler
``inet_protos`` names for its protocol (ICMP and UDP live in ``icmp.py`` and ``udp.py``);
otherwise, with forwarding on, ``ip_forward`` (TTL, DF/MTU → ICMP fragmentation needed,
decrement, next hop); with forwarding off the packet is dropped silently (``ip_error`` sends
nothing when the device does not forward). Locally generated packets take ``ip_output``:
route lookup (no route → ENETUNREACH to the sender), source selection
(``inet_select_addr``), fragmentation when DF is clear, and the neighbour layer.

``Ipv4Stack`` is the namespace's IPv4 state (``struct netns_ipv4``: FIB, neighbour table,
sockets, reassembly queues, learned path MTUs, counters) and the output path every sender
uses; the receive path is plain functions, as in the kernel.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from vnetlab.sim.clock import S
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.sched.qdisc import dev_queue_xmit
from vnetlab.sim.stack.addr import InetAddr, ip_str
from vnetlab.sim.stack.arp import arp_solicit
from vnetlab.sim.stack.fib import Fib, Route
from vnetlab.sim.stack.icmp import IcmpHandler, icmp_send
from vnetlab.sim.stack.icmp_ratelimit import IcmpRateLimiter
from vnetlab.sim.stack.neigh import NeighTable
from vnetlab.sim.stack.udp import UdpHandler
from vnetlab.sim.stack.xfrm import XfrmDb, policy_check_in, xfrm_input, xfrm_output
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire import icmp as icmpw
from vnetlab.wire.errors import ParseError
from vnetlab.wire.esp import IPPROTO_ESP
from vnetlab.wire.ipv4 import Ipv4Header, fragment

if TYPE_CHECKING:
    from vnetlab.sim.stack.netns import Namespace

ETH_P_IP = 0x0800
_ETH_P_IP_BYTES = ETH_P_IP.to_bytes(2, "big")
IPFRAG_TIME = 30 * S

IP_RT_MTU_EXPIRES = 600 * S  # net.ipv4.route.mtu_expires
IP_RT_MIN_PMTU = 552  # net.ipv4.route.min_pmtu
INADDR_LOOPBACK = 0x7F000001  # 127.0.0.1


class NoRoute(OSError):
    """ENETUNREACH from ``ip_route_output``."""


class MessageTooLong(OSError):
    """EMSGSIZE: DF set and the packet exceeds the route's MTU."""

    def __init__(self, mtu: int) -> None:
        super().__init__(f"message too long, mtu={mtu}")
        self.mtu = mtu


def _a(n: int) -> IPv4Address:
    return IPv4Address(n)


class Ipv4Stack:
    """A namespace's IPv4 state (``struct netns_ipv4``) and its output path."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.sched = ns.sched
        self.fib = Fib()
        self.neigh = NeighTable(self, partial(arp_solicit, self))
        self.forwarding = False
        self.ip_id = 0
        self.icmp_sockets: dict[int, IcmpHandler] = {}  # echo ident -> ping socket
        self.udp_sockets: dict[int, UdpHandler] = {}
        self.frags: dict[tuple[int, int, int, int], list[tuple[Ipv4Header, bytes]]] = {}
        # learned path MTUs (the FIB nexthop exceptions, fnhe): dst -> (mtu, expires)
        self.pmtu: dict[int, tuple[int, int]] = {}
        self.icmp_limit = IcmpRateLimiter()
        self.mc_groups: set[int] = set()  # IPv4 multicast groups joined (ip_mc_join_group)
        # counters in the spirit of `nstat` (IpInHdrErrors, IpInAddrErrors, ...)
        self.stats: dict[str, int] = {}
        self.xfrm: XfrmDb | None = None  # IPsec SAD/SPD, made by the first `ip xfrm` entry

    # -- addresses ----------------------------------------------------------------------
    def addrs(self, dev: NetDevice) -> list[InetAddr]:
        return self.ns.addrs.get(dev, [])

    def is_local(self, ip: int) -> bool:
        """A local route exists for IP: an address of a device that is up (fib_disable_ip
        takes a downed device's local routes away)."""
        dev = self.ns.local_ips.get(ip)
        return dev is not None and dev.admin_up

    # -- path MTU (net/ipv4/route.c: __ip_rt_update_pmtu, ipv4_mtu) ---------------------
    def path_mtu(self, dev: NetDevice, dst: int) -> int:
        mtu = dev.mtu
        e = self.pmtu.get(dst)
        if e is not None:
            if e[1] > self.sched.now:
                mtu = min(mtu, e[0])
            else:
                del self.pmtu[dst]
        return mtu

    def update_pmtu(self, dst: int, mtu: int, trace: TraceNode | None = None) -> None:
        """Remember a smaller path MTU to ``dst`` for ``mtu_expires`` (600 s)."""
        mtu = max(mtu, IP_RT_MIN_PMTU)
        old = self.pmtu.get(dst)
        if old is not None and old[0] <= mtu and old[1] > self.sched.now:
            return
        self.pmtu[dst] = (mtu, self.sched.now + IP_RT_MTU_EXPIRES)
        if trace is not None:
            trace.add(self.ns.name, f"path MTU to {ip_str(dst)} is now {mtu} (cached 600 s)",
                      EventKind.LEARN)

    def select_addr(self, dev: NetDevice, dst: int) -> int | None:
        """``inet_select_addr``: an address of DEV in DST's subnet, else its first one."""
        addrs = self.addrs(dev)
        for a in addrs:
            if a.contains(dst):
                return a.local
        if addrs:
            return addrs[0].local
        lo = self.ns.lo
        for owner, other in self.ns.addrs.items():  # any address of universe scope
            if other and owner is not lo:  # 127.0.0.1 is scope host: never chosen here
                return other[0].local
        return None

    def count(self, name: str) -> None:
        self.stats[name] = self.stats.get(name, 0) + 1

    def is_bcast(self, ip: int) -> bool:
        """A subnet broadcast address of an interface that is up."""
        # fib_add_ifaddr installs a subnet broadcast route only for prefixes below /31, so
        # a broadcast address has at least its two lowest (host) bits set: three unicast
        # destinations in four are answered without a look at every address (a router
        # with hundreds of subnets asks this of every packet)
        if ip & 3 != 3:
            return False
        return any(
            a.plen < 31 and ip == a.broadcast
            for dev, addrs in self.ns.addrs.items() if dev.admin_up
            for a in addrs
        )

    def is_bcast_dst(self, dst: int) -> bool:
        """DST routes as RTN_BROADCAST: the limited broadcast or a subnet broadcast. A
        socket without SO_BROADCAST gets EACCES sending there (``ip_route_output_flow``'s
        callers; iputils turns it into "Do you want to ping broadcast?")."""
        return dst == 0xFFFFFFFF or self.is_bcast(dst)

    @staticmethod
    def output_daddr(dst: int) -> int:
        """``ip_route_output_key_hash_rcu``: no destination (0.0.0.0) means this host,
        127.0.0.1 over ``lo``."""
        return INADDR_LOOPBACK if dst == 0 else dst

    # -- output -------------------------------------------------------------------------
    def route_output(self, dst: int) -> Route:
        if self.is_local(dst):
            # the local table: "local 10.0.0.1 dev eth0 proto kernel scope host src 10.0.0.1"
            return Route(dst, 32, self.ns.lo, None, proto="kernel", scope="host", prefsrc=dst)
        rt = self.fib.lookup(dst)
        if rt is None:
            raise NoRoute("Network is unreachable")
        return rt

    def ip_output(
        self,
        dst: int,
        proto: int,
        payload: bytes,
        trace: TraceNode | None,
        *,
        src: int | None = None,
        ttl: int = 64,
        pmtudisc: str = "dont",  # "do" | "want" | "dont" (IP_PMTUDISC_*)
        dev: NetDevice | None = None,  # bound output device (multicast, tunnels)
        ident: int | None = None,
    ) -> None:
        """``ip_route_output`` + ``ip_queue_xmit``/``ip_push_pending_frames``.

        ``pmtudisc`` follows the socket option: "do" sets DF and refuses (EMSGSIZE) what
        exceeds the path MTU; "want" sets DF when the packet fits and fragments otherwise;
        "dont" never sets DF.
        """
        if dev is not None:
            rt = Route(dst, 32, dev, None, proto="kernel", scope="link")
        else:
            rt = self.route_output(dst)
        if src is None:
            src = rt.prefsrc if rt.prefsrc is not None else self.select_addr(rt.dev, dst) or 0
        if self.xfrm is not None:  # xfrm_lookup: an out policy may want the payload as ESP
            out = xfrm_output(self.xfrm, self.ns.name, src, dst, proto, payload, trace,
                              self.sched.now)
            if out is None:
                return
            proto, payload = out
        mtu = self.path_mtu(rt.dev, dst)
        total = 20 + len(payload)
        df = pmtudisc == "do" or (pmtudisc == "want" and total <= mtu)
        if total > mtu and pmtudisc == "do":
            raise MessageTooLong(mtu)
        if ident is None:
            self.ip_id = (self.ip_id + 1) & 0xFFFF
            ident = self.ip_id
        hdr = Ipv4Header(src=_a(src), dst=_a(dst), proto=proto, ttl=ttl, ident=ident, df=df)
        if trace is not None:
            trace.add(self.ns.name, f"route {ip_str(dst)}: {rt.describe()} (src {ip_str(src)})",
                      EventKind.ROUTE)
        nexthop = rt.via if rt.via is not None else dst
        self.output_frags(rt.dev, nexthop, hdr, payload, trace, mtu=mtu)

    def output_frags(
        self, dev: NetDevice, nexthop: int, hdr: Ipv4Header, payload: bytes,
        trace: TraceNode | None, *, mtu: int | None = None,
    ) -> None:
        """``ip_finish_output``: fragment to the MTU when needed, then the neighbour layer."""
        mtu = dev.mtu if mtu is None else mtu
        if hdr.header_len + len(payload) <= mtu:
            self._neigh_output(dev, nexthop, hdr.emit(payload), trace)
            return
        if hdr.df:
            # ip_fragment on a DF packet: refused, and the sender told (here: ourselves)
            if trace is not None:
                trace.drop(self.ns.name, f"{hdr.header_len + len(payload)} bytes with DF set "
                           f"exceed MTU {mtu} of {dev.name}: not fragmented",
                           DropReason.PKT_TOO_BIG)
            dev.tx_dropped += 1
            self.count("FragFails")
            return
        pieces = fragment(hdr, payload, mtu)
        if trace is not None:
            trace.add(self.ns.name, f"fragment {hdr.header_len + len(payload)} bytes into "
                      f"{len(pieces)} for MTU {mtu} of {dev.name}", EventKind.FRAGMENT)
        for p in pieces:
            self._neigh_output(dev, nexthop, p, trace)

    def _neigh_output(
        self, dev: NetDevice, nexthop: int, packet: bytes, trace: TraceNode | None
    ) -> None:
        if dev.noarp:  # arp_constructor: a NOARP neighbour's address is the device's own
            self.dev_xmit_ip(dev, dev.mac, packet, trace)
        elif self.is_bcast_dst(nexthop):
            # arp_constructor: an RTN_BROADCAST neighbour is NOARP at dev->broadcast
            self.dev_xmit_ip(dev, b"\xff" * 6, packet, trace)
        elif nexthop >> 28 == 0xE:
            # ip_eth_mc_map: 01:00:5e + the low 23 bits of the group, no ARP
            mac = b"\x01\x00\x5e" + (nexthop & 0x7FFFFF).to_bytes(3, "big")
            self.dev_xmit_ip(dev, mac, packet, trace)
        else:
            self.neigh.output(dev, nexthop, packet, trace)

    def dev_xmit_ip(
        self, dev: NetDevice, dst_mac: bytes, packet: bytes, trace: TraceNode | None
    ) -> None:
        skb = Skb(dst_mac + dev.mac + _ETH_P_IP_BYTES + packet, trace)
        if dev.qdisc is None:  # dev_queue_xmit without a qdisc: one attribute test
            dev.xmit(skb)
        else:
            dev_queue_xmit(dev, skb)

    # -- errors back to the sender ------------------------------------------------------
    def link_failure(self, packet: bytes, trace: TraceNode | None) -> None:
        """``ipv4_link_failure``: the neighbour failed; tell the sender host unreachable."""
        icmp_send(self, packet, icmpw.ICMP_DEST_UNREACH, icmpw.ICMP_HOST_UNREACH, trace)

    # -- reassembly ---------------------------------------------------------------------
    def frag_expire(self, arg: tuple[tuple[int, int, int, int], list[object]]) -> None:
        """``ip_expire``: a queue still incomplete after ``ipfrag_time`` is freed."""
        key, queue = arg
        if self.frags.get(key) is queue:
            del self.frags[key]


# -- receive ---------------------------------------------------------------------------
def ip_rcv(ns: Namespace, dev: NetDevice, skb: Skb) -> None:
    """``ip_rcv`` → ``ip_rcv_finish`` → ``ip_route_input``: local delivery, the forwarding
    path, or a drop."""
    stack = ns.stack
    data = skb.data[14:]
    trace = skb.trace
    l2mc = bool(skb.data[0] & 1)  # PACKET_BROADCAST or PACKET_MULTICAST
    try:
        hdr, payload = Ipv4Header.parse(data)
    except ParseError as e:
        # ip_rcv_core: IPSTATS_MIB_INHDRERRORS and kfree_skb; the device's rx_dropped does
        # not move (measured: tests/pins/test_pin_kernel.py)
        stack.count("InHdrErrors")
        if trace is not None:
            trace.drop(dev.where, f"bad IPv4 header: {e}", DropReason.IP_INHDR)
        return
    dst = int(hdr.dst)
    if (
        stack.is_local(dst)
        or dst == 0xFFFFFFFF
        or dst in stack.mc_groups
        or stack.is_bcast(dst)
    ):
        ip_local_deliver(stack, dev, hdr, payload, trace)
        return
    if l2mc:
        if trace is not None:
            trace.drop(dev.where, "link-layer broadcast to a foreign IP",
                       DropReason.UNICAST_IN_L2_MULTICAST)
        return
    if not stack.forwarding:
        stack.count("InAddrErrors")
        if trace is not None:
            trace.drop(
                stack.ns.name,
                f"{hdr.dst} is not a local address and IP forwarding is off "
                "(net.ipv4.ip_forward=0)",
                DropReason.IP_INADDRERRORS,
            )
        return
    ip_forward(stack, dev, hdr, payload, data[: hdr.total_length], trace)


def ip_forward(
    stack: Ipv4Stack, indev: NetDevice, hdr: Ipv4Header, payload: bytes, packet: bytes,
    trace: TraceNode | None,
) -> None:
    """``ip_forward``: route, TTL, DF against the MTU, then out with TTL - 1."""
    name = stack.ns.name
    rt = stack.fib.lookup(int(hdr.dst))
    if rt is None:
        stack.count("InNoRoutes")
        if not stack.icmp_limit.ip_error_allow(stack.sched.now, int(hdr.src)):
            if trace is not None:
                trace.drop(name, f"no route to {hdr.dst}; no ICMP: ip_error rate limit "
                           f"for {hdr.src}", DropReason.IP_INNOROUTES)
            return
        if trace is not None:
            trace.drop(name, f"no route to {hdr.dst}: ICMP net unreachable to {hdr.src}",
                       DropReason.IP_INNOROUTES)
        icmp_send(stack, packet, icmpw.ICMP_DEST_UNREACH, icmpw.ICMP_NET_UNREACH, trace)
        return
    if hdr.ttl <= 1:
        if trace is not None:
            trace.drop(name, f"TTL expired forwarding to {hdr.dst}: ICMP time exceeded",
                       DropReason.IP_INHDR)
        icmp_send(stack, packet, icmpw.ICMP_TIME_EXCEEDED, icmpw.ICMP_EXC_TTL, trace)
        return
    mtu = rt.dev.mtu
    if len(packet) > mtu and hdr.df:
        stack.count("FragFails")
        if trace is not None:
            trace.drop(
                name,
                f"packet of {len(packet)} bytes exceeds MTU {mtu} of {rt.dev.name} with DF "
                f"set: ICMP fragmentation needed (mtu {mtu}) to {hdr.src}",
                DropReason.PKT_TOO_BIG,
            )
        icmp_send(stack, packet, icmpw.ICMP_DEST_UNREACH, icmpw.ICMP_FRAG_NEEDED, trace, mtu=mtu)
        return
    if trace is not None:
        trace.add(
            name,
            f"forward {hdr.src} -> {hdr.dst} via route '{rt.describe()}', "
            f"ttl {hdr.ttl} -> {hdr.ttl - 1}",
            EventKind.ROUTE,
        )
    stack.count("ForwDatagrams")
    hdr2 = hdr.with_ttl(hdr.ttl - 1)
    nexthop = rt.via if rt.via is not None else int(hdr.dst)
    stack.output_frags(rt.dev, nexthop, hdr2, payload, trace)


def ip_local_deliver(
    stack: Ipv4Stack, dev: NetDevice, hdr: Ipv4Header, payload: bytes, trace: TraceNode | None
) -> None:
    """``ip_local_deliver``: reassemble, then the handler ``inet_protos`` names for the
    protocol; none: ICMP protocol unreachable."""
    if hdr.mf or hdr.frag_offset:
        whole = ip_defrag(stack, hdr, payload)
        if whole is None:
            if trace is not None:
                trace.add(dev.where, "fragment queued for reassembly", EventKind.FRAGMENT)
            return
        hdr, payload = whole
    xfrm = stack.xfrm
    if xfrm is not None:  # xfrm4_rcv for ESP, then __xfrm_policy_check for every datagram
        sp = None
        if hdr.proto == IPPROTO_ESP:
            got = xfrm_input(xfrm, dev.where, int(hdr.dst), payload, trace, stack.sched.now)
            if got is None:
                return
            sp, nexthdr, payload = got
            hdr = dataclasses.replace(hdr, proto=nexthdr)
        if not policy_check_in(xfrm, dev.where, int(hdr.src), int(hdr.dst), hdr.proto, sp,
                               trace):
            return
    handler = stack.ns.inet_protos.get(hdr.proto)
    if handler is not None:
        handler(stack.ns, dev, hdr, payload, trace)
    else:
        if trace is not None:
            trace.drop(dev.where, f"no handler for IP protocol {hdr.proto}",
                       DropReason.IP_NOPROTO)
        icmp_send(
            stack, hdr.emit(payload), icmpw.ICMP_DEST_UNREACH, icmpw.ICMP_PROT_UNREACH, trace
        )


def ip_defrag(
    stack: Ipv4Stack, hdr: Ipv4Header, payload: bytes
) -> tuple[Ipv4Header, bytes] | None:
    """``ip_defrag``: gather fragments; return the whole datagram when complete."""
    key = (int(hdr.src), int(hdr.dst), hdr.ident, hdr.proto)
    frags = stack.frags.get(key)
    if frags is None:
        frags = stack.frags[key] = []
        # ipfrag_time: the timer belongs to this queue, not to whatever later reuses key
        stack.sched.after(IPFRAG_TIME, stack.frag_expire, (key, frags))
    if any(h.frag_offset == hdr.frag_offset for h, _ in frags):
        return None  # inet_frag_queue_insert: an exact duplicate is dropped
    frags.append((hdr, payload))
    frags.sort(key=lambda f: f[0].frag_offset)
    pos = 0
    for h, p in frags:
        if h.frag_offset * 8 != pos:
            return None
        pos += len(p)
    if frags[-1][0].mf:
        return None
    del stack.frags[key]
    first = frags[0][0]
    return dataclasses.replace(first, mf=False, frag_offset=0), b"".join(p for _, p in frags)
