"""ICMP: echo, errors to the sender, errors to ping sockets (net/ipv4/icmp.c).

Design note
-----------
``icmp_rcv`` is the handler the namespace's ``inet_protos`` table names for IP protocol 1.
An echo request to a unicast address of ours is answered from that address; to a
broadcast or multicast address it is ignored (``icmp_echo_ignore_broadcasts`` 1). Echo
replies and errors go to the ping socket whose identifier they carry (or quote); a
"fragmentation needed" error also teaches the namespace the path MTU (``ipv4_update_pmtu``).

``icmp_send`` follows the kernel's rules for errors: never about an ICMP error, a non-first
fragment or a broadcast/multicast destination; rate limited per peer
(``icmp_ratelimit.py``) unless the peer is local; the source is the original destination
when it was ours, else the address the route back selects.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire import icmp as icmpw
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ipv4 import IPPROTO_ICMP, Ipv4Header

if TYPE_CHECKING:
    from vnetlab.sim.stack.ipv4 import Ipv4Stack
    from vnetlab.sim.stack.netns import Namespace

#: a ping socket: (src, dst, message, trace, ttl of the packet that carried it)
IcmpHandler = Callable[
    [IPv4Address, IPv4Address, icmpw.IcmpMessage, TraceNode | None, int], None
]


def icmp_rcv(
    ns: Namespace, dev: NetDevice, hdr: Ipv4Header, payload: bytes, trace: TraceNode | None
) -> None:
    """``icmp_rcv``: answer echo requests, hand echo replies and errors to ping sockets."""
    stack = ns.stack
    try:
        msg = icmpw.IcmpMessage.parse(payload)
    except ParseError as e:
        if trace is not None:
            trace.drop(dev.where, f"bad ICMP: {e}", DropReason.PKT_TOO_SMALL)
        return
    if msg.type == icmpw.ICMP_ECHO:
        dst = int(hdr.dst)
        if dst == 0xFFFFFFFF or dst >> 28 == 0xE or stack.is_bcast(dst):
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
            stack.ip_output(int(hdr.src), IPPROTO_ICMP, reply, t, src=int(hdr.dst))
        except OSError as e:
            if t is not None:
                t.drop(ns.name, f"echo reply not sent: {e}", DropReason.IP_OUTNOROUTES)
        return
    if msg.type == icmpw.ICMP_ECHOREPLY:
        sock = stack.icmp_sockets.get(msg.ident)
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
            stack.update_pmtu(int(inner.dst), msg.mtu or 576, trace)
        if inner.proto == IPPROTO_ICMP and len(inner_payload) >= 8:
            ident = int.from_bytes(inner_payload[4:6], "big")
            sock = stack.icmp_sockets.get(ident)
            if sock is not None:
                if trace is not None:
                    trace.add(dev.where, f"ICMP error from {hdr.src} to ping id {ident}",
                              EventKind.ICMP)
                sock(hdr.src, hdr.dst, msg, trace, hdr.ttl)
        return


def icmp_send(
    stack: Ipv4Stack, packet: bytes, type_: int, code: int, trace: TraceNode | None,
    *, mtu: int = 0,
) -> None:
    """``icmp_send``: an error about PACKET back to its sender, within the rules above."""
    try:
        hdr, payload = Ipv4Header.parse(packet)
    except ParseError:
        return
    if hdr.frag_offset:
        return  # only about the first fragment
    dst_int = int(hdr.dst)
    if dst_int == 0xFFFFFFFF or (dst_int >> 28) == 0xE or stack.is_bcast(dst_int):
        return
    if hdr.proto == IPPROTO_ICMP and len(payload) >= 1:
        if payload[0] not in (icmpw.ICMP_ECHO, icmpw.ICMP_ECHOREPLY, 13, 14, 15, 16, 17, 18):
            return  # never an error about an error
    peer = int(hdr.src)
    if not stack.is_local(peer) and not stack.icmp_limit.allow(
        stack.sched.now, type_, code, peer
    ):
        stack.count("IcmpRateLimited")
        if trace is not None:
            trace.add(stack.ns.name, f"ICMP {_icmp_name(type_, code, mtu)} to {hdr.src} "
                      "suppressed by icmp_ratelimit (1/s per peer, burst 6)", EventKind.ICMP)
        return
    original = packet[: hdr.total_length]
    if type_ == icmpw.ICMP_TIME_EXCEEDED:
        msg = icmpw.IcmpMessage.time_exceeded(original)
    else:
        msg = icmpw.IcmpMessage.dest_unreach(code, original, mtu=mtu)
    src = dst_int if stack.is_local(dst_int) else None
    t = None
    if trace is not None:
        t = trace.branch(f"ICMP {_icmp_name(type_, code, mtu)} -> {hdr.src}", probe=False)
    try:
        stack.ip_output(int(hdr.src), IPPROTO_ICMP, msg.emit(), t, src=src)
    except OSError as e:
        if t is not None:
            t.drop(stack.ns.name, f"ICMP error not sent: {e}", DropReason.IP_OUTNOROUTES)


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
