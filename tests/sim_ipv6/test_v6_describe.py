"""tcpdump -n's IPv6 lines (wire/describe.py), against lines real tcpdump 4.99 printed on
this machine for the same packets (router r0 side of a -- r -- b, see test_kernel_*)."""

from __future__ import annotations

from ipaddress import IPv6Address

from v6sim import ping6, routed

from vnetlab.sim.stack.addr6 import ip6_int, solicited_node
from vnetlab.sim.stack.ndisc import ndisc_send_ns, ndisc_send_rs
from vnetlab.wire.describe import describe
from vnetlab.wire.icmpv6 import MLD2_CHANGE_TO_EXCLUDE, Mld2Record, mld2_report
from vnetlab.wire.ipv6 import IPPROTO_HOPOPTS, IPPROTO_ICMPV6, Ipv6Header, hbh_router_alert

ETH = bytes.fromhex("333300000016" "020000000001" "86dd")


def test_mld_report_line() -> None:
    src, dst = IPv6Address("::"), IPv6Address("ff02::16")
    rep = mld2_report([Mld2Record(MLD2_CHANGE_TO_EXCLUDE, IPv6Address("ff02::1:ff00:1"))])
    pkt = Ipv6Header(src, dst, IPPROTO_HOPOPTS, 1).emit(
        hbh_router_alert(IPPROTO_ICMPV6) + rep.emit(src, dst))
    assert describe(ETH + pkt) == ("IP6 :: > ff02::16: HBH ICMP6, multicast listener report "
                                   "v2, 1 group record(s), length 28")


def test_lines_of_a_routed_exchange_match_tcpdump() -> None:
    sched, a, _r, _b = routed()
    lines: list[str] = []

    def tap(t: int, f: bytes) -> None:
        # autoconfiguration's own frames (MLD reports, DAD probes, router solicitations
        # of a0 and r0, from 12 ms on) are not this exchange: the hand-sent RS and NS
        # below leave at t=0
        line = describe(f)
        auto = ("multicast listener report" in line or "router solicitation" in line
                or line.startswith("IP6 :: > "))
        if t == 0 or not auto:
            lines.append(line)

    a.devices["a0"].add_tap(tap)
    ndisc_send_rs(a, a.devices["a0"], ip6_int("fe80::ff:fe00:1"))
    t = ip6_int("fe80::ff:fe00:1")
    ndisc_send_ns(a, a.devices["a0"], t, 0, solicited_node(t), nonce=bytes(6))
    ping6(a, "2001:db8:2::2")
    a.ipv6.sysctl_set("conf.a0.hop_limit", "1")
    ping6(a, "2001:db8:2::2")
    a.ipv6.sysctl_set("conf.a0.hop_limit", "64")
    ping6(a, "2001:db8:2::2", size=1400, pmtudisc="do")
    ping6(a, "2001:db8:2::2", size=1400)
    ping6(a, "2001:db8:3::9")
    ids = [ln for ln in lines if "echo request" in ln]
    ident = [ln.split("id ")[1].split(",")[0] for ln in ids]
    expected = [
        "IP6 fe80::ff:fe00:1 > ff02::2: ICMP6, router solicitation, length 16",
        "IP6 :: > ff02::1:ff00:1: ICMP6, neighbor solicitation, who has fe80::ff:fe00:1, "
        "length 32",
        "IP6 2001:db8:1::1 > ff02::1:ff00:ff: ICMP6, neighbor solicitation, who has "
        "2001:db8:1::ff, length 32",
        "IP6 2001:db8:1::ff > 2001:db8:1::1: ICMP6, neighbor advertisement, tgt is "
        "2001:db8:1::ff, length 32",
        f"IP6 2001:db8:1::1 > 2001:db8:2::2: ICMP6, echo request, id {ident[0]}, seq 1, "
        "length 64",
        f"IP6 2001:db8:2::2 > 2001:db8:1::1: ICMP6, echo reply, id {ident[0]}, seq 1, "
        "length 64",
        f"IP6 2001:db8:1::1 > 2001:db8:2::2: ICMP6, echo request, id {ident[1]}, seq 1, "
        "length 64",
        "IP6 2001:db8:1::ff > 2001:db8:1::1: ICMP6, time exceeded in-transit for "
        "2001:db8:2::2, length 112",
        f"IP6 2001:db8:1::1 > 2001:db8:2::2: ICMP6, echo request, id {ident[2]}, seq 1, "
        "length 1408",
        "IP6 2001:db8:1::ff > 2001:db8:1::1: ICMP6, packet too big, mtu 1280, length 1240",
        f"IP6 2001:db8:1::1 > 2001:db8:2::2: frag (0|1232) ICMP6, echo request, "
        f"id {ident[3]}, seq 1, length 1232",
        "IP6 2001:db8:1::1 > 2001:db8:2::2: frag (1232|176)",
        f"IP6 2001:db8:2::2 > 2001:db8:1::1: frag (0|1232) ICMP6, echo reply, id {ident[3]}, "
        "seq 1, length 1232",
        "IP6 2001:db8:2::2 > 2001:db8:1::1: frag (1232|176)",
        f"IP6 2001:db8:1::1 > 2001:db8:3::9: ICMP6, echo request, id {ident[4]}, seq 1, "
        "length 64",
        "IP6 2001:db8:1::ff > 2001:db8:1::1: ICMP6, destination unreachable, unreachable "
        "route 2001:db8:3::9, length 112",
    ]
    # with addrconf merged, the autoconf traffic (MLD reports, RS, DAD) interleaves:
    # the explicit RS and DAD probe are checked by presence, the exchange in order
    assert expected[0] in lines and expected[1] in lines
    exchange = [ln for ln in lines if "2001:db8" in ln]
    assert exchange[:len(expected) - 2] == expected[2:]
    del sched


def test_unreachable_codes_in_tcpdump_words() -> None:
    """Lines tcpdump printed on this machine: a failed neighbour at the router, a prohibit
    route, a closed UDP port (its doubled space after "unreachable," included)."""
    from vnetlab.wire.icmpv6 import Icmpv6Message
    from vnetlab.wire.udp import UdpHeader

    a, r = IPv6Address("2001:db8:1::1"), IPv6Address("2001:db8:1::ff")
    eth = bytes.fromhex("020000000001" "020000000010" "86dd")

    def err(code: int, dst: str, inner: bytes, nh: int = IPPROTO_ICMPV6) -> str:
        orig = Ipv6Header(a, IPv6Address(dst), nh).emit(inner)
        msg = Icmpv6Message.error(1, code, orig)
        return describe(eth + Ipv6Header(r, a, IPPROTO_ICMPV6).emit(msg.emit(r, a)))

    echo = Icmpv6Message.echo(1, 1, bytes(56)).emit(a, IPv6Address("2001:db8:2::9"))
    assert err(3, "2001:db8:2::9", echo) == (
        "IP6 2001:db8:1::ff > 2001:db8:1::1: ICMP6, destination unreachable, unreachable "
        "address 2001:db8:2::9, length 112")
    assert err(1, "2001:db8:5::1", echo) == (
        "IP6 2001:db8:1::ff > 2001:db8:1::1: ICMP6, destination unreachable,  unreachable "
        "prohibited 2001:db8:5::1, length 112")
    udp = UdpHeader(42349, 9999).emit(b"hi")
    assert err(4, "2001:db8:1::2", udp, nh=17) == (
        "IP6 2001:db8:1::ff > 2001:db8:1::1: ICMP6, destination unreachable, unreachable "
        "port, 2001:db8:1::2 udp port 9999, length 58")
