"""A namespace's IPv4 input, forward and output paths (net/ipv4/ip_{input,forward,output}.c).

Design note
-----------
``rcv`` is ``__netif_receive_skb`` → the protocol handler: frames not addressed to the
device (``PACKET_OTHERHOST``) are dropped, ARP goes to ``arp_rcv``, IPv4 to ``ip_rcv``.
``ip_rcv`` validates the header, then ``ip_route_input``: a local address (any interface:
Linux is a weak-host) → ``ip_local_deliver``; otherwise, with forwarding on, ``ip_forward``
(TTL, DF/MTU → ICMP fragmentation needed, decrement, next hop); with forwarding off the
packet is dropped silently (``ip_error`` sends nothing when the device does not forward).
Locally generated packets take ``ip_output``: route lookup (no route → ENETUNREACH to the
sender), source selection (``inet_select_addr``), fragmentation when DF is clear, and the
neighbour layer. ICMP errors follow ``icmp_send``: never about ICMP errors, non-first
fragments or broadcasts; the source is the original destination when it was ours, else the
address the route back selects. ICMP error rate limiting is not modelled yet.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from vnetlab.sim.clock import S
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.stack.addr import InetAddr, ip_str
from vnetlab.sim.stack.fib import Fib, Route
from vnetlab.sim.stack.icmp_ratelimit import IcmpRateLimiter
from vnetlab.sim.stack.neigh import NUD_REACHABLE, NUD_STALE, NeighTable
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire import icmp as icmpw
from vnetlab.wire.arp import ARPOP_REPLY, ARPOP_REQUEST, ArpPacket
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ipv4 import IPPROTO_ICMP, IPPROTO_UDP, Ipv4Header, fragment
from vnetlab.wire.mac import mac_to_str
from vnetlab.wire.udp import UdpHeader

if TYPE_CHECKING:
    from vnetlab.sim.stack.netns import Namespace

ETH_P_IP = b"\x08\x00"
ETH_P_ARP = b"\x08\x06"
BCAST = b"\xff" * 6
IPFRAG_TIME = 30 * S

#: a ping socket: (src, dst, message, trace, ttl of the packet that carried it)
IcmpHandler = Callable[
    [IPv4Address, IPv4Address, icmpw.IcmpMessage, TraceNode | None, int], None
]
UdpHandler = Callable[[IPv4Address, int, IPv4Address, bytes, TraceNode | None], None]

IP_RT_MTU_EXPIRES = 600 * S  # net.ipv4.route.mtu_expires
IP_RT_MIN_PMTU = 552  # net.ipv4.route.min_pmtu


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
    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.sched = ns.sched
        self.fib = Fib()
        self.neigh = NeighTable(self)
        self.forwarding = False
        self.ip_id = 0
        self.icmp_sockets: dict[int, IcmpHandler] = {}  # echo ident -> ping socket
        self.udp_sockets: dict[int, UdpHandler] = {}
        self._frags: dict[tuple[int, int, int, int], list[tuple[Ipv4Header, bytes]]] = {}
        # learned path MTUs (the FIB nexthop exceptions, fnhe): dst -> (mtu, expires)
        self.pmtu: dict[int, tuple[int, int]] = {}
        self.icmp_limit = IcmpRateLimiter()
        self.mc_groups: set[int] = set()  # IPv4 multicast groups joined (ip_mc_join_group)
        # counters in the spirit of `nstat` (IpInHdrErrors, IpInAddrErrors, ...)
        self.stats: dict[str, int] = {}

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

    def _count(self, name: str) -> None:
        self.stats[name] = self.stats.get(name, 0) + 1

    # -- receive ------------------------------------------------------------------------
    def rcv(self, dev: NetDevice, skb: Skb) -> None:
        data = skb.data
        dst = data[0:6]
        trace = skb.trace
        if dst != dev.mac and not (dst[0] & 1):
            # PACKET_OTHERHOST: not counted as a device drop on Linux
            if trace is not None:
                trace.drop(
                    dev.where,
                    f"frame for {mac_to_str(dst)} is not for this host (otherhost)",
                    DropReason.OTHERHOST,
                    copy=True,
                )
            return
        etype = data[12:14]
        if etype == ETH_P_IP:
            self.ip_rcv(dev, data[14:], trace, dst == BCAST or bool(dst[0] & 1))
        elif etype == ETH_P_ARP:
            self.arp_rcv(dev, data, trace)
        elif etype == b"\x81\x00" and len(data) >= 18:
            # __netif_receive_skb_core: a VID no vlan device claimed is PACKET_OTHERHOST
            if trace is not None:
                vid = ((data[14] & 0x0F) << 8) | data[15]
                trace.drop(
                    dev.where,
                    f"802.1Q frame for vlan {vid}: {dev.name} has no vlan {vid} device "
                    "(otherhost)",
                    DropReason.OTHERHOST,
                    copy=True,
                )
        else:
            if trace is not None:
                trace.drop(dev.where, f"ethertype 0x{data[12:14].hex()} has no handler",
                           DropReason.UNHANDLED_PROTO)

    def arp_rcv(self, dev: NetDevice, frame: bytes, trace: TraceNode | None) -> None:
        """``arp_rcv`` → ``arp_process``."""
        if dev.noarp:
            return
        try:
            arp = ArpPacket.parse(frame[14:])
        except ParseError as e:
            if trace is not None:
                trace.drop(dev.where, f"malformed ARP: {e}", DropReason.PKT_TOO_SMALL)
            return
        sip, tip = int(arp.spa), int(arp.tpa)
        if sip >> 28 == 0xE or tip >> 28 == 0xE or tip >> 24 == 127:
            # arp_process: multicast addresses and loopback targets are never answered
            if trace is not None:
                trace.drop(dev.where, f"ARP for {ip_str(tip)} from {ip_str(sip)}: "
                           "multicast or loopback address, ignored", DropReason.NOT_SPECIFIED)
            return
        where = dev.where
        if arp.op == ARPOP_REQUEST and self.is_local(tip):
            self.neigh.update(dev, sip, arp.sha, NUD_STALE, create=True, override=True)
            if trace is not None:
                trace.add(where, f"ARP request for our {ip_str(tip)}: answer it", EventKind.NEIGH)
            reply = ArpPacket(ARPOP_REPLY, dev.mac, arp.tpa, arp.sha, arp.spa).emit()
            t = None
            if trace is not None:
                t = trace.branch(
                    f"ARP reply {ip_str(tip)} is-at {mac_to_str(dev.mac)}", probe=False
                )
            dev.xmit(Skb(arp.sha + dev.mac + ETH_P_ARP + reply, t))
            if trace is not None:
                trace.deliver(where, f"ARP request for {ip_str(tip)}")
            return
        # replies and requests for others: only update an entry we already have
        addressed_to_us = frame[0:6] == dev.mac
        state = NUD_REACHABLE if arp.op == ARPOP_REPLY and addressed_to_us else NUD_STALE
        self.neigh.update(dev, sip, arp.sha, state, create=False)
        if trace is not None:
            if arp.op == ARPOP_REPLY:
                trace.deliver(where, f"ARP reply {ip_str(sip)} is-at {mac_to_str(arp.sha)}")
            else:
                trace.drop(where, f"ARP request for {ip_str(tip)}: not our address",
                           DropReason.OTHERHOST, copy=True)

    def arp_send_request(
        self, dev: NetDevice, sip: int, tip: int, dst_mac: bytes | None, trace: TraceNode | None
    ) -> None:
        pkt = ArpPacket(ARPOP_REQUEST, dev.mac, _a(sip), b"\x00" * 6, _a(tip)).emit()
        t = None
        if trace is not None:
            t = trace.branch(f"ARP request who-has {ip_str(tip)} tell {ip_str(sip)}", probe=False)
        dev.xmit(Skb((dst_mac or BCAST) + dev.mac + ETH_P_ARP + pkt, t))

    def ip_rcv(self, dev: NetDevice, data: bytes, trace: TraceNode | None, l2mc: bool) -> None:
        try:
            hdr, payload = Ipv4Header.parse(data)
        except ParseError as e:
            self._count("InHdrErrors")
            dev.rx_dropped += 1
            if trace is not None:
                trace.drop(dev.where, f"bad IPv4 header: {e}", DropReason.IP_INHDR)
            return
        dst = int(hdr.dst)
        if (
            self.is_local(dst)
            or dst == 0xFFFFFFFF
            or dst in self.mc_groups
            or self._is_bcast(dst)
        ):
            self.ip_local_deliver(dev, hdr, payload, trace)
            return
        if l2mc:
            if trace is not None:
                trace.drop(dev.where, "link-layer broadcast to a foreign IP",
                           DropReason.UNICAST_IN_L2_MULTICAST)
            return
        if not self.forwarding:
            self._count("InAddrErrors")
            if trace is not None:
                trace.drop(
                    self.ns.name,
                    f"{hdr.dst} is not a local address and IP forwarding is off "
                    "(net.ipv4.ip_forward=0)",
                    DropReason.IP_INADDRERRORS,
                )
            return
        self.ip_forward(dev, hdr, payload, data[: hdr.total_length], trace)

    def _is_bcast(self, ip: int) -> bool:
        # fib_add_ifaddr installs a subnet broadcast route only for prefixes below /31
        return any(
            a.plen < 31 and ip == a.broadcast
            for dev, addrs in self.ns.addrs.items() if dev.admin_up
            for a in addrs
        )

    # -- forward ------------------------------------------------------------------------
    def ip_forward(
        self, indev: NetDevice, hdr: Ipv4Header, payload: bytes, packet: bytes,
        trace: TraceNode | None,
    ) -> None:
        name = self.ns.name
        rt = self.fib.lookup(int(hdr.dst))
        if rt is None:
            self._count("InNoRoutes")
            if not self.icmp_limit.ip_error_allow(self.sched.now, int(hdr.src)):
                if trace is not None:
                    trace.drop(name, f"no route to {hdr.dst}; no ICMP: ip_error rate limit "
                               f"for {hdr.src}", DropReason.IP_INNOROUTES)
                return
            if trace is not None:
                trace.drop(name, f"no route to {hdr.dst}: ICMP net unreachable to {hdr.src}",
                           DropReason.IP_INNOROUTES)
            self.icmp_send(packet, icmpw.ICMP_DEST_UNREACH, icmpw.ICMP_NET_UNREACH, trace)
            return
        if hdr.ttl <= 1:
            if trace is not None:
                trace.drop(name, f"TTL expired forwarding to {hdr.dst}: ICMP time exceeded",
                           DropReason.IP_INHDR)
            self.icmp_send(packet, icmpw.ICMP_TIME_EXCEEDED, icmpw.ICMP_EXC_TTL, trace)
            return
        mtu = rt.dev.mtu
        if len(packet) > mtu and hdr.df:
            self._count("FragFails")
            if trace is not None:
                trace.drop(
                    name,
                    f"packet of {len(packet)} bytes exceeds MTU {mtu} of {rt.dev.name} with DF "
                    f"set: ICMP fragmentation needed (mtu {mtu}) to {hdr.src}",
                    DropReason.PKT_TOO_BIG,
                )
            self.icmp_send(packet, icmpw.ICMP_DEST_UNREACH, icmpw.ICMP_FRAG_NEEDED, trace, mtu=mtu)
            return
        if trace is not None:
            trace.add(
                name,
                f"forward {hdr.src} -> {hdr.dst} via route '{rt.describe()}', "
                f"ttl {hdr.ttl} -> {hdr.ttl - 1}",
                EventKind.ROUTE,
            )
        self._count("ForwDatagrams")
        hdr2 = hdr.with_ttl(hdr.ttl - 1)
        nexthop = rt.via if rt.via is not None else int(hdr.dst)
        self._output_frags(rt.dev, nexthop, hdr2, payload, trace)

    # -- local delivery -----------------------------------------------------------------
    def ip_local_deliver(
        self, dev: NetDevice, hdr: Ipv4Header, payload: bytes, trace: TraceNode | None
    ) -> None:
        if hdr.mf or hdr.frag_offset:
            whole = self._defrag(hdr, payload)
            if whole is None:
                if trace is not None:
                    trace.add(dev.where, "fragment queued for reassembly", EventKind.FRAGMENT)
                return
            hdr, payload = whole
        if hdr.proto == IPPROTO_ICMP:
            self.icmp_rcv(dev, hdr, payload, trace)
        elif hdr.proto == IPPROTO_UDP:
            self.udp_rcv(dev, hdr, payload, trace)
        else:
            if trace is not None:
                trace.drop(dev.where, f"no handler for IP protocol {hdr.proto}",
                           DropReason.IP_NOPROTO)
            self.icmp_send(
                hdr.emit(payload), icmpw.ICMP_DEST_UNREACH, icmpw.ICMP_PROT_UNREACH, trace
            )

    def _defrag(self, hdr: Ipv4Header, payload: bytes) -> tuple[Ipv4Header, bytes] | None:
        """``ip_defrag``: gather fragments; return the whole datagram when complete."""
        key = (int(hdr.src), int(hdr.dst), hdr.ident, hdr.proto)
        frags = self._frags.get(key)
        if frags is None:
            frags = self._frags[key] = []
            # ipfrag_time: the timer belongs to this queue, not to whatever later reuses key
            self.sched.after(IPFRAG_TIME, self._frag_expire, (key, frags))
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
        del self._frags[key]
        first = frags[0][0]
        return dataclasses.replace(first, mf=False, frag_offset=0), b"".join(p for _, p in frags)

    def _frag_expire(self, arg: tuple[tuple[int, int, int, int], list[object]]) -> None:
        key, queue = arg
        if self._frags.get(key) is queue:
            del self._frags[key]

    def icmp_rcv(
        self, dev: NetDevice, hdr: Ipv4Header, payload: bytes, trace: TraceNode | None
    ) -> None:
        try:
            msg = icmpw.IcmpMessage.parse(payload)
        except ParseError as e:
            if trace is not None:
                trace.drop(dev.where, f"bad ICMP: {e}", DropReason.PKT_TOO_SMALL)
            return
        if msg.type == icmpw.ICMP_ECHO:
            dst = int(hdr.dst)
            if dst == 0xFFFFFFFF or dst >> 28 == 0xE or self._is_bcast(dst):
                # icmp_echo_ignore_broadcasts=1 (the default): no smurf amplifier
                if trace is not None:
                    trace.drop(dev.where, f"echo request to broadcast/multicast {hdr.dst} "
                               "ignored (icmp_echo_ignore_broadcasts)", DropReason.INVALID_PROTO)
                return
            if trace is not None:
                trace.deliver(dev.where, f"{hdr.dst}")
            reply = icmpw.IcmpMessage(icmpw.ICMP_ECHOREPLY, 0, msg.rest, msg.payload).emit()
            t = trace.branch(f"echo reply {hdr.dst} -> {hdr.src}", probe=False) if (
                trace is not None
            ) else None
            try:
                self.ip_output(int(hdr.src), IPPROTO_ICMP, reply, t, src=int(hdr.dst))
            except OSError as e:
                if t is not None:
                    t.drop(self.ns.name, f"echo reply not sent: {e}", DropReason.IP_OUTNOROUTES)
            return
        if msg.type == icmpw.ICMP_ECHOREPLY:
            sock = self.icmp_sockets.get(msg.ident)
            if sock is not None:
                if trace is not None:
                    trace.deliver(dev.where, f"echo reply for ping id {msg.ident}")
                sock(hdr.src, hdr.dst, msg, trace, hdr.ttl)
            elif trace is not None:
                trace.drop(dev.where, "echo reply for no ping socket", DropReason.NO_SOCKET)
            return
        if msg.is_error:
            # hand the error to the ping socket whose echo request it quotes
            try:
                inner = _parse_quoted(msg.payload)
            except ParseError:
                return
            inner_payload = msg.payload[inner.header_len :]
            if msg.type == icmpw.ICMP_DEST_UNREACH and msg.code == icmpw.ICMP_FRAG_NEEDED:
                # icmp_unreach -> ipv4_update_pmtu: later packets to that destination
                # are sized (or refused with EMSGSIZE) by the learned MTU
                self.update_pmtu(int(inner.dst), msg.mtu or 576, trace)
            if inner.proto == IPPROTO_ICMP and len(inner_payload) >= 8:
                ident = int.from_bytes(inner_payload[4:6], "big")
                sock = self.icmp_sockets.get(ident)
                if sock is not None:
                    if trace is not None:
                        trace.add(dev.where, f"ICMP error from {hdr.src} to ping id {ident}",
                                  EventKind.ICMP)
                    sock(hdr.src, hdr.dst, msg, trace, hdr.ttl)
            return

    def udp_rcv(
        self, dev: NetDevice, hdr: Ipv4Header, payload: bytes, trace: TraceNode | None
    ) -> None:
        try:
            udp, data = UdpHeader.parse(payload)
        except ParseError as e:
            if trace is not None:
                trace.drop(dev.where, f"bad UDP: {e}", DropReason.PKT_TOO_SMALL)
            return
        sock = self.udp_sockets.get(udp.dport)
        if sock is None:
            if trace is not None:
                trace.drop(dev.where, f"no socket on UDP port {udp.dport}: ICMP port unreachable",
                           DropReason.NO_SOCKET)
            self.icmp_send(
                hdr.emit(payload), icmpw.ICMP_DEST_UNREACH, icmpw.ICMP_PORT_UNREACH, trace
            )
            return
        if trace is not None:
            flow = f"{hdr.src}:{udp.sport} -> {hdr.dst}:{udp.dport}"
            trace.add(dev.where, f"UDP {flow}: to its socket", EventKind.SOCKET)
        sock(hdr.src, udp.sport, hdr.dst, data, trace)

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
        self._output_frags(rt.dev, nexthop, hdr, payload, trace, mtu=mtu)

    def _output_frags(
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
            self._count("FragFails")
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
        if dev.noarp:
            self.dev_xmit_ip(dev, b"\x00" * 6, packet, trace)
        elif nexthop >> 28 == 0xE:
            # ip_eth_mc_map: 01:00:5e + the low 23 bits of the group, no ARP
            mac = b"\x01\x00\x5e" + (nexthop & 0x7FFFFF).to_bytes(3, "big")
            self.dev_xmit_ip(dev, mac, packet, trace)
        else:
            self.neigh.output(dev, nexthop, packet, trace)

    def dev_xmit_ip(
        self, dev: NetDevice, dst_mac: bytes, packet: bytes, trace: TraceNode | None
    ) -> None:
        dev.xmit(Skb(dst_mac + dev.mac + ETH_P_IP + packet, trace))

    # -- ICMP errors --------------------------------------------------------------------
    def link_failure(self, packet: bytes, trace: TraceNode | None) -> None:
        """``ipv4_link_failure``: the neighbour failed; tell the sender host unreachable."""
        self.icmp_send(packet, icmpw.ICMP_DEST_UNREACH, icmpw.ICMP_HOST_UNREACH, trace)

    def icmp_send(
        self, packet: bytes, type_: int, code: int, trace: TraceNode | None, *, mtu: int = 0
    ) -> None:
        try:
            hdr, payload = Ipv4Header.parse(packet)
        except ParseError:
            return
        if hdr.frag_offset:
            return  # only about the first fragment
        dst_int = int(hdr.dst)
        if dst_int == 0xFFFFFFFF or (dst_int >> 28) == 0xE or self._is_bcast(dst_int):
            return
        if hdr.proto == IPPROTO_ICMP and len(payload) >= 1:
            if payload[0] not in (icmpw.ICMP_ECHO, icmpw.ICMP_ECHOREPLY, 13, 14, 15, 16, 17, 18):
                return  # never an error about an error
        peer = int(hdr.src)
        if not self.is_local(peer) and not self.icmp_limit.allow(
            self.sched.now, type_, code, peer
        ):
            self._count("IcmpRateLimited")
            if trace is not None:
                trace.add(self.ns.name, f"ICMP {_icmp_name(type_, code, mtu)} to {hdr.src} "
                          "suppressed by icmp_ratelimit (1/s per peer, burst 6)", EventKind.ICMP)
            return
        original = packet[: hdr.total_length]
        if type_ == icmpw.ICMP_TIME_EXCEEDED:
            msg = icmpw.IcmpMessage.time_exceeded(original)
        else:
            msg = icmpw.IcmpMessage.dest_unreach(code, original, mtu=mtu)
        src = dst_int if self.is_local(dst_int) else None
        t = None
        if trace is not None:
            t = trace.branch(f"ICMP {_icmp_name(type_, code, mtu)} -> {hdr.src}", probe=False)
        try:
            self.ip_output(int(hdr.src), IPPROTO_ICMP, msg.emit(), t, src=src)
        except OSError as e:
            if t is not None:
                t.drop(self.ns.name, f"ICMP error not sent: {e}", DropReason.IP_OUTNOROUTES)


def _parse_quoted(data: bytes) -> Ipv4Header:
    """Parse a quoted (possibly truncated) IP header inside an ICMP error."""
    if len(data) < 20 or data[0] >> 4 != 4:
        raise ParseError("icmp: quoted datagram too short")
    ihl = (data[0] & 0xF) * 4
    proto = data[9]
    src = IPv4Address(data[12:16])
    dst = IPv4Address(data[16:20])
    total, ident, frag = struct.unpack("!HHH", data[2:8])
    return Ipv4Header(
        src=src, dst=dst, proto=proto, ttl=data[8], ident=ident,
        df=bool(frag & 0x4000), options=data[20:ihl] if ihl > 20 else b"",
    )


def _icmp_name(type_: int, code: int, mtu: int = 0) -> str:
    if type_ == icmpw.ICMP_TIME_EXCEEDED:
        return "time exceeded in-transit"
    names = {
        icmpw.ICMP_NET_UNREACH: "net unreachable",
        icmpw.ICMP_HOST_UNREACH: "host unreachable",
        icmpw.ICMP_PROT_UNREACH: "protocol unreachable",
        icmpw.ICMP_PORT_UNREACH: "port unreachable",
        icmpw.ICMP_FRAG_NEEDED: f"frag needed (mtu {mtu})",
    }
    return names.get(code, f"unreachable code {code}")


def icmp_error_text(msg: icmpw.IcmpMessage) -> str:
    """The words ping prints for an ICMP error (iputils ``pr_icmph``)."""
    if msg.type == icmpw.ICMP_TIME_EXCEEDED:
        return "Time to live exceeded"
    if msg.type == icmpw.ICMP_DEST_UNREACH:
        return {
            icmpw.ICMP_NET_UNREACH: "Destination Net Unreachable",
            icmpw.ICMP_HOST_UNREACH: "Destination Host Unreachable",
            icmpw.ICMP_PROT_UNREACH: "Destination Protocol Unreachable",
            icmpw.ICMP_PORT_UNREACH: "Destination Port Unreachable",
            icmpw.ICMP_FRAG_NEEDED: f"Frag needed and DF set (mtu = {msg.mtu})",
        }.get(msg.code, f"Dest Unreachable, Bad Code: {msg.code}")
    return f"ICMP type {msg.type} code {msg.code}"
