"""Render a trace tree as text (for people and golden tests) or as JSON (for scripts).

Design note
-----------
Both walks are iterative, with an explicit stack: a trace grows one level per packet the
probe causes or clone it makes, and a long path (a loop until TTL runs out, a chain of
tunnels) must not hit Python's recursion limit. The text form labels the final events
(``DROPPED``/``DELIVERED``) from their kind; the JSON form carries the kinds and drop
reasons themselves (schema: docs/trace-json.md).
"""

from __future__ import annotations

from typing import Any

from vnetlab.sim.trace import Event, EventKind, Trace, TraceNode

#: the word the text form puts before an event's sentence
_LABEL = {EventKind.DROP: "DROPPED ", EventKind.DELIVER: "DELIVERED "}

#: version of the JSON layout below; bumped when a field changes meaning or goes away
TRACE_JSON_SCHEMA = 1


def event_text(event: Event) -> str:
    """The event as the text form shows it after ``where:``."""
    return _LABEL.get(event.kind, "") + event.what


def _lines(root: TraceNode, out: list[str]) -> None:
    # each frame: (node, prefix of its children, index of the next child to print)
    stack: list[tuple[TraceNode, str, int]] = [(root, "", 0)]
    while stack:
        node, prefix, i = stack.pop()
        if i >= len(node.items):
            continue
        item = node.items[i]
        last = i == len(node.items) - 1
        stack.append((node, prefix, i + 1))
        branch = "└─ " if last else "├─ "
        if isinstance(item, Event):
            out.append(f"{prefix}{branch}{item.where}: {event_text(item)}")
        else:
            out.append(f"{prefix}{branch}{item.title}")
            stack.append((item, prefix + ("   " if last else "│  "), 0))


def render_trace(trace: Trace) -> str:
    out = [trace.root.title]
    _lines(trace.root, out)
    out.extend(f"note: {n}" for n in trace.notes)
    out.append(f"verdict: {trace.verdict()}")
    return "\n".join(out)


def event_json(event: Event) -> dict[str, Any]:
    return {
        "type": "event",
        "kind": event.kind.value,
        "where": event.where,
        "text": event.what,
        "reason": None if event.reason is None else event.reason.value,
    }


def _node_json(root: TraceNode) -> dict[str, Any]:
    def shell(node: TraceNode) -> dict[str, Any]:
        return {"type": "node", "title": node.title, "probe": node.probe, "items": []}

    top = shell(root)
    stack: list[tuple[TraceNode, list[Any]]] = [(root, top["items"])]
    while stack:
        node, items = stack.pop()
        for item in node.items:
            if isinstance(item, Event):
                items.append(event_json(item))
            else:
                child = shell(item)
                items.append(child)
                stack.append((item, child["items"]))
    return top


def trace_json(trace: Trace) -> dict[str, Any]:
    """The trace as plain JSON data; the layout is documented in docs/trace-json.md."""
    outcome = trace.verdict_outcome()
    event = trace.verdict_event()
    cause = trace.cause()
    return {
        "schema": TRACE_JSON_SCHEMA,
        "tree": _node_json(trace.root),
        "notes": list(trace.notes),
        "delivered": trace.delivered,
        "outcome": None if outcome is None else outcome.value,
        "truncated": trace.truncated,
        "verdict": trace.verdict(),
        "verdict_event": None if event is None else event_json(event),
        "cause": None if cause is None else event_json(cause),
    }
