"""The ``counter`` check and the ``inject`` step on the real kernel, against the emulator.

The kernel is the oracle: the same raw frames sent by a packet socket on one veth end
move the same stats64 counters of both ends by the same amounts on both engines.
"""

from __future__ import annotations

import os

import pytest

from vnetlab.engine import EngineError
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.model import LabSpec, load_lab_text
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.checks import inject_frame, run_checks

pytestmark = pytest.mark.kernel

COUNT = 5


def _lab() -> LabSpec:
    return load_lab_text(f"""
name: ctr{os.getpid() % 100000}
nodes:
  a:
    interfaces:
      eth0: {{addresses: [10.77.0.1/24]}}
  b:
    interfaces:
      eth0: {{addresses: [10.77.0.2/24]}}
links:
  - endpoints: [a:eth0, b:eth0]
checks:
  - inject: a:eth0
    dst: b:eth0
    count: {COUNT}
    size: 100
  - counter: b:eth0
    name: rx_packets
    at_least: {COUNT}
  - counter: a:eth0
    name: tx_packets
    at_least: {COUNT}
  # no stack handles ethertype 0x88B5: __netif_receive_skb_core counts each in rx_dropped
  - counter: b:eth0
    name: rx_dropped
    at_least: {COUNT}
""")


NAMES = (("a", "tx_packets"), ("a", "tx_bytes"), ("b", "rx_packets"), ("b", "rx_bytes"),
         ("b", "rx_dropped"))


def _deltas(engine: SimEngine | LinuxEngine, lab: LabSpec) -> dict[tuple[str, str], int]:
    before = {k: engine.counter(k[0], "eth0", k[1]) for k in NAMES}
    engine.inject("a", "eth0", inject_frame(lab, lab.checks[0]), COUNT, 0.0)  # type: ignore[arg-type]
    return {k: engine.counter(k[0], "eth0", k[1]) - before[k] for k in NAMES}


def test_inject_moves_the_same_counters_on_both_engines() -> None:
    lab = _lab()
    sim = SimEngine()
    sim.realize(lab)
    sim_deltas = _deltas(sim, lab)
    linux = LinuxEngine()
    try:
        linux.realize(lab)
        linux_deltas = _deltas(linux, lab)
        # an ethtool -S name the veth driver has (the emulator's veth has none)
        assert linux.counter("a", "eth0", "peer_ifindex") > 0
        with pytest.raises(EngineError, match="has no counter 'no_such_counter'"):
            linux.counter("a", "eth0", "no_such_counter")
        report = run_checks(linux, lab)
    finally:
        linux.teardown()
    assert linux_deltas == sim_deltas
    assert sim_deltas[("b", "rx_packets")] == COUNT
    assert sim_deltas[("b", "rx_bytes")] == COUNT * 100
    assert sim_deltas[("b", "rx_dropped")] == COUNT
    assert [r.status for r in report.results] == ["pass"] * 4, report.results
    with pytest.raises(EngineError, match="has no counter 'no_such_counter'"):
        sim.counter("a", "eth0", "no_such_counter")
