"""IPVLAN (drivers/net/ipvlan/ipvlan_core.c): one MAC, children told apart by IP address.

Design note
-----------
Every ipvlan on a lower device (the "master", ``phy_dev``) shares its MAC; the lower's
``IpvlanPort`` (``struct ipvl_port``) holds the mode, which is the port's, not a child's
(``ipvlan_set_port_mode``), and finds children by the IPv4 address a frame carries
(``ipvlan_addr_lookup``: the IPv4 destination or source, for ARP the target or sender IP).

``l2`` (``ipvlan_xmit_mode_l2``): a frame to the shared MAC is for a sibling (by IP) or else
for the master's own stack (``dev_forward_skb(phy_dev)`` — unlike macvlan, a child reaches
its parent's address); multicast/broadcast is deferred (``ipvlan_multicast_enqueue``) to
every other child and sent out of the master; anything else leaves through the master.
Receive (``ipvlan_handle_mode_l2``): multicast from outside goes to the master's stack at
once and to every child later; unicast like l3.

``l3`` (``ipvlan_xmit_mode_l3``): the children are ``IFF_NOARP``; a packet for a sibling's
IP is delivered to it, anything else is routed in the *master's* namespace
(``ipvlan_process_v4_outbound``: ``ip_route_output_flow`` with ``flowi4_oif`` = master, a
destination without a route through the master counts as on-link) and leaves through the
master's neighbour layer; multicast/broadcast is dropped (``ipvlan_process_outbound``).
Receive (``ipvlan_handle_mode_l3``): a packet (or ARP) whose destination IP is a child's goes
to that child — ARP then dies there (NOARP) — everything else stays with the master.
No broadcast or multicast ever reaches an l3 child, so children cannot ARP for each other.
"""

from __future__ import annotations

import errno
import ipaddress
from typing import TYPE_CHECKING

from vnetlab.model.spec import IpvlanSpec
from vnetlab.sim.errors import NetdevError
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.notifier import (
    OPERSTATE_EVENTS,
    NetdevEvent,
    NetdevNotifierInfo,
    call_netdevice_notifiers,
    netdev_upper_dev_link,
    netdev_upper_dev_unlink,
)
from vnetlab.sim.sched.qdisc import dev_queue_xmit
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.trace import DropReason, EventKind

if TYPE_CHECKING:
    from vnetlab.sim.netdev import Lower
    from vnetlab.sim.stack.netns import Namespace

ETH_P_IP = b"\x08\x00"
ETH_P_ARP = b"\x08\x06"
ETH_P_IPV6 = b"\x86\xdd"
_NDISC_NS = 135
DEFER_NS = 1_000  # the multicast work queue and dev_forward_skb's backlog


def l3_addr(data: bytes, use_dest: bool) -> int | None:
    """``ipvlan_get_L3_hdr`` + the address ``ipvlan_addr_lookup`` keys on. IPv6 keys
    on the 128-bit address (an int far above any IPv4 one, so one table serves both),
    and a DAD NS (source ``::``) on its target address (IPVL_ICMPV6)."""
    etype = data[12:14]
    if etype == ETH_P_IP and len(data) >= 34:
        off = 30 if use_dest else 26
    elif etype == ETH_P_ARP and len(data) >= 42:
        off = 38 if use_dest else 28
    elif etype == ETH_P_IPV6 and len(data) >= 54:
        if (data[20] == 58 and len(data) >= 78 and data[54] == _NDISC_NS
                and not any(data[22:38])):
            return _V6_KEY | int.from_bytes(data[62:78], "big")
        off = 38 if use_dest else 22
        return _V6_KEY | int.from_bytes(data[off:off + 16], "big")
    else:
        return None
    return int.from_bytes(data[off:off + 4], "big")


#: IPv6 keys carry a bit above 128 so they never equal an IPv4 key
_V6_KEY = 1 << 128


class IpvlanPort:
    """``struct ipvl_port``: the master, its mode and its children."""

    __slots__ = ("dev", "mode", "ipvlans")

    def __init__(self, dev: NetDevice, mode: str) -> None:
        self.dev = dev
        self.mode = mode
        self.ipvlans: list[IpvlanDevice] = []

    @staticmethod
    def of(lower: NetDevice, mode: str) -> IpvlanPort:
        port = getattr(lower.rx_handler, "__self__", None)
        if isinstance(port, IpvlanPort):
            port.mode = mode  # ipvlan_set_port_mode: the last one asked sets it for all
            return port
        if lower.rx_handler is not None:
            raise NetdevError(errno.EBUSY,
                              f"{lower.where}: rx_handler busy (Device or resource busy)")
        port = IpvlanPort(lower, mode)
        lower.rx_handler = port.handle_frame
        lower.netdev_chain.register(port.ipvlan_device_event)
        return port

    def destroy_if_unused(self) -> None:
        """``ipvlan_port_destroy`` once the last ipvlan is gone: the master's rx_handler is
        free again."""
        if self.ipvlans:
            return
        if getattr(self.dev.rx_handler, "__self__", None) is self:
            self.dev.rx_handler = None
        self.dev.netdev_chain.unregister(self.ipvlan_device_event)

    def ipvlan_device_event(self, event: NetdevEvent, info: NetdevNotifierInfo) -> None:
        """``ipvlan_device_event`` on the master: NETDEV_UP/DOWN/CHANGE pass on to every
        child as NETDEV_CHANGE (``netif_stacked_transfer_operstate``)."""
        if event in OPERSTATE_EVENTS:
            for child in list(self.ipvlans):
                call_netdevice_notifiers(NetdevEvent.CHANGE, child)

    def addr_lookup(self, ip: int | None) -> IpvlanDevice | None:
        """``ipvlan_ht_addr_lookup``: the child that has ``ip`` as an address."""
        if ip is None:
            return None
        if ip >= _V6_KEY:
            want = ip ^ _V6_KEY
            for child in self.ipvlans:
                for a6 in child.ns.ipv6.dev_addrs(child):
                    if a6.addr == want:
                        return child
            return None
        for child in self.ipvlans:
            for a in child.ns.addrs.get(child, ()):
                if a.local == ip:
                    return child
        return None

    # -- rx_handler ----------------------------------------------------------------------
    def handle_frame(self, lower: NetDevice, skb: Skb) -> None:
        """``ipvlan_handle_frame``."""
        data = skb.data
        trace = skb.trace
        if self.mode == "l2" and data[0] & 1:
            # ipvlan_external_frame: our own children's frames coming back are not flooded
            src = self.addr_lookup(l3_addr(data, False)) if data[6:12] == lower.mac else None
            if src is None:
                if trace is not None:
                    trace.add(lower.where, "ipvlan l2: group frame from outside: to the "
                              "master's stack, copies to every child", EventKind.FLOOD)
                copy = Skb(data, trace.branch("ipvlan multicast work") if trace else None)
                lower.sched.after(DEFER_NS, self._multicast_rx, copy)
            lower.ns.rcv(lower, skb)
            return
        child = self.addr_lookup(l3_addr(data, True))
        if child is None:
            lower.ns.rcv(lower, skb)
            return
        if trace is not None:
            trace.add(lower.where, f"ipvlan {self.mode}: {_addr_str(l3_addr(data, True))} "
                      f"is {child.where}", EventKind.DECISION)
        child.netif_receive(skb)

    def _multicast_rx(self, skb: Skb) -> None:
        """``ipvlan_process_multicast`` for a received frame: every child that is up."""
        for child in self.ipvlans:
            if child.admin_up:
                child.netif_receive(Skb(skb.data, skb.trace))

    def multicast_tx(self, skb: Skb, sender: IpvlanDevice) -> None:
        """``ipvlan_process_multicast`` for a sent frame: the other children, then out."""
        for child in self.ipvlans:
            if child is not sender and child.admin_up:
                child.netif_receive(Skb(skb.data, skb.trace))
        dev_queue_xmit(self.dev, skb)


class IpvlanDevice(NetDevice):
    """``struct ipvl_dev``: ``phy_dev`` and ``port``."""

    kind = "ipvlan"
    __slots__ = ("phy_dev", "port")

    def __init__(
        self, ns: Namespace, name: str, mtu: int, lowerdev: NetDevice, mode: str
    ) -> None:
        if isinstance(lowerdev, IpvlanDevice):
            lowerdev = lowerdev.phy_dev
        port = IpvlanPort.of(lowerdev, mode)
        super().__init__(ns, name, lowerdev.mac, mtu)
        self.phy_dev: NetDevice = lowerdev
        self.port = port
        port.ipvlans.append(self)
        netdev_upper_dev_link(lowerdev, self, master=False)

    def uninit(self) -> None:
        """``ipvlan_link_delete`` + ``ipvlan_uninit``: leave the port; the port goes with
        its last ipvlan."""
        port = self.port
        if self not in port.ipvlans:
            return
        port.ipvlans.remove(self)
        netdev_upper_dev_unlink(self.phy_dev, self, master=False)
        port.destroy_if_unused()

    @property
    def noarp(self) -> bool:  # type: ignore[override]  # a class flag elsewhere, read per packet
        """``IFF_NOARP`` in l3 mode (``ipvlan_set_port_mode``)."""
        return self.port.mode == "l3"

    @property
    def has_carrier(self) -> bool:
        return self.phy_dev.running

    def iflink_dev(self) -> NetDevice | None:
        return self.phy_dev

    def xmit(self, skb: Skb) -> None:
        """``ipvlan_start_xmit`` -> ``ipvlan_queue_xmit``."""
        data = skb.data
        trace = skb.trace
        if not self.admin_up:
            self.tx_dropped += 1
            if trace is not None:
                trace.drop(self.where, "ipvlan is down", DropReason.DEV_READY)
            return
        self.tx_packets += 1
        self.tx_bytes += len(data)
        if self.taps is not None:
            self.tap_tx(data)
        if self.port.mode == "l2":
            self._xmit_l2(skb)
        else:
            self._xmit_l3(skb)

    def _local(self, child: IpvlanDevice, skb: Skb) -> None:
        """``ipvlan_rcv_frame(local=true)``: to a sibling (dropped when it is down)."""
        if not child.admin_up:
            if skb.trace is not None:
                skb.trace.drop(child.where, "ipvlan is down", DropReason.DEV_READY)
            return
        # PACKET_HOST: addressed to the child whatever the (l3: NOARP) sender put there
        self.sched.after(DEFER_NS, child.netif_receive, Skb(child.mac + skb.data[6:], skb.trace))

    def _xmit_l2(self, skb: Skb) -> None:
        data = skb.data
        trace = skb.trace
        phy = self.phy_dev
        if data[0:6] == data[6:12]:
            child = self.port.addr_lookup(l3_addr(data, True))
            if child is not None:
                if trace is not None:
                    trace.add(self.where, f"ipvlan l2: for sibling {child.where}",
                              EventKind.DECISION)
                self._local(child, skb)
                return
            if trace is not None:
                trace.add(self.where, f"ipvlan l2: for the master {phy.where}'s own stack",
                          EventKind.DECISION)
            if phy.admin_up:
                self.sched.after(DEFER_NS, phy.netif_receive, Skb(data, trace))
            return
        if data[0] & 1:
            if trace is not None:
                trace.add(self.where, f"ipvlan l2: group frame to the siblings and out of "
                          f"{phy.where}", EventKind.FLOOD)
            self.sched.after(DEFER_NS, lambda s: self.port.multicast_tx(s, self),
                             Skb(data, trace))
            return
        if trace is not None:
            trace.add(self.where, f"ipvlan l2: out of {phy.where}", EventKind.DECISION)
        dev_queue_xmit(phy, Skb(data, trace))

    def _xmit_l3(self, skb: Skb) -> None:
        data = skb.data
        trace = skb.trace
        phy = self.phy_dev
        dst = l3_addr(data, True)
        child = self.port.addr_lookup(dst)
        if child is not None:
            if trace is not None:
                trace.add(self.where, f"ipvlan l3: {_addr_str(dst)} is sibling {child.where}",
                          EventKind.DECISION)
            self._local(child, skb)
            return
        if data[12:14] == ETH_P_IPV6 and dst is not None:
            self._xmit_l3_v6(skb, dst ^ _V6_KEY)
            return
        if data[0] & 1 or data[12:14] != ETH_P_IP or dst is None:
            self.tx_dropped += 1
            if trace is not None:
                trace.drop(self.where, "ipvlan l3: no broadcast, multicast or non-IP out "
                           "(ipvlan_process_outbound)", DropReason.NOT_SPECIFIED)
            return
        # ipvlan_process_v4_outbound: route in the master's namespace, oif = master
        stack = phy.ns.stack
        rt = None
        for r in stack.fib.routes:  # sorted longest prefix first, then metric
            if r.dev is phy and (dst & r._mask) == r.dst:
                rt = r
                break
        nexthop = rt.via if rt is not None and rt.via is not None else dst
        if trace is not None:
            how = f"route '{rt.describe()}'" if rt is not None else "on-link (no route)"
            trace.add(self.where, f"ipvlan l3: routed in {phy.ns.name} via {phy.name}: {how}",
                      EventKind.ROUTE)
        stack._neigh_output(phy, nexthop, data[14:], trace)

    def _xmit_l3_v6(self, skb: Skb, dst: int) -> None:
        """``ipvlan_process_v6_outbound``: route in the master's namespace with oif =
        master, then its neighbour layer (NDISC runs on the master, not the child)."""
        data = skb.data
        trace = skb.trace
        phy = self.phy_dev
        if dst >> 120 == 0xFF:
            # the child is NOARP: its own ND/MLD multicast never leaves in l3 mode
            self.tx_dropped += 1
            if trace is not None:
                trace.drop(self.where, "ipvlan l3: no multicast out "
                           "(ipvlan_process_outbound)", DropReason.NOT_SPECIFIED)
            return
        stack6 = phy.ns.ipv6
        rt = stack6.fib6.lookup(dst, oif=phy)
        nexthop = rt.via if rt is not None and rt.via is not None else dst
        if trace is not None:
            how = f"route '{rt.describe()}'" if rt is not None else "on-link (no route)"
            trace.add(self.where, f"ipvlan l3: routed in {phy.ns.name} via {phy.name}: {how}",
                      EventKind.ROUTE)
        stack6.neigh_output(phy, nexthop, data[14:], trace)


def _addr_str(key: int | None) -> str:
    if key is None:
        return ip_str(0)
    if key >= _V6_KEY:
        return str(ipaddress.IPv6Address(key ^ _V6_KEY))
    return ip_str(key)


def newlink(ns: Namespace, name: str, spec: IpvlanSpec, lower: Lower) -> IpvlanDevice:
    """``ipvlan_link_new``: the lower's MAC, the port's mode."""
    low = lower(spec.link)
    return IpvlanDevice(ns, name, spec.mtu or low.mtu, low, spec.mode)
