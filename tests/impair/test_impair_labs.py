"""Impaired labs in the emulator: the examples pass, the same seed gives the same pcaps,
qdiscs act on every dev_queue_xmit path (IPv4 output, bridge forwarding, 802.1Q), and a
trace shows what netem did."""

from __future__ import annotations

from pathlib import Path

import pytest

from vnetlab.api import make_engine
from vnetlab.model import load_lab, load_lab_text
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.trace import DropReason, Event, EventKind, Trace, TraceNode
from vnetlab.tools.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [ROOT / "examples" / "impaired-wan.yaml", ROOT / "examples" / "impaired-vpn.yaml"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_impaired_examples_pass(path: Path) -> None:
    lab = load_lab(path)
    eng = make_engine("sim")
    try:
        eng.realize(lab)
        report = run_checks(eng, lab)
    finally:
        eng.teardown()
    assert report.ok, [(r.subject, r.expected, r.got, r.detail) for r in report.results
                       if r.status == "fail"]
    assert report.seed == lab.seed


def _capture(text: str, tmp: Path, tag: str) -> bytes:
    lab = load_lab_text(text)
    eng = make_engine("sim")
    try:
        eng.realize(lab)
        run_checks(eng, lab, capture_dir=tmp / tag, capture=["b:eth0"])
    finally:
        eng.teardown()
    return (tmp / tag / "b-eth0.pcap").read_bytes()


LAB = """\
name: det
seed: {seed}
nodes:
  a:
    interfaces: {{eth0: {{addresses: [10.0.0.1/24]}}}}
    tc: ["qdisc add dev eth0 root netem delay 10ms 4ms loss 10% duplicate 5% corrupt 2%"]
  b:
    interfaces: {{eth0: {{addresses: [10.0.0.2/24]}}}}
links:
  - endpoints: [a:eth0, b:eth0]
checks:
  - {{ping: a -> 10.0.0.2, count: 200, interval: 5ms, min_loss: 1}}
"""


def test_same_seed_identical_pcaps_other_seed_other_pcaps(tmp_path: Path) -> None:
    one = _capture(LAB.format(seed=7), tmp_path, "one")
    two = _capture(LAB.format(seed=7), tmp_path, "two")
    other = _capture(LAB.format(seed=8), tmp_path, "three")
    assert len(one) > 10_000
    assert one == two
    assert one != other


BRIDGED = """\
name: seam
nodes:
  h:
    interfaces:
      br0: {type: bridge}
      p1: {master: br0}
      p2: {master: br0}
      v10: {type: vlan, link: up0, id: 10, addresses: [10.10.0.1/24]}
      up0: {}
    tc:
      - qdisc add dev p2 root netem delay 30ms
      - qdisc add dev up0 root netem delay 20ms
  a:
    interfaces: {eth0: {addresses: [10.0.0.1/24]}}
  b:
    interfaces: {eth0: {addresses: [10.0.0.2/24]}}
  c:
    interfaces:
      eth0: {}
      v10: {type: vlan, link: eth0, id: 10, addresses: [10.10.0.2/24]}
links:
  - endpoints: [h:p1, a:eth0]
  - endpoints: [h:p2, b:eth0]
  - endpoints: [h:up0, c:eth0]
"""


def test_qdiscs_act_on_bridge_forwarding_and_on_a_vlans_real_device() -> None:
    lab = load_lab_text(BRIDGED)
    eng = SimEngine()
    eng.realize(lab)
    from ipaddress import IPv4Address

    # a -> b: the bridge forwards out of p2 (30 ms there), b answers directly
    r = eng.ping("a", IPv4Address("10.0.0.2"), count=5)
    assert r.received == 5 and min(r.rtts_ns) >= 30_000_000
    # h's vlan v10 sends through up0's qdisc (vlan_dev_hard_start_xmit -> dev_queue_xmit)
    r = eng.ping("h", IPv4Address("10.10.0.2"), count=5)
    assert r.received == 5 and min(r.rtts_ns) >= 20_000_000
    q = eng.dev("h", "up0").qdisc
    assert q is not None and q.packets >= 5


def _events(t: Trace) -> list[Event]:
    out: list[Event] = []
    todo: list[TraceNode] = [t.root]
    while todo:
        node = todo.pop()
        for item in node.items:
            if isinstance(item, TraceNode):
                todo.append(item)
            else:
                out.append(item)
    return out


def test_a_trace_shows_netems_decisions() -> None:
    lab = load_lab_text(LAB.format(seed=7).replace("loss 10%", "loss 100%"))
    eng = SimEngine()
    eng.realize(lab)
    from ipaddress import IPv4Address

    t = eng.trace("a", IPv4Address("10.0.0.2"))
    drops = [e for e in _events(t) if e.reason is DropReason.NETEM_LOSS]
    assert drops and drops[0].where == "a:eth0"
    # the probe waits for ARP; netem lost the ARP request: the verdict names it
    assert "an ARP packet was dropped at a:eth0: netem 8001: lost (netem loss)" in t.verdict()
    ok = load_lab_text(LAB.format(seed=7).replace("loss 10% duplicate 5% corrupt 2%", ""))
    eng2 = SimEngine()
    eng2.realize(ok)
    t2 = eng2.trace("a", IPv4Address("10.0.0.2"))
    assert any(e.kind is EventKind.QDISC and "netem: delayed" in e.what for e in _events(t2))
    assert t2.verdict().startswith("delivered")
