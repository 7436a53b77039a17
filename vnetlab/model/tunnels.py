"""resolve() for overlay devices (VXLAN, Geneve): underlay references and Linux's MTU rules.

Design note
-----------
``vxlan_config_apply`` (drivers/net/vxlan/vxlan_core.c): a VXLAN bound to a lower device
(``dev``) may not have an MTU above the lower device's MTU minus the 50-byte IPv4
headroom — ``ip link add ... mtu 1500`` over a 1500 underlay fails with "RTNETLINK
answers: Invalid argument" — and defaults to exactly that maximum (1450). An unbound
VXLAN defaults to 1500. ``geneve_link_config`` looks up the route to ``remote`` and, when
it finds the lower device, sets the MTU to its MTU minus the headroom (options count
too); otherwise 1500.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from vnetlab.model.errors import ProblemList
from vnetlab.model.spec import GeneveSpec, LabSpec, NetdevSpec, TunnelSpec, VxlanSpec

VXLAN_HEADROOM = 50
GENEVE_HEADROOM = 50


def geneve_headroom(spec: GeneveSpec) -> int:
    """Outer headers plus the options every packet carries (4-byte header + data each)."""
    return GENEVE_HEADROOM + sum(4 + len(o.data) // 2 for o in spec.options)


def underlay_for(
    ifaces: Mapping[str, NetdevSpec], remote: ipaddress.IPv4Address
) -> str | None:
    """The device whose connected subnet holds ``remote`` (the route a tunnel's packets
    take), tunnels excepted."""
    for name, spec in ifaces.items():
        if isinstance(spec, TunnelSpec):
            continue
        if any(remote in a.network for a in spec.addresses):
            return name
    return None


def check_tunnels(
    lab: LabSpec,
    full: dict[str, dict[str, NetdevSpec]],
    p: ProblemList,
    mtus: Mapping[tuple[str, str], int],
) -> dict[tuple[str, str], int]:
    """Report tunnel problems; return the MTU each tunnel gets when the lab gives none.

    ``mtus`` is every device's MTU once created (``vnetlab.model.mtus.stacked_mtus``), so an
    underlay that inherits its MTU (a vlan on a 1400-byte device) counts with that MTU."""
    fills: dict[tuple[str, str], int] = {}
    for node, ifaces in full.items():
        node_addrs = {a.ip for s in ifaces.values() for a in s.addresses}
        for name, spec in ifaces.items():
            if not isinstance(spec, TunnelSpec):
                continue
            seg = ("nodes", node, "interfaces", name)
            underlay: str | None = None
            if isinstance(spec, VxlanSpec):
                if spec.dev is not None:
                    if spec.dev not in ifaces or spec.dev == name:
                        p.add(
                            (*seg, "dev"),
                            f'Cannot find device "{spec.dev}" in node {node} '
                            f"(vxlan {name} needs its underlay interface)",
                            f"interfaces of {node}: {', '.join(sorted(ifaces))}",
                        )
                        continue
                    underlay = spec.dev
                if spec.local is not None and spec.local not in node_addrs:
                    p.add(
                        (*seg, "local"),
                        f"local {spec.local} is not an address of node {node}",
                        "use one of the node's own underlay addresses",
                    )
                headroom = VXLAN_HEADROOM
            else:
                assert isinstance(spec, GeneveSpec) and spec.remote is not None
                underlay = underlay_for(ifaces, spec.remote)
                headroom = geneve_headroom(spec)
            if underlay is None:
                if spec.mtu is None:
                    fills[(node, name)] = 1500
                continue
            under_mtu = mtus.get((node, underlay), 1500)
            limit = under_mtu - headroom
            if spec.mtu is None:
                fills[(node, name)] = mtus.get((node, name), max(limit, 68))
            elif isinstance(spec, VxlanSpec) and spec.mtu > limit:
                p.add(
                    (*seg, "mtu"),
                    f"RTNETLINK answers: Invalid argument — {spec.type} {name} over {underlay} "
                    f"(mtu {under_mtu}) allows at most mtu {limit}: the "
                    f"encapsulation takes {headroom} bytes",
                    f"set mtu: {limit} here, or raise the underlay MTU (e.g. 9000 jumbo frames)",
                )
    return fills


def fill_tunnel_mtus(lab: LabSpec, fills: dict[tuple[str, str], int]) -> LabSpec:
    if not fills:
        return lab
    nodes = {}
    for n, node in lab.nodes.items():
        ifaces = {
            i: s.model_copy(update={"mtu": fills[(n, i)]}) if (n, i) in fills else s
            for i, s in node.interfaces.items()
        }
        nodes[n] = node.model_copy(update={"interfaces": ifaces})
    return lab.model_copy(update={"nodes": nodes})
