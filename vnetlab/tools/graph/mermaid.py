"""A ``Topology`` as Mermaid flowchart text (for Markdown that renders Mermaid).

Design note
-----------
The same graph as the DOT writer, in Mermaid's words: a ``subgraph`` per lab node, one
node per device, ``---`` for veth links and ports, ``-.-`` for tunnels and stacked devices,
``linkStyle`` colours for VLANs and for a trace's path. Mermaid ids must be plain words,
so each device gets ``d1``, ``d2``... in drawing order, and its ``NODE:IFNAME`` goes into a
``%%`` comment line beside it, which keeps the text diffable and lets tests map back.
"""

from __future__ import annotations

from vnetlab.tools.graph.dot import PATH_COLOUR, vertex_label, vlan_colours
from vnetlab.tools.graph.path import TracePath
from vnetlab.tools.graph.topology import Topology

_ARROW = {"tunnel": "-.-", "lower": "-.-", "patch": "-.-"}


def _text(s: str) -> str:
    """Mermaid label text: quotes and angle brackets as entity codes, lines as <br/>."""
    s = s.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return s.replace("\n", "<br/>")


def to_mermaid(topo: Topology, path: TracePath | None = None) -> str:
    ids = {v: f"d{i}" for i, v in enumerate(topo.vertices, 1)}
    colours = vlan_colours(topo)
    out = ["flowchart LR"]
    if path is not None:
        out.append(f"  %% verdict: {path.verdict}")
    for n, (node, members) in enumerate(topo.clusters.items(), 1):
        out.append(f'  subgraph ns{n}["{_text(node)}"]')
        for vid in members:
            v = topo.vertices[vid]
            out.append(f"    %% {vid}")
            out.append(f'    {ids[vid]}["{_text(vertex_label(v))}"]')
        out.append("  end")
    styles: list[str] = []
    on_path = set(path.edges) if path is not None else set()
    for i, e in enumerate(topo.edges):
        arrow = _ARROW.get(e.kind, "---")
        label = f'|"{_text(e.label)}"|' if e.label else ""
        out.append(f"  {ids[e.a]} {arrow}{label} {ids[e.b]}")
        if e.id in on_path:
            styles.append(f"  linkStyle {i} stroke:{PATH_COLOUR},stroke-width:4px")
        elif e.vlans:
            styles.append(f"  linkStyle {i} stroke:{colours[e.vlans[0]]},stroke-width:2px")
    out.extend(styles)
    for vid, v in topo.vertices.items():
        if v.vlans:
            out.append(f"  style {ids[vid]} stroke:{colours[v.vlans[0]]},stroke-width:2px")
    if path is not None:
        out.extend(f"  style {ids[v]} stroke:{PATH_COLOUR},stroke-width:3px"
                   for v in path.vertices if v in ids)
    if colours:  # the VLAN legend, as in the DOT drawing
        out.append('  subgraph legend["legend"]')
        out.extend(f'    vlan{vid}["VLAN {vid}"]' for vid in colours)
        out.append("  end")
        out.extend(f"  style vlan{vid} fill:{c},color:#fff" for vid, c in colours.items())
    return "\n".join(out) + "\n"
