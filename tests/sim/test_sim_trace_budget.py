"""A trace through an L2 loop without STP stays bounded: the tree stops growing at its
budget and the verdict says why (issue 10 item 4; the storm guard itself is the STP issue's)."""

from __future__ import annotations

from ipaddress import IPv4Address

from simlab import realize

from vnetlab.sim.trace import Trace, TraceNode
from vnetlab.tools.trace_render import render_trace, trace_json

LOOP = """
name: loop
nodes:
  h:
    interfaces:
      br0: {type: bridge, addresses: [10.0.0.1/24]}
      p1: {master: br0}
      p2: {master: br0}
links:
  - endpoints: [h:p1, h:p2]
"""


def _events(t: Trace) -> int:
    n, stack = 0, [t.root]
    while stack:
        node = stack.pop()
        for item in node.items:
            n += 1
            if isinstance(item, TraceNode):
                stack.append(item)
    return n


def test_a_looping_broadcast_is_cut_at_the_budget_with_a_verdict_that_says_so() -> None:
    engine, _ = realize(LOOP)
    t = engine.trace("h", IPv4Address("10.0.0.9"), max_events=500)
    assert _events(t) <= 500
    # issue 12: the storm guard stops the copies; the verdict names the storm and the loop
    assert t.verdict().startswith("broadcast storm: loop br0:p1 -> br0 (no STP)"), t.verdict()
    assert "broadcast storm" in render_trace(t)


def test_a_large_trace_cut_at_its_budget_still_gets_its_verdict() -> None:
    engine, _ = realize(LOOP.replace("      p2: {master: br0}\n", "      p2: {}\n")
                        .replace("[10.0.0.1/24]}", "[10.0.0.1/24]}\n      br1: {type: bridge,"
                                 " addresses: [10.0.1.1/24]}"))
    t = engine.trace("h", IPv4Address("10.0.1.1"), max_events=1)
    assert t.truncated and t.delivered and t.verdict().startswith("delivered to h")


def test_an_ordinary_trace_is_not_truncated() -> None:
    engine, _ = realize(LOOP.replace("      p2: {master: br0}\n", "      p2: {}\n"))
    t = engine.trace("h", IPv4Address("10.0.0.9"))
    assert not t.truncated and trace_json(t)["truncated"] is False
