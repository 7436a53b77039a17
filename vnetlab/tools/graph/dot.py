"""A ``Topology`` as a Graphviz DOT document (and, drawn over it, a trace's path).

Design note
-----------
Graphviz does all the layout; this module only says what is what. Every lab node is a
``cluster_NODE`` subgraph (a box with the namespace's devices inside); every element
carries a stable SVG ``id`` (``ns:NODE``, ``if:NODE:IFNAME``, ``edge:KIND:A--B``) so the
web view finds what to highlight in the SVG by id, and tests can check that every device
and link of a lab was drawn. VLANs are colours from one fixed palette, in VID order, with
a legend; a trunk carrying several VLANs is drawn as parallel lines, one per colour
(Graphviz's colour lists). Tunnels are dashed and labelled with their VNI.
"""

from __future__ import annotations

from vnetlab.tools.graph.path import TracePath
from vnetlab.tools.graph.topology import Edge, Topology, Vertex

#: VLAN colours, handed out in VID order (a lab with more VLANs reuses them)
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2",
           "#8c564b", "#bcbd22", "#7f7f7f")
#: what the path of a trace is drawn in
PATH_COLOUR = "#e4007c"

#: vertex kind -> Graphviz node attributes
_SHAPES: dict[str, dict[str, str]] = {
    "bridge": {"shape": "box", "style": "rounded,filled", "fillcolor": "#dbeafe"},
    "ovs-bridge": {"shape": "box3d", "style": "filled", "fillcolor": "#e0f2e9"},
    "vxlan": {"shape": "hexagon", "style": "filled", "fillcolor": "#fef3c7"},
    "geneve": {"shape": "hexagon", "style": "filled", "fillcolor": "#fef3c7"},
    "ovs-vxlan": {"shape": "hexagon", "style": "filled", "fillcolor": "#fef3c7"},
    "ovs-geneve": {"shape": "hexagon", "style": "filled", "fillcolor": "#fef3c7"},
    "ovs-patch": {"shape": "cds", "style": "filled", "fillcolor": "#f1f5f9"},
    "ovs-internal": {"shape": "ellipse", "style": "filled", "fillcolor": "#f1f5f9"},
    "tun": {"shape": "note", "style": "filled", "fillcolor": "#fce7f3"},
    "tap": {"shape": "note", "style": "filled", "fillcolor": "#fce7f3"},
    "nic": {"shape": "box", "style": "filled,bold", "fillcolor": "#ede9fe"},
    "vf": {"shape": "component", "style": "filled", "fillcolor": "#f5f3ff"},
}
_DEFAULT_SHAPE = {"shape": "ellipse", "style": "filled", "fillcolor": "white"}

_EDGE_STYLE: dict[str, dict[str, str]] = {
    "veth": {"penwidth": "2"},
    "port": {"color": "#64748b"},
    "lower": {"style": "dotted", "color": "#64748b"},
    "tunnel": {"style": "dashed", "penwidth": "2", "color": "#b45309", "fontcolor": "#b45309",
               "constraint": "false"},
    "patch": {"style": "dashed", "color": "#15803d"},
    "vf": {"color": "#6d28d9", "fontcolor": "#6d28d9"},
    "wire": {"penwidth": "3", "color": "#334155"},
}


def q(text: str) -> str:
    """A DOT double-quoted string (backslash and quote escaped; newlines as ``\\n``)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(attrs: dict[str, str]) -> str:
    return "[" + ", ".join(f"{k}={q(v)}" for k, v in attrs.items()) + "]"


def vlan_colours(topo: Topology) -> dict[int, str]:
    return {vid: PALETTE[i % len(PALETTE)] for i, vid in enumerate(topo.vlans)}


def vertex_label(v: Vertex) -> str:
    return "\n".join([v.name, v.kind, *v.details])


def _vertex(v: Vertex, colours: dict[int, str], path: TracePath | None,
            order: dict[str, int]) -> str:
    attrs = {"id": f"if:{v.id}", "label": vertex_label(v), "tooltip": v.id,
             **_SHAPES.get(v.kind, _DEFAULT_SHAPE)}
    if v.vlans:
        attrs["color"] = colours[v.vlans[0]]
        attrs["penwidth"] = "2"
    if path is not None and v.id in order:
        attrs.update(color=PATH_COLOUR, penwidth="3", xlabel=str(order[v.id]),
                     fontcolor="black")
    return f"    {q(v.id)} {_attrs(attrs)};"


def _edge(e: Edge, colours: dict[int, str], on_path: bool) -> str:
    attrs = {"id": f"edge:{e.id}", "tooltip": e.id, **_EDGE_STYLE.get(e.kind, {})}
    if e.label:
        attrs["label"] = e.label
    if e.vlans:
        # Graphviz draws "c1:c2" as parallel lines: one per VLAN on a trunk
        attrs["color"] = ":".join(colours[v] for v in e.vlans)
        attrs["penwidth"] = "2"
    if on_path:
        attrs.update(color=PATH_COLOUR, penwidth="4")
    return f"  {q(e.a)} -- {q(e.b)} {_attrs(attrs)};"


def _legend(topo: Topology, colours: dict[int, str]) -> list[str]:
    out = ['  subgraph "cluster_legend" {', '    id="legend"; label="legend"; style="dashed";',
           '    fontsize="10"; color="#94a3b8"; fontcolor="#0f172a";']
    for vid, colour in colours.items():
        out.append(f"    {q(f'legend:vlan:{vid}')} "
                   + _attrs({"id": f"legend:vlan:{vid}", "label": f"VLAN {vid}",
                             "shape": "box", "style": "filled", "fillcolor": colour,
                             "fontcolor": "white"}) + ";")
    if any(e.kind == "tunnel" for e in topo.edges):
        out.append(f"    {q('legend:tunnel')} "
                   + _attrs({"id": "legend:tunnel", "shape": "plaintext",
                             "label": "- - - tunnel (VNI)", "fontcolor": "#b45309"}) + ";")
    out.append("  }")
    return out


def to_dot(topo: Topology, path: TracePath | None = None) -> str:
    """The DOT document; with ``path``, the trace drawn over it and its verdict as label."""
    colours = vlan_colours(topo)
    order = {v: i for i, v in enumerate(path.vertices, 1)} if path is not None else {}
    on_path = set(path.edges) if path is not None else set()
    title = f"lab {topo.lab}"
    if path is not None:
        title += f"\nverdict: {path.verdict}"
    top = {"label": title, "labelloc": "t", "fontname": "Helvetica", "fontsize": "16",
           "rankdir": "LR", "id": "lab", "fontcolor": _title_colour(path)}
    out = [
        f"graph {q(topo.lab)} {{",
        f"  graph {_attrs(top)};",
        '  node [fontname="Helvetica", fontsize="10"];',
        '  edge [fontname="Helvetica", fontsize="9"];',
    ]
    for node, ids in topo.clusters.items():
        # fontcolor set here: a cluster inherits the title's (the verdict's colour)
        attrs = {"id": f"ns:{node}", "label": node, "style": "rounded",
                 "color": "#334155", "fontsize": "13", "fontcolor": "#0f172a"}
        if path is not None and node in path.clusters:
            attrs.update(color=PATH_COLOUR, penwidth="3")
        out.append(f"  subgraph {q('cluster_' + node)} {{")
        out.extend(f"    {k}={q(v)};" for k, v in attrs.items())
        if not ids:  # a namespace with no devices of its own still shows as a box
            out.append(f"    {q('empty:' + node)} [label=\"(lo only)\", shape=plaintext];")
        out.extend(_vertex(topo.vertices[i], colours, path, order) for i in ids)
        out.append("  }")
    out.extend(_edge(e, colours, e.id in on_path) for e in topo.edges)
    if colours or any(e.kind == "tunnel" for e in topo.edges):
        out.extend(_legend(topo, colours))
    out.append("}")
    return "\n".join(out) + "\n"


def _title_colour(path: TracePath | None) -> str:
    if path is None:
        return "black"
    return "#15803d" if path.delivered else "#b91c1c"
