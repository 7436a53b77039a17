"""Build an emulated lab from a resolved ``LabSpec``: one explicit table per device kind.

Design note
-----------
``DEVICE_BUILDERS`` maps every model kind to the function that creates it (no registration
by import side effect); ``UNSUPPORTED`` names lab features the emulator cannot honour yet,
with the reason. ``check_supported`` runs before anything is built, so an unsupported lab
is refused whole. The order mirrors what a script of ``ip`` commands would do: devices,
masters, addresses, links up, routes, sysctls, static FDB entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from vnetlab.engine import UnsupportedError
from vnetlab.model.spec import (
    BridgeSpec,
    GeneveSpec,
    IpvlanSpec,
    LabSpec,
    LowerDevSpec,
    MacvlanSpec,
    TapSpec,
    TunnelSpec,
    TunSpec,
    VethSpec,
    VlanSpec,
    VxlanSpec,
)
from vnetlab.sim.clock import Scheduler
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.geneve import GeneveDevice
from vnetlab.sim.devices.ipvlan import IpvlanDevice
from vnetlab.sim.devices.macvlan import MacvlanDevice
from vnetlab.sim.devices.tuntap import TapDevice, TunDevice
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.devices.vlan import VlanDevice
from vnetlab.sim.devices.vxlan import VxlanDevice
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import InetAddr, ip_int
from vnetlab.sim.stack.fib import Route
from vnetlab.sim.stack.netns import Namespace
from vnetlab.wire.geneve import GeneveOption
from vnetlab.wire.mac import mac_to_bytes

#: features of the model the emulator does not implement yet, with the reason
UNSUPPORTED: dict[str, str] = {
    "bridge.stp": "the emulator has no Spanning Tree Protocol yet (BPDUs, port states); "
    "remove 'stp: true' or run this lab with --engine linux",
}


def check_supported(lab: LabSpec) -> None:
    for node_name, node in lab.nodes.items():
        for ifname, spec in node.interfaces.items():
            if spec.type not in DEVICE_BUILDERS:
                raise UnsupportedError(
                    f"nodes.{node_name}.interfaces.{ifname}: device type {spec.type!r} is not "
                    "supported by the emulator yet"
                )
            if isinstance(spec, BridgeSpec) and spec.stp:
                raise UnsupportedError(
                    f"nodes.{node_name}.interfaces.{ifname}: stp: true — "
                    + UNSUPPORTED["bridge.stp"],
                    hint="STP arrives in a later vnetlab release; until then the emulator "
                    "refuses rather than silently forwarding without it",
                )


def _build_bridge(ns: Namespace, name: str, spec: BridgeSpec) -> NetDevice:
    br = BridgeDevice(ns, name, mac_to_bytes(spec.mac or ""), spec.mtu)
    br.set_ageing(spec.ageing_time)
    if spec.default_pvid != br.default_pvid:  # ip link add ... type bridge vlan_default_pvid N
        br.vlan_flush()
        br.default_pvid = spec.default_pvid
        if spec.default_pvid:
            br.vlan_add(spec.default_pvid, pvid=True, untagged=True)
    return br


def _build_vlan(ns: Namespace, name: str, spec: VlanSpec) -> NetDevice:
    parent = ns.dev(spec.link)
    return VlanDevice(
        ns, name, mac_to_bytes(spec.mac) if spec.mac else parent.mac,
        spec.mtu if spec.mtu is not None else parent.mtu, parent, spec.id,
    )


def _build_rank(ifaces: Mapping[str, object], name: str, depth: int = 0) -> int:
    """Creation order: a device comes after what it stacks on (a vlan's ``link``, a
    tunnel's underlay ``dev``); tunnels without ``dev`` after every plain device."""
    spec = ifaces.get(name)
    if depth > len(ifaces):
        return depth
    if isinstance(spec, VlanSpec):
        return 1 + _build_rank(ifaces, spec.link, depth + 1)
    if isinstance(spec, TunnelSpec):
        lower = getattr(spec, "dev", None)
        return 1 + (_build_rank(ifaces, lower, depth + 1) if lower else 0)
    return 0


def _apply_bridge_vlans(ns: Namespace, ifaces: Mapping[str, object]) -> None:
    """``bridge vlan add ...`` for every listed port/bridge, then ``vlan_filtering``."""
    for ifname, spec in ifaces.items():
        if not isinstance(spec, BridgeSpec):
            continue
        br = ns.dev(ifname)
        assert isinstance(br, BridgeDevice)
        if spec.vlans is not None:  # the lab's list replaces the default PVID entry
            br.vlan_flush()
            for v in spec.vlans:
                for vid in v.vids:
                    br.vlan_add(vid, pvid=v.pvid, untagged=v.untagged)
        for port in list(br.port_list):
            pspec = ifaces.get(port.name)
            opts = getattr(pspec, "bridge_port", None)
            if opts is None or opts.vlans is None:
                continue
            br.vlan_flush(port)
            for v in opts.vlans:
                for vid in v.vids:
                    br.vlan_add(vid, port, pvid=v.pvid, untagged=v.untagged)
        br.set_vlan_filtering(spec.vlan_filtering)


def _build_veth(ns: Namespace, name: str, spec: VethSpec) -> NetDevice:
    return Veth(ns, name, mac_to_bytes(spec.mac or ""), spec.mtu)


def _tunnel_args(ns: Namespace, spec: TunnelSpec) -> dict[str, object]:
    lower = getattr(spec, "dev", None)
    return {
        "vni": spec.id,
        "dstport": spec.dstport,  # type: ignore[attr-defined]
        "remote": ip_int(spec.remote) if spec.remote is not None else None,
        "local": ip_int(spec.local) if getattr(spec, "local", None) is not None else None,  # type: ignore[attr-defined]
        "lower": ns.dev(lower) if lower else None,
        "ttl": spec.ttl,
        "df": spec.df,
    }


def _build_vxlan(ns: Namespace, name: str, spec: VxlanSpec) -> NetDevice:
    dev = VxlanDevice(
        ns, name, mac_to_bytes(spec.mac or ""), spec.mtu or 1500,
        learning=spec.learning,
        group=ip_int(spec.group) if spec.group is not None else None,
        **_tunnel_args(ns, spec),
    )
    for e in spec.fdb:
        dev.fdb_append(mac_to_bytes(e.mac), ip_int(e.dst))
    return dev


def _build_geneve(ns: Namespace, name: str, spec: GeneveSpec) -> NetDevice:
    opts = tuple(GeneveOption(o.opt_class, o.type, bytes.fromhex(o.data)) for o in spec.options)
    return GeneveDevice(
        ns, name, mac_to_bytes(spec.mac or ""), spec.mtu or 1500, options=opts,
        **_tunnel_args(ns, spec),
    )


def _build_macvlan(
    ns: Namespace, name: str, spec: MacvlanSpec, lower: NetDevice | None = None
) -> NetDevice:
    """``macvlan_common_newlink``; ``lower`` may live in another namespace."""
    lower = lower if lower is not None else ns.dev(spec.link)
    return MacvlanDevice(ns, name, mac_to_bytes(spec.mac or ""), spec.mtu or lower.mtu,
                         lower, spec.mode)


def _build_ipvlan(
    ns: Namespace, name: str, spec: IpvlanSpec, lower: NetDevice | None = None
) -> NetDevice:
    """``ipvlan_link_new``: the lower's MAC, the port's mode."""
    lower = lower if lower is not None else ns.dev(spec.link)
    return IpvlanDevice(ns, name, spec.mtu or lower.mtu, lower, spec.mode)


def _build_tun(ns: Namespace, name: str, spec: TunSpec) -> NetDevice:
    dev = TunDevice(ns, name, b"\x00" * 6, spec.mtu)
    dev.owner, dev.group = spec.user, spec.group
    return dev


def _build_tap(ns: Namespace, name: str, spec: TapSpec) -> NetDevice:
    dev = TapDevice(ns, name, mac_to_bytes(spec.mac or ""), spec.mtu)
    dev.owner, dev.group = spec.user, spec.group
    return dev


DEVICE_BUILDERS: dict[str, Callable[..., NetDevice]] = {
    "veth": _build_veth,  # type: ignore[dict-item]
    "bridge": _build_bridge,  # type: ignore[dict-item]
    "vlan": _build_vlan,  # type: ignore[dict-item]
    "vxlan": _build_vxlan,  # type: ignore[dict-item]
    "geneve": _build_geneve,  # type: ignore[dict-item]
    "macvlan": _build_macvlan,
    "ipvlan": _build_ipvlan,
    "tun": _build_tun,
    "tap": _build_tap,
}


def build(lab: LabSpec, sched: Scheduler) -> dict[str, Namespace]:
    check_supported(lab)
    nss = {name: Namespace(name, sched) for name in lab.nodes}
    for node_name, node in lab.nodes.items():
        ns = nss[node_name]
        # tunnels last: they hold a reference to their underlay device
        ifaces = node.interfaces
        order = sorted(ifaces.items(), key=lambda kv: _build_rank(ifaces, kv[0]))
        for ifname, spec in order:
            if not isinstance(spec, LowerDevSpec):  # below: their lower may be elsewhere
                DEVICE_BUILDERS[spec.type](ns, ifname, spec)
    lowerdevs = [(n, i, s) for n, node in lab.nodes.items()
                 for i, s in node.interfaces.items() if isinstance(s, LowerDevSpec)]
    for node_name, ifname, spec in sorted(  # a macvlan on a macvlan after that one
        lowerdevs, key=lambda t: ":" not in t[2].link and t[2].link in lab.nodes[t[0]].interfaces
        and isinstance(lab.nodes[t[0]].interfaces[t[2].link], LowerDevSpec)
    ):
        lnode, _, lname = spec.link.rpartition(":")
        lower = nss[lnode or node_name].dev(lname)
        DEVICE_BUILDERS[spec.type](nss[node_name], ifname, spec, lower=lower)
    for link in lab.links:
        a, b = link.endpoints
        da = nss[a.node].dev(a.ifname)
        db = nss[b.node].dev(b.ifname)
        assert isinstance(da, Veth) and isinstance(db, Veth)
        Veth.pair(da, db)
    for node_name, node in lab.nodes.items():
        ns = nss[node_name]
        for ifname, spec in node.interfaces.items():
            if spec.master:
                br = ns.dev(spec.master)
                assert isinstance(br, BridgeDevice)
                port = br.add_port(ns.dev(ifname))
                if spec.bridge_port is not None:
                    port.learning = spec.bridge_port.learning
                    port.flood = spec.bridge_port.flood
                    port.hairpin = spec.bridge_port.hairpin
        _apply_bridge_vlans(ns, node.interfaces)
        for ifname, spec in node.interfaces.items():
            dev = ns.dev(ifname)
            for a in spec.addresses:
                ns.add_addr(dev, InetAddr(ip_int(a.ip), a.network.prefixlen))
        ns.set_forwarding(node.ip_forward)
    # links up: bridges first so ports come up into a running bridge
    for node_name, node in lab.nodes.items():
        ns = nss[node_name]
        ifaces = node.interfaces
        order = sorted(
            ifaces.items(), key=lambda kv: (kv[1].type != "bridge", _build_rank(ifaces, kv[0]))
        )
        for ifname, spec in order:
            if spec.up:
                ns.dev(ifname).set_admin(True)
        for ifname, spec in order:  # a parent coming up brought its vlans up (NETDEV_UP)
            if isinstance(spec, VlanSpec) and not spec.up:
                ns.dev(ifname).set_admin(False)
    for node_name, node in lab.nodes.items():
        ns = nss[node_name]
        for r in node.routes:
            net = r.network
            via = ip_int(r.via) if r.via is not None else None
            if r.dev is not None:
                dev = ns.dev(r.dev)
            else:
                nh = ns.stack.fib.lookup(via) if via is not None else None
                if nh is None:
                    raise UnsupportedError(
                        f"nodes.{node_name}.routes: gateway {r.via} is not on a connected "
                        "subnet of an interface that is up (Nexthop has invalid gateway)"
                    )
                dev = nh.dev
            ns.stack.fib.add(
                # ``ip route add DST dev D`` (no gateway) is scope link, as iproute2 sends
                Route(ip_int(net.network_address), net.prefixlen, dev, via, metric=r.metric,
                      scope="link" if via is None else "global")
            )
        for ifname, spec in node.interfaces.items():
            if isinstance(spec, BridgeSpec):
                br = ns.dev(ifname)
                assert isinstance(br, BridgeDevice)
                for e in spec.fdb:
                    br.add_static(mac_to_bytes(e.mac), ns.dev(e.dev))
    return nss
