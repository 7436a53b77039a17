"""Neighbour discovery: NS/NA/RS/RA receive and send (net/ipv6/ndisc.c).

Design note
-----------
The neighbour state machine is ``neigh.NeighTable`` — the one ARP uses; this module is
NDISC's half of it, as ``arp.py`` is ARP's:

* ``ndisc_solicit`` (``neigh_ops.solicit``): INCOMPLETE sends the NS to the target's
  solicited-node group (33:33:ff:xx:xx:xx), PROBE unicasts it to the cached lladdr; the
  source is the queued packet's own source when it is ours, else ``ipv6_dev_get_saddr``.
* ``ndisc_recv_ns``: a DAD probe (source ``::``) for a tentative address of ours is a
  duplicate (``addrconf_dad_failure``); for a usable one it is answered with an
  unsolicited NA to ff02::1. An ordinary NS creates/updates the sender STALE (with its
  source lladdr option) and is answered with a solicited NA; override and the target
  lladdr option only when the NS was multicast (``ndisc_send_na(..., ifp && inc, inc)``).
* ``ndisc_recv_na``: an NA for one of our tentative addresses is a duplicate; otherwise it
  updates an existing entry only (REACHABLE when solicited, STALE when not), with the
  router flag kept (``NTF_ROUTER``).
* RS is answered by nobody here (no radvd); a forwarding node records the sender. An RA on
  a host with ``accept_ra`` updates the router's entry (router flag) and installs the
  default route (``proto ra metric 1024``), on-link prefix routes and the MTU option;
  SLAAC addresses from prefixes are addrconf's (not done).

Every NDISC packet has hop limit 255; one received with another hop limit is dropped
(``ndisc_rcv``: "NDISC: invalid hop-limit").
"""

from __future__ import annotations

from ipaddress import IPv6Address
from typing import TYPE_CHECKING

from vnetlab.sim.stack.addr6 import (
    ALL_NODES,
    ALL_ROUTERS,
    ip6_str,
    ipv6_eth_mc_map,
    is_linklocal,
    is_multicast,
    mask6,
    solicited_node,
)
from vnetlab.sim.stack.neigh import NUD_PROBE, NUD_REACHABLE, NUD_STALE, Neighbour
from vnetlab.sim.stack.route6 import IP6_RT_PRIO_USER, Rt6
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire import icmpv6 as icmp6w
from vnetlab.wire.errors import ParseError
from vnetlab.wire.icmpv6 import NdMessage, NdOption
from vnetlab.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Header
from vnetlab.wire.mac import mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice
    from vnetlab.sim.stack.ipv6 import Ipv6Stack
    from vnetlab.sim.stack.netns import Namespace

NDISC_HOPLIMIT = 255


def _send(stack: Ipv6Stack, dev: NetDevice, src: int, dst: int, msg: NdMessage,
          dst_mac: bytes | None, trace: TraceNode | None, title: str) -> None:
    """``ndisc_send_skb``: hop limit 255, straight to the device for multicast or a known
    lladdr, else through the neighbour layer."""
    if stack.disabled(dev):
        return
    s6, d6 = IPv6Address(src), IPv6Address(dst)
    pkt = Ipv6Header(s6, d6, IPPROTO_ICMPV6, NDISC_HOPLIMIT).emit(msg.emit(s6, d6))
    t = trace.branch(title, probe=False) if trace is not None else None
    stack.count("OutMsgs")
    if is_multicast(dst):
        stack.dev_xmit_ip(dev, ipv6_eth_mc_map(dst), pkt, t)
    elif dst_mac is not None or dev.noarp:
        stack.dev_xmit_ip(dev, dst_mac or dev.mac, pkt, t)
    else:
        stack.nd_tbl.output(dev, dst, pkt, t)


def ndisc_send_ns(ns: Namespace, dev: NetDevice, target: int, src: int, dst: int, *,
                  trace: TraceNode | None = None, dst_mac: bytes | None = None,
                  nonce: bytes | None = None) -> None:
    """``ndisc_send_ns``: a source lladdr option unless the source is ``::`` (DAD); a
    DAD probe carries the 6-byte NONCE option (``ND_OPT_NONCE``, RFC 7527) when given —
    the kernel's DAD always sends one (tcpdump: "length 32")."""
    opts: tuple[NdOption, ...] = ()
    if src != 0 and dev.addr_len:
        opts = (NdOption.lladdr(icmp6w.ND_OPT_SOURCE_LL_ADDR, dev.mac),)
    if nonce is not None:
        opts += (NdOption(icmp6w.ND_OPT_NONCE, nonce[:6]),)
    msg = NdMessage(icmp6w.NDISC_NEIGHBOUR_SOLICITATION, 0, IPv6Address(target), options=opts)
    _send(ns.ipv6, dev, src, dst, msg, dst_mac, trace,
          f"neighbour solicitation who-has {ip6_str(target)}")


def ndisc_send_na(ns: Namespace, dev: NetDevice, daddr: int, target: int, *,
                  router: bool, solicited: bool, override: bool, inc_opt: bool,
                  src: int | None = None, trace: TraceNode | None = None) -> None:
    """``ndisc_send_na``: from the target when it is ours, else a source for DADDR."""
    stack = ns.ipv6
    if src is None:
        ifa = stack.find_addr(target)
        src = target if ifa is not None and ifa.usable else stack.select_src(dev, daddr)
    if src is None:
        return
    rest = ((icmp6w.ND_NA_ROUTER if router else 0)
            | (icmp6w.ND_NA_SOLICITED if solicited else 0)
            | (icmp6w.ND_NA_OVERRIDE if override else 0))
    opts: tuple[NdOption, ...] = ()
    if inc_opt and dev.addr_len:
        opts = (NdOption.lladdr(icmp6w.ND_OPT_TARGET_LL_ADDR, dev.mac),)
    msg = NdMessage(icmp6w.NDISC_NEIGHBOUR_ADVERTISEMENT, rest, IPv6Address(target),
                    options=opts)
    _send(stack, dev, src, daddr, msg, None, trace,
          f"neighbour advertisement {ip6_str(target)} is-at {mac_to_str(dev.mac)}")


def ndisc_send_rs(ns: Namespace, dev: NetDevice, src: int, *,
                  trace: TraceNode | None = None) -> None:
    """``ndisc_send_rs`` to ff02::2; a source lladdr option unless the source is ``::``."""
    opts: tuple[NdOption, ...] = ()
    if src != 0 and dev.addr_len:
        opts = (NdOption.lladdr(icmp6w.ND_OPT_SOURCE_LL_ADDR, dev.mac),)
    msg = NdMessage(icmp6w.NDISC_ROUTER_SOLICITATION, 0, options=opts)
    _send(ns.ipv6, dev, src, ALL_ROUTERS, msg, None, trace, "router solicitation")


def ndisc_solicit(stack: Ipv6Stack, n: Neighbour, packet: bytes | None) -> None:
    """``ndisc_solicit``: multicast to the solicited-node group while INCOMPLETE, unicast to
    the old lladdr in PROBE."""
    saddr = None
    if packet is not None and len(packet) >= 40:
        cand = int.from_bytes(packet[8:24], "big")
        if stack.is_local(cand):
            saddr = cand
    dst = solicited_node(n.ip)
    if saddr is None:
        saddr = stack.select_src(n.dev, dst)
    if saddr is None:
        saddr = 0  # no usable address: the kernel would send from :: only for DAD
        return
    if n.state == NUD_PROBE and n.lladdr:
        ndisc_send_ns(stack.ns, n.dev, n.ip, saddr, n.ip, trace=n.trace, dst_mac=n.lladdr)
    else:
        ndisc_send_ns(stack.ns, n.dev, n.ip, saddr, dst, trace=n.trace)


def ndisc_rcv(ns: Namespace, dev: NetDevice, hdr: Ipv6Header, msg: icmp6w.Icmpv6Message,
              trace: TraceNode | None) -> None:
    """``ndisc_rcv``: hop limit 255 and a well formed message, then by type."""
    where = dev.where
    if hdr.hop_limit != NDISC_HOPLIMIT:
        if trace is not None:
            trace.drop(where, f"NDISC: invalid hop-limit {hdr.hop_limit}",
                       DropReason.IPV6_NDISC_HOP_LIMIT)
        return
    try:
        nd = NdMessage.from_icmp(msg)
    except ParseError as e:
        if trace is not None:
            trace.drop(where, f"NDISC: {e}", DropReason.IPV6_NDISC_BAD_OPTIONS)
        return
    if nd.type == icmp6w.NDISC_NEIGHBOUR_SOLICITATION:
        ndisc_recv_ns(ns, dev, hdr, nd, trace)
    elif nd.type == icmp6w.NDISC_NEIGHBOUR_ADVERTISEMENT:
        ndisc_recv_na(ns, dev, hdr, nd, trace)
    elif nd.type == icmp6w.NDISC_ROUTER_SOLICITATION:
        ndisc_recv_rs(ns, dev, hdr, nd, trace)
    elif nd.type == icmp6w.NDISC_ROUTER_ADVERTISEMENT:
        ndisc_router_discovery(ns, dev, hdr, nd, trace)


def _dad_failure(ns: Namespace, ifa: object) -> None:
    from vnetlab.sim.stack.ipv6 import _addrconf

    ac = _addrconf()
    if ac is not None:
        ac.addrconf_dad_failure(ns, ifa)


def _own_probe(dev: NetDevice, target: int, nonce: bytes) -> bool:
    """``ndisc_recv_ns``: a DAD probe is our own looped back when its nonce is the one
    our tentative TARGET on DEV sends (``ifp->dad_nonce``): per address, so two devices
    of one namespace probing the same address still collide."""
    idev = dev.ip6_ptr
    return idev is not None and any(
        a.addr == target and v == nonce for a, v in idev.dad_nonce.items())


def ndisc_recv_ns(ns: Namespace, dev: NetDevice, hdr: Ipv6Header, nd: NdMessage,
                  trace: TraceNode | None) -> None:
    stack = ns.ipv6
    where = dev.where
    saddr, daddr = int(hdr.src), int(hdr.dst)
    assert nd.target is not None
    target = int(nd.target)
    dad = saddr == 0
    if is_multicast(target):
        if trace is not None:
            trace.drop(where, "NDISC: NS for a multicast address",
                       DropReason.IPV6_NDISC_NS_OTHERHOST)
        return
    if dad and daddr != solicited_node(target):
        if trace is not None:
            trace.drop(where, "NDISC: DAD NS not to the solicited-node group",
                       DropReason.IPV6_NDISC_BAD_CODE)
        return
    slla = nd.lladdr(icmp6w.ND_OPT_SOURCE_LL_ADDR)
    if dad and slla is not None:
        if trace is not None:
            trace.drop(where, "NDISC: DAD NS with a source lladdr option",
                       DropReason.IPV6_NDISC_BAD_OPTIONS)
        return
    if dad and (n := nd.option(icmp6w.ND_OPT_NONCE)) is not None and _own_probe(
            dev, target, n.value[:6]):
        # ndisc_recv_ns: our own DAD probe looped back (the nonce matches): not a duplicate
        if trace is not None:
            trace.drop(where, "DAD NS with our own nonce: looped back",
                       DropReason.IPV6_NDISC_NS_OTHERHOST)
        return
    ifa = stack.find_addr(target, dev)
    if ifa is None:
        ifa = stack.find_addr(target)
        if ifa is not None and ifa.dev is not dev and ifa.scope == "link":
            ifa = None
    if ifa is None or "dadfailed" in ifa.flags:
        if trace is not None:
            trace.drop(where, f"NS who-has {ip6_str(target)}: not our address",
                       DropReason.IPV6_NDISC_NS_OTHERHOST, copy=True)
        return
    if "tentative" in ifa.flags:
        if dad:
            # ndisc_recv_ns: someone else probes the address we are probing
            if trace is not None:
                trace.add(where, f"DAD: NS from :: for our tentative {ip6_str(target)}: "
                          "duplicate address", EventKind.NEIGH)
            _dad_failure(ns, ifa)
        elif trace is not None:
            trace.drop(where, f"NS for our tentative {ip6_str(target)}: ignored",
                       DropReason.IPV6_NDISC_NS_OTHERHOST)
        return
    router = stack.forwarding(dev)
    if dad:
        if trace is not None:
            trace.deliver(where, f"DAD NS for our {ip6_str(target)}: defend it")
        ndisc_send_na(ns, dev, ALL_NODES, target, router=router, solicited=False,
                      override=True, inc_opt=True, trace=trace)
        return
    inc = is_multicast(daddr)
    if slla is not None:
        stack.nd_tbl.update(dev, saddr, slla, NUD_STALE, create=True, override=True)
    elif not dev.addr_len:
        pass
    elif stack.nd_tbl.entries.get((dev, saddr)) is None:
        if trace is not None:
            trace.drop(where, "NDISC: NS without a source lladdr for an unknown neighbour",
                       DropReason.IPV6_NDISC_BAD_OPTIONS)
        return
    if trace is not None:
        trace.deliver(where, f"neighbour solicitation for {ip6_str(target)} from "
                      f"{ip6_str(saddr)}")
    ndisc_send_na(ns, dev, saddr, target, router=router, solicited=True,
                  override=inc, inc_opt=inc, trace=trace)


def ndisc_recv_na(ns: Namespace, dev: NetDevice, hdr: Ipv6Header, nd: NdMessage,
                  trace: TraceNode | None) -> None:
    stack = ns.ipv6
    where = dev.where
    assert nd.target is not None
    target = int(nd.target)
    if is_multicast(target) or (is_multicast(int(hdr.dst)) and nd.solicited):
        if trace is not None:
            trace.drop(where, "NDISC: invalid NA (multicast target, or solicited to a "
                       "group)", DropReason.IPV6_NDISC_BAD_CODE)
        return
    ifa = stack.find_addr(target, dev)
    if ifa is not None:
        if "tentative" in ifa.flags:
            if trace is not None:
                trace.add(where, f"DAD: NA for our tentative {ip6_str(target)}: duplicate "
                          "address", EventKind.NEIGH)
            _dad_failure(ns, ifa)
        elif trace is not None:
            trace.drop(where, f"NA for our own {ip6_str(target)}: ignored",
                       DropReason.NOT_SPECIFIED)
        return
    n = stack.nd_tbl.entries.get((dev, target))
    if n is None:
        if trace is not None:
            trace.drop(where, f"unsolicited NA for {ip6_str(target)}: no neighbour entry",
                       DropReason.NOT_SPECIFIED, copy=True)
        return
    tlla = nd.lladdr(icmp6w.ND_OPT_TARGET_LL_ADDR) or n.lladdr
    if tlla is None:
        return
    if (n.lladdr is not None and tlla != n.lladdr and not nd.override
            and n.state != "INCOMPLETE"):
        # neigh_update without OVERRIDE: a different lladdr only makes a REACHABLE entry
        # STALE; the cached address stays
        if n.state == NUD_REACHABLE:
            n.state = NUD_STALE
        return
    stack.nd_tbl.update(dev, target, tlla, NUD_REACHABLE if nd.solicited else NUD_STALE,
                        create=False, override=nd.override)
    if nd.router:
        stack.nd_router.add((dev, target))
    else:
        stack.nd_router.discard((dev, target))
    if trace is not None:
        trace.deliver(where, f"neighbour advertisement {ip6_str(target)} is-at "
                      f"{mac_to_str(tlla)}{' (router)' if nd.router else ''}")


def ndisc_recv_rs(ns: Namespace, dev: NetDevice, hdr: Ipv6Header, nd: NdMessage,
                  trace: TraceNode | None) -> None:
    """``ndisc_recv_rs``: only a router looks, and only records the sender."""
    stack = ns.ipv6
    if not stack.forwarding(dev):
        if trace is not None:
            trace.drop(dev.where, "router solicitation: not a router (forwarding=0)",
                       DropReason.NOT_SPECIFIED, copy=True)
        return
    slla = nd.lladdr(icmp6w.ND_OPT_SOURCE_LL_ADDR)
    if slla is not None and int(hdr.src) != 0:
        stack.nd_tbl.update(dev, int(hdr.src), slla, NUD_STALE, create=True, override=True)
    if trace is not None:
        trace.deliver(dev.where, f"router solicitation from {hdr.src}")


def ndisc_router_discovery(ns: Namespace, dev: NetDevice, hdr: Ipv6Header, nd: NdMessage,
                           trace: TraceNode | None) -> None:
    """``ndisc_router_discovery`` (hosts with accept_ra): the router's neighbour entry, the
    default route, on-link prefixes, the MTU."""
    stack = ns.ipv6
    conf = stack.dev_conf(dev)
    src = int(hdr.src)
    if stack.forwarding(dev) and conf.accept_ra < 2 or not conf.accept_ra:
        if trace is not None:
            trace.drop(dev.where, "router advertisement ignored (forwarding, or accept_ra=0)",
                       DropReason.NOT_SPECIFIED, copy=True)
        return
    if not is_linklocal(src):
        if trace is not None:
            trace.drop(dev.where, "RA: source address is not link-local",
                       DropReason.IPV6_NDISC_BAD_CODE)
        return
    slla = nd.lladdr(icmp6w.ND_OPT_SOURCE_LL_ADDR)
    if slla is not None:
        stack.nd_tbl.update(dev, src, slla, NUD_STALE, create=True, override=True)
        stack.nd_router.add((dev, src))
    stack.fib6.remove_where(lambda r: r.proto == "ra" and r.plen == 0 and r.dev is dev
                            and r.via == src)
    if nd.router_lifetime:
        stack.fib6.add(Rt6(0, 0, dev, src, IP6_RT_PRIO_USER, "ra"), replace_same=True)
    for opt in nd.options:
        if opt.type == icmp6w.ND_OPT_PREFIX_INFO and len(opt.value) >= 30:
            plen, flags = opt.value[0], opt.value[1]
            prefix = int.from_bytes(opt.value[14:30], "big") & mask6(plen)
            if flags & 0x80 and plen:
                stack.fib6.add(Rt6(prefix, plen, dev, None, IP6_RT_PRIO_USER, "ra"),
                               replace_same=True)
        elif opt.type == icmp6w.ND_OPT_MTU and len(opt.value) >= 6:
            mtu = int.from_bytes(opt.value[2:6], "big")
            if 1280 <= mtu <= dev.mtu:
                conf.mtu = mtu
    if trace is not None:
        trace.deliver(dev.where, f"router advertisement from {hdr.src}")
