"""A network namespace: its devices, addresses, routes, neighbours and sysctls.

Design note
-----------
Mirrors ``struct net``: devices get ifindexes in creation order (``lo`` is 1), addresses
live per device (``in_device``), and link changes drive the FIB the way
``fib_netdev_event`` does: an address on a device that is up installs its connected route;
a device going down removes every route through it and flushes its neighbours
(``neigh_ifdown``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.stack.addr import InetAddr
from vnetlab.sim.stack.fib import Route
from vnetlab.sim.stack.ipv4 import Ipv4Stack

if TYPE_CHECKING:
    from vnetlab.sim.clock import Scheduler
    from vnetlab.sim.devices.udp_tunnel import TunnelSocket
    from vnetlab.sim.netdev import NetDevice

LO_MAC = b"\x00" * 6


class Namespace:
    def __init__(self, name: str, sched: Scheduler) -> None:
        from vnetlab.sim.netdev import Loopback

        self.name = name
        self.sched = sched
        self.devices: dict[str, NetDevice] = {}
        self.addrs: dict[NetDevice, list[InetAddr]] = {}
        self.local_ips: dict[int, NetDevice] = {}
        self._next_ifindex = 1
        self.stack = Ipv4Stack(self)
        self.udp_tunnels: dict[int, TunnelSocket] = {}  # UDP port -> VXLAN/Geneve socket
        self.lo = Loopback(self, "lo", LO_MAC, 65536)
        self.add_addr(self.lo, InetAddr(0x7F000001, 8))
        self.lo.set_admin(True)

    def register(self, dev: NetDevice) -> int:
        if dev.name in self.devices:
            raise ValueError(f"device {dev.name} exists in namespace {self.name}")
        self.devices[dev.name] = dev
        idx = self._next_ifindex
        self._next_ifindex += 1
        return idx

    def dev(self, name: str) -> NetDevice:
        return self.devices[name]

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

    def on_link_change(self, dev: NetDevice) -> None:
        """``fib_netdev_event`` / ``neigh_ifdown`` for NETDEV_UP and NETDEV_DOWN."""
        if dev.admin_up:
            for a in self.addrs.get(dev, []):
                self._add_connected(dev, a)
        else:
            self.stack.fib.remove_where(lambda r: r.dev is dev)
            self.stack.neigh.flush_dev(dev)
        if dev.vlans is not None:  # vlan_device_event: 802.1Q children follow NETDEV_UP/DOWN
            for child in list(dev.vlans.values()):
                child.set_admin(dev.admin_up)

    def set_forwarding(self, on: bool) -> None:
        self.stack.forwarding = on
