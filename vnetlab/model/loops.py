"""Layer-2 loops of a lab, found on the model before anything is built.

Design note
-----------
``find_loops(lab)`` is one pure function over the lab model, for the emulator's storm
report, the linux engine's plan-time refusal and (later) lint. The graph: one vertex per
flooding switch — a Linux bridge, or an Open vSwitch bridge that floods like one
(``NodeSpec.ovs``; see ``_ovs_floods``) — and one edge per wire whose two ends are ports
of such switches: a veth pair (``links:``), a VXLAN/Geneve tunnel (two tunnel devices of
the same kind, VNI and UDP port on different nodes whose ``remote`` is an address of the
other node, or that share a multicast ``group``) and an OVS patch port pair. A device that
is a port of no switch ends the wire (a host), and so does anything stacked (a VLAN
device on a port: not followed, said here as the approximation).

A loop is a cycle among switches that all run without STP: one bridge with STP on a
cycle sends BPDUs the others flood back to it, so it blocks a port and the loop is
broken (802.1D). Cycles are the fundamental cycles of a spanning forest (union-find on the
edges in lab order: each edge that closes a cycle yields one loop), so the answer is
deterministic and has at most one loop per redundant wire.

Open vSwitch seam: an OVS bridge joins the graph through ``_ovs_switches``; tunnel ports
of OVS bridges are not paired yet (their remote is often ``flow``), say so in lint.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vnetlab.model.spec import LabSpec

#: (node, switch name)
Switch = tuple[str, str]
#: (node, interface name)
End = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Hop:
    """Leaving ``switch`` of ``node`` by ``port``."""

    node: str
    switch: str
    port: str


@dataclass(frozen=True, slots=True)
class Loop:
    """A cycle of switches without STP: each hop's port leads to the next hop's switch,
    the last one's back to the first."""

    hops: tuple[Hop, ...]
    #: the switches are in more than one node: name them NODE:SWITCH
    multi_node: bool = False

    def label(self, h: Hop) -> str:
        return f"{h.node}:{h.switch}" if self.multi_node else h.switch

    def describe(self) -> str:
        """``br1:a12 -> br2:a23 -> br3:a31 -> br1``."""
        parts = [f"{self.label(h)}:{h.port}" for h in self.hops]
        return " -> ".join([*parts, self.label(self.hops[0])])

    def switches(self) -> list[Switch]:
        return [(h.node, h.switch) for h in self.hops]

    def ports(self) -> list[End]:
        return [(h.node, h.port) for h in self.hops]


def _ovs_floods(br: object) -> bool:
    """An OVS bridge floods like a bridge without STP when it runs the NORMAL action:
    no flows of the lab's own in standalone fail_mode (ovs-vswitchd's default flow is
    NORMAL), or a flow whose actions say NORMAL. ``stp_enable`` is not modelled yet."""
    flows = [str(f).lower() for f in getattr(br, "flows", [])]
    if not flows:
        return getattr(br, "fail_mode", None) != "secure"
    return any("normal" in f.partition("actions=")[2] for f in flows)


def _ovs_switches(lab: LabSpec, port_of: dict[End, Switch], stp: dict[Switch, bool],
                  wires: list[tuple[End, End]]) -> None:
    """The Open vSwitch bridges of every node (``NodeSpec.ovs``) as switches: their system
    ports are the node's interfaces, patch port pairs are wires."""
    patches: dict[tuple[str, str], End] = {}
    for node_name, node in lab.nodes.items():
        for br_name, br in getattr(node, "ovs", {}).items():
            if not _ovs_floods(br):
                continue
            sw = (node_name, br_name)
            stp[sw] = False
            for pname, p in br.ports.items():
                if p.type == "system":
                    port_of[(node_name, pname)] = sw
                elif p.type == "patch":
                    port_of[(node_name, f"patch:{pname}")] = sw
                    peer = str(p.options.get("peer", ""))
                    patches[(node_name, pname)] = (node_name, f"patch:{peer}")
    for (node_name, pname), far in sorted(patches.items()):
        near = (node_name, f"patch:{pname}")
        if near < far and far in port_of:
            wires.append((near, far))


def _node_addresses(lab: LabSpec) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for node_name, node in lab.nodes.items():
        out[node_name] = {str(a.ip) for spec in node.interfaces.values() for a in spec.addresses}
    return out


def _tunnel_wires(lab: LabSpec) -> list[tuple[End, End]]:
    """VXLAN/Geneve devices that carry the same segment between two nodes."""
    tunnels: list[tuple[End, tuple[str, int, int], str | None, str | None]] = []
    for node_name, node in lab.nodes.items():
        for ifname, spec in node.interfaces.items():
            if spec.type in ("vxlan", "geneve"):
                key = (spec.type, int(getattr(spec, "id", 0)), int(getattr(spec, "dstport", 0)))
                remote = getattr(spec, "remote", None)
                group = getattr(spec, "group", None)
                tunnels.append(((node_name, ifname), key, None if remote is None else str(remote),
                                None if group is None else str(group)))
    addrs = _node_addresses(lab)
    wires: list[tuple[End, End]] = []
    for i, (a, ka, ra, ga) in enumerate(tunnels):
        for b, kb, rb, gb in tunnels[i + 1:]:
            if ka != kb or a[0] == b[0]:
                continue
            if (ga is not None and ga == gb) or (ra in addrs[b[0]] and rb in addrs[a[0]]):
                wires.append((a, b))
    return wires


def find_loops(lab: LabSpec) -> list[Loop]:
    """Every L2 loop of ``lab`` among switches without STP (empty: none)."""
    port_of: dict[End, Switch] = {}
    stp: dict[Switch, bool] = {}
    for node_name, node in lab.nodes.items():
        for ifname, spec in node.interfaces.items():
            if spec.type == "bridge":
                stp[(node_name, ifname)] = bool(getattr(spec, "stp", False))
        for ifname, spec in node.interfaces.items():
            if spec.master is not None and (node_name, spec.master) in stp:
                port_of[(node_name, ifname)] = (node_name, spec.master)
    wires: list[tuple[End, End]] = [
        ((ln.endpoints[0].node, ln.endpoints[0].ifname),
         (ln.endpoints[1].node, ln.endpoints[1].ifname)) for ln in lab.links]
    wires += _tunnel_wires(lab)
    _ovs_switches(lab, port_of, stp, wires)
    parent: dict[Switch, Switch] = {}

    def find(x: Switch) -> Switch:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    tree: dict[Switch, list[tuple[Switch, str, str]]] = {}
    loops: list[Loop] = []
    multi = len({n for n, _ in stp}) > 1
    for a, b in wires:
        sa, sb = port_of.get(a), port_of.get(b)
        if sa is None or sb is None or stp[sa] or stp[sb]:
            continue
        if find(sa) != find(sb):
            parent[find(sa)] = find(sb)
            tree.setdefault(sa, []).append((sb, a[1], b[1]))
            tree.setdefault(sb, []).append((sa, b[1], a[1]))
            continue
        # this wire closes a cycle: the tree path sb ... sa, then the wire back to sb
        path = _tree_path(tree, sb, sa)
        hops = [Hop(sw[0], sw[1], port) for sw, port in path]
        hops.append(Hop(sa[0], sa[1], a[1]))
        loops.append(Loop(tuple(hops), multi))
    return loops


def _tree_path(tree: dict[Switch, list[tuple[Switch, str, str]]], src: Switch,
               dst: Switch) -> list[tuple[Switch, str]]:
    """(switch, egress port) hops from ``src`` to ``dst`` in the spanning forest."""
    prev: dict[Switch, tuple[Switch, str]] = {}
    seen = {src}
    todo = deque([src])
    while todo:
        cur = todo.popleft()
        if cur == dst:
            break
        for nxt, mine, _theirs in tree.get(cur, []):
            if nxt not in seen:
                seen.add(nxt)
                prev[nxt] = (cur, mine)
                todo.append(nxt)
    out: list[tuple[Switch, str]] = []
    cur = dst
    while cur != src:
        p, port = prev[cur]
        out.append((p, port))
        cur = p
    out.reverse()
    return out


def loop_refusal(loops: list[Loop]) -> str:
    """The plan's words for a lab with loops (linux engine, lint)."""
    first = loops[0]
    more = f" (and {len(loops) - 1} more)" if len(loops) > 1 else ""
    return (f"layer-2 loop without STP: {first.describe()}{more}; on a real kernel one "
            "broadcast becomes a storm that eats a CPU core")
