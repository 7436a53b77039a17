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
    a.devices["a0"].add_tap(lambda _t, f: lines.append(describe(f)))
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
    assert lines[:len(expected)] == expected
    del sched
