"""IPv6 through TUN (a program reads and writes bare IPv6 packets) and TAP (Ethernet
frames with ethertype 0x86DD), in the emulator (sim/devices/tuntap.py)."""

from __future__ import annotations

from ipaddress import IPv6Address

from v6sim import add6, ping6, route6, run

from vnetlab.sim.clock import Scheduler
from vnetlab.sim.devices.tuntap import TapDevice, TunDevice
from vnetlab.sim.stack.netns import Namespace
from vnetlab.wire.icmpv6 import ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, Icmpv6Message
from vnetlab.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Header


def _echo_responder(dev: TunDevice | TapDevice, *, l2: bool) -> list[bytes]:
    """A program that answers every ICMPv6 echo request it reads (like a tiny VPN peer)."""
    seen: list[bytes] = []

    def reader(data: bytes) -> None:
        pkt = data[14:] if l2 else data
        hdr, payload = Ipv6Header.parse(pkt)
        if hdr.next_header != IPPROTO_ICMPV6:  # MLD reports (hop-by-hop first) and such
            return
        msg = Icmpv6Message.parse(payload, hdr.src, hdr.dst)
        if msg.type != ICMPV6_ECHO_REQUEST:
            return
        seen.append(data)
        reply = Icmpv6Message(ICMPV6_ECHO_REPLY, 0, msg.rest, msg.payload)
        out = Ipv6Header(hdr.dst, hdr.src, IPPROTO_ICMPV6).emit(reply.emit(hdr.dst, hdr.src))
        dev.write(data[6:12] + data[0:6] + data[12:14] + out if l2 else out)

    dev.attach(reader)
    return seen


def test_ping6_through_a_tun_to_its_program() -> None:
    ns = Namespace("h", Scheduler(), ipv6=True)
    tun = TunDevice(ns, "tun0", b"\x00" * 6)
    tun.set_admin(True)
    add6(ns, "tun0", "2001:db8:7::1/64")
    route6(ns, "2001:db8:9::/64", "tun0")
    seen = _echo_responder(tun, l2=False)
    app = ping6(ns, "2001:db8:9::1")
    assert app.received == 1
    assert seen[0][0] >> 4 == 6  # the program reads the bare IPv6 packet, no NS first
    assert not any(p[6] == 58 and p[40] == 135 for p in seen)
    assert IPv6Address(seen[0][24:40]) == IPv6Address("2001:db8:9::1")


def test_ping6_through_a_tap_resolves_with_ns_first() -> None:
    ns = Namespace("h", Scheduler(), ipv6=True)
    tap = TapDevice(ns, "tap0", bytes.fromhex("020000000001"))
    tap.set_admin(True)
    add6(ns, "tap0", "2001:db8:7::1/64")
    frames: list[bytes] = []
    mac = bytes.fromhex("525400123456")

    def program(data: bytes) -> None:
        hdr, payload = Ipv6Header.parse(data[14:])
        if hdr.next_header != IPPROTO_ICMPV6 or payload[0] not in (135, 128):
            return  # autoconf traffic (MLD reports, RS, DAD probes from ::)
        if payload[0] == 135 and int(hdr.src) == 0:
            return
        frames.append(data)
        msg = Icmpv6Message.parse(payload, hdr.src, hdr.dst)
        if msg.type == 135:  # answer the NS for our address with a solicited NA
            from vnetlab.wire.icmpv6 import NdMessage, NdOption

            target = IPv6Address(msg.payload[:16])
            na = NdMessage(136, 0x60000000, target, options=(NdOption.lladdr(2, mac),))
            out = Ipv6Header(target, hdr.src, IPPROTO_ICMPV6, 255).emit(
                na.emit(target, hdr.src))
            tap.write(data[6:12] + mac + b"\x86\xdd" + out)
        elif msg.type == ICMPV6_ECHO_REQUEST:
            reply = Icmpv6Message(ICMPV6_ECHO_REPLY, 0, msg.rest, msg.payload)
            out = Ipv6Header(hdr.dst, hdr.src, IPPROTO_ICMPV6).emit(
                reply.emit(hdr.dst, hdr.src))
            tap.write(data[6:12] + mac + b"\x86\xdd" + out)

    tap.attach(program)
    app = ping6(ns, "2001:db8:7::2")
    assert app.received == 1
    assert [f[12:14] for f in frames] == [b"\x86\xdd", b"\x86\xdd"]
    assert frames[0][0:6] == bytes.fromhex("3333ff000002")  # NS to the solicited-node MAC
    run(ns.sched, 0.01)
