"""Autoconfiguration in the emulator (sim/stack/addrconf.py): link-locals per
addr_gen_mode, DAD success and failure, router solicitations and their back-off, what
going down removes. Vectors marked "measured" come from this machine's kernel (6.18) in a
namespace; tests/sim_ipv6/test_timeline.py and test_addrconf_kernel.py re-measure them."""

from __future__ import annotations

from v6frames import MAC1, capture_lab

from vnetlab.sim.clock import MS, S, Scheduler
from vnetlab.sim.devices.tuntap import TunDevice
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.stack.addr6 import ip6_int, ip6_str
from vnetlab.sim.stack.addrconf import dmesg, inet6_addr_add
from vnetlab.sim.stack.jiffies import HZ, wheel_expiry_ns, wheel_granularity_ns
from vnetlab.sim.stack.netns import Namespace


def _addrs(ns: Namespace, dev: Veth | TunDevice) -> list[tuple[str, set[str]]]:
    return [(str(a), set(a.flags)) for a in ns.ipv6.dev_addrs(dev)]


def test_eui64_link_local_is_tentative_until_dad_completes() -> None:
    sched, b, v0, evs = capture_lab()
    v0.set_admin(True)
    sched.run(until=1 * MS)
    assert _addrs(b, v0) == [("fe80::ff:fe00:1/64", {"tentative", "permanent"})]
    assert not b.ipv6.is_local(ip6_int("fe80::ff:fe00:1"))
    ns_ev = None
    while ns_ev is None:
        sched.run(until=sched.now + 50 * MS)
        ns_ev = next((e for e in evs if e.kind == "ns"), None)
    # one NS, then one retrans_time (1 s, 250 jiffies, rounded up by the timer wheel)
    done = wheel_expiry_ns(int(ns_ev.t * 1e9), 250)
    sched.run(until=done - 1)
    assert "tentative" in b.ipv6.dev_addrs(v0)[0].flags
    sched.run(until=done)
    assert _addrs(b, v0) == [("fe80::ff:fe00:1/64", {"permanent"})]
    assert b.ipv6.is_local(ip6_int("fe80::ff:fe00:1"), v0)
    sched.run(until=done + 1 * MS)  # the frames sent at completion reach the peer
    assert [(e.kind, e.src) for e in evs if e.t * 1e9 <= done + 1 * MS][-2:] == [
        ("mld2", "fe80::ff:fe00:1"), ("rs", "fe80::ff:fe00:1")]


def test_addr_gen_mode_none_makes_no_link_local() -> None:
    sched, b, v0, evs = capture_lab()
    b.ipv6.sysctl_set("conf.v0.addr_gen_mode", 1)
    v0.set_admin(True)
    sched.run(until=3 * S)
    assert b.ipv6.dev_addrs(v0) == []
    assert evs == []  # no address: no solicited-node group, no DAD, no report, no RS
    assert list(v0.mc) == [bytes.fromhex("333300000001"), bytes.fromhex("01005e000001")]


def test_stable_privacy_matches_the_kernel_vectors() -> None:
    # measured: secret 2001:db8:1:2:3:4:5:6 -> fe80::ff05:eb87:4e94:b3ad and secret ::1
    # -> fe80::69f8:7ff8:dae6:e2a4, on every veth whatever its MAC (perm_addr is zero)
    for secret, want in (("2001:db8:1:2:3:4:5:6", "fe80::ff05:eb87:4e94:b3ad"),
                         ("::1", "fe80::69f8:7ff8:dae6:e2a4")):
        for mac in (MAC1, bytes.fromhex("021122334455")):
            sched, b, v0, _ = capture_lab(mac=mac)
            conf = b.ipv6.dev_conf(v0)
            conf.stable_secret = secret
            conf.addr_gen_mode = 2
            v0.set_admin(True)
            sched.run(until=3 * S)
            assert _addrs(b, v0) == [(f"{want}/64", {"permanent", "stable-privacy"})]


def test_default_stable_secret_switches_new_devices_to_stable_privacy() -> None:
    sched = Scheduler()
    ns = Namespace("n", sched, ipv6=True)
    ns.ipv6.conf_default.stable_secret = "::1"
    a, b = Veth(ns, "a", MAC1), Veth(ns, "b", bytes.fromhex("020000000002"))
    Veth.pair(a, b)
    assert ns.ipv6.dev_conf(a).addr_gen_mode == 2  # ipv6_add_dev
    a.set_admin(True)
    b.set_admin(True)
    sched.run(until=200 * MS)
    assert [str(x) for x in ns.ipv6.dev_addrs(a)] == ["fe80::69f8:7ff8:dae6:e2a4/64"]


def test_random_mode_draws_a_secret_and_is_reproducible() -> None:
    got = []
    for _ in range(2):
        sched, b, v0, _ = capture_lab()
        b.ipv6.dev_conf(v0).addr_gen_mode = 3
        v0.set_admin(True)
        sched.run(until=3 * S)
        conf = b.ipv6.dev_conf(v0)
        assert conf.stable_secret is not None  # visible in sysctl, as on the kernel
        [ifa] = b.ipv6.dev_addrs(v0)
        assert ifa.flags == {"permanent", "stable-privacy"}
        assert ip6_str(ifa.addr).startswith("fe80::") and ifa.addr & 0xFFFF_FFFF_FFFF_FFFF
        got.append(ifa.addr)
    assert got[0] == got[1]  # seeded from the namespace and device names


def test_tun_has_no_eui64_and_uses_a_random_identifier() -> None:
    sched = Scheduler()
    ns = Namespace("n", sched, ipv6=True)
    tun = TunDevice(ns, "tun0", b"")
    tun.set_admin(True)
    sched.run(until=3 * S)
    if not tun.running:  # no process attached: NO-CARRIER, like the kernel's tun
        assert ns.ipv6.dev_addrs(tun) == []
        tun.set_carrier(True)
        sched.run(until=6 * S)
    assert ns.ipv6.dev_conf(tun).addr_gen_mode == 3
    [ifa] = ns.ipv6.dev_addrs(tun)
    assert ifa.flags == {"permanent", "stable-privacy"}  # IFF_NOARP: no DAD, no tentative
    assert tun.mc == {}  # ARPHRD_NONE: no link-layer multicast mapping


def test_loopback_gets_only_host_loopback() -> None:
    sched = Scheduler()
    ns = Namespace("n", sched, ipv6=True)
    sched.run(until=1 * S)
    assert _addrs(ns, ns.lo) == [("::1/128", {"permanent"})]  # type: ignore[arg-type]
    assert ns.ipv6.dev_addrs(ns.lo)[0].scope == "host"
    assert ns.lo.mc == {}


def test_dad_failure_marks_dadfailed_and_logs() -> None:
    sched = Scheduler()
    n1, n2 = Namespace("n1", sched, ipv6=True), Namespace("n2", sched, ipv6=True)
    a, b = Veth(n1, "a", MAC1), Veth(n2, "b", bytes.fromhex("020000000002"))
    Veth.pair(a, b)
    a.set_admin(True)
    b.set_admin(True)
    sched.run(until=3 * S)
    g = ip6_int("2001:db8::1")
    first = inet6_addr_add(n1, a, g, 64)
    sched.run(until=sched.now + 3 * S)
    assert first.flags == {"permanent"}
    dup = inet6_addr_add(n2, b, g, 64)
    sched.run(until=sched.now + 3 * S)
    assert dup.flags == {"permanent", "tentative", "dadfailed"}
    assert not n2.ipv6.is_local(g)
    [(_, line)] = dmesg(n2)
    # the kernel names the frame's Ethernet source; ndisc does not hand it over yet
    assert line.startswith("IPv6: b: IPv6 duplicate address 2001:db8::1 used by ")
    assert line.endswith(" detected!")


def test_nodad_accept_dad_and_dad_transmits() -> None:
    sched, b, v0, evs = capture_lab()
    v0.set_admin(True)
    sched.run(until=3 * S)
    evs.clear()
    ifa = inet6_addr_add(b, v0, ip6_int("2001:db8::9"), 64, flags=("nodad",))
    assert ifa.flags == {"permanent", "nodad"}
    sched.run(until=sched.now + 2 * S)
    assert not any(e.kind == "ns" for e in evs)
    b.ipv6.dev_conf(v0).dad_transmits = 3
    t0 = sched.now
    inet6_addr_add(b, v0, ip6_int("2001:db8::3"), 64)
    sched.run(until=t0 + 6 * S)
    ns_times = [e.t for e in evs if e.kind == "ns"]
    assert len(ns_times) == 3
    assert all(0.99 < y - x < 1.04 for x, y in zip(ns_times, ns_times[1:], strict=False))


def test_router_solicitations_back_off_rfc7559() -> None:
    sched, b, v0, evs = capture_lab()
    v0.set_admin(True)
    sched.run(until=40 * S)
    rs = [e.t for e in evs if e.kind == "rs"]
    assert len(rs) >= 4
    gaps = [y - x for x, y in zip(rs, rs[1:], strict=False)]
    # first interval 4 s x [0.9, 1.1], then x [1.9, 2.1] each time; the timer wheel makes
    # each fire up to one granule of its level late (256 ms at 4 s, 2 s past 16 s)
    def gran(s: float) -> float:
        return wheel_granularity_ns(int(s * HZ)) / 1e9

    assert 3.6 <= gaps[0] <= 4.4 + gran(4.4)
    for g0, g1 in zip(gaps, gaps[1:], strict=False):
        assert 1.9 * (g0 - gran(g0)) <= g1 <= 2.1 * g0 + gran(g1)


def test_router_solicitations_count_and_forwarding() -> None:
    sched, b, v0, evs = capture_lab()
    b.ipv6.dev_conf(v0).router_solicitations = 2
    v0.set_admin(True)
    sched.run(until=30 * S)
    assert len([e for e in evs if e.kind == "rs"]) == 2
    sched, b, v0, evs = capture_lab()
    b.ipv6.sysctl_set("conf.all.forwarding", 1)
    v0.set_admin(True)
    sched.run(until=10 * S)
    assert not any(e.kind == "rs" for e in evs)  # ipv6_accept_ra: a router does not ask


def test_down_drops_addresses_and_unloads_groups() -> None:
    sched, b, v0, evs = capture_lab()
    v0.set_admin(True)
    sched.run(until=3 * S)
    inet6_addr_add(b, v0, ip6_int("2001:db8::1"), 64)
    sched.run(until=6 * S)
    v0.set_admin(False)
    # measured: after `ip link set down` no IPv6 address is left (manual ones too:
    # keep_addr_on_down=0) and dev.mc is empty
    assert b.ipv6.dev_addrs(v0) == []
    assert v0.mc == {}
    assert not any(r.dev is v0 for r in b.ipv6.fib6.routes)
    v0.set_admin(True)
    sched.run(until=10 * S)
    assert [str(a) for a in b.ipv6.dev_addrs(v0)] == ["fe80::ff:fe00:1/64"]
    assert list(v0.mc) == [bytes.fromhex(x) for x in ("01005e000001", "333300000001",
                                                      "3333ff000001")]


def test_disable_ipv6_is_silent_but_keeps_the_all_nodes_mac() -> None:
    sched = Scheduler()
    a, b = Namespace("a", sched), Namespace("b", sched)  # bare: IPv6 off
    x, y = Veth(a, "x", MAC1), Veth(b, "y", bytes.fromhex("020000000002"))
    Veth.pair(x, y)
    seen: list[bytes] = []
    y.add_tap(lambda _t, d: seen.append(d))
    y.set_admin(True)
    x.set_admin(True)
    sched.run(until=20 * S)
    assert seen == [] and a.ipv6.dev_addrs(x) == []
    # measured with disable_ipv6=1 before the device existed: ff02::1 is still joined
    assert list(x.mc) == [bytes.fromhex("333300000001"), bytes.fromhex("01005e000001")]
    assert a.ipv6.addrs == {}


def test_max_interval_caps_the_back_off() -> None:
    sched, b, v0, evs = capture_lab()
    conf = b.ipv6.dev_conf(v0)
    conf.rtr_solicitation_interval = 1
    conf.rtr_solicitation_max_interval = 3
    v0.set_admin(True)
    sched.run(until=30 * S)
    rs = [e.t for e in evs if e.kind == "rs"]
    gaps = [y - x for x, y in zip(rs, rs[1:], strict=False)]
    assert 0.9 <= gaps[0] <= 1.1 + 0.26 and 1.7 <= gaps[1] <= 2.31 + 0.26
    # past the cap: 3 s x random[0.9, 1.1] each time
    assert len(gaps) > 5 and all(2.7 <= g <= 3.3 + 0.26 for g in gaps[3:])


def test_dad_transmits_zero_and_accept_dad_zero_send_no_probe() -> None:
    for key, value in (("dad_transmits", 0), ("accept_dad", 0)):
        sched, b, v0, evs = capture_lab()
        setattr(b.ipv6.dev_conf(v0), key, value)
        v0.set_admin(True)
        sched.run(until=3 * S)
        assert not any(e.kind == "ns" for e in evs), key
        assert [a.flags for a in b.ipv6.dev_addrs(v0)] == [{"permanent"}]
        assert [e.kind for e in evs].count("rs") == 1


def test_manual_address_on_a_down_device_waits_for_the_link() -> None:
    sched, b, v0, evs = capture_lab()
    ifa = inet6_addr_add(b, v0, ip6_int("2001:db8::5"), 64)
    sched.run(until=2 * S)
    assert ifa.flags == {"permanent", "tentative"} and evs == []
    v0.set_admin(True)
    sched.run(until=5 * S)
    assert ifa.flags == {"permanent"}
    targets = [e.data[62:78].hex() for e in evs if e.kind == "ns"]
    assert "20010db8000000000000000000000005" in targets
    assert b.ipv6.is_local(ip6_int("2001:db8::5"))
