"""A network namespace: its devices, addresses, routes, neighbours and sysctls.

Design note
-----------
Mirrors ``struct net``: devices get ifindexes in creation order (``lo`` is 1), addresses
live per device (``in_device``), and link changes drive the FIB the way
``fib_netdev_event`` does: an address on a device that is up installs its connected route;
a device going down removes every route through it and flushes its neighbours
(``neigh_ifdown``). The stack hears of link changes as one subscriber of the namespace's
``netdev_chain`` (``register_netdevice_notifier_net``); devices that depend on another
device subscribe to that device's own chain (``vnetlab.sim.notifier``), so nothing here
names a device kind.

``unregister`` is ``unregister_netdevice``: close, NETDEV_UNREGISTER (an upper lets go:
``br_del_if``), the stack forgets the device, then the kind's ``uninit``. ``move_device``
(``dev_change_net_namespace``) does the same without ``uninit``: the device lives on.

Received frames reach the protocols through two explicit tables, as in the kernel:
``PTYPE_BASE`` maps an ethertype to its handler (``ptype_base``: IPv4, ARP) and
``INET_PROTOS`` maps an IP protocol to its local-delivery handler (``inet_protos``: ICMP,
UDP). A new protocol family is one entry here and a module beside ``ipv4.py``.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import TYPE_CHECKING

from vnetlab.sim.errors import NetdevError
from vnetlab.sim.notifier import (
    NetdevEvent,
    NetdevNotifierChain,
    NetdevNotifierInfo,
    call_netdevice_notifiers,
)
from vnetlab.sim.stack.addr import InetAddr
from vnetlab.sim.stack.arp import ETH_P_ARP, arp_rcv
from vnetlab.sim.stack.fib import Route
from vnetlab.sim.stack.icmp import icmp_rcv
from vnetlab.sim.stack.ip6_input import ip6_rcv
from vnetlab.sim.stack.ipv4 import ETH_P_IP, Ipv4Stack, ip_rcv
from vnetlab.sim.stack.ipv6 import ETH_P_IPV6, INET6_PROTOS, Ipv6Stack
from vnetlab.sim.stack.udp import udp_rcv
from vnetlab.sim.trace import DropReason, TraceNode
from vnetlab.wire.ipv4 import IPPROTO_ICMP, IPPROTO_UDP, Ipv4Header
from vnetlab.wire.mac import mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.clock import Scheduler
    from vnetlab.sim.devices.udp_tunnel import TunnelSocket
    from vnetlab.sim.netdev import NetDevice, Skb
    from vnetlab.sim.netfilter.ebtables import EbTable
    from vnetlab.sim.netfilter.nft import NftRuleset
    from vnetlab.sim.ovs.vswitchd import Vswitchd

LO_MAC = b"\x00" * 6
ETH_P_8021Q = 0x8100

#: a ``packet_type`` handler: (namespace, device it arrived on, the whole frame)
L3Handler = Callable[["Namespace", "NetDevice", "Skb"], None]
#: a ``net_protocol`` handler: (namespace, device, IPv4 header, its payload, trace)
L4Handler = Callable[["Namespace", "NetDevice", Ipv4Header, bytes, "TraceNode | None"], None]

#: ``ptype_base`` (``dev_add_pack``): the receive handler per ethertype.
PTYPE_BASE: dict[int, L3Handler] = {
    ETH_P_IP: ip_rcv,
    ETH_P_ARP: arp_rcv,
    ETH_P_IPV6: ip6_rcv,
}

#: ``inet_protos`` (``inet_add_protocol``): IPv4's local-delivery handler per IP protocol.
INET_PROTOS: dict[int, L4Handler] = {
    IPPROTO_ICMP: icmp_rcv,
    IPPROTO_UDP: udp_rcv,
}


#: a type/length field below this is an 802.3 length (LLC follows), not an ethertype
ETH_P_802_3_MIN = 0x0600


class Namespace:
    def __init__(self, name: str, sched: Scheduler, *, ipv6: bool = False) -> None:
        """IPV6 False (bare namespaces of unit tests) sets ``conf.all`` and
        ``conf.default`` ``disable_ipv6=1`` before ``lo`` registers: no IPv6 at all."""
        from vnetlab.sim.netdev import Loopback

        self.name = name
        self.sched = sched
        self.devices: dict[str, NetDevice] = {}
        self.addrs: dict[NetDevice, list[InetAddr]] = {}
        self.local_ips: dict[int, NetDevice] = {}
        self._next_ifindex = 1
        self._moved_in = False  # a device kept its ifindex moving here (move_device)
        self.ptype_base = PTYPE_BASE
        self.inet_protos = INET_PROTOS
        self.inet6_protos = INET6_PROTOS
        self.stack = Ipv4Stack(self)
        #: subscribers to every device of this namespace (register_netdevice_notifier_net)
        self.netdev_chain = NetdevNotifierChain()
        self.netdev_chain.register(self.fib_netdev_event)
        #: IPv6 (``struct netns_ipv6``); subscribes to netdev_chain after IPv4, as
        #: addrconf_notify comes after fib_netdev_event
        self.ipv6 = Ipv6Stack(self, enabled=ipv6)
        self.udp_tunnels: dict[int, TunnelSocket] = {}  # UDP port -> VXLAN/Geneve socket
        #: the bridge family's ebtables filter table, once a rule exists (sim/netfilter)
        self.ebt: EbTable | None = None
        #: the nftables bridge family's tables (made with the first ``nft`` command)
        self.nft: NftRuleset | None = None
        #: the node's emulated ovs-vswitchd (vnetlab.sim.ovs), when the lab gives it OVS
        self.vswitchd: Vswitchd | None = None
        self.lo = Loopback(self, "lo", LO_MAC, 65536)
        self.add_addr(self.lo, InetAddr(0x7F000001, 8))
        self.lo.set_admin(True)

    def register(self, dev: NetDevice) -> int:
        if dev.name in self.devices:
            raise NetdevError(errno.EEXIST, f"device {dev.name} exists in namespace {self.name}")
        self.devices[dev.name] = dev
        idx = self._next_ifindex
        if self._moved_in:  # dev_index_reserve: skip indexes devices moved in brought along
            taken = {d.ifindex for d in self.devices.values() if d is not dev}
            while idx in taken:
                idx += 1
        self._next_ifindex = idx + 1
        ipv6 = getattr(self, "ipv6", None)
        if ipv6 is not None:  # ipv6_add_dev at NETDEV_REGISTER: conf copied from default
            ipv6.netdev_register(dev)
        return idx

    def dev(self, name: str) -> NetDevice:
        return self.devices[name]

    # -- receive (__netif_receive_skb_core → deliver_skb) --------------------------------
    def rcv(self, dev: NetDevice, skb: Skb) -> None:
        """The protocol end of ``__netif_receive_skb_core``: a unicast frame for another
        MAC is ``PACKET_OTHERHOST`` and goes no further; the rest goes to the handler
        ``ptype_base`` names for its ethertype."""
        data = skb.data
        dst = data[0:6]
        trace = skb.trace
        etype = int.from_bytes(data[12:14], "big")
        handler = self.ptype_base.get(etype)
        if handler is None and etype >= ETH_P_802_3_MIN and etype != ETH_P_8021Q:
            # no packet_type for an Ethernet II type: __netif_receive_skb_core counts it in
            # rx_dropped (dev_core_stats_rx_dropped_inc), whoever it was addressed to
            dev.rx_dropped += 1
        if dst != dev.mac and not (dst[0] & 1):
            # PACKET_OTHERHOST: not counted as a device drop on Linux
            if trace is not None:
                trace.drop(
                    dev.where,
                    f"frame for {mac_to_str(dst)} is not for this host (otherhost)",
                    DropReason.OTHERHOST,
                    copy=True,
                )
            return
        if handler is not None:
            handler(self, dev, skb)
        elif etype == ETH_P_8021Q and len(data) >= 18:
            # __netif_receive_skb_core: a VID no vlan device claimed is PACKET_OTHERHOST
            if trace is not None:
                vid = ((data[14] & 0x0F) << 8) | data[15]
                trace.drop(
                    dev.where,
                    f"802.1Q frame for vlan {vid}: {dev.name} has no vlan {vid} device "
                    "(otherhost)",
                    DropReason.OTHERHOST,
                    copy=True,
                )
        elif trace is not None:
            trace.drop(dev.where, f"ethertype 0x{data[12:14].hex()} has no handler",
                       DropReason.UNHANDLED_PROTO)

    # -- addresses (ip addr add) ------------------------------------------------------
    def add_addr(self, dev: NetDevice, addr: InetAddr) -> None:
        self.addrs.setdefault(dev, []).append(addr)
        self.local_ips[addr.local] = dev
        if dev.admin_up:
            self._add_connected(dev, addr)

    def _add_connected(self, dev: NetDevice, addr: InetAddr) -> None:
        if addr.plen == 32 or dev is self.lo:
            return
        fib = self.stack.fib
        if any(r.dst == addr.network and r.plen == addr.plen and r.dev is dev for r in fib.routes):
            return
        # fib_magic appends (NLM_F_APPEND): two devices on one subnet both get a route
        fib.add(
            Route(addr.network, addr.plen, dev, None, proto="kernel", scope="link",
                  prefsrc=addr.local),
            append=True,
        )

    def fib_netdev_event(self, event: NetdevEvent, info: NetdevNotifierInfo) -> None:
        """``fib_netdev_event`` / ``neigh_ifdown`` for NETDEV_UP and NETDEV_DOWN: connected
        routes of a device that came up; no routes or neighbours through one that went
        down. (NETDEV_CHANGE only flags nexthops linkdown in the kernel: not modelled.)"""
        if event is not NetdevEvent.UP and event is not NetdevEvent.DOWN:
            return
        dev = info.dev
        if dev.admin_up:
            for a in self.addrs.get(dev, []):
                self._add_connected(dev, a)
        else:
            self.stack.fib.remove_where(lambda r: r.dev is dev)
            self.stack.neigh.flush_dev(dev)

    def set_forwarding(self, on: bool) -> None:
        self.stack.forwarding = on

    # -- imperative changes (``ip addr del``, ``ip link del``, ``ip link set DEV netns``) --
    def del_addr(self, dev: NetDevice, addr: InetAddr) -> None:
        """``ip addr del`` (``inet_rtm_deladdr`` → ``fib_del_ifaddr``): the address goes,
        and its connected route with it unless another address of DEV is in that subnet."""
        lst = self.addrs.get(dev, [])
        lst.remove(addr)
        if not lst:
            self.addrs.pop(dev, None)
        if self.local_ips.get(addr.local) is dev:
            del self.local_ips[addr.local]
            for other, others in self.addrs.items():  # another device may hold it too
                if any(a.local == addr.local for a in others):
                    self.local_ips[addr.local] = other
                    break
        if not any(a.network == addr.network and a.plen == addr.plen for a in lst):
            self.stack.fib.remove_where(
                lambda r: r.dev is dev and r.proto == "kernel" and r.dst == addr.network
                and r.plen == addr.plen
            )

    def unregister(self, dev: NetDevice) -> None:
        """``unregister_netdevice``: DEV leaves (see ``_unlist``), then the kind's
        ``ndo_uninit`` releases what it holds (a bridge its ports, a vlan its VID)."""
        self._unlist(dev)
        dev.uninit()

    def _unlist(self, dev: NetDevice) -> None:
        """What deleting and moving share: close DEV, NETDEV_UNREGISTER (its master lets
        go), drop its addresses, routes and neighbours here, forget it."""
        dev.set_admin(False)
        call_netdevice_notifiers(NetdevEvent.UNREGISTER, dev)
        for a in list(self.addrs.get(dev, [])):
            self.del_addr(dev, a)
        self.stack.fib.remove_where(lambda r: r.dev is dev)
        self.stack.neigh.flush_dev(dev)
        if self.devices.get(dev.name) is dev:
            del self.devices[dev.name]

    def move_device(self, dev: NetDevice, dst: Namespace) -> None:
        """``dev_change_net_namespace``: DEV closes, leaves its master and loses its
        addresses here, then registers in DST under the same name (its ifindex kept when
        free there, as the kernel does)."""
        if dev.netns_local:
            raise NetdevError(errno.EINVAL, f"{dev.name} cannot change namespace "
                              "(NETIF_F_NETNS_LOCAL)")
        if dev.name in dst.devices:
            raise NetdevError(errno.EEXIST, f"device {dev.name} exists in namespace {dst.name}")
        self._unlist(dev)
        dev.ns = dst
        dev.where = f"{dst.name}:{dev.name}"
        taken = {d.ifindex for d in dst.devices.values()}
        dst.devices[dev.name] = dev
        if dev.ifindex in taken:
            dev.ifindex = dst._next_ifindex
            while dev.ifindex in taken:
                dev.ifindex += 1
            dst._next_ifindex = dev.ifindex + 1
        else:
            dst._moved_in = True
