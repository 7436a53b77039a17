"""Trace nodes of a translation and their text (ofproto/ofproto-dpif-trace.c).

Design note
-----------
``OfTraceNode`` is ``struct oftrace_node``: a type (``oftrace_node_type``), a text and sub
nodes. Translation appends nodes to the list it is currently writing into; a table node
becomes the list for what happens inside that table, so a resubmit chain nests. The
printer is ``oftrace_node_print_details``: a node is indented one step further when it has
a next sibling or is a terminal kind, which is why a chain of resubmits reads flat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OFT_BRIDGE = "bridge"
OFT_TABLE = "table"
OFT_BUCKET = "bucket"
OFT_THAW = "thaw"
OFT_ACTION = "action"
OFT_DETAIL = "detail"
OFT_WARN = "warn"
OFT_ERROR = "error"

_TERMINAL = frozenset({OFT_ACTION, OFT_DETAIL, OFT_WARN, OFT_ERROR, OFT_BUCKET})


@dataclass(slots=True)
class OfTraceNode:
    type: str
    text: str
    subs: list[OfTraceNode] = field(default_factory=list)


def print_details(nodes: list[OfTraceNode], level: int = 0) -> str:
    """``oftrace_node_print_details``."""
    out: list[str] = []
    _print(out, nodes, level)
    return "".join(out)


def _print(out: list[str], nodes: list[OfTraceNode], level: int) -> None:
    for i, sub in enumerate(nodes):
        if sub.type == OFT_BRIDGE:
            out.append("\n")
        more = 1 if (i + 1 < len(nodes) or sub.type in _TERMINAL) else 0
        pad = " " * ((level + more) * 4)
        if sub.type == OFT_DETAIL:
            out.append(f"{pad} -> {sub.text}\n")
        elif sub.type == OFT_WARN:
            out.append(f"{pad} >> {sub.text}\n")
        elif sub.type == OFT_ERROR:
            out.append(f"{pad} >>>> {sub.text} <<<<\n")
        elif sub.type == OFT_BRIDGE:
            out.append(f"{pad}{sub.text}\n{pad}{'-' * len(sub.text)}\n")
        else:
            out.append(f"{pad}{sub.text}\n")
        _print(out, sub.subs, level + more + more)


def walk(nodes: list[OfTraceNode]) -> list[OfTraceNode]:
    """Every node, depth first (for callers that flatten the tree)."""
    result: list[OfTraceNode] = []
    for n in nodes:
        result.append(n)
        result.extend(walk(n.subs))
    return result
