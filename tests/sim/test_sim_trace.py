"""Trace trees and verdicts (vnetlab/sim/trace.py, tools/trace_render.py)."""

from __future__ import annotations

import os
from ipaddress import IPv4Address

from simlab import EXERCISE1, GOLDEN, realize

from vnetlab.model import load_lab
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.trace_render import render_trace

GOLDEN_EX1 = GOLDEN / "exercise1_trace.txt"


def fresh_exercise1() -> SimEngine:
    engine = SimEngine()
    engine.realize(load_lab(EXERCISE1))
    return engine


def test_exercise1_trace_matches_golden() -> None:
    text = render_trace(fresh_exercise1().trace("ns1", IPv4Address("10.0.0.2"))) + "\n"
    if os.environ.get("VNETLAB_UPDATE_GOLDEN"):
        GOLDEN_EX1.write_text(text)
    assert text == GOLDEN_EX1.read_text()


ROUTED = """
name: tr
nodes:
  a:
    interfaces: {eth0: {addresses: [10.0.1.2/24]}}
    routes: [{dst: default, via: 10.0.1.1}]
  r:
    sysctls: {net.ipv4.ip_forward: %d}
    interfaces:
      eth1: {addresses: [10.0.1.1/24]}
      eth2: {addresses: [10.0.2.1/24]}
  b:
    interfaces: {eth0: {addresses: [10.0.2.2/24]}}
    routes: [{dst: default, via: 10.0.2.1}]
links:
  - endpoints: [a:eth0, r:eth1]
  - endpoints: [r:eth2, b:eth0]
"""


def test_verdict_delivered() -> None:
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("a", IPv4Address("10.0.2.2"))
    assert t.delivered
    assert t.verdict() == "delivered to b:eth0 (10.0.2.2)"
    assert t.notes[0].startswith("echo reply received after")


def test_verdict_no_route() -> None:
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("a", IPv4Address("198.51.100.7"))
    assert not t.delivered
    assert t.verdict() == (
        "dropped at r: no route to 198.51.100.7: ICMP net unreachable to 10.0.1.2"
    )
    assert "From 10.0.1.1 icmp_seq=1 Destination Net Unreachable" in t.notes


def test_verdict_local_no_route() -> None:
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("r", IPv4Address("198.51.100.7"))
    assert t.verdict() == "dropped at r: no route to 198.51.100.7 (Network is unreachable)"


def test_verdict_ip_forward_off() -> None:
    engine, _ = realize(ROUTED % 0)
    t = engine.trace("a", IPv4Address("10.0.2.2"))
    assert t.verdict() == (
        "dropped at r: 10.0.2.2 is not a local address and IP forwarding is off "
        "(net.ipv4.ip_forward=0)"
    )
    assert t.notes == ["no echo reply came back"]


def test_verdict_arp_failure_names_the_neighbour() -> None:
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("a", IPv4Address("10.0.1.99"))
    assert t.verdict() == "dropped at a: no ARP reply for 10.0.1.99 on eth0 (neighbour FAILED)"


def test_verdict_arp_failure_of_a_gateway() -> None:
    # the failing neighbour is the next hop, not the destination
    lab = (ROUTED % 1).replace("via: 10.0.1.1}]", "via: 10.0.1.254}]", 1)
    engine, _ = realize(lab)
    t = engine.trace("a", IPv4Address("10.0.2.2"))
    assert t.verdict() == "dropped at a: no ARP reply for 10.0.1.254 on eth0 (neighbour FAILED)"


def test_arp_failure_verdict_once_the_neighbour_has_failed() -> None:
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("a", IPv4Address("10.0.1.99"))
    engine.advance(5)  # the trace tree stays attached to the queued packet
    assert t.verdict() == "dropped at a: no ARP reply for 10.0.1.99 on eth0 (neighbour FAILED)"
    text = render_trace(t)
    assert "a: neigh 10.0.1.99 dev eth0: no ARP reply after 3 requests -> FAILED" in text
    assert text.count("ARP request who-has 10.0.1.99 tell 10.0.1.2") == 3


def test_tracing_changes_nothing_observable() -> None:
    plain = fresh_exercise1()
    traced = fresh_exercise1()
    r = plain.ping("ns1", IPv4Address("10.0.0.2"))
    t = traced.trace("ns1", IPv4Address("10.0.0.2"))
    assert r.received == 1 and t.delivered
    assert plain.sched.now == traced.sched.now
    assert plain.observe() == traced.observe()
    # and later traffic and timers run the same way too
    plain.advance(40)
    traced.advance(40)
    assert plain.observe() == traced.observe()
