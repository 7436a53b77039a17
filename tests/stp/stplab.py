"""Shared helpers for the STP tests: the triangle of the issue, built on the emulator."""

from __future__ import annotations

from pathlib import Path

from vnetlab.model import load_lab, load_lab_text
from vnetlab.model.spec import LabSpec
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.engine import SimEngine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TRIANGLE = EXAMPLES / "stp-triangle.yaml"
LOOP = EXAMPLES / "failure-bridge-loop.yaml"
S = 1_000_000_000


def triangle(extra: str = "", **bridge_opts: str) -> LabSpec:
    """The triangle example, with ``extra`` YAML appended to a bridge's flow mapping:
    ``triangle(br2="priority: 4096")``."""
    text = TRIANGLE.read_text()
    for br, opts in bridge_opts.items():
        mac = {"br1": "01", "br2": "02", "br3": "03"}[br]
        old = f'{br}: {{type: bridge, stp: true, mac: "02:00:00:00:00:{mac}"}}'
        assert old in text
        text = text.replace(old, old[:-1] + f", {opts}}}")
    text = text.split("\nchecks:")[0] + "\n" + extra
    return load_lab_text(text)


def run(lab: LabSpec | Path, log: bool = True) -> SimEngine:
    spec = load_lab(lab) if isinstance(lab, Path) else lab
    e = SimEngine()
    e.realize(spec)
    if log:
        for br in e.bridges():
            br.stp_log = []
    return e


def bridge(e: SimEngine, name: str, node: str = "sw") -> BridgeDevice:
    d = e.dev(node, name)
    assert isinstance(d, BridgeDevice)
    return d


def states(e: SimEngine, node: str = "sw") -> dict[str, str]:
    return {p.name: p.state_name for br in e.bridges() if br.ns.name == node
            for p in br.port_list}
