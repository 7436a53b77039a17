"""IPv6 autoconfiguration of a device (net/ipv6/addrconf.c): link-local addresses, DAD,
router solicitations, and what happens when a device comes up or goes down.

Design note
-----------
``addrconf_notify`` is called by the namespace's ``Ipv6Stack`` for every device event
(after IPv4's handler, as in the kernel). It mirrors the kernel's:

* NETDEV_UP / NETDEV_CHANGE: nothing while ``disable_ipv6``; otherwise, once the link is
  ready (up and carrier, or operstate UNKNOWN), the device is IF_READY: its groups are
  reloaded and reported (``ipv6_mc_up``), the auto addresses made
  (``addrconf_init_auto_addrs``: ``::1`` on lo; a link-local on Ethernet-like devices,
  by ``addr_gen_mode`` 0 EUI-64 / 1 none / 2 stable-privacy / 3 random secret; a tun
  (ARPHRD_NONE) has no EUI-64 and uses 3), and DAD started for tentative addresses;
* NETDEV_DOWN / NETDEV_UNREGISTER: ``addrconf_ifdown``: every address goes (manual ones
  too: ``keep_addr_on_down`` is 0), timers stop, groups are unloaded (or destroyed).

Each Ethernet device also joins IPv4's all-hosts group here (``ip_mc_up``, igmp.py), since
this is the one place that hears every device event of a namespace after IPv4.

DAD (``addrconf_dad_*``): an address starts tentative; the work begins at once (joins the
solicited-node group), then waits random(``rtr_solicitation_delay``) — 0 to 1 s — and
sends ``dad_transmits`` NS from ``::`` one ``retrans_time`` apart; one retrans time after
the last it is usable (``addrconf_dad_completed``). A device without ARP (IFF_NOARP,
loopback), ``accept_dad`` < 1, or the ``nodad`` flag completes at once. A duplicate
(ndisc calls ``addrconf_dad_failure``) leaves the address "tentative dadfailed" (it is
permanent, so it stays), logs ``IPv6: DEV: IPv6 duplicate address A used by M
detected!``, and a stable-privacy address retries with the next dad_count.

After the first link-local passes DAD (``ipv6_lonely_lladdr``): the MLD state is sent
again from the new source (mcast6.ipv6_mc_dad_complete), then one router solicitation at
once and more with RFC 7559 back-off: the interval starts at
``rtr_solicitation_interval`` × random[0.9, 1.1] and is multiplied by random[1.9, 2.1]
after each, capped near ``rtr_solicitation_max_interval``; ``router_solicitations`` -1
never stops. Nothing is sent when forwarding is on (``ipv6_accept_ra``) or accept_ra is 0.

Timers run in jiffies through the timer wheel (jiffies.py); random draws come from the
device's seeded stream (inet6_dev.py).
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from vnetlab.sim.netdev import dev_set_rx_mode
from vnetlab.sim.notifier import NetdevEvent
from vnetlab.sim.stack import mcast6
from vnetlab.sim.stack.addr6 import (
    ALL_NODES,
    ALL_ROUTERS,
    LL_PREFIX,
    LOOPBACK6,
    Inet6Addr,
    addr_scope,
    ip6_int,
    ip6_str,
    is_linklocal,
    mask6,
    solicited_node,
)
from vnetlab.sim.stack.ifid6 import IDGEN_RETRIES, eui64_ifid, stable_address
from vnetlab.sim.stack.igmp import ip_mc_down, ip_mc_up
from vnetlab.sim.stack.inet6_dev import Inet6Dev, new_inet6_dev
from vnetlab.sim.stack.ipv6_conf import IPV6_MIN_MTU
from vnetlab.sim.stack.jiffies import HZ, mod_delayed_work, msecs_to_jiffies
from vnetlab.wire.mac import mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice
    from vnetlab.sim.stack.netns import Namespace

ADDR_GEN_EUI64, ADDR_GEN_NONE, ADDR_GEN_STABLE, ADDR_GEN_RANDOM = 0, 1, 2, 3
INTERFACE_LOCAL_ALL_NODES = 0xFF01 << 112 | 1
SITE_LOCAL_ALL_ROUTERS = 0xFF05 << 112 | 2
INTERFACE_LOCAL_ALL_ROUTERS = 0xFF01 << 112 | 2
#: device types addrconf_dev_config configures (ARPHRD_ETHER, ARPHRD_NONE); others only
#: get their multicast groups up
AUTOCONF_LINK_TYPES = frozenset({"ether", "none"})


# -- the inet6_dev ----------------------------------------------------------------------------
def ipv6_add_dev(ns: Namespace, dev: NetDevice) -> Inet6Dev:
    """``ipv6_add_dev`` (NETDEV_REGISTER): the inet6_dev and its first groups — ff01::1,
    ff02::1 and, when forwarding, ff02::2 — joined even with IPv6 disabled."""
    if dev.ip6_ptr is not None:
        return dev.ip6_ptr
    idev = new_inet6_dev(ns, dev)
    dev.ip6_ptr = idev
    conf = ns.ipv6.dev_conf(dev)
    if conf.stable_secret is not None:
        conf.addr_gen_mode = ADDR_GEN_STABLE
    mcast6.ipv6_dev_mc_inc(ns, dev, INTERFACE_LOCAL_ALL_NODES)
    mcast6.ipv6_dev_mc_inc(ns, dev, ALL_NODES)
    if conf.forwarding and "MULTICAST" in dev.iff_flags:
        mcast6.ipv6_dev_mc_inc(ns, dev, ALL_ROUTERS)
    return idev


def addrconf_link_ready(dev: NetDevice) -> bool:
    """``addrconf_link_ready``: ``netif_oper_up`` (operstate UP or UNKNOWN)."""
    return dev.admin_up and dev.operstate in ("UP", "UNKNOWN")


# -- device events ----------------------------------------------------------------------------
def addrconf_notify(ns: Namespace, dev: NetDevice, event: NetdevEvent) -> None:
    """``addrconf_notify`` (+ ``inetdev_event``'s multicast part)."""
    if event is NetdevEvent.UP:
        dev_set_rx_mode(dev, True)
        ip_mc_up(dev)
    elif event is NetdevEvent.DOWN:
        ip_mc_down(dev)
        dev_set_rx_mode(dev, False)
    if event is NetdevEvent.UNREGISTER:
        addrconf_ifdown(ns, dev, unregister=True)
        return
    if event is NetdevEvent.DOWN:
        addrconf_ifdown(ns, dev)
        return
    if event not in (NetdevEvent.UP, NetdevEvent.CHANGE):
        return
    if ns.ipv6.disabled(dev) or dev.mtu < IPV6_MIN_MTU:
        return
    if event is NetdevEvent.UP:
        addrconf_permanent_addr(ns, dev)
    if not addrconf_link_ready(dev):
        return
    idev = ipv6_add_dev(ns, dev)
    if idev.if_ready:
        if event is NetdevEvent.CHANGE:
            # already configured: resend MLD reports (we may have roamed)
            mcast6.ipv6_mc_up(idev)
        return
    idev.if_ready = True
    if event is NetdevEvent.CHANGE:
        idev.log(f"IPv6: ADDRCONF(NETDEV_CHANGE): {dev.name}: link becomes ready")
    mcast6.ipv6_mc_up(idev)
    addrconf_init_auto_addrs(ns, idev)
    addrconf_dad_run(idev)


def addrconf_permanent_addr(ns: Namespace, dev: NetDevice) -> None:
    """``addrconf_permanent_addr``: the routes of the addresses the device already has
    (added while it was down), and its ff00::/8 route."""
    from vnetlab.sim.stack.route6 import MULTICAST_PREFIX, ip6_route_add_kernel

    if dev.link_type != "loopback":
        ip6_route_add_kernel(ns, MULTICAST_PREFIX, 8, dev, table="local", type_="multicast")
    for ifa in ns.ipv6.dev_addrs(dev):
        ns.ipv6.addr_routes(ifa)


def addrconf_init_auto_addrs(ns: Namespace, idev: Inet6Dev) -> None:
    dev = idev.dev
    if dev.link_type == "loopback":
        init_loopback(ns, idev)
    elif dev.link_type in AUTOCONF_LINK_TYPES:
        addrconf_dev_config(ns, idev)


def init_loopback(ns: Namespace, idev: Inet6Dev) -> None:
    """``init_loopback``: ::1/128 scope host, usable at once (no DAD)."""
    if ns.ipv6.find_addr(LOOPBACK6, idev.dev) is not None:
        return
    ifa = Inet6Addr(LOOPBACK6, 128, idev.dev, "host", {"permanent"})
    ns.ipv6.add_addr(ifa)


def addrconf_dev_config(ns: Namespace, idev: Inet6Dev) -> None:
    """``addrconf_dev_config``: the ff00::/8 route, then the link-local."""
    from vnetlab.sim.stack.route6 import MULTICAST_PREFIX, ip6_route_add_kernel

    dev = idev.dev
    ip6_route_add_kernel(ns, MULTICAST_PREFIX, 8, dev, table="local", type_="multicast")
    conf = ns.ipv6.dev_conf(dev)
    if dev.link_type == "none" and conf.addr_gen_mode == ADDR_GEN_EUI64:
        conf.addr_gen_mode = ADDR_GEN_RANDOM  # this device type has no EUI support
    addrconf_addr_gen(ns, idev)


def addrconf_addr_gen(ns: Namespace, idev: Inet6Dev) -> None:
    dev = idev.dev
    conf = ns.ipv6.dev_conf(dev)
    mode = conf.addr_gen_mode
    if mode == ADDR_GEN_RANDOM and conf.stable_secret is None:
        # ipv6_gen_mode_random_init: a random secret, kept in the device's conf
        r = idev.rng
        secret = (r.u32() << 96) | (r.u32() << 64) | (r.u32() << 32) | r.u32()
        conf.stable_secret = ip6_str(secret)
    if mode in (ADDR_GEN_STABLE, ADDR_GEN_RANDOM):
        addr = generate_stable(ns, idev, LL_PREFIX, 0)
        if addr is not None:
            addrconf_add_linklocal(ns, idev, addr, {"stable-privacy"})
    elif mode == ADDR_GEN_EUI64:
        ifid = eui64_ifid(dev.mac) if dev.addr_len == 6 else None
        if ifid is not None:
            addrconf_add_linklocal(ns, idev, LL_PREFIX | ifid, set())


def generate_stable(ns: Namespace, idev: Inet6Dev, prefix: int, dad_count: int) -> int | None:
    """``ipv6_generate_stable_address`` with the device's secret, else default's."""
    secret = ns.ipv6.dev_conf(idev.dev).stable_secret or ns.ipv6.conf_default.stable_secret
    if secret is None:
        return None
    return stable_address(prefix, ip6_int(secret), b"", dad_count)


def addrconf_add_linklocal(ns: Namespace, idev: Inet6Dev, addr: int, flags: set[str]) -> None:
    ifa = ipv6_add_addr(ns, idev, addr, 64, flags | {"permanent"})
    if ifa is not None:
        addrconf_dad_start(idev, ifa)


def ipv6_add_addr(ns: Namespace, idev: Inet6Dev, addr: int, plen: int,
                  flags: set[str]) -> Inet6Addr | None:
    """``ipv6_add_addr``: tentative unless nodad; its prefix route when the device is up."""
    dev = idev.dev
    if ns.ipv6.find_addr(addr, dev) is not None:
        return None
    f = set(flags)
    if "nodad" not in f:
        f.add("tentative")
    ifa = Inet6Addr(addr, plen, dev, addr_scope(addr), f)
    ns.ipv6.add_addr(ifa)
    return ifa


# -- manual addresses (ip -6 addr add/del) ------------------------------------------------------
def inet6_addr_add(ns: Namespace, dev: NetDevice, addr: int, plen: int, *,
                   flags: tuple[str, ...] = ()) -> Inet6Addr:
    """``inet6_addr_add``: a permanent address through DAD (unless ``nodad``).
    OSError EACCES with IPv6 disabled on DEV, EEXIST when it is there already."""
    if ns.ipv6.disabled(dev):
        raise OSError(errno.EACCES, "Permission denied")
    idev = ipv6_add_dev(ns, dev)
    ifa = ipv6_add_addr(ns, idev, addr, plen, set(flags) | {"permanent"})
    if ifa is None:
        raise OSError(errno.EEXIST, "File exists")
    addrconf_dad_start(idev, ifa)
    return ifa


def inet6_addr_del(ns: Namespace, dev: NetDevice, addr: int, plen: int) -> None:
    """``inet6_addr_del``: EADDRNOTAVAIL when DEV has no such address."""
    ifa = ns.ipv6.find_addr(addr, dev)
    if ifa is None or ifa.plen != plen:
        raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
    ipv6_del_addr(ns, ifa)


def ipv6_del_addr(ns: Namespace, ifa: Inet6Addr) -> None:
    idev = ifa.dev.ip6_ptr
    if idev is not None:
        _dad_forget(idev, ifa)
        if ifa in idev.solict:
            idev.solict.discard(ifa)
            mcast6.ipv6_dev_mc_dec(ns, ifa.dev, solicited_node(ifa.addr))
    ns.ipv6.del_addr(ifa)


def _dad_forget(idev: Inet6Dev, ifa: Inet6Addr) -> None:
    t = idev.dad_work.pop(ifa, None)
    if t is not None:
        t.cancel()
    idev.dad_state[ifa] = "DEAD"
    idev.stable_retry.pop(ifa, None)
    _dad_nonce_set(idev, ifa, None)


# -- DAD ----------------------------------------------------------------------------------------
def _mod_dad_work(idev: Inet6Dev, ifa: Inet6Addr, delay_j: int) -> None:
    idev.dad_work[ifa] = mod_delayed_work(idev.ns.sched, idev.dad_work.get(ifa), delay_j,
                                          lambda: addrconf_dad_work(idev, ifa))


def addrconf_dad_start(idev: Inet6Dev, ifa: Inet6Addr) -> None:
    idev.dad_state[ifa] = "PREDAD"
    _mod_dad_work(idev, ifa, 0)


def addrconf_dad_work(idev: Inet6Dev, ifa: Inet6Addr) -> None:
    idev.dad_work.pop(ifa, None)
    state = idev.dad_state.get(ifa)
    if state == "PREDAD":
        idev.dad_state[ifa] = "DAD"
        addrconf_dad_begin(idev, ifa)
        return
    if state == "ERRDAD":
        idev.dad_state[ifa] = "POSTDAD"
        addrconf_dad_stop(idev, ifa, failed=True)
        return
    if state != "DAD" or idev.dead or not idev.if_ready:
        return
    if ifa.dad_probes == 0:
        idev.dad_state[ifa] = "POSTDAD"
        _dad_nonce_set(idev, ifa, None)
        ifa.flags.discard("tentative")
        ifa.flags.discard("dadfailed")
        addrconf_dad_completed(idev, ifa)
        return
    ifa.dad_probes -= 1
    retrans = msecs_to_jiffies(idev.ns.ipv6.neigh_parm(idev.dev, "retrans_time_ms"))
    _mod_dad_work(idev, ifa, max(retrans, HZ // 100))
    from vnetlab.sim.stack.ndisc import ndisc_send_ns

    ndisc_send_ns(idev.ns, idev.dev, ifa.addr, 0, solicited_node(ifa.addr),
                  nonce=idev.dad_nonce.get(ifa))


def addrconf_dad_begin(idev: Inet6Dev, ifa: Inet6Addr) -> None:
    ns, dev = idev.ns, idev.dev
    if ifa not in idev.solict:
        idev.solict.add(ifa)
        mcast6.ipv6_dev_mc_inc(ns, dev, solicited_node(ifa.addr))
    conf = ns.ipv6.dev_conf(dev)
    if (dev.noarp or dev.link_type == "loopback"
            or (ns.ipv6.conf_all.accept_dad < 1 and conf.accept_dad < 1)
            or "tentative" not in ifa.flags or "nodad" in ifa.flags):
        ifa.flags.discard("tentative")
        ifa.flags.discard("dadfailed")
        idev.dad_state[ifa] = "POSTDAD"
        addrconf_dad_completed(idev, ifa)
        return
    if not idev.if_ready:
        addrconf_dad_stop(idev, ifa, failed=False)  # kept tentative; dad_run restarts it
        return
    addrconf_dad_kick(idev, ifa)


def addrconf_dad_kick(idev: Inet6Dev, ifa: Inet6Addr) -> None:
    """random(rtr_solicitation_delay) before the first probe."""
    conf = idev.ns.ipv6.dev_conf(idev.dev)
    rand = idev.rng.below(conf.rtr_solicitation_delay * HZ or 1)
    # enhanced_dad (on by default): a nonce in every probe, so our own probe looped back
    # (a hub, a reflecting switch) is not taken for a duplicate (RFC 7527)
    nonce = b""
    while not any(nonce):
        nonce = b"".join(idev.rng.u32().to_bytes(4, "big") for _ in range(2))[:6]
    _dad_nonce_set(idev, ifa, nonce)
    ifa.dad_probes = conf.dad_transmits
    _mod_dad_work(idev, ifa, rand)


def _dad_nonce_set(idev: Inet6Dev, ifa: Inet6Addr, nonce: bytes | None) -> None:
    nonces = idev.ns.ipv6.dad_nonces
    old = idev.dad_nonce.pop(ifa, None)
    if old is not None:
        nonces.discard(old)
    if nonce is not None:
        idev.dad_nonce[ifa] = nonce
        nonces.add(nonce)


def addrconf_dad_stop(idev: Inet6Dev, ifa: Inet6Addr, *, failed: bool) -> None:
    """Permanent addresses stay (tentative, + dadfailed); others go."""
    if "permanent" in ifa.flags:
        t = idev.dad_work.pop(ifa, None)
        if t is not None:
            t.cancel()
        ifa.flags.add("tentative")
        if failed:
            ifa.flags.add("dadfailed")
    else:
        ipv6_del_addr(idev.ns, ifa)


def addrconf_dad_run(idev: Inet6Dev) -> None:
    """The link became ready: kick DAD of addresses that waited for it."""
    for ifa in list(idev.ns.ipv6.dev_addrs(idev.dev)):
        if "tentative" in ifa.flags and "dadfailed" not in ifa.flags \
                and idev.dad_state.get(ifa) == "DAD":
            addrconf_dad_kick(idev, ifa)


def addrconf_dad_failure(ns: Namespace, ifa: Inet6Addr, lladdr: bytes | None = None) -> None:
    """A neighbour has the address (ndisc saw its NA, or its DAD NS from ::)."""
    idev = ifa.dev.ip6_ptr
    if idev is None or idev.dad_state.get(ifa) in ("ERRDAD", "DEAD", None):
        return
    who = mac_to_str(lladdr) if lladdr is not None else "00:00:00:00:00:00"
    idev.log(f"IPv6: {ifa.dev.name}: IPv6 duplicate address {ip6_str(ifa.addr)} "
             f"used by {who} detected!")
    if "stable-privacy" in ifa.flags:
        retries = idev.stable_retry.get(ifa, 0) + 1
        if retries > IDGEN_RETRIES:
            idev.log(f"IPv6: {ifa.dev.name}: privacy stable address generation failed "
                     "because of DAD conflicts!")
        else:
            new = generate_stable(ns, idev, ifa.addr & mask6(64), retries)
            if new is not None:
                idev.log(f"IPv6: {ifa.dev.name}: generating new stable privacy address "
                         "because of DAD conflict")
                ifa2 = ipv6_add_addr(ns, idev, new, ifa.plen, {"permanent", "stable-privacy"})
                if ifa2 is not None:
                    idev.stable_retry[ifa2] = retries
                    idev.dad_state[ifa2] = "PREDAD"
                    conf = ns.ipv6.dev_conf(ifa.dev)
                    _mod_dad_work(idev, ifa2, conf.rtr_solicitation_delay * HZ)
    idev.dad_state[ifa] = "ERRDAD"
    _dad_nonce_set(idev, ifa, None)
    _mod_dad_work(idev, ifa, 0)


def ipv6_get_lladdr(ns: Namespace, dev: NetDevice) -> int | None:
    """``ipv6_get_lladdr(dev, .., IFA_F_TENTATIVE)``: a link-local that passed DAD."""
    for a in ns.ipv6.dev_addrs(dev):
        if a.scope == "link" and is_linklocal(a.addr) and "tentative" not in a.flags:
            return a.addr
    return None


def _lonely_lladdr(ns: Namespace, ifa: Inet6Addr) -> bool:
    return not any(a is not ifa and a.scope == "link" and "permanent" in a.flags
                   and "tentative" not in a.flags and "dadfailed" not in a.flags
                   for a in ns.ipv6.dev_addrs(ifa.dev))


def _accept_ra(ns: Namespace, dev: NetDevice) -> bool:
    """``ipv6_accept_ra``: accept_ra, or 2 when forwarding."""
    c = ns.ipv6.dev_conf(dev)
    return c.accept_ra == 2 if c.forwarding else bool(c.accept_ra)


def addrconf_dad_completed(idev: Inet6Dev, ifa: Inet6Addr) -> None:
    ns, dev = idev.ns, idev.dev
    ns.ipv6.addr_ready(ifa)
    send_mld = ifa.scope == "link" and _lonely_lladdr(ns, ifa)
    conf = ns.ipv6.dev_conf(dev)
    send_rs = (send_mld and _accept_ra(ns, dev) and conf.router_solicitations != 0
               and dev.link_type != "loopback")
    if send_mld:
        mcast6.ipv6_mc_dad_complete(idev)
    if send_rs and not idev.dead and dev.admin_up:
        from vnetlab.sim.stack.ndisc import ndisc_send_rs

        ndisc_send_rs(ns, dev, ifa.addr)
        idev.rs_interval = rfc3315_s14_backoff_init(idev, conf.rtr_solicitation_interval * HZ)
        idev.rs_probes = 1
        idev.rs_sent = True
        _mod_rs_timer(idev, idev.rs_interval)


# -- router solicitations -----------------------------------------------------------------------
def rfc3315_s14_backoff_init(idev: Inet6Dev, irt: int) -> int:
    """The first interval: IRT × random[0.9, 1.1]."""
    return (900_000 + idev.rng.below(200_001)) * irt // 1_000_000


def rfc3315_s14_backoff_update(idev: Inet6Dev, rt: int, mrt: int) -> int:
    """The next: RT × random[1.9, 2.1], or MRT × random[0.9, 1.1] past MRT."""
    tmp = (1_900_000 + idev.rng.below(200_001)) * rt // 1_000_000
    if tmp > mrt:
        tmp = (900_000 + idev.rng.below(200_001)) * mrt // 1_000_000
    return tmp


def _mod_rs_timer(idev: Inet6Dev, delay_j: int) -> None:
    idev.rs_timer = mod_delayed_work(idev.ns.sched, idev.rs_timer, delay_j,
                                     lambda: addrconf_rs_timer(idev))


def addrconf_rs_timer(idev: Inet6Dev) -> None:
    ns, dev = idev.ns, idev.dev
    idev.rs_timer = None
    if not idev.if_ready or idev.dead or not _accept_ra(ns, dev) or idev.ra_rcvd:
        return
    conf = ns.ipv6.dev_conf(dev)
    solicits = conf.router_solicitations
    if solicits >= 0 and idev.rs_probes >= solicits:
        return  # no IPv6 routers present
    idev.rs_probes += 1
    ll = ipv6_get_lladdr(ns, dev)
    if ll is None:
        return
    from vnetlab.sim.stack.ndisc import ndisc_send_rs

    ndisc_send_rs(ns, dev, ll)
    idev.rs_interval = rfc3315_s14_backoff_update(
        idev, idev.rs_interval, conf.rtr_solicitation_max_interval * HZ)
    last = idev.rs_probes == solicits
    _mod_rs_timer(idev, conf.rtr_solicitation_delay * HZ if last else idev.rs_interval)


# -- down ---------------------------------------------------------------------------------------
def addrconf_ifdown(ns: Namespace, dev: NetDevice, unregister: bool = False) -> None:
    """``addrconf_ifdown``: stop the timers, drop every address (and its routes), unload
    the groups (if the device was ready) or destroy them (unregister)."""
    idev = dev.ip6_ptr
    if idev is None:
        ns.ipv6.ifdown(dev)
        return
    was_ready = idev.if_ready
    idev.if_ready = False
    idev.rs_sent = idev.ra_rcvd = False
    if idev.rs_timer is not None:
        idev.rs_timer.cancel()
        idev.rs_timer = None
    for ifa in list(ns.ipv6.dev_addrs(dev)):
        ipv6_del_addr(ns, ifa)
    ns.ipv6.ifdown(dev)
    if unregister:
        idev.dead = True
        mcast6.ipv6_mc_destroy_dev(idev)
        dev.ip6_ptr = None
    elif was_ready:
        mcast6.ipv6_mc_down(idev)


def addrconf_forward_change(ns: Namespace, dev: NetDevice) -> None:
    """``dev_forward_change``: a router joins ff02::2, ff01::2 and ff05::2 (leaves them
    when forwarding goes off)."""
    idev = ipv6_add_dev(ns, dev)
    if "MULTICAST" not in dev.iff_flags:
        return
    on = bool(ns.ipv6.dev_conf(dev).forwarding)
    for g in (ALL_ROUTERS, INTERFACE_LOCAL_ALL_ROUTERS, SITE_LOCAL_ALL_ROUTERS):
        if on:
            mcast6.ipv6_dev_mc_inc(ns, dev, g)
        elif g in idev.mc:
            mcast6.ipv6_dev_mc_dec(ns, dev, g)


def dmesg(ns: Namespace) -> list[tuple[int, str]]:
    """The kernel log lines addrconf wrote for this namespace's devices, oldest first."""
    lines = [x for d in ns.devices.values() if d.ip6_ptr is not None for x in d.ip6_ptr.dmesg]
    return sorted(lines, key=lambda x: x[0])


__all__ = [
    "addrconf_dad_failure",
    "addrconf_forward_change",
    "addrconf_ifdown",
    "addrconf_link_ready",
    "addrconf_notify",
    "dmesg",
    "inet6_addr_add",
    "inet6_addr_del",
    "ipv6_add_dev",
    "ipv6_get_lladdr",
]
