"""ICMPv6: echo, errors to the sender, errors to ping sockets (net/ipv6/icmp.c).

Design note
-----------
``icmpv6_rcv`` is the handler ``INET6_PROTOS`` names for next header 58. It verifies the
checksum over the pseudo-header, then: an echo request is answered (also to a multicast
group we joined: ``echo_ignore_multicast`` 0 — ``ping ff02::1`` gets answers), from the
address it was sent to or, for a group, the source ``ipv6_dev_get_saddr`` picks; echo
replies and errors go to the ping socket whose identifier they carry or quote; a packet too
big teaches the path MTU (``ip6_update_pmtu``); ND types go to ``ndisc_rcv``, MLD types to
``mcast6`` when it exists.

``icmpv6_send`` (``icmp6_send``) follows the kernel's rules for errors: never about an
ICMPv6 error or an NDISC message, about a multicast destination only for packet too big
(and parameter problem with code 2, not produced here), never to an unspecified or
multicast source; rate limited per peer (``icmp6_ratelimit.py``) unless local; the source
is the offending packet's destination when it is ours, else the address the route back
selects; the quote keeps the error within 1280 bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv6Address
from typing import TYPE_CHECKING

from vnetlab.sim.stack.addr6 import ip6_str, is_multicast
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire import icmpv6 as icmp6w
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ipv6 import IPPROTO_ICMPV6, IPV6_HLEN, Ipv6Header, walk_ext_headers

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice
    from vnetlab.sim.stack.ipv6 import Ipv6Stack
    from vnetlab.sim.stack.netns import Namespace

#: a ping6 socket: (src, dst, message, trace, hop limit of the packet that carried it)
IcmpHandler6 = Callable[
    [IPv6Address, IPv6Address, icmp6w.Icmpv6Message, TraceNode | None, int], None
]

_ND_TYPES = frozenset({133, 134, 135, 136, 137})
_MLD_TYPES = frozenset({130, 131, 132, 143})


def icmpv6_rcv(ns: Namespace, dev: NetDevice, hdr: Ipv6Header, payload: bytes,
               trace: TraceNode | None) -> None:
    stack = ns.ipv6
    try:
        msg = icmp6w.Icmpv6Message.parse(payload, hdr.src, hdr.dst)
    except ParseError as e:
        stack.count("Icmp6InErrors")
        if trace is not None:
            reason = (DropReason.ICMP_CSUM if "checksum" in str(e)
                      else DropReason.PKT_TOO_SMALL)
            trace.drop(dev.where, f"bad ICMPv6: {e}", reason)
        return
    t = msg.type
    if t in _ND_TYPES:
        from vnetlab.sim.stack.ndisc import ndisc_rcv

        ndisc_rcv(ns, dev, hdr, msg, trace)
        return
    if t in _MLD_TYPES:
        from vnetlab.sim.stack.ipv6 import _mcast6

        m = _mcast6()
        handler = getattr(m, "igmp6_event_report", None) if m is not None else None
        if handler is not None:
            handler(ns, dev, hdr, msg, trace)
        elif trace is not None:
            trace.deliver(dev.where, f"MLD message type {t} (not acted on)")
        return
    if t == icmp6w.ICMPV6_ECHO_REQUEST:
        _echo_reply(stack, dev, hdr, msg, trace)
        return
    if t == icmp6w.ICMPV6_ECHO_REPLY:
        sock = stack.icmp6_sockets.get(msg.ident)
        if sock is not None:
            if trace is not None:
                trace.deliver(dev.where, f"echo reply for ping id {msg.ident}")
            sock(hdr.src, hdr.dst, msg, trace, hdr.hop_limit)
        elif trace is not None:
            trace.drop(dev.where, "echo reply for no ping socket", DropReason.NO_SOCKET)
        return
    if msg.is_error:
        _error_rcv(stack, dev, hdr, msg, trace)
        return
    if trace is not None:
        trace.deliver(dev.where, f"ICMPv6 type {t} (not acted on)")


def _echo_reply(stack: Ipv6Stack, dev: NetDevice, hdr: Ipv6Header,
                msg: icmp6w.Icmpv6Message, trace: TraceNode | None) -> None:
    """``icmpv6_echo_reply``."""
    dst = int(hdr.dst)
    mc = is_multicast(dst)
    if mc and int(stack.icmp_conf["echo_ignore_multicast"]):
        if trace is not None:
            trace.drop(dev.where, f"echo request to {hdr.dst} ignored "
                       "(icmp.echo_ignore_multicast)", DropReason.INVALID_PROTO)
        return
    if int(stack.icmp_conf["echo_ignore_all"]):
        if trace is not None:
            trace.drop(dev.where, "echo request ignored (icmp.echo_ignore_all)",
                       DropReason.INVALID_PROTO)
        return
    if trace is not None:
        trace.deliver(dev.where, f"{hdr.dst}")
    src = None if mc else dst
    reply = icmp6w.Icmpv6Message(icmp6w.ICMPV6_ECHO_REPLY, 0, msg.rest, msg.payload)
    peer = int(hdr.src)
    t = trace.branch(f"echo reply {hdr.dst} -> {hdr.src}", probe=False) if (
        trace is not None) else None
    _send(stack, peer, src, reply, t, oif=dev)


def _send(stack: Ipv6Stack, peer: int, src: int | None, msg: icmp6w.Icmpv6Message,
          trace: TraceNode | None, *, oif: NetDevice | None = None) -> None:
    """Route toward PEER, pick the source, checksum over the pseudo-header, output."""
    from vnetlab.sim.stack.addr6 import is_linklocal

    try:
        link = is_linklocal(peer) or is_multicast(peer)
        rt = stack.route_output(peer, oif if link else None)
        if src is None:
            src = stack.select_src(rt.dev, peer)
        if src is None:
            raise OSError("no source address")
        body = msg.emit(IPv6Address(src), IPv6Address(peer))
        stack.ip6_output(peer, IPPROTO_ICMPV6, body, trace, src=src,
                         oif=oif if link else None)
    except OSError as e:
        if trace is not None:
            trace.drop(stack.ns.name, f"ICMPv6 not sent: {e}", DropReason.IP_OUTNOROUTES)


def _error_rcv(stack: Ipv6Stack, dev: NetDevice, hdr: Ipv6Header,
               msg: icmp6w.Icmpv6Message, trace: TraceNode | None) -> None:
    """``icmpv6_notify``: PMTU from a packet too big, then the ping socket it quotes."""
    q = msg.payload
    if len(q) < IPV6_HLEN or q[0] >> 4 != 6:
        return
    inner_dst = int.from_bytes(q[24:40], "big")
    if msg.type == icmp6w.ICMPV6_PKT_TOOBIG:
        stack.update_pmtu(inner_dst, msg.mtu, trace)
    try:
        nh, off, _frag, _ra = walk_ext_headers(q[6], q[IPV6_HLEN:])
    except ParseError:
        return
    inner = q[IPV6_HLEN + off:]
    if nh == IPPROTO_ICMPV6 and len(inner) >= 8 and inner[0] == icmp6w.ICMPV6_ECHO_REQUEST:
        ident = int.from_bytes(inner[4:6], "big")
        sock = stack.icmp6_sockets.get(ident)
        if sock is not None:
            if trace is not None:
                trace.add(dev.where, f"ICMPv6 error from {hdr.src} to ping id {ident}",
                          EventKind.ICMP)
            sock(hdr.src, hdr.dst, msg, trace, hdr.hop_limit)
            return
        if trace is not None:
            trace.drop(dev.where, f"ICMPv6 error for ping id {ident}: no such ping socket "
                       "(ping has exited)", DropReason.NO_SOCKET)
        return
    if trace is not None:
        trace.deliver(dev.where, f"ICMPv6 error from {hdr.src} (no socket to tell)")


def icmpv6_send(stack: Ipv6Stack, packet: bytes, type_: int, code: int,
                trace: TraceNode | None, *, info: int = 0,
                indev: NetDevice | None = None) -> None:
    """``icmp6_send``: an error about PACKET (an IPv6 packet) back to its source."""
    try:
        hdr, payload = Ipv6Header.parse(packet)
    except ParseError:
        return
    src, dst = int(hdr.src), int(hdr.dst)
    if is_multicast(dst) and type_ != icmp6w.ICMPV6_PKT_TOOBIG:
        return  # RFC 4443 2.4 (e.3): not about a multicast destination
    if src == 0 or is_multicast(src):
        return
    try:
        nh, off, frag, _ra = walk_ext_headers(hdr.next_header, payload)
    except ParseError:
        nh, off, frag = -1, 0, None
    if frag is not None and frag.offset:
        return
    if nh == IPPROTO_ICMPV6 and len(payload) > off:
        t = payload[off]
        if t < 128 or t in _ND_TYPES:
            return  # is_ineligible: never about an error or a redirect/ND message
    local_peer = stack.is_local(src)
    if not local_peer:
        rt = stack.fib6.lookup(src)
        plen = rt.plen if rt is not None else 0
        if not stack.icmp_limit.allow(
            stack.sched.now, type_, src, ratelimit_ms=int(stack.icmp_conf["ratelimit"]),
            ratemask=str(stack.icmp_conf["ratemask"]), plen=plen,
        ):
            stack.count("Icmp6RateLimited")
            if trace is not None:
                trace.add(stack.ns.name, f"ICMPv6 {icmpv6_name(type_, code, info)} to "
                          f"{hdr.src} suppressed by net.ipv6.icmp.ratelimit", EventKind.ICMP)
            return
    msg = icmp6w.Icmpv6Message.error(type_, code, packet[:IPV6_HLEN + hdr.payload_length],
                                     info)
    esrc = dst if stack.is_local(dst) else None
    t2 = None
    if trace is not None:
        t2 = trace.branch(f"ICMPv6 {icmpv6_name(type_, code, info)} -> {hdr.src}",
                          probe=False)
    stack.count("Icmp6OutErrors")
    _send(stack, src, esrc, msg, t2, oif=indev)


def icmpv6_name(type_: int, code: int, info: int = 0) -> str:
    if type_ == icmp6w.ICMPV6_TIME_EXCEED:
        return "time exceeded in-transit" if code == 0 else "time exceeded (reassembly)"
    if type_ == icmp6w.ICMPV6_PKT_TOOBIG:
        return f"packet too big (mtu {info})"
    if type_ == icmp6w.ICMPV6_PARAMPROB:
        return f"parameter problem code {code} pointer {info}"
    return {
        0: "unreachable route",
        1: "unreachable prohibited",
        2: "unreachable beyond scope",
        3: "unreachable address",
        4: "unreachable port",
    }.get(code, f"unreachable code {code}")


def icmpv6_error_text(msg: icmp6w.Icmpv6Message) -> str:
    """The words ``ping -6`` prints for an ICMPv6 error (iputils ``pr_icmph`` for v6)."""
    t, c = msg.type, msg.code
    if t == icmp6w.ICMPV6_DEST_UNREACH:
        return {
            0: "Destination unreachable: No route",
            1: "Destination unreachable: Administratively prohibited",
            2: "Destination unreachable: Beyond scope of source address",
            3: "Destination unreachable: Address unreachable",
            4: "Destination unreachable: Port unreachable",
        }.get(c, f"Destination unreachable: Unknown code {c}")
    if t == icmp6w.ICMPV6_PKT_TOOBIG:
        return f"Packet too big: mtu={msg.mtu}"
    if t == icmp6w.ICMPV6_TIME_EXCEED:
        return {0: "Time exceeded: Hop limit",
                1: "Time exceeded: Defragmentation failure"}.get(
                    c, f"Time exceeded: code {c}")
    if t == icmp6w.ICMPV6_PARAMPROB:
        word = {0: "Wrong header field ", 1: "Unknown header ", 2: "Unknown option "}.get(
            c, f"code {c} ")
        return f"Parameter problem: {word}at {msg.rest}"
    return f"Bad ICMP type: {t}"


__all__ = ["IcmpHandler6", "icmpv6_error_text", "icmpv6_rcv", "icmpv6_send", "ip6_str"]
