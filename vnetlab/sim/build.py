"""Build an emulated lab from a resolved ``LabSpec``: one explicit table per device kind.

Design note
-----------
``DEVICE_BUILDERS`` maps every model kind to the function that creates it (no registration
by import side effect); ``UNSUPPORTED`` names lab features the emulator cannot honour yet,
with the reason. ``check_supported`` runs before anything is built, so an unsupported lab
is refused whole. The order mirrors what a script of ``ip`` commands would do: devices,
masters, addresses, links up, routes, sysctls, static FDB entries; the IPv6 half (the
node's ``ipv6`` switch, ``net.ipv6`` sysctls, addresses, routes) is ``build_ipv6``.
"""

from __future__ import annotations

from collections.abc import Mapping

from vnetlab.engine import UnsupportedError
from vnetlab.model.order import build_order, split_ref
from vnetlab.model.origin import lab_where
from vnetlab.model.spec import BridgeSpec, LabSpec, VlanSpec
from vnetlab.model.tc import parse_tc_line
from vnetlab.sim.build_ipv6 import add_ipv6_addresses, add_ipv6_routes, ipv6_sysctls
from vnetlab.sim.clock import Scheduler
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.kinds import DEVICE_BUILDERS, UNSUPPORTED
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.netfilter.bridge_hooks import refuse_vlan_filtering
from vnetlab.sim.netfilter.ebtables import install_ebtables
from vnetlab.sim.netfilter.nft import install_nft
from vnetlab.sim.sched.qdisc import QdiscError
from vnetlab.sim.sched.tc import set_seed, tc_qdisc
from vnetlab.sim.stack.addr import InetAddr, ip_int
from vnetlab.sim.stack.fib import Route
from vnetlab.sim.stack.netns import Namespace
from vnetlab.sim.stack.xfrm import install_xfrm
from vnetlab.wire.mac import mac_to_bytes

__all__ = ["DEVICE_BUILDERS", "UNSUPPORTED", "build", "check_supported"]


def check_supported(lab: LabSpec) -> None:
    """Refuse, before anything is built, a lab using what the emulator does not have."""
    for node_name, node in lab.nodes.items():
        for ifname, spec in node.interfaces.items():
            seg = ("nodes", node_name, "interfaces", ifname)
            if spec.type not in DEVICE_BUILDERS:
                raise UnsupportedError(
                    f"{lab_where(lab, (*seg, 'type'))}: device type {spec.type!r} is not "
                    "supported by the emulator yet"
                )


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


def build(lab: LabSpec, sched: Scheduler) -> dict[str, Namespace]:
    check_supported(lab)
    # ipv6 off: disable_ipv6=1 in all/default before lo registers (the kernel's default is on)
    nss = {name: Namespace(name, sched, ipv6=lab.node_ipv6(name)) for name in lab.nodes}
    for name, ns in nss.items():  # net.ipv6.conf.{all,default}: copied by each new device
        ipv6_sysctls(lab, name, ns, devices=False)
    nodes = {n: node.interfaces for n, node in lab.nodes.items()}
    order = build_order(nodes)
    for node_name, ifname in order:
        spec = nodes[node_name][ifname]

        def lower(ref: str, node_name: str = node_name) -> NetDevice:
            lnode, lname = split_ref(node_name, ref)
            return nss[lnode].dev(lname)

        DEVICE_BUILDERS[spec.type](nss[node_name], ifname, spec, lower)
    for link in lab.links:
        a, b = link.endpoints
        da = nss[a.node].dev(a.ifname)
        db = nss[b.node].dev(b.ifname)
        assert isinstance(da, Veth) and isinstance(db, Veth)
        Veth.pair(da, db)
    for node_name, node in lab.nodes.items():
        ns = nss[node_name]
        if node.ovs:  # the node's ovs-vswitchd, configured through ovs-vsctl/ovs-ofctl
            from vnetlab.sim.ovs.build import build_ovs

            ns.vswitchd = build_ovs(ns, node)
        for ifname, spec in node.interfaces.items():
            if spec.master:
                br = ns.dev(spec.master)
                assert isinstance(br, BridgeDevice)
                port = br.add_port(ns.dev(ifname))
                if spec.bridge_port is not None:
                    port.learning = spec.bridge_port.learning
                    port.flood = spec.bridge_port.flood
                    port.hairpin = spec.bridge_port.hairpin
                    port.isolated = spec.bridge_port.isolated
                    port.locked = spec.bridge_port.locked
                    port.neigh_suppress = spec.bridge_port.neigh_suppress
                    br.set_port_stp(port, spec.bridge_port.cost, spec.bridge_port.priority)
        _apply_bridge_vlans(ns, node.interfaces)
        for ifname, spec in node.interfaces.items():
            dev = ns.dev(ifname)
            for cidr in spec.addresses4:
                ns.add_addr(dev, InetAddr(ip_int(cidr.ip), cidr.network.prefixlen))
            add_ipv6_addresses(ns, dev, spec)
        ns.set_forwarding(node.ip_forward)
        ipv6_sysctls(lab, node_name, ns, devices=True)
    # links up: bridges first so ports come up into a running bridge
    rank = {key: i for i, key in enumerate(order)}
    for node_name, node in lab.nodes.items():
        ns = nss[node_name]
        ifaces = node.interfaces
        up_order = sorted(
            ifaces.items(), key=lambda kv: (kv[1].type != "bridge", rank[(node_name, kv[0])])
        )
        for ifname, spec in up_order:
            if spec.up:
                ns.dev(ifname).set_admin(True)
        for ifname, spec in up_order:  # a parent coming up brought its vlans up (NETDEV_UP)
            if isinstance(spec, VlanSpec) and not spec.up:
                ns.dev(ifname).set_admin(False)
        if ns.vswitchd is not None:
            from vnetlab.sim.ovs.build import bring_up_ovs

            bring_up_ovs(ns, node, ns.vswitchd)
    for node_name, node in lab.nodes.items():
        ns = nss[node_name]
        for k, r in enumerate(node.routes4):
            net = r.network4
            via = ip_int(r.via4) if r.via4 is not None else None
            if r.dev is not None:
                dev = ns.dev(r.dev)
            else:
                nh = ns.stack.fib.lookup(via) if via is not None else None
                if nh is None:
                    raise UnsupportedError(
                        f"{lab_where(lab, ('nodes', node_name, 'routes', k, 'via'))}: "
                        f"gateway {r.via} is not on a connected "
                        "subnet of an interface that is up (Nexthop has invalid gateway)"
                    )
                dev = nh.dev
            ns.stack.fib.add(
                # ``ip route add DST dev D`` (no gateway) is scope link, as iproute2 sends
                Route(ip_int(net.network_address), net.prefixlen, dev, via, metric=r.metric,
                      scope="link" if via is None else "global")
            )
        add_ipv6_routes(lab, node_name, node, ns)
        for ifname, spec in node.interfaces.items():
            if isinstance(spec, BridgeSpec):
                br = ns.dev(ifname)
                assert isinstance(br, BridgeDevice)
                for e in spec.fdb:
                    br.add_static(mac_to_bytes(e.mac), ns.dev(e.dev))
        if node.ebtables or node.nft or any(
                s.bridge_port is not None and s.bridge_port.locked
                for s in node.interfaces.values()):
            refuse_vlan_filtering(ns, node_name)
        if node.ebtables:
            install_ebtables(ns, node.ebtables)
        if node.nft:
            install_nft(ns, node.nft)
        if node.xfrm:
            install_xfrm(ns, node.xfrm)
        set_seed(ns, lab.seed)
        for k, line in enumerate(node.tc):
            try:
                tc_qdisc(ns, parse_tc_line(line))
            except QdiscError as e:
                raise UnsupportedError(
                    f"{lab_where(lab, ('nodes', node_name, 'tc', k))}: tc {line}: "
                    f"{e.message}") from None
    return nss
