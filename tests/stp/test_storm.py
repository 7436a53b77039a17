"""The storm guard: a loop without STP storms on virtual time, bounded and explained."""

from __future__ import annotations

import time
from ipaddress import IPv4Address

from stplab import LOOP, run

from vnetlab.model import load_lab
from vnetlab.sim.devices.bridge.storm import MAX_EVENTS, STORM_BUDGET
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.checks import run_checks


def test_the_storm_is_measured_then_stopped_and_the_run_ends() -> None:
    t0 = time.perf_counter()
    e = run(LOOP)
    e.advance(5)
    assert time.perf_counter() - t0 < 10  # never a hang (about 0.1 s here)
    storms = e.storms()
    assert set(storms) == {"incident:br1", "incident:br2", "incident:br3"}
    assert all(rate > 50_000 for rate in storms.values()), storms  # kernel: ~100k/s/port
    br1 = next(b for b in e.bridges() if b.where == "incident:br1")
    ev = br1.storm.events[0]
    assert dict(ev.port_rates)["a12"] > 50_000
    assert ev.flapped and all(n > 10 for _, n in ev.flapped)  # MACs moving port to port
    assert len(br1.storm.events) <= MAX_EVENTS
    # nothing left in flight
    e.advance(2)
    assert e.sched.pending() < 100


def test_ping_and_trace_say_broadcast_storm_with_the_loop() -> None:
    e = run(LOOP)
    r = e.ping("pod-a", IPv4Address("10.1.0.3"))
    line = next(x for x in r.errors if x.startswith("broadcast storm"))
    assert "loop incident:br1:a12 -> incident:br2:a23 -> incident:br3:a31 -> incident:br1" \
        in line
    assert "frames/s" in line and "FDB flapping" in line
    t = e.trace("pod-a", IPv4Address("10.1.0.3"))
    assert t.verdict().startswith("broadcast storm: loop incident:br1:a12")


def test_the_fixed_ring_is_quiet_and_the_example_passes() -> None:
    lab = load_lab(LOOP)
    e = SimEngine()
    e.realize(lab)
    report = run_checks(e, lab)
    assert [(r.subject, r.got) for r in report.results if r.status != "pass"] == []
    assert not any(k.startswith("fixed:") for k in e.storms())


def test_a_broadcast_burst_without_a_loop_never_trips() -> None:
    from vnetlab.model import load_lab_text
    from vnetlab.sim.netdev import Skb

    e = run(load_lab_text(
        "name: busy\nnodes:\n  h:\n    interfaces:\n      br0: {type: bridge}\n"
        "      p1: {master: br0}\n      p2: {master: br0}\n"
        "  a:\n    interfaces: {e: {addresses: [10.0.0.1/24]}}\n"
        "  b:\n    interfaces: {e: {addresses: [10.0.0.2/24]}}\n"
        "links:\n  - endpoints: [h:p1, a:e]\n  - endpoints: [h:p2, b:e]\n"))
    a = e.dev("a", "e")
    b = e.dev("b", "e")
    before = b.rx_packets
    for i in range(20 * STORM_BUDGET):  # far past the budget, within one virtual second
        a.xmit(Skb(b"\xff" * 6 + a.mac + b"\x88\xb5" + i.to_bytes(46, "big")))
    e.advance(0.5)
    assert b.rx_packets - before == 20 * STORM_BUDGET  # every one delivered
    assert e.storms() == {}
    assert e.ping("a", IPv4Address("10.0.0.2"), count=3).received == 3
