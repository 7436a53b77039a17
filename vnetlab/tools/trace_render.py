"""Render a trace tree as text (for people and golden tests) or as JSON (for scripts)."""

from __future__ import annotations

from typing import Any

from vnetlab.sim.trace import Event, Trace, TraceNode


def _lines(node: TraceNode, prefix: str, out: list[str]) -> None:
    n = len(node.items)
    for i, item in enumerate(node.items):
        last = i == n - 1
        branch = "└─ " if last else "├─ "
        if isinstance(item, Event):
            out.append(f"{prefix}{branch}{item.where}: {item.what}")
        else:
            out.append(f"{prefix}{branch}{item.title}")
            _lines(item, prefix + ("   " if last else "│  "), out)


def render_trace(trace: Trace) -> str:
    out = [trace.root.title]
    _lines(trace.root, "", out)
    out.extend(f"note: {n}" for n in trace.notes)
    out.append(f"verdict: {trace.verdict()}")
    return "\n".join(out)


def _node_json(node: TraceNode) -> dict[str, Any]:
    items: list[Any] = []
    for item in node.items:
        if isinstance(item, Event):
            items.append({"where": item.where, "what": item.what})
        else:
            items.append(_node_json(item))
    return {"title": node.title, "items": items}


def trace_json(trace: Trace) -> dict[str, Any]:
    return {
        "tree": _node_json(trace.root),
        "notes": list(trace.notes),
        "delivered": trace.delivered,
        "verdict": trace.verdict(),
    }
