"""MLD reports and the device multicast lists (sim/stack/mcast6.py, netdev dev_mc_*):
which groups are joined, which reported and how often, and the dev.mc lists behind
``bridge fdb show``'s "self permanent" entries. Orders and contents marked "measured" were
read on this machine's kernel (6.18); test_addrconf_kernel.py compares them live."""

from __future__ import annotations

from v6frames import MAC1, capture_lab

from vnetlab.sim.clock import MS, S, Scheduler
from vnetlab.sim.devices.bridge.device import BridgeDevice
from vnetlab.sim.devices.macvlan import MacvlanDevice
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.stack.addr6 import ip6_int
from vnetlab.sim.stack.mcast6 import (
    ipv6_chk_mcast_addr,
    ipv6_dev_mc_dec,
    ipv6_dev_mc_inc,
    mc_groups,
)
from vnetlab.sim.stack.netns import Namespace


def _macs(dev: object) -> list[str]:
    return [m.hex(":") for m in dev.mc]  # type: ignore[attr-defined]


def test_report_counts_sources_and_records_of_a_fresh_veth() -> None:
    sched, b, v0, evs = capture_lab()
    v0.set_admin(True)
    sched.run(until=4 * S)
    mld = [e for e in evs if e.kind == "mld2"]
    # measured: two change reports from :: while the link-local is tentative, two more
    # from it once DAD is done; each has one CHANGE_TO_EXCLUDE record for
    # ff02::1:ff00:1 (ff02::1 and ff01::1 are never reported)
    assert [e.src for e in mld] == ["::", "::", "fe80::ff:fe00:1", "fe80::ff:fe00:1"]
    assert all(e.groups == ["4:ff02::1:ff00:1"] for e in mld)
    first = mld[0]
    assert 0.008 <= first.t <= 0.013  # 2 jiffies + the wheel's rounding after link-up
    frame = first.data
    assert frame[:6] == bytes.fromhex("333300000016")
    assert frame[20:22] == b"\x00\x01"  # hop-by-hop next, hop limit 1
    assert frame[54:62] == bytes.fromhex("3a00050200000100")  # Router Alert (MLD), PadN


def test_first_report_bytes_equal_the_kernels() -> None:
    # measured on the kernel (the first frame of the fresh veth, MAC 02:00:00:00:00:01)
    kernel = bytes.fromhex(
        "33330000001602000000000186dd600000000024000100000000000000000000000000000000"
        "ff0200000000000000000000000000163a000502000001008f006f890000000104000000"
        "ff0200000000000000000001ff000001")
    sched, b, v0, evs = capture_lab()
    v0.set_admin(True)
    sched.run(until=100 * MS)
    assert evs[0].data == kernel


def test_groups_and_dev_mc_of_a_veth() -> None:
    sched, b, v0, _ = capture_lab()
    assert _macs(v0) == ["33:33:00:00:00:01"]  # ff02::1 at register, device still down
    v0.set_admin(True)
    sched.run(until=3 * S)
    assert mc_groups(v0) == [ip6_int("ff02::1:ff00:1"), ip6_int("ff02::1"), ip6_int("ff01::1")]
    # measured `bridge fdb show dev v0`: this order
    assert _macs(v0) == ["33:33:00:00:00:01", "01:00:5e:00:00:01", "33:33:ff:00:00:01"]
    assert ipv6_chk_mcast_addr(b, v0, ip6_int("ff02::1:ff00:1"))
    assert not ipv6_chk_mcast_addr(b, v0, ip6_int("ff02::2"))


def test_join_and_leave_report_and_refcount() -> None:
    sched, b, v0, evs = capture_lab()
    v0.set_admin(True)
    sched.run(until=5 * S)
    evs.clear()
    g = ip6_int("ff02::1234")
    ipv6_dev_mc_inc(b, v0, g)
    ipv6_dev_mc_inc(b, v0, g)
    sched.run(until=7 * S)
    assert [e.groups for e in evs if e.kind == "mld2"] == [["4:ff02::1234"]] * 2
    assert "33:33:00:00:12:34" in _macs(v0)
    evs.clear()
    ipv6_dev_mc_dec(b, v0, g)
    sched.run(until=9 * S)
    assert not [e for e in evs if e.kind == "mld2"]
    assert "33:33:00:00:12:34" in _macs(v0)  # one user left
    ipv6_dev_mc_dec(b, v0, g)
    sched.run(until=11 * S)
    # CHANGE_TO_INCLUDE {}: the leave record, robustness (2) times
    assert [e.groups for e in evs if e.kind == "mld2"] == [["3:ff02::1234"]] * 2
    assert "33:33:00:00:12:34" not in _macs(v0)


def test_mldv1_when_forced() -> None:
    sched, b, v0, evs = capture_lab()
    b.ipv6.sysctl_set("conf.v0.force_mld_version", 1)
    v0.set_admin(True)
    sched.run(until=15 * S)
    v1 = [e for e in evs if e.kind.startswith("mld")]
    assert {e.kind for e in v1} == {"mld1"}
    assert len(v1) == 2  # a report at the join, one more within 10 s
    assert all(e.data[:6] == bytes.fromhex("3333ff000001") for e in v1)  # to the group
    assert v1[1].t - v1[0].t <= 10.0 + 0.26


def test_forwarding_joins_all_routers() -> None:
    sched = Scheduler()
    ns = Namespace("r", sched, ipv6=True)
    ns.ipv6.sysctl_set("conf.default.forwarding", 1)
    a, b = Veth(ns, "a", MAC1), Veth(ns, "b", bytes.fromhex("020000000002"))
    Veth.pair(a, b)
    assert ip6_int("ff02::2") in mc_groups(a)
    assert "33:33:00:00:00:02" in _macs(a)


def test_bridge_and_port_lists_follow_the_kernel() -> None:
    sched = Scheduler()
    ns = Namespace("n", sched, ipv6=True)
    br = BridgeDevice(ns, "br0", bytes.fromhex("02000000000b"))
    pa, pb = Veth(ns, "pa", bytes.fromhex("02000000000a")), Veth(ns, "pb", MAC1)
    Veth.pair(pa, pb)
    br.add_port(pa)
    for d in (br, pa, pb):
        d.set_admin(True)
    sched.run(until=40 * S)
    # measured order on a bridge: ff02::1 (register), the snooper groups (br_dev_open),
    # all-hosts (NETDEV_UP), then the solicited-node group of its link-local
    assert _macs(br) == ["33:33:00:00:00:01", "01:00:5e:00:00:6a", "33:33:00:00:00:6a",
                         "01:00:5e:00:00:01", "33:33:ff:00:00:0b"]
    assert _macs(pa) == ["33:33:00:00:00:01", "01:00:5e:00:00:01", "33:33:ff:00:00:0a"]
    assert ip6_int("ff02::6a") in mc_groups(br)
    br.set_admin(False)
    assert br.mc == {}


def test_bridge_reports_the_snoopers_group() -> None:
    sched = Scheduler()
    ns = Namespace("n", sched, ipv6=True)
    other = Namespace("o", sched)
    br = BridgeDevice(ns, "br0", bytes.fromhex("02000000000b"))
    pa, pb = Veth(ns, "pa", bytes.fromhex("02000000000a")), Veth(other, "pb", MAC1)
    Veth.pair(pa, pb)
    br.add_port(pa)
    seen: list[bytes] = []
    pb.add_tap(lambda _t, d: seen.append(d))
    pb.set_admin(True)
    pa.set_admin(True)
    br.set_admin(True)
    sched.run(until=40 * S)
    from v6frames import classify

    reports = [classify(0, d) for d in seen if d[6:12] == br.mac]
    groups = {g for e in reports for g in e.groups}
    assert "4:ff02::6a" in groups and "4:ff02::1:ff00:b" in groups


def test_macvlan_puts_its_mac_and_groups_on_the_lower() -> None:
    sched = Scheduler()
    ns = Namespace("n", sched, ipv6=True)
    va, vb = Veth(ns, "va", bytes.fromhex("02000000000a")), Veth(ns, "vb", MAC1)
    Veth.pair(va, vb)
    mv = MacvlanDevice(ns, "mv0", bytes.fromhex("02000000000c"), 1500, va, "bridge")
    for d in (va, vb, mv):
        d.set_admin(True)
    sched.run(until=5 * S)
    # measured: the lower lists the macvlan's MAC (uc) and its solicited-node MAC (mc sync)
    assert [m.hex(":") for m in va.uc] == ["02:00:00:00:00:0c"]
    assert _macs(va) == ["33:33:00:00:00:01", "01:00:5e:00:00:01", "33:33:ff:00:00:0a",
                         "33:33:ff:00:00:0c"]
    assert va.mc[bytes.fromhex("333300000001")] == 2  # `ip maddr`: users 2
    assert _macs(mv) == ["33:33:00:00:00:01", "01:00:5e:00:00:01", "33:33:ff:00:00:0c"]
    mv.set_admin(False)
    assert va.uc == {} and "33:33:ff:00:00:0c" not in _macs(va)


def test_mldv1_leave_sends_done_to_all_routers() -> None:
    sched, b, v0, evs = capture_lab()
    b.ipv6.sysctl_set("conf.v0.force_mld_version", 1)
    v0.set_admin(True)
    sched.run(until=3 * S)
    g = ip6_int("ff02::abcd")
    ipv6_dev_mc_inc(b, v0, g)
    sched.run(until=4 * S)
    evs.clear()
    ipv6_dev_mc_dec(b, v0, g)
    sched.run(until=5 * S)
    [done] = [e for e in evs if e.kind == "mld1done"]
    assert done.data[:6] == bytes.fromhex("333300000002")  # to ff02::2
    assert done.data[-16:] == bytes.fromhex("ff02000000000000000000000000abcd")


def test_forwarding_on_later_joins_the_three_all_routers_groups() -> None:
    # measured: all.forwarding=1 on existing devices joins ff02::2, ff01::2, ff05::2
    # (33:33:00:00:00:02 with 2 users: ff01::2 is interface-local, never loaded)
    sched = Scheduler()
    ns = Namespace("r", sched, ipv6=True)
    a, b = Veth(ns, "xa", MAC1), Veth(ns, "xb", bytes.fromhex("020000000002"))
    Veth.pair(a, b)
    ns.ipv6.sysctl_set("conf.all.forwarding", 1)
    assert mc_groups(a) == [ip6_int(g) for g in ("ff05::2", "ff01::2", "ff02::2", "ff02::1",
                                                 "ff01::1")]
    assert a.mc == {bytes.fromhex("333300000001"): 1, bytes.fromhex("333300000002"): 2}
    ns.ipv6.sysctl_set("conf.all.forwarding", 0)
    assert _macs(a) == ["33:33:00:00:00:01"]
