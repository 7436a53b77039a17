"""IPv6 receive: ``ip6_rcv``, local delivery, reassembly and ``ip6_forward``
(net/ipv6/ip6_input.c, reassembly.c, ip6_output.c ``ip6_forward``).

Design note
-----------
``ip6_rcv`` is what ``PTYPE_BASE`` names for 0x86DD. ``ip6_rcv_core``: a device with
``disable_ipv6`` drops everything (IPV6DISABLED); a bad header is IP_INHDR; a multicast
source or a loopback address on the wire is dropped. ``ip6_route_input``: a multicast
destination is delivered when the device joined the group (``ipv6_chk_mcast_addr``), a
usable local address is delivered (weak host, a link-local only on its own device),
anything else is forwarded when ``conf.all.forwarding`` is on (a device's own
``forwarding`` alone does not forward: measured, 6.18; its ``force_forwarding`` is not
modelled) and dropped silently otherwise (``ip6_forward`` → IPSTATS_MIB_INADDRERRORS).

``ip6_input_finish`` walks the extension headers (hop-by-hop with Router Alert is how MLD
arrives), reassembles fragments (``ipv6_frag_rcv``) and hands the upper layer to the handler
``INET6_PROTOS`` names; none: ICMPv6 parameter problem, unknown next header, pointing at
the next-header byte (``ip6_protocol_deliver_rcu``).

``ip6_forward``: hop limit <= 1 → time exceeded; a link-local source → destination
unreachable "beyond scope"; no route → "no route"; larger than the egress MTU → packet
too big with that MTU (routers never fragment IPv6); then hop limit - 1 and the neighbour
layer. Redirects (same in and out device) are not sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.clock import S
from vnetlab.sim.stack.addr6 import LOOPBACK6, ip6_str, is_linklocal, is_multicast
from vnetlab.sim.stack.icmpv6 import icmpv6_send
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire import icmpv6 as icmp6w
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ipv6 import IPV6_HLEN, Ipv6Header, walk_ext_headers
from vnetlab.wire.udp import UdpHeader

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice, Skb
    from vnetlab.sim.stack.ipv6 import Ipv6Stack
    from vnetlab.sim.stack.netns import Namespace

IP6_FRAG_TIME = 60 * S
IPV6_MIN_MTU = 1280


def ip6_rcv(ns: Namespace, dev: NetDevice, skb: Skb) -> None:
    """``ipv6_rcv`` → ``ip6_rcv_core`` → ``ip6_rcv_finish`` → ``ip6_route_input``."""
    stack = ns.ipv6
    trace = skb.trace
    if stack.disabled(dev):
        stack.count("InDiscards")
        if trace is not None:
            trace.drop(dev.where, f"IPv6 is disabled on {dev.name} (disable_ipv6=1)",
                       DropReason.IPV6DISABLED)
        return
    packet = skb.data[14:]
    try:
        hdr, payload = Ipv6Header.parse(packet)
    except ParseError as e:
        stack.count("InHdrErrors")
        if trace is not None:
            trace.drop(dev.where, f"bad IPv6 header: {e}", DropReason.IP_INHDR)
        return
    src, dst = int(hdr.src), int(hdr.dst)
    if is_multicast(src) or ((src == LOOPBACK6 or dst == LOOPBACK6)
                             and dev is not ns.lo):
        stack.count("InAddrErrors")
        if trace is not None:
            trace.drop(dev.where, f"IPv6 {hdr.src} -> {hdr.dst}: multicast source or "
                       "loopback address on the wire", DropReason.IP_INADDRERRORS)
        return
    packet = packet[:IPV6_HLEN + hdr.payload_length]
    if is_multicast(dst):
        if dev is ns.lo or stack.mc_joined(dev, dst):
            ip6_input(stack, dev, hdr, payload, trace)
        elif trace is not None:
            trace.drop(dev.where, f"multicast {hdr.dst}: group not joined on {dev.name}",
                       DropReason.OTHERHOST, copy=True)
        return
    if stack.is_local(dst, dev):
        ip6_input(stack, dev, hdr, payload, trace)
        return
    if not stack.forwarding():
        stack.count("InAddrErrors")
        if trace is not None:
            trace.drop(ns.name, f"{hdr.dst} is not a local address and IPv6 forwarding is "
                       "off (net.ipv6.conf.all.forwarding=0)", DropReason.IP_INADDRERRORS)
        return
    ip6_forward(stack, dev, hdr, payload, packet, trace)


def ip6_forward(stack: Ipv6Stack, indev: NetDevice, hdr: Ipv6Header, payload: bytes,
                packet: bytes, trace: TraceNode | None) -> None:
    """``ip6_forward``."""
    name = stack.ns.name
    dst, src = int(hdr.dst), int(hdr.src)
    if hdr.hop_limit <= 1:
        stack.count("InHdrErrors")
        if trace is not None:
            trace.drop(name, f"hop limit expired forwarding to {hdr.dst}: ICMPv6 time "
                       "exceeded", DropReason.IP_INHDR)
        icmpv6_send(stack, packet, icmp6w.ICMPV6_TIME_EXCEED, icmp6w.ICMPV6_EXC_HOPLIMIT,
                    trace, indev=indev)
        return
    if is_linklocal(dst):
        if trace is not None:
            trace.drop(name, f"link-local destination {hdr.dst} is not forwarded",
                       DropReason.IP_INADDRERRORS)
        return
    rt = stack.fib6.lookup(dst)
    if rt is not None and rt.type in ("prohibit", "blackhole"):
        # ip6_pkt_prohibit / dst_discard: administratively prohibited, or silence
        stack.count("InNoRoutes")
        if trace is not None:
            what = ("ICMPv6 destination unreachable (administratively prohibited)"
                    if rt.type == "prohibit" else "dropped silently")
            trace.drop(name, f"{rt.type} route {rt.dst_str} for {hdr.dst}: {what}",
                       DropReason.IP_INNOROUTES)
        if rt.type == "prohibit":
            icmpv6_send(stack, packet, icmp6w.ICMPV6_DEST_UNREACH,
                        icmp6w.ICMPV6_ADM_PROHIBITED, trace, indev=indev)
        return
    if rt is None or rt.type != "unicast":
        stack.count("InNoRoutes")
        if trace is not None:
            trace.drop(name, f"no route to {hdr.dst}: ICMPv6 destination unreachable (no "
                       f"route) to {hdr.src}", DropReason.IP_INNOROUTES)
        icmpv6_send(stack, packet, icmp6w.ICMPV6_DEST_UNREACH, icmp6w.ICMPV6_NOROUTE,
                    trace, indev=indev)
        return
    if is_linklocal(src):
        # ip6_forward: a link-local source cannot leave its link
        if trace is not None:
            trace.drop(name, f"link-local source {hdr.src} cannot be forwarded: ICMPv6 "
                       "destination unreachable (beyond scope)", DropReason.IP_INADDRERRORS)
        icmpv6_send(stack, packet, icmp6w.ICMPV6_DEST_UNREACH, icmp6w.ICMPV6_NOT_NEIGHBOUR,
                    trace, indev=indev)
        return
    mtu = max(stack.path_mtu(rt.dev, dst), IPV6_MIN_MTU)
    if len(packet) > mtu:
        stack.count("InTooBigErrors")
        if trace is not None:
            trace.drop(name, f"packet of {len(packet)} bytes exceeds MTU {mtu} of "
                       f"{rt.dev.name}: ICMPv6 packet too big (mtu {mtu}) to {hdr.src}",
                       DropReason.PKT_TOO_BIG)
        icmpv6_send(stack, packet, icmp6w.ICMPV6_PKT_TOOBIG, 0, trace, info=mtu,
                    indev=indev)
        return
    if trace is not None:
        trace.add(name, f"forward {hdr.src} -> {hdr.dst} via route '{rt.describe()}', "
                  f"hop limit {hdr.hop_limit} -> {hdr.hop_limit - 1}", EventKind.ROUTE)
    stack.count("OutForwDatagrams")
    out = hdr.with_hop_limit(hdr.hop_limit - 1).emit(payload)
    nexthop = rt.via if rt.via is not None else dst
    stack.neigh_output(rt.dev, nexthop, out, trace)


def ip6_input(stack: Ipv6Stack, dev: NetDevice, hdr: Ipv6Header, payload: bytes,
              trace: TraceNode | None) -> None:
    """``ip6_input_finish``: extension headers, reassembly, then ``INET6_PROTOS``."""
    try:
        nh, off, frag, _ra = walk_ext_headers(hdr.next_header, payload)
    except ParseError as e:
        stack.count("InHdrErrors")
        if trace is not None:
            trace.drop(dev.where, f"bad IPv6 extension header: {e}",
                       DropReason.IPV6_BAD_EXTHDR)
        return
    if frag is not None:
        if frag.offset == 0:  # kept for the time exceeded a timed-out queue sends
            stack.frag_first[(int(hdr.src), int(hdr.dst), frag.ident)] = hdr.emit(payload)
        whole = ipv6_frag_rcv(stack, hdr, frag.ident, frag.offset, frag.more, nh,
                              payload[off:])
        if whole is None:
            if trace is not None:
                trace.add(dev.where, "fragment queued for reassembly", EventKind.FRAGMENT)
            return
        nh, data = whole
        hdr = Ipv6Header(hdr.src, hdr.dst, nh, hdr.hop_limit, hdr.traffic_class,
                         hdr.flow_label, len(data))
        off, payload = 0, data
    handler = stack.ns.inet6_protos.get(nh)
    if handler is not None:
        stack.count("InDelivers")
        handler(stack.ns, dev, hdr, payload[off:], trace)
        return
    stack.count("InUnknownProtos")
    if trace is not None:
        trace.drop(dev.where, f"no handler for next header {nh}", DropReason.IP_NOPROTO)
    # the pointer is the offset of the next-header byte that named NH
    pointer = 6 if off == 0 else IPV6_HLEN + off - 8
    icmpv6_send(stack, hdr.emit(payload), icmp6w.ICMPV6_PARAMPROB, icmp6w.ICMPV6_UNK_NEXTHDR,
                trace, info=pointer, indev=dev)


def ipv6_frag_rcv(stack: Ipv6Stack, hdr: Ipv6Header, ident: int, offset: int, more: bool,
                  nh: int, data: bytes) -> tuple[int, bytes] | None:
    """``ipv6_frag_rcv``: gather by (src, dst, id); the whole upper layer when complete."""
    key = (int(hdr.src), int(hdr.dst), ident)
    q = stack.frags.get(key)
    if q is None:
        q = stack.frags[key] = []
        stack.sched.after(IP6_FRAG_TIME, stack.frag_expire, (key, q))
    if any(o == offset for o, _m, _d in q):
        return None
    q.append((offset, more, data if offset else bytes([nh]) + data))
    q.sort(key=lambda e: e[0])
    pos = 0
    for o, _m, d in q:
        if o * 8 != pos:
            return None
        pos += len(d) - (1 if o == 0 else 0)
    if q[-1][1]:
        return None
    del stack.frags[key]
    stack.frag_first.pop(key, None)
    first = q[0][2]
    return first[0], first[1:] + b"".join(d for o, _m, d in q[1:])


def udpv6_rcv(ns: Namespace, dev: NetDevice, hdr: Ipv6Header, payload: bytes,
              trace: TraceNode | None) -> None:
    """``udpv6_rcv``: a bound socket gets it; none: ICMPv6 port unreachable."""
    stack = ns.ipv6
    try:
        uh, data = UdpHeader.parse(payload)
    except ParseError as e:
        if trace is not None:
            trace.drop(dev.where, f"bad UDP: {e}", DropReason.PKT_TOO_SMALL)
        return
    sock = stack.udp6_sockets.get(uh.dport)
    if sock is not None:
        if trace is not None:
            trace.deliver(dev.where, f"UDP port {uh.dport}")
        sock(hdr, uh, data, trace)
        return
    if trace is not None:
        trace.drop(dev.where, f"UDP to {ip6_str(int(hdr.dst))} port {uh.dport}: no socket",
                   DropReason.NO_SOCKET)
    if not is_multicast(int(hdr.dst)):
        icmpv6_send(stack, hdr.emit(payload), icmp6w.ICMPV6_DEST_UNREACH,
                    icmp6w.ICMPV6_PORT_UNREACH, trace, indev=dev)
