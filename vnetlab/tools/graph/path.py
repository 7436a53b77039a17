"""A trace's path on the topology: which devices and edges the probe crossed, in order.

Design note
-----------
Input is the trace as ``trace_json`` shapes it (``vnetlab trace --json``), so the CLI's
``graph --trace`` and the web view read one form. Only the probe's lineage counts (the
traced packet and its flood copies, ``probe: true``); the ARP exchanges and ICMP errors it
caused are context, not its path. Each event's ``where`` is ``NODE:IFNAME`` (a vertex) or
``NODE`` (the namespace's own stack: the cluster); a ``where`` naming a device the model
does not draw (an OVS datapath port such as ``vxlan_sys_4789``) falls back to its node.

Between two devices one after the other on a branch, the edges are the shortest path in
the topology (at most ``MAX_GAP`` edges): a veth hop event is followed by the bridge that
received the frame, and the bridge port in between is on the path too. Flood copies start
again from where their branch began, so a copy does not draw a line back from where the
previous copy ended.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from vnetlab.tools.graph.topology import Edge, Topology

#: the longest chain of edges filled in between two consecutive devices of the trace
MAX_GAP = 3


@dataclass(slots=True)
class Step:
    where: str
    text: str
    kind: str
    element: str  # a vertex id, or "ns:NODE" for the namespace's stack
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"where": self.where, "text": self.text, "kind": self.kind,
                "element": self.element, "reason": self.reason}


@dataclass(slots=True)
class TracePath:
    steps: list[Step] = field(default_factory=list)
    vertices: list[str] = field(default_factory=list)  # in order of first visit
    clusters: list[str] = field(default_factory=list)  # nodes whose stack took a decision
    edges: list[str] = field(default_factory=list)  # edge ids, in order of first use
    verdict: str = ""
    delivered: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"steps": [s.to_json() for s in self.steps], "vertices": self.vertices,
                "clusters": self.clusters, "edges": self.edges, "verdict": self.verdict,
                "delivered": self.delivered}


def _shortest(adj: dict[str, list[tuple[str, Edge]]], a: str, b: str) -> list[Edge]:
    """Breadth-first: the edges of a shortest path a -> b, or [] beyond MAX_GAP."""
    prev: dict[str, tuple[str, Edge] | None] = {a: None}
    todo: deque[tuple[str, int]] = deque([(a, 0)])
    while todo:
        v, d = todo.popleft()
        if v == b:
            out: list[Edge] = []
            cur = prev[v]
            while cur is not None:
                out.append(cur[1])
                cur = prev[cur[0]]
            return out[::-1]
        if d >= MAX_GAP:
            continue
        for w, e in adj.get(v, ()):
            if w not in prev:
                prev[w] = (v, e)
                todo.append((w, d + 1))
    return []


def _element(topo: Topology, where: str) -> str:
    if where in topo.vertices:
        return where
    node = where.partition(":")[0]
    return f"ns:{node}"


def trace_path(topo: Topology, trace: dict[str, Any]) -> TracePath:
    """The path of ``trace`` (a ``trace_json`` dict) over ``topo``."""
    adj = topo.neighbours()
    out = TracePath(verdict=str(trace.get("verdict", "")),
                    delivered=bool(trace.get("delivered", False)))
    seen_v: set[str] = set()
    seen_e: set[str] = set()
    seen_c: set[str] = set()
    # explicit stack of (tree node, index of next item, last vertex on this branch)
    stack: list[tuple[dict[str, Any], int, str | None]] = [(trace["tree"], 0, None)]
    while stack:
        node, i, last = stack.pop()
        items = node["items"]
        if i >= len(items):
            continue
        item = items[i]
        if item["type"] == "node":
            stack.append((node, i + 1, last))
            if item.get("probe"):
                stack.append((item, 0, last))
            continue
        el = _element(topo, item["where"])
        out.steps.append(Step(item["where"], item["text"], item["kind"], el, item.get("reason")))
        if el.startswith("ns:"):
            if el[3:] not in seen_c:
                seen_c.add(el[3:])
                out.clusters.append(el[3:])
            stack.append((node, i + 1, last))
            continue
        if last is not None and last != el:
            for e in _shortest(adj, last, el):
                if e.id not in seen_e:
                    seen_e.add(e.id)
                    out.edges.append(e.id)
                for v in (e.a, e.b):
                    if v not in seen_v:
                        seen_v.add(v)
                        out.vertices.append(v)
        if el not in seen_v:
            seen_v.add(el)
            out.vertices.append(el)
        stack.append((node, i + 1, el))
    return out
