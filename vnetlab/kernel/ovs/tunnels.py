"""Tunnel ports on the userspace datapath: where their packets leave, and their next hop.

Design note
-----------
On the ``netdev`` datapath ovs-vswitchd encapsulates itself ("native tunnelling",
lib/tnl-neigh-cache.c, ofproto-dpif-xlate.c ``native_tunnel_output``): it looks the remote
up in its copy of the namespace's routes, and the route must leave through a device of one
of its own bridges (the bridge's port or an internal port carrying the underlay address),
else the trace says ``native tunnel routing failed`` and every packet is dropped. The
kernel datapath hands the packet to the kernel's vxlan/geneve device instead and has no
such rule. ``problems`` names each tunnel port that would fail so, at plan time.

The next hop's MAC comes from ovs-vswitchd's own neighbour cache, filled by snooping ARP
replies; on a miss it sends an ARP request and *drops* the packet (the kernel queues it),
so the first packet through a fresh tunnel is lost, a first ping check fails. The lab
knows every address and MAC, so the plan fills the cache as ``ovs-appctl tnl/neigh/set
DEV IP MAC`` would by hand (``neigh_ops``) — for next hops the lab owns, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from vnetlab.model.ovs import TUNNEL_TYPES
from vnetlab.model.spec import LabSpec, NodeSpec, RouteSpec


@dataclass(frozen=True, slots=True)
class Tunnel:
    node: str
    bridge: str
    port: str
    remote: IPv4Address


def tunnels(lab: LabSpec) -> Iterator[Tunnel]:
    """Every tunnel port with a fixed ``remote_ip`` (``flow`` ones are set per packet)."""
    for node_name, node in lab.nodes.items():
        for br, spec in node.ovs.items():
            for port, ps in spec.ports.items():
                remote = ps.options.get("remote_ip")
                if ps.type in TUNNEL_TYPES and remote is not None and remote != "flow":
                    yield Tunnel(node_name, br, port, IPv4Address(remote))


def ovs_addresses(node: NodeSpec) -> dict[str, list[IPv4Interface]]:
    """The node's devices ovs-vswitchd makes (bridges' own ports, internal ports) and
    their addresses."""
    out: dict[str, list[IPv4Interface]] = {}
    for br, spec in node.ovs.items():
        out[br] = list(spec.addresses)
        for port, ps in spec.ports.items():
            if ps.is_netdev:
                out[port] = list(ps.addresses)
    return out


def egress(node: NodeSpec, remote: IPv4Address) -> tuple[str, IPv4Address] | None:
    """(OVS device, next hop) the node's route to ``remote`` leaves through, if it leaves
    through an OVS device: a connected network, else a route via a gateway on one (the
    longest prefix first, as the FIB)."""
    devs = ovs_addresses(node)
    for dev, addrs in devs.items():
        if any(remote in a.network for a in addrs):
            return dev, remote
    def plen(r: RouteSpec) -> int:
        return 0 if r.dst == "default" else IPv4Network(r.dst).prefixlen

    for r in sorted(node.routes4, key=lambda r: (-plen(r), r.metric)):
        if r.dst != "default" and remote not in IPv4Network(r.dst):
            continue
        gw = r.via4
        if gw is None:
            return None  # a device route: not one of OVS's devices (those are connected)
        for dev, addrs in devs.items():
            if any(gw in a.network for a in addrs):
                return dev, gw
        return None  # the FIB's choice leaves through a device that is not OVS's
    return None


def owner_mac(lab: LabSpec, ip: IPv4Address) -> str | None:
    """The MAC of the device in the lab that has address ``ip`` (resolved labs have one)."""
    for node in lab.nodes.values():
        for spec in node.interfaces.values():
            if any(a.ip == ip for a in spec.addresses):
                return spec.mac
        for bspec in node.ovs.values():
            if any(a.ip == ip for a in bspec.addresses):
                return bspec.mac
            for ps in bspec.ports.values():
                if any(a.ip == ip for a in ps.addresses):
                    return ps.mac
    return None


def problems(lab: LabSpec, datapath: dict[tuple[str, str], str]) -> list[str]:
    """Tunnel ports of userspace-datapath bridges whose packets could not leave."""
    out = []
    for t in tunnels(lab):
        if datapath[(t.node, t.bridge)] != "netdev":
            continue
        if egress(lab.nodes[t.node], t.remote) is None:
            out.append(f"{t.node}:{t.port} (remote_ip {t.remote}): the route to it does "
                       "not leave through an Open vSwitch bridge of that node, and on the "
                       "userspace datapath ovs-vswitchd sends tunnel packets only through "
                       "its own bridges ('native tunnel routing failed')")
    return out


def neigh_entries(lab: LabSpec, node: str) -> list[tuple[str, str, str]]:
    """(device, next hop, MAC) to put into the node's tunnel neighbour cache, once each."""
    seen: dict[tuple[str, str], str] = {}
    for t in tunnels(lab):
        if t.node != node:
            continue
        hop = egress(lab.nodes[node], t.remote)
        if hop is None:
            continue
        mac = owner_mac(lab, hop[1])
        if mac is not None:
            seen.setdefault((hop[0], str(hop[1])), mac)
    return [(dev, ip, mac) for (dev, ip), mac in seen.items()]
