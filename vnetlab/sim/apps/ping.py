"""``ping`` inside an emulated namespace (iputils ping over an ICMP socket).

Design note
-----------
Sends ``count`` echo requests ``interval`` apart (1 s, as ping does), each with iputils'
payload layout: a 16-byte timestamp (virtual time here) then bytes counting up from 0x10.
PMTU discovery follows ``-M``: "want" (ping's default: DF when the packet fits the route
MTU, else fragment), "do" (DF always; too large fails locally with "message too long"),
"dont". ping ends ``timeout`` after its last request, or as soon as every request has been
answered. Error lines use iputils' words ("From 192.168.1.1 icmp_seq=1 Destination Net
Unreachable").

Requests are numbered 1, 2, ... (``sent``/``rtts`` keys); on the wire ``icmp_seq`` is that
number modulo 2**16, as iputils' 16-bit sequence field wraps (``ping -c 65536`` sends
icmp_seq 65535 then 0). A reply is matched to the latest request with its wire sequence.
``ping 0.0.0.0`` pings this host over ``lo`` (Linux's routing, not iputils'); a broadcast
destination needs ``broadcast`` (``-b``, SO_BROADCAST) and goes out to ff:ff:ff:ff:ff:ff,
else the kernel's EACCES is iputils' "Do you want to ping broadcast? Then -b".
Each request is scheduled when the previous one is sent, so a huge ``-c`` costs nothing
up front.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address
from typing import Any

from vnetlab.sim.clock import S
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.icmp import icmp_error_text
from vnetlab.sim.stack.ipv4 import MessageTooLong, NoRoute
from vnetlab.sim.stack.netns import Namespace
from vnetlab.sim.trace import DropReason, TraceNode
from vnetlab.wire import icmp as icmpw
from vnetlab.wire.ipv4 import IPPROTO_ICMP


def ping_payload(size: int, now_ns: int) -> bytes:
    if size < 16:
        return bytes(i & 0xFF for i in range(size))
    sec, usec = divmod(now_ns // 1000, 1_000_000)
    ts = sec.to_bytes(8, "little") + usec.to_bytes(8, "little")
    return ts + bytes(i & 0xFF for i in range(16, size))


#: iputils' words for EACCES from sending to a broadcast address without ``-b``
BROADCAST_REFUSED = ("ping: Do you want to ping broadcast? Then -b. If not, check your "
                     "local firewall rules")
#: the largest echo payload an IPv4 datagram holds: 65535 - 20 (IP) - 8 (ICMP)
MAX_PAYLOAD = 65507


def wire_seq(seq: int) -> int:
    """iputils' ``icmp_seq``: the request number in a 16-bit field (it wraps)."""
    return seq & 0xFFFF


class Ping:
    def __init__(
        self,
        ns: Namespace,
        dst: int,
        *,
        count: int = 1,
        size: int = 56,
        interval: int = 1 * S,
        timeout: int = 1 * S,
        pmtudisc: str = "want",
        ident: int,
        broadcast: bool = False,
        trace: TraceNode | None = None,
        on_done: Callable[[Ping], None] | None = None,
    ) -> None:
        self.ns = ns
        self.dst = ns.stack.output_daddr(dst)  # ping 0.0.0.0 is ping 127.0.0.1
        self.broadcast = broadcast  # -b: SO_BROADCAST
        self.count = count
        self.size = size
        self.interval = interval
        self.timeout = timeout
        self.pmtudisc = pmtudisc
        self.ident = ident
        self.trace = trace
        self.on_done = on_done
        self.sent: dict[int, int] = {}  # seq -> send time
        self.rtts: dict[int, int] = {}
        self.ttls: dict[int, int] = {}
        self.errors: list[str] = []
        self.transmitted = 0
        self.finished = False
        self.end_at: int | None = None

    def start(self) -> None:
        self.ns.stack.icmp_sockets[self.ident] = self._on_icmp
        if not self.broadcast and self.ns.stack.is_bcast_dst(self.dst):
            try:
                self.ns.stack.route_output(self.dst)
            except NoRoute:
                pass  # the first send reports "Network is unreachable"
            else:
                self.errors.append(BROADCAST_REFUSED)
                self._finish()
                return
        if self.count > 0:
            self.ns.sched.after(0, self._send, 1)

    def _send(self, seq: int) -> None:
        if self.finished:
            return
        sched = self.ns.sched
        if seq < self.count:
            sched.after(self.interval, self._send, seq + 1)
        if self.size > MAX_PAYLOAD:
            # no IPv4 datagram holds it: sendmsg() fails, with EMSGSIZE while the ICMP
            # message itself still fits 16 bits, silently past that (as iputils shows)
            if self.size + 8 <= 0xFFFF:
                self.errors.append("ping: local error: message too long, mtu=65535")
            self.transmitted += 1
            self._maybe_arm_end(seq)
            return
        msg = icmpw.IcmpMessage.echo(self.ident & 0xFFFF, wire_seq(seq),
                                     ping_payload(self.size, sched.now))
        trace = self.trace if seq == 1 else None
        try:
            self.ns.stack.ip_output(
                self.dst, IPPROTO_ICMP, msg.emit(), trace, pmtudisc=self.pmtudisc
            )
        except NoRoute:
            self.errors.append("ping: connect: Network is unreachable")
            if trace is not None:
                trace.drop(self.ns.name, f"no route to {ip_str(self.dst)} (Network is unreachable)",
                           DropReason.IP_OUTNOROUTES)
            self._finish()
            return
        except MessageTooLong as e:
            self.errors.append(f"ping: local error: message too long, mtu={e.mtu}")
            if trace is not None:
                trace.drop(
                    self.ns.name,
                    f"{20 + 8 + self.size} bytes exceed the route MTU {e.mtu} with DF (-M do): "
                    "EMSGSIZE",
                    DropReason.PKT_TOO_BIG,
                )
            self.transmitted += 1
            self._maybe_arm_end(seq)
            return
        self.sent[seq] = sched.now
        self.transmitted += 1
        self._maybe_arm_end(seq)

    def _maybe_arm_end(self, seq: int) -> None:
        if seq == self.count:
            self.end_at = self.ns.sched.now + self.timeout
            self.ns.sched.at(self.end_at, lambda _a: self._finish())

    def _on_icmp(
        self, src: IPv4Address, _dst: IPv4Address, msg: icmpw.IcmpMessage,
        _t: TraceNode | None, ttl: int = 64,
    ) -> None:
        if self.finished:
            return
        now = self.ns.sched.now
        if msg.type == icmpw.ICMP_ECHOREPLY:
            seq = self.request_of(msg.seq)
            if seq is not None and seq not in self.rtts:
                self.rtts[seq] = now - self.sent[seq]
                self.ttls[seq] = ttl
                if len(self.rtts) == self.count:
                    self._finish()
            return
        seq = int.from_bytes(msg.payload[(msg.payload[0] & 0xF) * 4 + 6:][:2], "big") if (
            msg.payload
        ) else 0
        self.errors.append(f"From {src} icmp_seq={seq} {icmp_error_text(msg)}")

    def request_of(self, wseq: int) -> int | None:
        """The latest request sent with wire sequence WSEQ (None: not one of ours)."""
        last = self.transmitted
        seq = last - ((last - wseq) & 0xFFFF)
        return seq if seq in self.sent else None

    def _finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        self.ns.stack.icmp_sockets.pop(self.ident, None)
        if self.on_done is not None:
            self.on_done(self)

    @property
    def received(self) -> int:
        return len(self.rtts)


#: the largest echo payload an IPv6 packet holds: 65535 - 8 (ICMPv6); the 40-byte fixed
#: header is not counted in the payload length
MAX_PAYLOAD6 = 65527


class Ping6(Ping):
    """``ping -6`` (iputils over an ICMPv6 datagram socket): the same timing and matching
    as IPv4, with IPv6's differences — the echo goes out through ``ip6_output`` (a
    link-local or multicast destination needs ``oif``: ``%dev`` or ``-I``), "-M want"
    lets the source fragment to the path MTU and "-M do" refuses what exceeds it with
    iputils' ``local error: message too long, mtu: N``; errors print iputils' IPv6 words
    (``Time exceeded: Hop limit``, ``Packet too big: mtu=1280``, ``Destination
    unreachable: No route``)."""

    def __init__(self, ns: Namespace, dst: int, *, oif: str | None = None,
                 **kw: Any) -> None:
        super().__init__(ns, 1, **kw)
        self.dst = dst
        self.oif = ns.devices.get(oif) if oif is not None else None

    def start(self) -> None:
        self.ns.ipv6.icmp6_sockets[self.ident] = self._on_icmp6
        if self.count > 0:
            self.ns.sched.after(0, self._send, 1)

    def _send(self, seq: int) -> None:
        from vnetlab.sim.stack.addr6 import ip6_str, is_linklocal, is_multicast
        from vnetlab.sim.stack.ipv6 import MessageTooLong6, NoRoute6
        from vnetlab.wire.icmpv6 import Icmpv6Message
        from vnetlab.wire.ipv6 import IPPROTO_ICMPV6

        if self.finished:
            return
        sched = self.ns.sched
        stack = self.ns.ipv6
        if seq < self.count:
            sched.after(self.interval, self._send, seq + 1)
        msg = Icmpv6Message.echo(self.ident & 0xFFFF, wire_seq(seq),
                                 ping_payload(self.size, sched.now))
        trace = self.trace if seq == 1 else None
        oif = self.oif
        try:
            if self.size > MAX_PAYLOAD6:
                raise MessageTooLong6(65535)
            if oif is None and (is_linklocal(self.dst) or is_multicast(self.dst)):
                # no scope id: connect() fails with EINVAL, iputils says so
                raise OSError(22, "Invalid argument")
            rt = stack.route_output(self.dst, oif)
            src = stack.select_src(rt.dev, self.dst) if rt.type != "local" else self.dst
            if src is None:
                raise OSError(99, "Cannot assign requested address")
            from ipaddress import IPv6Address

            body = msg.emit(IPv6Address(src), IPv6Address(self.dst))
            stack.ip6_output(self.dst, IPPROTO_ICMPV6, body, trace, src=src, oif=oif,
                             dontfrag=self.pmtudisc == "do")
        except NoRoute6:
            self.errors.append("ping: connect: Network is unreachable")
            if trace is not None:
                trace.drop(self.ns.name, f"no route to {ip6_str(self.dst)} (Network is "
                           "unreachable)", DropReason.IP_OUTNOROUTES)
            self._finish()
            return
        except MessageTooLong6 as e:
            self.errors.append(f"ping: local error: message too long, mtu: {e.mtu}")
            if trace is not None:
                trace.drop(self.ns.name, f"{40 + 8 + self.size} bytes exceed the path MTU "
                           f"{e.mtu} (-M do): EMSGSIZE", DropReason.PKT_TOO_BIG)
            self.transmitted += 1
            self._maybe_arm_end(seq)
            return
        except OSError as e:
            self.errors.append(f"ping: connect: {e.strerror or e}")
            if trace is not None:
                trace.drop(self.ns.name, f"ping -6 {ip6_str(self.dst)}: {e.strerror or e}",
                           DropReason.IP_OUTNOROUTES)
            self._finish()
            return
        self.sent[seq] = sched.now
        self.transmitted += 1
        self._maybe_arm_end(seq)

    def _on_icmp6(self, src: Any, _dst: Any, msg: Any, _t: TraceNode | None,
                  hop_limit: int = 64) -> None:
        from vnetlab.sim.stack.icmpv6 import icmpv6_error_text
        from vnetlab.wire.icmpv6 import ICMPV6_ECHO_REPLY

        if self.finished:
            return
        now = self.ns.sched.now
        if msg.type == ICMPV6_ECHO_REPLY:
            seq = self.request_of(msg.seq)
            if seq is not None and seq not in self.rtts:
                self.rtts[seq] = now - self.sent[seq]
                self.ttls[seq] = hop_limit
                if len(self.rtts) == self.count:
                    self._finish()
            return
        # the quote: IPv6 header (40) + ICMPv6 echo header, seq at offset 6
        q = msg.payload
        seq = int.from_bytes(q[46:48], "big") if len(q) >= 48 else 0
        self.errors.append(f"From {src} icmp_seq={seq} {icmpv6_error_text(msg)}")

    def _finish(self) -> None:
        if self.finished:
            return
        self.ns.ipv6.icmp6_sockets.pop(self.ident, None)
        super()._finish()
