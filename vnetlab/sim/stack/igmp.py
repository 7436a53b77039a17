"""The IPv4 side of a device's link-layer multicast list (net/ipv4/igmp.c).

Design note
-----------
Every device with an ``in_device`` joins 224.0.0.1 when it comes up (``ip_mc_up``:
``ip_mc_inc_group(IGMP_ALL_HOSTS)``) and unloads its groups when it goes down
(``ip_mc_down``). Joining maps the group to its MAC (``arp_mc_map``: Ethernet-like devices
only, so lo and tun have none) and adds it to ``dev.mc``: the
``01:00:5e:00:00:01 self permanent`` line ``bridge fdb show`` prints for every up device,
IPv6 on or off (measured on 6.18). No IGMP report is sent for 224.0.0.1 (RFC 2236: the
all-hosts group is never reported). Only the list is modelled here; the IGMP reports a
bridge sends for 224.0.0.106 are sim/devices/bridge/multicast.py's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.netdev import dev_mc_add, dev_mc_del

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice

IGMP_ALL_HOSTS = 0xE0000001


def ip_eth_mc_map(group: int) -> bytes:
    """``ip_eth_mc_map``: 01:00:5e + the low 23 bits of the group."""
    return b"\x01\x00\x5e" + (group & 0x7FFFFF).to_bytes(3, "big")


def arp_mc_map(dev: NetDevice, group: int) -> bytes | None:
    if dev.link_type != "ether" or dev.addr_len != 6:
        return None
    return ip_eth_mc_map(group)


def ip_mc_filter_add(dev: NetDevice, group: int) -> None:
    mac = arp_mc_map(dev, group)
    if mac is not None:
        dev_mc_add(dev, mac)


def ip_mc_filter_del(dev: NetDevice, group: int) -> None:
    mac = arp_mc_map(dev, group)
    if mac is not None:
        dev_mc_del(dev, mac)


def ip_mc_up(dev: NetDevice) -> None:
    """NETDEV_UP (``inetdev_event`` → ``ip_mc_up``): join all-hosts."""
    ip_mc_filter_add(dev, IGMP_ALL_HOSTS)


def ip_mc_down(dev: NetDevice) -> None:
    """NETDEV_DOWN (``ip_mc_down``): the all-hosts group leaves the device's list."""
    ip_mc_filter_del(dev, IGMP_ALL_HOSTS)


__all__ = ["IGMP_ALL_HOSTS", "arp_mc_map", "ip_eth_mc_map", "ip_mc_down", "ip_mc_filter_add",
           "ip_mc_filter_del", "ip_mc_up"]
