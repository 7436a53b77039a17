"""Trace tree: every device reports its decision about a traced packet.

Design note
-----------
Like OVS ``ofproto/trace``, a trace is a tree: a packet's decisions are appended in order
to the node it carries (``skb.trace``), and whenever it is cloned (a flood) or causes a new
packet (an ARP request while resolving, an ICMP error, an echo reply) the new packet gets a
child node. Devices write ``if skb.trace is not None: skb.trace.add(...)`` so tracing costs
one attribute test when it is off.

The root ``Trace`` collects the outcomes of the *probe* lineage (the traced packet and its
flood copies): the first local delivery is the verdict; failing that, the first drop that is
not just a flood copy discarded by a host it was not addressed to.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Event:
    where: str  # "host:br0", "a", "a:eth0"
    what: str


class TraceNode:
    __slots__ = ("title", "items", "trace", "probe")

    def __init__(self, title: str, trace: Trace, probe: bool) -> None:
        self.title = title
        self.items: list[Event | TraceNode] = []
        self.trace = trace
        self.probe = probe  # part of the traced packet's own lineage

    def add(self, where: str, what: str) -> None:
        self.items.append(Event(where, what))

    def branch(self, title: str, *, probe: bool | None = None) -> TraceNode:
        """A child for a clone (probe lineage kept) or a new packet (probe=False)."""
        child = TraceNode(title, self.trace, self.probe if probe is None else probe)
        self.items.append(child)
        return child

    def deliver(self, where: str, what: str) -> None:
        self.add(where, f"DELIVERED {what}")
        if self.probe:
            self.trace.outcomes.append(("delivered", where, what))

    def drop(self, where: str, reason: str, *, copy: bool = False) -> None:
        """``copy``: a flood copy a host discards because it was not addressed to it."""
        self.add(where, f"DROPPED {reason}")
        if self.probe:
            self.trace.outcomes.append(("copy-dropped" if copy else "dropped", where, reason))
        elif not copy:
            self.trace.side_drops.append((where, reason))


class Trace:
    """The root of one traced packet's tree and its verdict."""

    def __init__(self, title: str) -> None:
        self.outcomes: list[tuple[str, str, str]] = []
        #: drops of packets the probe caused (ARP, replies): the cause behind some verdicts
        self.side_drops: list[tuple[str, str]] = []
        self.root = TraceNode(title, self, True)
        self.notes: list[str] = []

    @property
    def delivered(self) -> bool:
        return any(kind == "delivered" for kind, _, _ in self.outcomes)

    def verdict(self) -> str:
        for kind, where, what in self.outcomes:
            if kind == "delivered":
                return f"delivered to {where} ({what})"
        for kind, where, what in self.outcomes:
            if kind == "dropped":
                verdict = f"dropped at {where}: {what}"
                if "neighbour FAILED" in what and self.side_drops:
                    w, r = self.side_drops[0]
                    verdict += f" — an ARP packet was dropped at {w}: {r}"
                return verdict
        for kind, where, what in self.outcomes:
            if kind == "copy-dropped":
                return f"dropped at {where}: {what}"
        return "lost: no device delivered or dropped the packet (still in flight?)"
