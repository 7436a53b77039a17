"""resolve() for Open vSwitch: a node's bridges, ports and mirrors against its interfaces.

Design note
-----------
What ovs-vswitchd would refuse or silently break is reported here with its own words where
it has them (``bridge_add_ports`` / ``iface_create`` log "could not add network device ...
(File exists)" and the port gets ``ofport=-1``): a system port names an interface the node
has (a veth end, a tap) that no Linux bridge holds and no other OVS bridge holds; ports that
ovs-vswitchd makes (the bridge's own port, internal, patch, tunnel ports) do not collide
with the node's interfaces; patch ports pair up (``peer`` names a patch port of another
bridge of the node whose ``peer`` names it back); a mirror names ports of its own bridge.

Flows and groups are checked by the OpenFlow parser when the engine loads them (the same
parser ``ovs-ofctl`` errors come from), not here, so the model stays free of OpenFlow.

``fill_ovs`` gives every bridge and internal port a MAC (the same deterministic scheme as
interfaces), so both engines configure the same addresses: OVS itself would pick a bridge
MAC from its ports and random ones for internal ports.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from vnetlab.model.errors import ProblemList, did_you_mean
from vnetlab.model.netdev import NetdevSpec
from vnetlab.model.ovs import OvsBridgeSpec
from vnetlab.model.spec import LabSpec


def _seg(node: str, *rest: object) -> tuple[object, ...]:
    return ("nodes", node, "ovs", *rest)


def _names(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def ovs_netdevs(lab: LabSpec, node: str) -> list[str]:
    """The network devices ovs-vswitchd makes in ``node``: bridges and internal ports."""
    spec = lab.nodes.get(node)
    if spec is None:
        return []
    return [d for br, b in spec.ovs.items() for d in b.netdev_names(br)]


def ovs_netdev_addresses(
    lab: LabSpec, node: str
) -> dict[str, tuple[bool, list[ipaddress.IPv4Interface]]]:
    """The OVS network devices of ``node`` with their admin state and addresses (routes
    and address uniqueness treat them like any interface)."""
    spec = lab.nodes.get(node)
    if spec is None:
        return {}
    out: dict[str, tuple[bool, list[ipaddress.IPv4Interface]]] = {}
    for br, b in spec.ovs.items():
        out[br] = (b.up, list(b.addresses))
        for port, p in b.ports.items():
            if p.is_netdev:
                out[port] = (p.up, list(p.addresses))
    return out


def ovs_netdev_path(lab: LabSpec, node: str, name: str) -> tuple[object, ...]:
    """The YAML path of OVS network device ``name``: a bridge or a port of one."""
    for br, b in lab.nodes[node].ovs.items():
        if br == name:
            return _seg(node, br)
        if name in b.ports:
            return _seg(node, br, "ports", name)
    return _seg(node, name)


def ovs_bridge_ports(bridge: OvsBridgeSpec, name: str) -> list[str]:
    """The ports a mirror or fdb check may name on ``bridge``: its own port and its ports."""
    return [name, *bridge.ports]


def check_ovs(lab: LabSpec, full: dict[str, dict[str, NetdevSpec]], p: ProblemList) -> None:
    """Report every Open vSwitch problem of every node."""
    for node, nspec in lab.nodes.items():
        if not nspec.ovs:
            continue
        ifaces = full.get(node, {})
        owner: dict[str, str] = {}  # port name -> bridge holding it
        for br, bspec in nspec.ovs.items():
            if br in ifaces:
                p.add(_seg(node, br),
                      f"bridge {br} would be a network device of node {node}, which has an "
                      f"interface {br} already; ovs-vswitchd says: could not add network "
                      f"device {br} to ofproto (File exists)",
                      "rename the bridge or the interface")
            if br in owner:
                p.add(_seg(node, br),
                      f"bridge {br} is also a port of bridge {owner[br]}; OVS names every "
                      "port once per switch", "rename one of them")
            owner.setdefault(br, br)
            for port, pspec in bspec.ports.items():
                seg = _seg(node, br, "ports", port)
                if port in owner:
                    where = owner[port]
                    p.add(seg, f"a port named {port} already exists on bridge {where}; "
                               "ovs-vsctl says: cannot create a port named "
                               f"{port} because a port named {port} already exists on "
                               f"bridge {where}", "give each port one bridge")
                    continue
                owner[port] = br
                if pspec.type == "system":
                    _system_port(p, seg, node, br, port, ifaces)
                elif port in ifaces:
                    p.add(seg, f"a {pspec.type} port is made by ovs-vswitchd, but node {node} "
                               f"has an interface {port} already; ovs-vswitchd says: could "
                               f"not add network device {port} to ofproto (File exists)",
                          f"remove {port} from nodes.{node}.interfaces, or make the port "
                          "'type: system' to attach that interface")
        _patches(p, lab, node)
        _mirrors(p, lab, node)


def _system_port(p: ProblemList, seg: tuple[object, ...], node: str, br: str, port: str,
                 ifaces: dict[str, NetdevSpec]) -> None:
    if port not in ifaces:
        p.add(seg, f"port {port} of bridge {br} names an interface node {node} does not have "
                   f"(interfaces: {_names(list(ifaces))}); ovs-vswitchd says: could not open "
                   f"network device {port} (No such device)",
              did_you_mean(port, ifaces)
              or f"declare it under nodes.{node}.interfaces or link it in links:, or make "
                 "it 'type: internal'")
        return
    spec = ifaces[port]
    if spec.master is not None:
        p.add(seg, f"interface {port} is already a port of Linux bridge {spec.master}; "
                   f"ovs-vswitchd says: could not add network device {port} to ofproto "
                   "(Device or resource busy)",
              f"remove 'master: {spec.master}' from the interface, or the port from {br}")
    elif spec.type == "bridge":
        p.add(seg, f"interface {port} is a Linux bridge; attach it to {br} through a veth "
                   "pair instead", "link the two bridges with a veth pair (or a patch port)")


def _patches(p: ProblemList, lab: LabSpec, node: str) -> None:
    bridges = lab.nodes[node].ovs
    patch_of = {port: (br, spec) for br, b in bridges.items()
                for port, spec in b.ports.items() if spec.type == "patch"}
    for port, (br, spec) in patch_of.items():
        peer = spec.options["peer"]
        seg = _seg(node, br, "ports", port, "options", "peer")
        other = patch_of.get(peer)
        if other is None:
            p.add(seg, f"patch port {port} names peer {peer!r}, which is not a patch port of "
                       f"node {node} (patch ports: {_names(list(patch_of))})",
                  did_you_mean(peer, [x for x in patch_of if x != port])
                  or f"add '{peer}: {{type: patch, options: {{peer: {port}}}}}' to the "
                     "other bridge")
        elif other[1].options["peer"] != port:
            p.add(seg, f"patch port {port} names peer {peer}, but {peer} names "
                       f"{other[1].options['peer']!r}; a patch pair names each other",
                  f"set options: {{peer: {port}}} on {peer}")
        elif other[0] == br:
            p.add(seg, f"patch ports {port} and {peer} are both on bridge {br}; a patch "
                       "pair joins two bridges", "move one of them to another bridge")


def _mirrors(p: ProblemList, lab: LabSpec, node: str) -> None:
    for br, bspec in lab.nodes[node].ovs.items():
        ports = ovs_bridge_ports(bspec, br)
        for mname, mirror in bspec.mirrors.items():
            refs: list[tuple[str, str]] = [
                *(("select_src_port", x) for x in mirror.select_src_port),
                *(("select_dst_port", x) for x in mirror.select_dst_port),
            ]
            if mirror.output_port is not None:
                refs.append(("output_port", mirror.output_port))
            for field, ref in refs:
                if ref not in ports:
                    p.add(_seg(node, br, "mirrors", mname, field),
                          f"mirror {mname} names {ref!r}, which is not a port of bridge "
                          f"{br} (ports: {_names(ports)})", did_you_mean(ref, ports))
            out = mirror.output_port
            if out is not None and (out in mirror.select_src_port
                                    or out in mirror.select_dst_port):
                p.add(_seg(node, br, "mirrors", mname, "output_port"),
                      f"mirror {mname} both selects and outputs to port {out}; a mirror's "
                      "output port is reserved for mirroring: NORMAL drops what arrives on "
                      f"it (\"dropping packet received on port {out}, which is reserved "
                      "exclusively for mirroring\") and it gets only mirror copies",
                      "choose an output port the mirror does not select")


def fill_ovs(lab: LabSpec, gen: Callable[[str, str, str, int], str]) -> LabSpec:
    """Give every bridge and internal port a MAC (unique in the lab, deterministic);
    ``gen`` is the resolver's ``generated_mac``."""
    if not any(n.ovs for n in lab.nodes.values()):
        return lab
    taken = {s.mac for n in lab.nodes.values() for s in n.interfaces.values() if s.mac}
    taken |= {b.mac for n in lab.nodes.values() for b in n.ovs.values() if b.mac}
    taken |= {s.mac for n in lab.nodes.values() for b in n.ovs.values()
              for s in b.ports.values() if s.mac}

    def fresh(node: str, name: str) -> str:
        round_ = 0
        mac = gen(lab.name, node, name, 0)
        while mac in taken:
            round_ += 1
            mac = gen(lab.name, node, name, round_)
        taken.add(mac)
        return mac

    nodes = {}
    for n in sorted(lab.nodes):
        nspec = lab.nodes[n]
        bridges = {}
        for br in sorted(nspec.ovs):
            b = nspec.ovs[br]
            ports = {
                port: spec.model_copy(update={"mac": fresh(n, port)})
                if spec.is_netdev and spec.mac is None else spec
                for port, spec in sorted(b.ports.items())
            }
            update: dict[str, object] = {"ports": {k: ports[k] for k in b.ports}}
            if b.mac is None:
                update["mac"] = fresh(n, br)
            bridges[br] = b.model_copy(update=update)
        nodes[n] = nspec.model_copy(update={"ovs": {k: bridges[k] for k in nspec.ovs}})
    return lab.model_copy(update={"nodes": {k: nodes[k] for k in lab.nodes}})
