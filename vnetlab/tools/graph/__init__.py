"""Topology diagrams: a lab as a graph (``topology``), written as Graphviz DOT (``dot``)
or Mermaid (``mermaid``), laid out to SVG/PNG by the distribution's ``dot`` (``render``),
with a trace's path drawn over it (``path``). ``vnetlab graph`` and the web view use it."""

from __future__ import annotations

from vnetlab.tools.graph.dot import to_dot
from vnetlab.tools.graph.mermaid import to_mermaid
from vnetlab.tools.graph.path import TracePath, trace_path
from vnetlab.tools.graph.render import FORMATS, run_dot
from vnetlab.tools.graph.topology import Edge, Topology, Vertex, build_topology

__all__ = ["FORMATS", "Edge", "Topology", "TracePath", "Vertex", "build_topology",
           "run_dot", "to_dot", "to_mermaid", "trace_path"]
