"""Neighbour discovery, ping -6, ICMPv6 errors and forwarding in the emulator
(sim/stack/ndisc.py, icmpv6.py, ip6_input.py, ipv6.py)."""

from __future__ import annotations

from ipaddress import IPv6Address

from v6sim import add6, ping6, routed, run, two_hosts

from vnetlab.sim.netdev import Skb
from vnetlab.sim.stack.addr6 import ip6_int, solicited_node
from vnetlab.sim.stack.ndisc import ndisc_send_ns
from vnetlab.sim.stack.netns import Namespace
from vnetlab.sim.trace import DropReason, Trace
from vnetlab.wire.icmpv6 import Icmpv6Message
from vnetlab.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Header


def _states(ns: Namespace) -> dict[str, tuple[str, str | None]]:
    out = {}
    for (_dev, ip), n in ns.ipv6.nd_tbl.entries.items():
        out[str(IPv6Address(ip))] = (n.state, n.lladdr.hex() if n.lladdr else None)
    return out


def test_ping6_across_a_veth_resolves_with_ns_na() -> None:
    sched, a, b = two_hosts()
    app = ping6(a, "2001:db8::2", count=2)
    assert app.received == 2 and app.errors == []
    assert app.ttls == {1: 64, 2: 64}
    # the asker learned REACHABLE from the solicited NA; the answerer STALE from the NS,
    # then DELAY because it used the entry for the reply (the kernel's sequence)
    assert _states(a) == {"2001:db8::2": ("REACHABLE", "020000000002")}
    assert _states(b)["2001:db8::1"][0] in ("DELAY", "REACHABLE")
    run(sched, 10)
    states = _states(b)
    assert states.pop("2001:db8::1") == ("REACHABLE", "020000000001")
    # with addrconf the NUD probes leave from the link-locals (ndisc_ns_create without a
    # source: ipv6_get_lladdr), so the peers learn each other's link-local too
    assert set(states) <= {"fe80::ff:fe00:1"}


def test_unanswered_neighbour_fails_after_three_ns_with_address_unreachable() -> None:
    sched, a, _b = two_hosts()
    app = ping6(a, "2001:db8::9", count=1, timeout=5)
    assert app.received == 0
    assert app.errors == [
        "From 2001:db8::1 icmp_seq=1 Destination unreachable: Address unreachable"]
    assert _states(a) == {"2001:db8::9": ("FAILED", None)}


def test_ndisc_with_wrong_hop_limit_is_dropped() -> None:
    _sched, a, b = two_hosts()
    dev = b.devices["eth0"]
    src, dst = IPv6Address("2001:db8::1"), IPv6Address(solicited_node(ip6_int("2001:db8::2")))
    from vnetlab.wire.icmpv6 import NdMessage, NdOption

    ns_msg = NdMessage(135, 0, IPv6Address("2001:db8::2"),
                       options=(NdOption.lladdr(1, a.devices["eth0"].mac),))
    pkt = Ipv6Header(src, dst, IPPROTO_ICMPV6, 64).emit(ns_msg.emit(src, dst))
    t = Trace("ns hl 64")
    b.rcv(dev, Skb(bytes.fromhex("3333ff000002") + a.devices["eth0"].mac + b"\x86\xdd" + pkt,
                   t.root))
    ev = t.verdict_event()
    assert ev is not None and ev.reason is DropReason.IPV6_NDISC_HOP_LIMIT
    assert b.ipv6.nd_tbl.entries == {}


def test_dad_probe_for_a_used_address_is_defended_to_all_nodes() -> None:
    sched, a, b = two_hosts()
    frames: list[bytes] = []
    b.devices["eth0"].add_tap(lambda _t, data: frames.append(data) if data[6:12] == b.devices[
        "eth0"].mac else None)
    target = ip6_int("2001:db8::2")
    ndisc_send_ns(a, a.devices["eth0"], target, 0, solicited_node(target))
    run(sched, 0.01)
    assert len(frames) == 1
    f = frames[0]
    assert f[0:6] == bytes.fromhex("333300000001")
    hdr, payload = Ipv6Header.parse(f[14:])
    assert str(hdr.dst) == "ff02::1" and str(hdr.src) == "2001:db8::2" and hdr.hop_limit == 255
    msg = Icmpv6Message.parse(payload, hdr.src, hdr.dst)
    assert msg.type == 136 and msg.rest == 0x20000000  # override, not solicited


def test_hop_limit_exceeded_packet_too_big_and_no_route_through_a_router() -> None:
    _sched, a, r, _b = routed()
    ok = ping6(a, "2001:db8:2::2", count=2)
    assert ok.received == 2 and ok.ttls == {1: 63, 2: 63}
    big = ping6(a, "2001:db8:2::2", size=1400, pmtudisc="do")
    assert big.errors == ["From 2001:db8:1::ff icmp_seq=1 Packet too big: mtu=1280"]
    again = ping6(a, "2001:db8:2::2", size=1400, pmtudisc="do")
    assert again.errors == ["ping: local error: message too long, mtu: 1280"]
    frag = ping6(a, "2001:db8:2::2", size=1400)  # -M want: fragments at the source
    assert frag.received == 1 and frag.errors == []
    noroute = ping6(a, "2001:db8:3::9")
    assert noroute.errors == ["From 2001:db8:1::ff icmp_seq=1 Destination unreachable: "
                              "No route"]
    assert r.ipv6.stats.get("InTooBigErrors") == 1


def test_hop_limit_one_is_time_exceeded() -> None:
    _sched, a, _r, _b = routed()
    a.ipv6.sysctl_set("conf.a0.hop_limit", "1")
    app = ping6(a, "2001:db8:2::2")
    assert app.errors == ["From 2001:db8:1::ff icmp_seq=1 Time exceeded: Hop limit"]


def test_forwarding_off_drops_silently() -> None:
    _sched, a, r, _b = routed()
    r.ipv6.sysctl_set("conf.all.forwarding", "0")
    # a device's own forwarding=1 does not make the node forward (measured on 6.18)
    r.ipv6.sysctl_set("conf.r0.forwarding", "1")
    r.ipv6.sysctl_set("conf.r1.forwarding", "1")
    t = Trace("ping")
    app = ping6(a, "2001:db8:2::2", trace=t.root)
    assert app.received == 0 and app.errors == []
    ev = t.verdict_event()
    assert ev is not None and ev.reason is DropReason.IP_INADDRERRORS
    assert "IPv6 forwarding is off" in ev.what


def test_icmpv6_errors_are_rate_limited_per_peer() -> None:
    _sched, a, r, _b = routed()
    app = ping6(a, "2001:db8:3::9", count=20, interval=0.01, timeout=1)
    # a full bucket of 6 tokens, one more per 100 ms (net.ipv6.icmp.ratelimit): the
    # requests at 0..50 ms and the one at 100 ms get an error, the rest within 190 ms none
    # (the kernel, measured: 6-7 at once then one per ~100 ms)
    assert len(app.errors) == 7, app.errors
    assert r.ipv6.stats.get("Icmp6RateLimited", 0) == 13


def test_disable_ipv6_on_a_device_drops_its_frames() -> None:
    _sched, a, b = two_hosts()
    b.ipv6.sysctl_set("conf.eth0.disable_ipv6", "1")
    assert b.ipv6.dev_addrs(b.devices["eth0"]) == []
    t = Trace("ping")
    app = ping6(a, "2001:db8::2", trace=t.root, timeout=4)
    assert app.received == 0


def test_link_local_ping_needs_the_device() -> None:
    _sched, a, b = two_hosts()
    add6(a, "eth0", "fe80::1/64")
    add6(b, "eth0", "fe80::2/64")
    bad = ping6(a, "fe80::2")
    assert bad.errors == ["ping: connect: Invalid argument"]
    ok = ping6(a, "fe80::2", oif="eth0")
    assert ok.received == 1


def test_multicast_echo_is_answered() -> None:
    _sched, a, b = two_hosts()
    add6(a, "eth0", "fe80::1/64")
    add6(b, "eth0", "fe80::2/64")
    app = ping6(a, "ff02::1", oif="eth0")
    assert app.received == 1


def test_prohibit_and_unreachable_routes_on_the_router() -> None:
    from vnetlab.sim.stack.addr6 import ip6_int as a6
    from vnetlab.sim.stack.route6 import Rt6

    _sched, a, r, _b = routed()
    r.ipv6.fib6.add(Rt6(a6("2001:db8:5::"), 64, r.lo, None, 1024, "boot", "prohibit"))
    r.ipv6.fib6.add(Rt6(a6("2001:db8:6::"), 64, r.lo, None, 1024, "boot", "unreachable"))
    r.ipv6.fib6.add(Rt6(a6("2001:db8:7::"), 64, r.lo, None, 1024, "boot", "blackhole"))
    assert ping6(a, "2001:db8:5::1").errors == [
        "From 2001:db8:1::ff icmp_seq=1 Destination unreachable: Administratively prohibited"]
    assert ping6(a, "2001:db8:6::1").errors == [
        "From 2001:db8:1::ff icmp_seq=1 Destination unreachable: No route"]
    assert ping6(a, "2001:db8:7::1").errors == []


def test_an_incomplete_reassembly_times_out_with_time_exceeded() -> None:
    """``ip6_frag_expire``: 60 s after the first fragment, the rest never came: ICMPv6
    time exceeded, code 1 (fragment reassembly), quoting the first fragment."""
    from vnetlab.sim.stack.addr6 import ip6_int as a6
    from vnetlab.wire.ipv6 import IPPROTO_FRAGMENT, fragment

    sched, a, b = two_hosts()
    assert ping6(a, "2001:db8::2").received == 1  # neighbours resolved
    got: list[Icmpv6Message] = []
    a.ipv6.icmp6_sockets[0x77] = lambda s, d, m, t, hl: got.append(m)
    src, dst = IPv6Address("2001:db8::1"), IPv6Address("2001:db8::2")
    echo = Icmpv6Message.echo(0x77, 9, bytes(3000)).emit(src, dst)
    pieces = fragment(Ipv6Header(src, dst, IPPROTO_FRAGMENT), b"", IPPROTO_ICMPV6, echo,
                      1500, 42)
    a.ipv6.neigh_output(a.devices["eth0"], a6("2001:db8::2"), pieces[0], None)
    run(sched, 59)
    assert got == []
    run(sched, 2)
    assert [(m.type, m.code) for m in got] == [(3, 1)]
    assert b.ipv6.stats.get("ReasmFails") == 1
