"""Every example lab passes its checks in the emulator; wrong checks fail, exactly them."""

from __future__ import annotations

from pathlib import Path

import pytest
from simlab import EXAMPLES, EXERCISE1, lab_of

from vnetlab.model import load_lab
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.checks import run_checks

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def test_there_are_examples() -> None:
    assert len(EXAMPLE_FILES) >= 2


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_passes_all_checks(path: Path) -> None:
    lab = load_lab(path)
    engine = SimEngine()
    engine.realize(lab)
    report = run_checks(engine, lab)
    bad = [(r.index, r.kind, r.subject, r.expected, r.got, r.detail) for r in report.results
           if r.status != "pass"]
    assert bad == []
    assert report.ok
    assert len(report.results) == len(lab.checks) > 0


WRONG_CHECKS = """
  - {ping: ns1 -> 10.0.0.2, count: 3}
  # 1: wrong, it is reachable
  - {ping: ns1 -> 10.0.0.2, expect: unreachable}
  # 2: right
  - {ping: ns1 -> 10.0.0.99, expect: unreachable}
  # 3: wrong port
  - {fdb: host:br0, mac: ns1:eth0, port: veth2}
  # 4: right
  - {fdb: host:br0, mac: ns2:eth0, port: veth2}
  # 5: wrong, the broadcast ARP request was flooded to veth3
  - frames: host:veth3
    match: {proto: arp, op: request, src: ns1:eth0, dst: broadcast}
    expect: unseen
  # 6: right
  - frames: host:veth3
    match: {proto: icmp}
    expect: unseen
  # 7: wrong verdict
  - {trace: ns1 -> 10.0.0.2, verdict: "delivered to ns3:eth0"}
  # 8: right
  - {trace: ns1 -> 10.0.0.2, verdict: "delivered to ns2:eth0"}
  # 9: wrong: ns3 never spoke, so it is absent
  - {fdb: host:br0, mac: ns3:eth0}
"""


def test_wrong_checks_fail_exactly() -> None:
    text = EXERCISE1.read_text()
    head = text[: text.index("checks:")]
    lab = lab_of(head + "checks:" + WRONG_CHECKS)
    engine = SimEngine()
    engine.realize(lab)
    report = run_checks(engine, lab)
    assert not report.ok
    status = {r.index: r.status for r in report.results}
    assert sorted(i for i, s in status.items() if s == "fail") == [1, 3, 5, 7, 9]
    assert sorted(i for i, s in status.items() if s == "pass") == [0, 2, 4, 6, 8]
    by = {r.index: r for r in report.results}
    assert by[1].got == "reachable"
    assert by[3].got.endswith("on veth1")
    assert by[5].got.startswith("seen (")
    assert by[7].got == "delivered to ns2:eth0 (10.0.0.2)"
    assert report.counts == {"pass": 5, "fail": 5, "skip": 0}


RIGHT_CHECKS = """
  - {ping: ns1 -> 10.0.0.2, count: 3}
  - {ping: ns1 -> 10.0.0.99, expect: unreachable}
  - {fdb: host:br0, mac: ns2:eth0, port: veth2}
  - frames: host:veth3
    match: {proto: icmp}
    expect: unseen
  - {trace: ns1 -> 10.0.0.2, verdict: "delivered to ns2:eth0"}
"""


def test_all_right_checks_make_report_ok() -> None:
    text = EXERCISE1.read_text()
    lab = lab_of(text[: text.index("checks:")] + "checks:" + RIGHT_CHECKS)
    engine = SimEngine()
    engine.realize(lab)
    report = run_checks(engine, lab)
    assert report.ok and report.counts == {"pass": 5, "fail": 0, "skip": 0}
