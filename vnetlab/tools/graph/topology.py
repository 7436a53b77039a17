"""A lab's topology as a plain graph: vertices (devices), edges (what joins them), clusters.

Design note
-----------
Both writers (DOT and Mermaid) and the web view draw the same ``Topology``, built once
from a resolved ``LabSpec``; nothing here lays anything out (Graphviz does). A vertex is
a network device and its id is the ``NODE:IFNAME`` the rest of vnetlab uses (check
subjects, trace events' ``where``), so a trace's events land on the drawing without a
translation table. OVS ports that are not network devices (tunnel, patch) get the same
kind of id: ovs-vswitchd's port names are unique per namespace (``ovs_check``).

Edges, one kind per way Linux joins two devices:

- ``veth``: the lab's links (a veth pair, ``veth_newlink``);
- ``port``: a bridge port (``br_add_if``) or an OVS port (labelled with its OpenFlow port
  number, ``alloc_ofp_port``: the request if given, else the lowest free one);
- ``lower``: a device stacked on another (vlan/macvlan/ipvlan ``link``, vxlan ``dev``);
- ``tunnel``: two VTEPs carrying one VNI (``remote``/``group``/FDB ``dst`` of one names an
  address of the other's node and the VNIs match); ``patch``: an OVS patch port pair;
- ``vf``: an SR-IOV PF and its virtual functions (labelled ``VF N``, with the port VLAN
  the NIC tags the VF's traffic with, ``ip link set PF vf N vlan V``, as its colour);
- ``wire``: the cable between two physical NIC ports (``nic`` ``wire``).

VLANs ride on edges and vertices as VID tuples: a bridge port's ``vlans`` (with VLAN
filtering), an OVS port's ``tag``/``trunks``, an 802.1Q device's ``id``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from vnetlab.model.kinds.nic import NicSpec
from vnetlab.model.kinds.vf import VfSpec
from vnetlab.model.ovs import TUNNEL_TYPES, OvsBridgeSpec
from vnetlab.model.spec import (
    BridgeSpec,
    GeneveSpec,
    LabSpec,
    NetdevSpec,
    VlanSpec,
    VxlanSpec,
)


@dataclass(slots=True)
class Vertex:
    id: str  # "NODE:IFNAME"
    node: str
    name: str
    kind: str  # the device kind ("veth", "bridge", "ovs-bridge", "ovs-vxlan" ...)
    details: tuple[str, ...] = ()  # further label lines: addresses, VNI, mode
    vlans: tuple[int, ...] = ()


@dataclass(slots=True)
class Edge:
    a: str
    b: str
    kind: str  # "veth", "port", "lower", "tunnel", "patch", "vf"
    label: str = ""
    vlans: tuple[int, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.a}--{self.b}"


@dataclass(slots=True)
class Topology:
    lab: str
    description: str
    clusters: dict[str, list[str]] = field(default_factory=dict)  # node -> vertex ids
    vertices: dict[str, Vertex] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    @property
    def vlans(self) -> list[int]:
        vids = {v for e in self.edges for v in e.vlans}
        vids.update(v for x in self.vertices.values() for v in x.vlans)
        return sorted(vids)

    def add(self, v: Vertex) -> None:
        self.vertices[v.id] = v
        self.clusters.setdefault(v.node, []).append(v.id)

    def neighbours(self) -> dict[str, list[tuple[str, Edge]]]:
        out: dict[str, list[tuple[str, Edge]]] = {v: [] for v in self.vertices}
        for e in self.edges:
            out[e.a].append((e.b, e))
            out[e.b].append((e.a, e))
        return out

    def to_json(self) -> dict[str, object]:
        """The graph as data (the web view's node list and path lookups)."""
        return {
            "lab": self.lab,
            "nodes": {n: list(ids) for n, ids in self.clusters.items()},
            "vertices": [{"id": v.id, "node": v.node, "name": v.name, "kind": v.kind,
                          "details": list(v.details), "vlans": list(v.vlans)}
                         for v in self.vertices.values()],
            "edges": [{"id": e.id, "a": e.a, "b": e.b, "kind": e.kind, "label": e.label,
                       "vlans": list(e.vlans)} for e in self.edges],
            "vlans": self.vlans,
        }


def _named_vlans(lab: LabSpec) -> set[int]:
    """The VIDs the lab names one by one (port entries, 802.1Q devices, OVS tags): a
    range such as ``100-200`` on a trunk is drawn as the named VLANs it carries, not as
    a hundred colours."""
    out: set[int] = set()
    for ns in lab.nodes.values():
        for spec in ns.interfaces.values():
            if isinstance(spec, VlanSpec):
                out.add(spec.id)
            if isinstance(spec, BridgeSpec) and spec.vlan_filtering and spec.default_pvid:
                out.add(spec.default_pvid)
            entries = spec.bridge_port.vlans if spec.bridge_port is not None else None
            out.update(e.vid for e in entries or () if isinstance(e.vid, int))
            if isinstance(spec, NicSpec) and spec.sriov is not None:
                out.update(v.vlan for v in spec.sriov.vfs.values() if v.vlan)
        for br in ns.ovs.values():
            for p in br.ports.values():
                out.update([p.tag] if p.tag is not None else p.trunks)
    return out


def _port_vlans(spec: NetdevSpec, bridges: dict[str, BridgeSpec],
                named: set[int]) -> tuple[int, ...]:
    """The VIDs a bridge port carries when its bridge filters VLANs (else none drawn)."""
    br = bridges.get(spec.master or "")
    if not isinstance(br, BridgeSpec) or not br.vlan_filtering:
        return ()
    opts = spec.bridge_port
    if opts is None or opts.vlans is None:
        return (br.default_pvid,) if br.default_pvid else ()
    vids: set[int] = set()
    for entry in opts.vlans:
        if isinstance(entry.vid, int):
            vids.add(entry.vid)
        else:
            vids.update(v for v in entry.vids if v in named)
    return tuple(sorted(vids))


def _details(spec: NetdevSpec) -> tuple[str, ...]:
    out = [str(a) for a in spec.addresses]
    if isinstance(spec, VxlanSpec | GeneveSpec):
        out.insert(0, f"VNI {spec.id}")
    elif isinstance(spec, VlanSpec):
        out.insert(0, f"802.1Q id {spec.id}")
    elif isinstance(spec, NicSpec):
        speed = f"{spec.speed // 1000}G" if spec.speed % 1000 == 0 else f"{spec.speed}M"
        sriov = spec.sriov
        out.insert(0, speed if sriov is None else
                   f"{speed} SR-IOV {sriov.numvfs}/{sriov.totalvfs} VFs ({sriov.isolation})")
    mode = getattr(spec, "mode", None)
    if isinstance(mode, str):
        out.insert(0, f"mode {mode}")
    return tuple(out)


def _vf_edge(lab: LabSpec, node: str, ifname: str, spec: VfSpec) -> Edge:
    """PF -- VF, with what ``ip link show PF`` says about this VF that matters in a
    picture: its port VLAN (and QoS), a spoof check turned off, trust turned on."""
    pf_node, _, pf_name = spec.link.rpartition(":")
    pf_node = pf_node or node
    pf = lab.nodes[pf_node].interfaces.get(pf_name)
    label = [f"VF {spec.vf}"]
    vlans: tuple[int, ...] = ()
    if isinstance(pf, NicSpec) and pf.sriov is not None:
        vs = pf.sriov.vfs.get(spec.vf)
        if vs is not None:
            if vs.vlan:
                label.append(f"vlan {vs.vlan}" + (f" qos {vs.qos}" if vs.qos else ""))
                vlans = (vs.vlan,)
            if not vs.spoofchk:
                label.append("spoofchk off")
            if vs.trust:
                label.append("trust on")
            if vs.stalled:
                label.append("stalled")
    return Edge(f"{pf_node}:{pf_name}", f"{node}:{ifname}", "vf", " ".join(label), vlans)


def _ofports(br: OvsBridgeSpec) -> dict[str, int]:
    """OpenFlow port numbers as ovs-vswitchd hands them out: requests first, then the
    lowest free number in the order the ports were added (``alloc_ofp_port``)."""
    used = {p.ofport_request for p in br.ports.values() if p.ofport_request is not None}
    out: dict[str, int] = {}
    nxt = 1
    for name, p in br.ports.items():
        if p.ofport_request is not None:
            out[name] = p.ofport_request
            continue
        while nxt in used:
            nxt += 1
        out[name] = nxt
        used.add(nxt)
    return out


def _ovs(topo: Topology, node: str, brname: str, br: OvsBridgeSpec) -> None:
    bid = f"{node}:{brname}"
    topo.add(Vertex(bid, node, brname, "ovs-bridge",
                    tuple(str(a) for a in br.addresses)
                    + ((f"fail_mode {br.fail_mode}",) if br.fail_mode else ())))
    for pname, port in br.ports.items():
        pid = f"{node}:{pname}"
        if port.type != "system":  # made by ovs-vswitchd: a vertex of its own
            details: list[str] = [str(a) for a in port.addresses]
            if port.type in TUNNEL_TYPES:
                key = port.options.get("key", "0")
                details = [f"VNI {key}", f"remote {port.options.get('remote_ip', '?')}"]
            topo.add(Vertex(pid, node, pname, f"ovs-{port.type}", tuple(details)))
        vlans = (port.tag,) if port.tag is not None else tuple(port.trunks)
        label = f"ofport {_ofports(br)[pname]}"
        if port.tag is not None:
            label += f" tag {port.tag}"
        elif port.trunks:
            label += " trunks " + ",".join(map(str, port.trunks))
        topo.edges.append(Edge(bid, pid, "port", label, vlans))


def _addresses(lab: LabSpec) -> dict[str, str]:
    """Every IPv4 address of the lab -> the node that has it (tunnel endpoints)."""
    out: dict[str, str] = {}
    for node, ns in lab.nodes.items():
        for spec in ns.interfaces.values():
            for a in spec.addresses:
                out[str(a.ip)] = node
        for br in ns.ovs.values():
            for a in br.addresses:
                out[str(a.ip)] = node
            for p in br.ports.values():
                for a in p.addresses:
                    out[str(a.ip)] = node
    return out


@dataclass(frozen=True, slots=True)
class _Vtep:
    id: str
    node: str
    vni: int
    remotes: frozenset[str]
    group: str | None


def _vteps(lab: LabSpec) -> list[_Vtep]:
    out: list[_Vtep] = []
    for node, ns in lab.nodes.items():
        for ifname, spec in ns.interfaces.items():
            if isinstance(spec, VxlanSpec | GeneveSpec):
                remotes = {str(spec.remote)} if spec.remote is not None else set()
                if isinstance(spec, VxlanSpec):
                    remotes.update(str(f.dst) for f in spec.fdb)
                group = str(spec.group) if isinstance(spec, VxlanSpec) and spec.group else None
                out.append(_Vtep(f"{node}:{ifname}", node, spec.id, frozenset(remotes), group))
        for br in ns.ovs.values():
            for pname, p in br.ports.items():
                if p.type in TUNNEL_TYPES:
                    key, remote = p.options.get("key", "0"), p.options.get("remote_ip", "")
                    vni = int(key, 0) if key != "flow" else -1
                    remotes = {remote} if _is_ip(remote) else set()
                    out.append(_Vtep(f"{node}:{pname}", node, vni, frozenset(remotes), None))
    return out


def _is_ip(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _tunnels(lab: LabSpec, topo: Topology) -> None:
    owner = _addresses(lab)
    vteps = _vteps(lab)
    for i, a in enumerate(vteps):
        for b in vteps[i + 1:]:
            if a.node == b.node or (a.vni != b.vni and -1 not in (a.vni, b.vni)):
                continue
            a_to_b = any(owner.get(r) == b.node for r in a.remotes)
            b_to_a = any(owner.get(r) == a.node for r in b.remotes)
            if a_to_b or b_to_a or (a.group is not None and a.group == b.group):
                vni = a.vni if a.vni != -1 else b.vni
                topo.edges.append(Edge(a.id, b.id, "tunnel",
                                       f"VNI {vni}" if vni != -1 else "VNI flow"))


def build_topology(lab: LabSpec) -> Topology:
    """The drawing's graph of a resolved lab."""
    topo = Topology(lab.name, lab.description.strip())
    named = _named_vlans(lab)
    for node, ns in lab.nodes.items():
        topo.clusters.setdefault(node, [])
        bridges = {n: s for n, s in ns.interfaces.items() if isinstance(s, BridgeSpec)}
        for ifname, spec in ns.interfaces.items():
            vlans: tuple[int, ...] = (spec.id,) if isinstance(spec, VlanSpec) else ()
            topo.add(Vertex(f"{node}:{ifname}", node, ifname, spec.type, _details(spec), vlans))
        for brname, br in ns.ovs.items():
            _ovs(topo, node, brname, br)
        for ifname, spec in ns.interfaces.items():
            me = f"{node}:{ifname}"
            if spec.master is not None:
                topo.edges.append(Edge(f"{node}:{spec.master}", me, "port",
                                       vlans=_port_vlans(spec, bridges, named)))
            if isinstance(spec, VfSpec):
                topo.edges.append(_vf_edge(lab, node, ifname, spec))
                continue
            for ref in spec.lower_refs():
                lower = ref if ":" in ref else f"{node}:{ref}"
                topo.edges.append(Edge(me, lower, "lower", "link"))
    # OVS patch pairs: each pair once
    for node, ns in lab.nodes.items():
        for br in ns.ovs.values():
            for pname, p in br.ports.items():
                peer = p.options.get("peer") if p.type == "patch" else None
                if peer is not None and pname < peer and f"{node}:{peer}" in topo.vertices:
                    topo.edges.append(Edge(f"{node}:{pname}", f"{node}:{peer}", "patch", "patch"))
    for link in lab.links:
        a, b = (str(ep) for ep in link.endpoints)
        vlans = _link_vlans(topo, a) or _link_vlans(topo, b)
        topo.edges.append(Edge(a, b, "veth", vlans=vlans))
    _wires(lab, topo)
    _tunnels(lab, topo)
    return topo


def _wires(lab: LabSpec, topo: Topology) -> None:
    """One ``wire`` edge per cable, however many of its ends name the other."""
    seen: set[frozenset[str]] = set()
    for node, ns in lab.nodes.items():
        for ifname, spec in ns.interfaces.items():
            if isinstance(spec, NicSpec) and spec.wire is not None:
                a, b = f"{node}:{ifname}", spec.wire
                if frozenset((a, b)) not in seen and b in topo.vertices:
                    seen.add(frozenset((a, b)))
                    topo.edges.append(Edge(a, b, "wire", "cable"))


def _link_vlans(topo: Topology, end: str) -> tuple[int, ...]:
    """The VLANs a veth carries: those of the bridge (or OVS) port at one of its ends."""
    for e in topo.edges:
        if e.kind == "port" and e.b == end and e.vlans:
            return e.vlans
    return ()
