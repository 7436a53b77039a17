"""IPv6 multicast groups of a device and MLD unsolicited reports (net/ipv6/mcast.c).

Design note
-----------
``ipv6_dev_mc_inc``/``ipv6_dev_mc_dec`` keep a refcounted group list per device (in the
device's ``Inet6Dev``). A group of link-local scope or wider is *loaded* onto the device's
link-layer list (``igmp6_group_added`` → ``dev_mc_add(33:33:xx:xx:xx:xx)``) as soon as it
is joined, even with IPv6 disabled — which is why every Ethernet-like device shows
``33:33:00:00:00:01 self permanent`` in ``bridge fdb show`` (measured on 6.18, IPv6 on or
off). Interface-local groups (ff01::1) are never loaded or reported; ff02::1 is loaded
but never reported (MAF_NOREPORT).

MLDv2 (the default) reports changes, not groups: a join while the device is up sets the
group's change count to the robustness variable (2) and fires ``mld_ifc_event``: the
interface work runs 2 jiffies + random(1) later and then after random(unsolicited report
interval, 1 s) — two reports, each with a CHANGE_TO_EXCLUDE record per group that still
has a change to send. Reports leave from the device's link-local address, or from ``::``
while it has none that passed DAD (``mld_newpack``). When the first link-local passes DAD
``ipv6_mc_dad_complete`` sends the whole state again (``mld_send_initial_cr``) at once and
after random(1 s) + 2 jiffies: measured as the report at DAD completion and the one after.
MLDv1 (``force_mld_version=1``) instead sends a type 131 report to the group at once and
one more after random(10 s); leaving sends a done (132) to ff02::2 if we reported last.

Packets: hop limit 1, hop-by-hop Router Alert (MLD), MLDv2 to ff02::16 (33:33:00:00:00:16).
Queries are not answered (no querier in the emulator's labs).
"""

from __future__ import annotations

from ipaddress import IPv6Address
from typing import TYPE_CHECKING

from vnetlab.sim.netdev import dev_mc_add, dev_mc_del
from vnetlab.sim.stack.addr6 import (
    ALL_MLDV2_ROUTERS,
    ALL_NODES,
    ALL_ROUTERS,
    SOLICITED_NODE_PREFIX,
    ipv6_eth_mc_map,
    mc_scope,
    solicited_node,
)
from vnetlab.sim.stack.inet6_dev import Ifmcaddr6, Inet6Dev, new_inet6_dev
from vnetlab.sim.stack.jiffies import mod_delayed_work, msecs_to_jiffies
from vnetlab.wire.icmpv6 import (
    ICMPV6_MGM_REDUCTION,
    ICMPV6_MGM_REPORT,
    MLD2_CHANGE_TO_EXCLUDE,
    MLD2_CHANGE_TO_INCLUDE,
    Icmpv6Message,
    Mld2Record,
    mld2_report,
)
from vnetlab.wire.ipv6 import Ipv6Header, hbh_router_alert

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice
    from vnetlab.sim.stack.netns import Namespace

IPPROTO_HOPOPTS = 0
IPPROTO_ICMPV6 = 58
IPV6_ADDR_SCOPE_LINKLOCAL = 2


def in6_dev_get(ns: Namespace, dev: NetDevice) -> Inet6Dev:
    """``ipv6_find_idev``: the device's inet6_dev, made (``ipv6_add_dev``) if missing."""
    idev = dev.ip6_ptr
    if idev is None:
        from vnetlab.sim.stack.addrconf import ipv6_add_dev

        idev = ipv6_add_dev(ns, dev)
    return idev


def mld_in_v1_mode(idev: Inet6Dev) -> bool:
    """``mld_in_v1_mode``: forced by ``force_mld_version=1`` (device or all)."""
    stack = idev.ns.ipv6
    return stack.dev_conf(idev.dev).force_mld_version == 1 or stack.conf_all.force_mld_version == 1


def unsolicited_report_interval(idev: Inet6Dev) -> int:
    """In jiffies (the sysctls are milliseconds); at least 1."""
    c = idev.ns.ipv6.dev_conf(idev.dev)
    ms = (c.mldv1_unsolicited_report_interval if mld_in_v1_mode(idev)
          else c.mldv2_unsolicited_report_interval)
    return max(1, msecs_to_jiffies(ms))


def _mc_map(dev: NetDevice, group: int) -> bytes | None:
    """``ndisc_mc_map``: Ethernet-like devices only (lo and tun have no mapping)."""
    if dev.link_type != "ether" or dev.addr_len != 6:
        return None
    return ipv6_eth_mc_map(group)


# -- joining and leaving ---------------------------------------------------------------------
def ipv6_dev_mc_inc(ns: Namespace, dev: NetDevice, group: int) -> None:
    """``ipv6_dev_mc_inc``: one more user of GROUP on DEV; a new group is loaded and,
    on a device that is up, reported."""
    idev = in6_dev_get(ns, dev)
    mc = idev.mc.get(group)
    if mc is not None:
        mc.users += 1
        return
    mc = Ifmcaddr6(group, noreport=group == ALL_NODES
                   or mc_scope(group) < IPV6_ADDR_SCOPE_LINKLOCAL)
    idev.mc[group] = mc
    idev.mc_tomb.pop(group, None)  # mld_del_delrec
    igmp6_group_added(idev, mc)


def ipv6_dev_mc_dec(ns: Namespace, dev: NetDevice, group: int) -> None:
    """``ipv6_dev_mc_dec``: one user less; the last one drops the group (a leave record
    or an MLDv1 done while the device is up)."""
    idev = dev.ip6_ptr
    if idev is None:
        return
    mc = idev.mc.get(group)
    if mc is None:
        return
    mc.users -= 1
    if mc.users > 0:
        return
    del idev.mc[group]
    igmp6_group_dropped(idev, mc, leave=True)


def ipv6_chk_mcast_addr(ns: Namespace, dev: NetDevice, group: int) -> bool:
    """``ipv6_chk_mcast_addr``: has DEV joined GROUP? An address always has its
    solicited-node group from DAD start to deletion; one put on the stack directly
    (``Ipv6Stack.add_addr`` without addrconf: unit tests) counts as having it too."""
    idev = dev.ip6_ptr
    if idev is not None and group in idev.mc:
        return True
    return (group >> 24) == (SOLICITED_NODE_PREFIX >> 24) and any(
        solicited_node(a.addr) == group for a in ns.ipv6.dev_addrs(dev))


def igmp6_group_added(idev: Inet6Dev, mc: Ifmcaddr6) -> None:
    dev = idev.dev
    if mc_scope(mc.addr) < IPV6_ADDR_SCOPE_LINKLOCAL:
        return
    if not mc.loaded:
        mc.loaded = True
        mac = _mc_map(dev, mc.addr)
        if mac is not None:
            dev_mc_add(dev, mac)
    if not dev.admin_up or mc.noreport or idev.ns.ipv6.disabled(dev):
        return  # (disabled: ip6_output would drop the report; no timer either)
    if mld_in_v1_mode(idev):
        igmp6_join_group(idev, mc)
        return
    mc.crcount = idev.mc_qrv
    mld_ifc_event(idev)


def igmp6_group_dropped(idev: Inet6Dev, mc: Ifmcaddr6, *, leave: bool) -> None:
    dev = idev.dev
    if mc.loaded:
        mc.loaded = False
        mac = _mc_map(dev, mc.addr)
        if mac is not None:
            dev_mc_del(dev, mac)
    if mc.work is not None:
        mc.work.cancel()
        mc.work = None
    if not leave or mc.noreport or not dev.admin_up or idev.dead \
            or idev.ns.ipv6.disabled(dev):
        return
    if mld_in_v1_mode(idev):
        if mc.last_reporter:
            _send_v1(idev, ICMPV6_MGM_REDUCTION, mc.addr, ALL_ROUTERS)
        return
    idev.mc_tomb[mc.addr] = idev.mc_qrv  # mld_add_delrec
    mld_ifc_event(idev)


def ipv6_mc_up(idev: Inet6Dev) -> None:
    """``ipv6_mc_up``: (re)load every group and report them (a link that became ready)."""
    for mc in idev.groups_newest_first():
        igmp6_group_added(idev, mc)


def ipv6_mc_down(idev: Inet6Dev) -> None:
    """``ipv6_mc_down``: unload every group from dev.mc and stop the report works."""
    for mc in idev.groups_newest_first():
        igmp6_group_dropped(idev, mc, leave=False)
    _stop_works(idev)
    idev.mc_tomb.clear()


def ipv6_mc_destroy_dev(idev: Inet6Dev) -> None:
    """``ipv6_mc_destroy_dev`` (NETDEV_UNREGISTER): drop every group."""
    ipv6_mc_down(idev)
    idev.mc.clear()


def _stop_works(idev: Inet6Dev) -> None:
    for t in (idev.mc_ifc_work, idev.mc_dad_work):
        if t is not None:
            t.cancel()
    idev.mc_ifc_work = idev.mc_dad_work = None
    idev.mc_ifc_count = idev.mc_dad_count = 0


# -- MLDv2 change reports --------------------------------------------------------------------
def mld_ifc_event(idev: Inet6Dev) -> None:
    if mld_in_v1_mode(idev):
        return
    idev.mc_ifc_count = idev.mc_qrv
    mld_ifc_start_work(idev, 1)


def mld_ifc_start_work(idev: Inet6Dev, delay: int) -> None:
    """random(DELAY) + 2 jiffies (``mld_ifc_start_work``)."""
    tv = idev.rng.below(delay)
    idev.mc_ifc_work = mod_delayed_work(idev.ns.sched, idev.mc_ifc_work, tv + 2,
                                        lambda: mld_ifc_work(idev))


def mld_ifc_work(idev: Inet6Dev) -> None:
    idev.mc_ifc_work = None
    mld_send_cr(idev)
    if idev.mc_ifc_count:
        idev.mc_ifc_count -= 1
        if idev.mc_ifc_count:
            mld_ifc_start_work(idev, unsolicited_report_interval(idev))


def mld_send_cr(idev: Inet6Dev) -> None:
    """``mld_send_cr``: leave records of dropped groups, then a CHANGE_TO_EXCLUDE for each
    joined group with changes left to report."""
    records: list[Mld2Record] = []
    for group in list(idev.mc_tomb):
        records.append(Mld2Record(MLD2_CHANGE_TO_INCLUDE, IPv6Address(group)))
        idev.mc_tomb[group] -= 1
        if idev.mc_tomb[group] <= 0:
            del idev.mc_tomb[group]
    for mc in idev.groups_newest_first():
        if mc.noreport or mc.crcount <= 0:
            continue
        records.append(Mld2Record(MLD2_CHANGE_TO_EXCLUDE, IPv6Address(mc.addr)))
        mc.crcount -= 1
    if records:
        _send_v2(idev, records)


# -- after DAD: the whole state again (ipv6_mc_dad_complete) --------------------------------
def ipv6_mc_dad_complete(idev: Inet6Dev) -> None:
    idev.mc_dad_count = idev.mc_qrv
    if idev.mc_dad_count:
        mld_send_initial_cr(idev)
        idev.mc_dad_count -= 1
        if idev.mc_dad_count:
            _mld_dad_start_work(idev, unsolicited_report_interval(idev))


def _mld_dad_start_work(idev: Inet6Dev, delay: int) -> None:
    tv = idev.rng.below(delay)
    idev.mc_dad_work = mod_delayed_work(idev.ns.sched, idev.mc_dad_work, tv + 2,
                                        lambda: _mld_dad_work(idev))


def _mld_dad_work(idev: Inet6Dev) -> None:
    idev.mc_dad_work = None
    mld_send_initial_cr(idev)
    if idev.mc_dad_count:
        idev.mc_dad_count -= 1
        if idev.mc_dad_count:
            _mld_dad_start_work(idev, unsolicited_report_interval(idev))


def mld_send_initial_cr(idev: Inet6Dev) -> None:
    if mld_in_v1_mode(idev):
        return
    records = [Mld2Record(MLD2_CHANGE_TO_EXCLUDE, IPv6Address(mc.addr))
               for mc in idev.groups_newest_first() if not mc.noreport and mc.loaded]
    if records:
        _send_v2(idev, records)


# -- MLDv1 ------------------------------------------------------------------------------------
def igmp6_join_group(idev: Inet6Dev, mc: Ifmcaddr6) -> None:
    """A report now, another after random(unsolicited report interval)."""
    if mc.noreport:
        return
    _send_v1(idev, ICMPV6_MGM_REPORT, mc.addr, mc.addr)
    delay = idev.rng.below(unsolicited_report_interval(idev))

    def again() -> None:
        mc.work = None
        if mld_in_v1_mode(idev):
            _send_v1(idev, ICMPV6_MGM_REPORT, mc.addr, mc.addr)

    mc.work = mod_delayed_work(idev.ns.sched, mc.work, delay, again)
    mc.last_reporter = True


# -- output (mld_newpack / igmp6_send) --------------------------------------------------------
def _source(idev: Inet6Dev) -> int:
    """A link-local that passed DAD, else ``::`` (``ipv6_get_lladdr(.., IFA_F_TENTATIVE)``)."""
    from vnetlab.sim.stack.addrconf import ipv6_get_lladdr

    ll = ipv6_get_lladdr(idev.ns, idev.dev)
    return 0 if ll is None else ll


def _xmit(idev: Inet6Dev, dst: int, msg: Icmpv6Message) -> None:
    dev = idev.dev
    stack = idev.ns.ipv6
    mac = _mc_map(dev, dst)
    if mac is None or not dev.admin_up or stack.disabled(dev):
        return
    src = IPv6Address(_source(idev))
    d6 = IPv6Address(dst)
    body = hbh_router_alert(IPPROTO_ICMPV6) + msg.emit(src, d6)
    packet = Ipv6Header(src, d6, IPPROTO_HOPOPTS, 1).emit(body)
    stack.count("OutMsgs")
    stack.dev_xmit_ip(dev, mac, packet, None)


def _send_v2(idev: Inet6Dev, records: list[Mld2Record]) -> None:
    _xmit(idev, ALL_MLDV2_ROUTERS, mld2_report(records))


def _send_v1(idev: Inet6Dev, type_: int, group: int, dst: int) -> None:
    """MLDv1 report (131) or done (132): max response delay 0, the group address."""
    _xmit(idev, dst, Icmpv6Message(type_, 0, 0, IPv6Address(group).packed))


def mc_groups(dev: NetDevice) -> list[int]:
    """The groups DEV joined, newest first (``ip maddr show``'s inet6 lines)."""
    idev = dev.ip6_ptr
    return [] if idev is None else [m.addr for m in idev.groups_newest_first()]


__all__ = [
    "in6_dev_get",
    "ipv6_chk_mcast_addr",
    "ipv6_dev_mc_dec",
    "ipv6_dev_mc_inc",
    "ipv6_mc_dad_complete",
    "ipv6_mc_destroy_dev",
    "ipv6_mc_down",
    "ipv6_mc_up",
    "mc_groups",
    "mld_in_v1_mode",
    "new_inet6_dev",
]
