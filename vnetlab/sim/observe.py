"""Read the emulator's objects back as the engine-neutral snapshot types.

Design note: each field is what the matching ``ip -j``/``bridge -j`` dump would show on
the kernel: per device the IPv4 addresses, then the IPv6 ones (``ip -j addr``'s
``addr_info``, flag words as ``print_ifa_flags`` prints them: "permanent" never, "dynamic"
for an address with a finite lifetime); the IPv4 main table, then the IPv6 main table
(``ip -6 route``: the prefix, fe80::/64 and user routes; the local and multicast routes
live in table local); ARP then ND neighbours; per bridge its entries, per device its own
multicast/unicast address lists as ``self permanent`` entries (``bridge fdb show``).
"""

from __future__ import annotations

from vnetlab.model.state import (
    AddrState,
    BridgeVlanState,
    Counters,
    FdbState,
    LabState,
    LinkState,
    NeighState,
    NodeState,
    RouteState,
)
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.devices.vxlan import VxlanDevice
from vnetlab.sim.netdev import fdb_self_entries
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.addr6 import Inet6Addr, ip6_str
from vnetlab.sim.stack.netns import Namespace
from vnetlab.wire.mac import mac_to_str


def observe_ns(ns: Namespace) -> NodeState:
    links = []
    for dev in ns.devices.values():
        peer = None
        if isinstance(dev, Veth) and dev.peer is not None:
            peer = dev.peer.where
        links.append(
            LinkState(
                ifname=dev.name,
                kind=dev.kind,
                admin_up=dev.admin_up,
                operstate=dev.operstate,
                mtu=dev.mtu,
                mac=mac_to_str(dev.mac) if dev.addr_len else "",
                master=dev.master.name if dev.master is not None else None,
                peer=peer,
                stats=Counters(
                    dev.rx_packets, dev.rx_bytes, dev.rx_dropped,
                    dev.tx_packets, dev.tx_bytes, dev.tx_dropped,
                ),
            )
        )
    addrs = []
    for dev in ns.devices.values():
        # iproute2's default_scope and inetdev's loopback address: 127/8 is scope host
        addrs += [AddrState(dev.name, str(a), scope="host" if str(a).startswith("127.")
                            else "global") for a in ns.addrs.get(dev, [])]
        addrs += [AddrState(dev.name, str(a), "inet6", a.scope, _ifa_flag_words(a))
                  for a in ns.ipv6.addrs.get(dev, [])]
    routes = [
        RouteState(
            dst=r.dst_str,
            dev=r.dev.name,
            via=ip_str(r.via) if r.via is not None else None,
            proto=r.proto,
            scope=r.scope,
            prefsrc=ip_str(r.prefsrc) if r.prefsrc is not None else None,
            metric=r.metric,
        )
        # ip route lists the main table in trie order: by address, the shorter prefix first
        for r in sorted(ns.stack.fib.routes, key=lambda r: (r.dst, r.plen))
    ]
    routes += [
        RouteState(dst=r.dst_str, dev=r.dev.name,
                   via=ip6_str(r.via) if r.via is not None else None, proto=r.proto,
                   prefsrc=ip6_str(r.prefsrc) if r.prefsrc is not None else None,
                   metric=r.metric, family="inet6", pref=r.pref)
        for r in sorted(ns.ipv6.fib6.table("main"), key=lambda r: (r.dst, r.plen, r.metric))
    ]
    neighs = [
        NeighState(ip_str(n.ip), n.dev.name, mac_to_str(n.lladdr) if n.lladdr else None, n.state)
        for n in ns.stack.neigh.entries.values()
    ]
    neighs += [
        NeighState(ip6_str(n.ip), n.dev.name, mac_to_str(n.lladdr) if n.lladdr else None,
                   n.state, router=(n.dev, n.ip) in ns.ipv6.nd_router)
        for n in ns.ipv6.nd_tbl.entries.values()
    ]
    fdb = []
    for dev in ns.devices.values():
        if isinstance(dev, VxlanDevice):
            # ``bridge fdb show dev vx0``: "MAC dst IP self [permanent]", one per VTEP
            for mac, e in dev.live_entries():
                flags = ("self", "permanent") if e.static else ("self",)
                for r in e.remotes:
                    fdb.append(FdbState(dev.name, dev.name, mac_to_str(mac), None, flags,
                                        dst=ip_str(r)))
        if isinstance(dev, BridgeDevice):
            for be in dev.fdb.values():
                bflags = ("permanent",) if be.local else ("static",) if be.static else ()
                port = be.port.name if be.port is not None else dev.name
                fdb.append(FdbState(dev.name, port, mac_to_str(be.mac), be.vid or None, bflags))
    fdb += observe_self_entries(ns)
    if ns.vswitchd is not None:  # Open vSwitch bridges: their MAC learning tables
        from vnetlab.sim.ovs.build import observe_fdb

        fdb.extend(observe_fdb(ns))
    return NodeState(
        name=ns.name,
        links=tuple(links),
        addrs=tuple(addrs),
        routes=tuple(routes),
        neighs=tuple(neighs),
        fdb=tuple(fdb),
        vlans=observe_bridge_vlans(ns),
        sysctls={"net.ipv4.ip_forward": int(ns.stack.forwarding)},
    )


def _ifa_flag_words(a: Inet6Addr) -> tuple[str, ...]:
    """``print_ifa_flags``: the set flags by name, "permanent" never printed, and "dynamic"
    for an address that is not permanent (a finite valid lifetime)."""
    words = {w for w in a.flags if w != "permanent"}
    if a.valid_lft is not None and "permanent" not in a.flags:
        words.add("dynamic")
    return tuple(sorted(words))


def observe_self_entries(ns: Namespace) -> list[FdbState]:
    """``bridge fdb show``'s ``self permanent`` entries: each device's ``dev.uc`` and
    ``dev.mc`` addresses (``ndo_fdb_dump`` = ``ndo_dflt_fdb_dump``: uc then mc), a bridge
    port's under its master's name."""
    out = []
    for dev in ns.devices.values():
        br = dev.master.name if dev.master is not None else ""
        for mac in fdb_self_entries(dev):  # none for a vxlan (its own ndo_fdb_dump)
            out.append(FdbState(br, dev.name, mac_to_str(mac), None, ("self", "permanent")))
    return out


def observe_bridge_vlans(ns: Namespace) -> tuple[BridgeVlanState, ...]:
    """``bridge -j vlan show`` of every bridge that filters VLANs: ports, then self."""
    out = []
    for dev in ns.devices.values():
        if not isinstance(dev, BridgeDevice) or not dev.vlan_enabled:
            continue
        owners = [(p.name, p.vlgrp) for p in sorted(dev.port_list, key=lambda p: p.port_no)]
        owners.append((dev.name, dev.vlgrp))
        for name, vg in owners:
            for vid in sorted(vg.vlans):
                out.append(BridgeVlanState(dev.name, name, vid, vg.flags(vid)))
    return tuple(out)


def observe_lab(lab: str, namespaces: dict[str, Namespace]) -> LabState:
    return LabState(lab, "sim", {name: observe_ns(ns) for name, ns in namespaces.items()})
