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
    # the STP timelines here count from the moment the lab is up; IPv6's settle (DAD, MLD:
    # about 2 s of virtual time) would move that moment, and its multicast would storm
    spec = spec.model_copy(update={"ipv6": False})
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


RING4 = """
name: ring4
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  sw:
    interfaces:
      br1: {type: bridge, stp: true, mac: "02:00:00:00:00:01"}
      br2: {type: bridge, stp: true, mac: "02:00:00:00:00:02"}
      br3: {type: bridge, stp: true, mac: "02:00:00:00:00:03"}
      br4: {type: bridge, stp: true, mac: "02:00:00:00:00:04"}
      a12: {master: br1, mac: "02:00:00:00:01:12"}
      a14: {master: br1, mac: "02:00:00:00:01:14"}
      a21: {master: br2, mac: "02:00:00:00:01:21"}
      a23: {master: br2, mac: "02:00:00:00:01:23"}
      a32: {master: br3, mac: "02:00:00:00:01:32"}
      a34: {master: br3, mac: "02:00:00:00:01:34"}
      a43: {master: br4, mac: "02:00:00:00:01:43"}
      a41: {master: br4, mac: "02:00:00:00:01:41"}
links:
  - endpoints: [sw:a12, sw:a21]
  - endpoints: [sw:a23, sw:a32]
  - endpoints: [sw:a34, sw:a43]
  - endpoints: [sw:a41, sw:a14]
checks:
  - {stp: sw:br3, port: a34, state: blocking, at: 6s}
  - {stp: sw:br1, root: true, at: 33s}
  - {stp: sw:br3, root_port: a32}
  - {stp: sw:br3, port: a32, state: forwarding}
  - {stp: sw:br4, port: a43, state: forwarding}
  - {stp: sw:br3, port: a34, state: blocking}
  - {link: sw:a12, set: down, at: 41s}
  - {stp: sw:br3, port: a34, state: blocking, at: 50s}
  - {stp: sw:br3, port: a34, state: listening, at: 66s}
  - {stp: sw:br3, port: a34, state: learning, at: 81s}
  - {stp: sw:br3, port: a34, state: forwarding, at: 96s}
  - {stp: sw:br3, root_port: a34}
  - {stp: sw:br2, root_port: a23}
"""
