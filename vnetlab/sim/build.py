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

from collections.abc import Callable

from vnetlab.engine import UnsupportedError
from vnetlab.model.spec import BridgeSpec, LabSpec, VethSpec
from vnetlab.sim.clock import Scheduler
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import InetAddr, ip_int
from vnetlab.sim.stack.fib import Route
from vnetlab.sim.stack.netns import Namespace
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
    return br


def _build_veth(ns: Namespace, name: str, spec: VethSpec) -> NetDevice:
    return Veth(ns, name, mac_to_bytes(spec.mac or ""), spec.mtu)


DEVICE_BUILDERS: dict[str, Callable[[Namespace, str, object], NetDevice]] = {
    "veth": _build_veth,  # type: ignore[dict-item]
    "bridge": _build_bridge,  # type: ignore[dict-item]
}


def build(lab: LabSpec, sched: Scheduler) -> dict[str, Namespace]:
    check_supported(lab)
    nss = {name: Namespace(name, sched) for name in lab.nodes}
    for node_name, node in lab.nodes.items():
        ns = nss[node_name]
        for ifname, spec in node.interfaces.items():
            DEVICE_BUILDERS[spec.type](ns, ifname, spec)
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
        for ifname, spec in node.interfaces.items():
            dev = ns.dev(ifname)
            for a in spec.addresses:
                ns.add_addr(dev, InetAddr(ip_int(a.ip), a.network.prefixlen))
        ns.set_forwarding(node.ip_forward)
    # links up: bridges first so ports come up into a running bridge
    for node_name, node in lab.nodes.items():
        ns = nss[node_name]
        order = sorted(node.interfaces.items(), key=lambda kv: kv[1].type != "bridge")
        for ifname, spec in order:
            if spec.up:
                ns.dev(ifname).set_admin(True)
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
                Route(ip_int(net.network_address), net.prefixlen, dev, via, metric=r.metric)
            )
        for ifname, spec in node.interfaces.items():
            if isinstance(spec, BridgeSpec):
                br = ns.dev(ifname)
                assert isinstance(br, BridgeDevice)
                for e in spec.fdb:
                    br.add_static(mac_to_bytes(e.mac), ns.dev(e.dev))
    return nss
