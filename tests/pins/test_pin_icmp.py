"""Pins for ICMP (issue 20): net/ipv4/icmp.c.

* ``icmp_echo``: echo requests to the limited broadcast, a subnet broadcast or a multicast
  group are ignored (``icmp_echo_ignore_broadcasts`` 1), unicast ones answered;
* ``icmp_send``: no error about a packet sent to a broadcast/multicast address, about a
  non-first fragment or about an ICMP error (only query types 0, 8 and 13-18 may get one);
* ``icmp_unreach``: a frag-needed error teaches the path MTU of the quoted destination even
  when the quote is a bare 20-byte header; an error goes to the ping socket whose ident the
  quoted echo carries, found after the quoted header's options.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path

from pinlab import PAIR, frame_to, pcap_frames, realize, run_for

from vnetlab.sim.clock import MS
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.stack.icmp import icmp_send
from vnetlab.wire.icmp import IcmpMessage
from vnetlab.wire.ipv4 import Ipv4Header

A, B = IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2")


def _icmp_out(engine: SimEngine, tmp: Path, node: str, fn: Callable[[], None]) -> list[
        IcmpMessage]:
    """The ICMP messages NODE sends while FN runs."""
    cap = tmp / f"{node}.pcap"
    engine.start_capture(node, "eth0", cap)
    fn()
    run_for(engine, 10 * MS)
    engine.stop_captures()
    mine = engine.namespaces[node].devices["eth0"].mac
    out = []
    for _, f in pcap_frames(cap):
        if f[6:12] == mine and f[12:14] == b"\x08\x00" and f[23] == 1:
            out.append(IcmpMessage.parse(Ipv4Header.parse(f[14:])[1]))
    return out


def _echo(dst: str, ident: int = 0x55, reply: bool = False) -> bytes:
    return Ipv4Header(A, IPv4Address(dst), 1, ttl=64).emit(
        IcmpMessage.echo(ident, 1, b"abc", reply=reply).emit())


def test_echo_to_broadcast_or_multicast_is_ignored(tmp_path: Path) -> None:
    engine = realize(PAIR)
    engine.ping("b", A)                       # b knows a's MAC: replies need no ARP
    b = engine.namespaces["b"]
    b.stack.mc_groups.add(int(IPv4Address("224.0.0.1")))

    def send() -> None:
        frame_to(engine, "b", _echo("255.255.255.255"), dst_mac=b"\xff" * 6)
        frame_to(engine, "b", _echo("10.0.0.255"), dst_mac=b"\xff" * 6)
        frame_to(engine, "b", _echo("224.0.0.1"), dst_mac=bytes.fromhex("01005e000001"))
        frame_to(engine, "b", _echo("10.0.0.2", ident=0x66))

    got = _icmp_out(engine, tmp_path, "b", send)
    assert [(m.type, m.ident) for m in got] == [(0, 0x66)]


def test_limited_broadcast_is_delivered_locally() -> None:
    engine = realize(PAIR)
    a = engine.namespaces["a"]
    seen: list[int] = []
    a.stack.icmp_sockets[0x77] = lambda src, dst, msg, trace, ttl: seen.append(msg.ident)
    frame_to(engine, "a", Ipv4Header(B, IPv4Address("255.255.255.255"), 1).emit(
        IcmpMessage.echo(0x77, 1, b"r", reply=True).emit()), dst_mac=b"\xff" * 6)
    frame_to(engine, "a", Ipv4Header(B, IPv4Address("255.255.255.254"), 1).emit(
        IcmpMessage.echo(0x77, 2, b"r", reply=True).emit()), dst_mac=b"\xff" * 6)
    assert seen == [0x77]


def test_icmp_send_rules(tmp_path: Path) -> None:
    engine = realize(PAIR)
    engine.ping("b", A)
    st = engine.namespaces["b"].stack

    def about(dst: str, payload: bytes, proto: int = 1, frag_offset: int = 0) -> bytes:
        return Ipv4Header(A, IPv4Address(dst), proto, frag_offset=frag_offset).emit(payload)

    from vnetlab.sim.clock import S

    def send_one(packet: bytes) -> None:
        icmp_send(st, packet, 3, 3, None)
        run_for(engine, 1 * S)  # one token of icmp_ratelimit (1/s per peer) each

    def send() -> None:
        for t in range(19):  # an ICMP of each type 0..18 (8 bytes with a right checksum)
            send_one(about("10.0.0.2", IcmpMessage(t, 0).emit()))
        send_one(about("10.0.0.2", b"udp!udp!", 17))     # sent
        send_one(about("10.0.0.2", b"udp!udp!", 17, 1))  # later fragment
        send_one(about("224.0.0.9", b"udp!udp!", 17))    # multicast
        send_one(about("239.255.0.1", b"udp!udp!", 17))  # multicast
        send_one(about("10.0.0.255", b"udp!udp!", 17))   # broadcast
        send_one(about("255.255.255.255", b"udp!udp!", 17))

    got = _icmp_out(engine, tmp_path, "b", send)
    quoted = [Ipv4Header.parse(m.payload)[1] for m in got]
    types = [q[0] for q in quoted if len(q) == 8 and q != b"udp!udp!"]
    assert types == [0, 8, 13, 14, 15, 16, 17, 18]
    assert sum(q == b"udp!udp!" for q in quoted) == 1
    assert all((m.type, m.code) == (3, 3) for m in got)


def test_frag_needed_with_a_bare_quoted_header_updates_the_path_mtu() -> None:
    engine = realize(PAIR)
    a = engine.namespaces["a"]
    far = IPv4Address("10.0.0.99")
    quote = Ipv4Header(A, far, 17).emit(b"")[:20]
    err = IcmpMessage.dest_unreach(4, quote, mtu=1300).emit()
    frame_to(engine, "a", Ipv4Header(B, A, 1).emit(err))
    assert a.stack.path_mtu(a.devices["eth0"], int(far)) == 1300
    # one byte short of a header: not an IPv4 quote, nothing learned
    near = IPv4Address("10.0.0.98")
    short = Ipv4Header(A, near, 17).emit(b"")[:19]
    frame_to(engine, "a", Ipv4Header(B, A, 1).emit(
        IcmpMessage.dest_unreach(4, short, mtu=1200).emit()))
    assert a.stack.path_mtu(a.devices["eth0"], int(near)) == 1500


def test_error_reaches_the_ping_socket_past_quoted_options() -> None:
    engine = realize(PAIR)
    a = engine.namespaces["a"]
    seen: list[tuple[int, int]] = []
    a.stack.icmp_sockets[0x4242] = lambda src, dst, msg, trace, ttl: seen.append(
        (msg.type, msg.code))
    for opts in (b"", b"\x01\x01\x01\x00", b"\x01" * 40):
        inner = Ipv4Header(A, IPv4Address("10.9.9.9"), 1, options=opts).emit(
            IcmpMessage.echo(0x4242, 7, b"q").emit())
        frame_to(engine, "a", Ipv4Header(B, A, 1).emit(
            IcmpMessage.dest_unreach(1, inner).emit()))
    assert seen == [(3, 1)] * 3
    # the quoted echo must be whole enough to carry its ident (8 bytes)
    inner = Ipv4Header(A, IPv4Address("10.9.9.9"), 1).emit(
        IcmpMessage.echo(0x4242, 7, b"").emit())[:27]
    frame_to(engine, "a", Ipv4Header(B, A, 1).emit(IcmpMessage.dest_unreach(1, inner).emit()))
    assert len(seen) == 3
