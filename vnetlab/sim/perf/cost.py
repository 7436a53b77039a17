"""Per-device cost model: what a packet costs each device kind it crosses.

Design note
-----------
A device kind has three numbers (``costs.json``, format ``vnetlab-costs/1``, documented in
docs/cost-model.md; issue 17's ``vnetlab bench dataplane`` writes the same file):
``packet_ns`` (CPU time per skb), ``byte_ns`` (CPU time per byte of the frame) and
``latency_ns`` (one-way time the packet spends in it beyond its CPU cost: a wakeup, a
hardware hop). ``runs_on`` says whose time it is: ``cpu`` (the host runs it in softirq
context of the sending CPU, as veth_xmit -> netif_rx -> the bridge -> the peer's
__netif_receive_skb do) or ``nic`` (the NIC does it: DMA, the embedded switch; no host CPU,
bounded by the line rate instead). ``gso``: the kind carries GSO super-packets (64 KB of
TCP payload crosses it as one skb, so its per-packet cost is paid once per ~45 MSS-sized
frames for TCP); OVS's userspace datapath segments every packet, so it does not.

A path (the devices one traced packet crossed, in order) is cut into *segments*: maximal
runs of ``cpu`` devices, with the host stack's transmit half (socket, TCP/UDP, IP) added to
the first and its receive half to the last. Each segment runs on one CPU, so a stream's
rate is bounded by its slowest segment and by the slowest line rate on the path; the
one-way latency is the sum of every device's ``latency_ns`` plus the stack's. Only the
model: the emulator's devices keep their own (fixed) delays, the iperf app
(``vnetlab.sim.apps.iperf``) paces itself and pads latency with these numbers, so the
default per-frame path never pays for it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

#: the file format name (``"format"`` in costs.json)
FORMAT = "vnetlab-costs/1"
#: the parameter file shipped with vnetlab (measured on the machine its header names)
DEFAULT_PATH = Path(__file__).with_name("costs.json")
#: the environment variable naming another cost file (``vnetlab bench dataplane`` writes one)
ENV_VAR = "VNETLAB_COSTS"
#: TCP payload per GSO super-packet: the kernel's GSO_LEGACY_MAX_SIZE (65536) worth of MSS
GSO_MAX_SIZE = 65536
#: Ethernet's per-frame overhead on a wire: preamble + SFD (8) + FCS (4) + IFG (12)
WIRE_OVERHEAD = 24
#: the kind whose numbers are the host stack's own (socket + TCP/UDP + IP, both ends)
STACK = "stack"


class CostError(ValueError):
    """A costs.json that does not follow the format (names the file and the key)."""


@dataclass(frozen=True, slots=True)
class DeviceCost:
    kind: str
    packet_ns: float = 0.0
    byte_ns: float = 0.0
    latency_ns: float = 0.0
    runs_on: Literal["cpu", "nic"] = "cpu"
    gso: bool = True
    source: str = "stated"  # "measured" | "stated" | "derived"
    note: str = ""

    def cost_ns(self, frame_len: int, gso_segs: int = 1) -> float:
        """CPU (or NIC) time one frame of ``frame_len`` bytes costs in this device."""
        per_packet = self.packet_ns / gso_segs if self.gso else self.packet_ns
        return per_packet + self.byte_ns * frame_len


#: what a kind absent from the file costs: nothing (the app names it in its notes)
FREE = DeviceCost("unknown", source="none")


@dataclass(frozen=True, slots=True)
class Segment:
    """Consecutive devices one CPU (or the NIC) runs for a packet."""

    runs_on: Literal["cpu", "nic"]
    kinds: tuple[str, ...]
    costs: tuple[DeviceCost, ...]
    #: the host stack's share in this segment (tx half first, rx half last)
    stack_share: float = 0.0

    def cost_ns(self, model: CostModel, frame_len: int, gso_segs: int) -> float:
        total = sum(c.cost_ns(frame_len, gso_segs) for c in self.costs)
        if self.stack_share:
            stack = model.get(STACK)
            total += self.stack_share * stack.cost_ns(frame_len, gso_segs)
        return total


@dataclass(frozen=True, slots=True)
class PathModel:
    """The model's view of one path: its segments, latency and line-rate bound."""

    kinds: tuple[str, ...]
    segments: tuple[Segment, ...]
    latency_ns: float
    line_rate_bps: float | None  # the slowest wire on the path (None: no wire)
    gso: bool  # every cpu device passes GSO super-packets
    unknown: tuple[str, ...] = ()  # kinds the file has no numbers for (counted as free)

    def cpu_segments(self) -> list[Segment]:
        return [s for s in self.segments if s.runs_on == "cpu"]

    def segment_ns(self, model: CostModel, frame_len: int, tcp: bool, mss: int) -> list[float]:
        """Time per frame of each cpu segment, in path order."""
        segs = max(1, GSO_MAX_SIZE // max(1, mss)) if tcp and self.gso else 1
        return [s.cost_ns(model, frame_len, segs) for s in self.cpu_segments()]

    def host_cpu_ns(self, model: CostModel, frame_len: int, tcp: bool, mss: int) -> float:
        """Host CPU time per frame, all segments together (the CPU cost per byte)."""
        return sum(self.segment_ns(model, frame_len, tcp, mss))


@dataclass(frozen=True, slots=True)
class CostModel:
    kinds: dict[str, DeviceCost]
    header: dict[str, Any] = field(default_factory=dict)
    path: str = "<memory>"

    def get(self, kind: str) -> DeviceCost:
        return self.kinds.get(kind, FREE)

    def describe_source(self) -> str:
        m = self.header.get("machine", {})
        date = self.header.get("date", "?")
        where = m.get("cpu_model") or m.get("hostname") or "?"
        return f"{Path(self.path).name} ({date}, {where}, {m.get('cpus', '?')} CPUs)"

    def path_model(self, kinds: list[str], line_rates_bps: list[float]) -> PathModel:
        """Cut the devices a packet crossed (their kinds, in order) into segments."""
        segments: list[Segment] = []
        run: list[DeviceCost] = []
        run_kinds: list[str] = []
        nic: list[DeviceCost] = []
        nic_kinds: list[str] = []
        latency = self.get(STACK).latency_ns
        unknown: list[str] = []
        for k in kinds:
            c = self.get(k)
            if k not in self.kinds and k not in unknown:
                unknown.append(k)
            latency += c.latency_ns
            if c.runs_on == "nic":
                if run or not segments:
                    segments.append(Segment("cpu", tuple(run_kinds), tuple(run)))
                    run, run_kinds = [], []
                nic.append(c)
                nic_kinds.append(k)
            else:
                if nic:
                    segments.append(Segment("nic", tuple(nic_kinds), tuple(nic)))
                    nic, nic_kinds = [], []
                run.append(c)
                run_kinds.append(k)
        if nic:
            segments.append(Segment("nic", tuple(nic_kinds), tuple(nic)))
        segments.append(Segment("cpu", tuple(run_kinds), tuple(run)))
        # the host stack: its transmit half on the first cpu segment, its receive half on
        # the last (the same segment when no NIC is crossed: both halves on one CPU)
        first = 0
        last = len(segments) - 1
        if first == last:
            segments[0] = _with_share(segments[0], 1.0)
        else:
            segments[first] = _with_share(segments[first], 0.5)
            segments[last] = _with_share(segments[last], 0.5)
        gso = all(self.get(k).gso for k in kinds if self.get(k).runs_on == "cpu")
        rate = min(line_rates_bps) if line_rates_bps else None
        return PathModel(tuple(kinds), tuple(segments), latency, rate, gso, tuple(unknown))


def _with_share(seg: Segment, share: float) -> Segment:
    return Segment(seg.runs_on, seg.kinds, seg.costs, seg.stack_share + share)


def _num(path: str, kind: str, key: str, v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
        raise CostError(f"{path}: kinds.{kind}.{key} is {v!r}, not a number >= 0")
    return float(v)


def parse_costs(doc: object, path: str = "<memory>") -> CostModel:
    """A ``vnetlab-costs/1`` document -> ``CostModel`` (``CostError`` naming the key)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CostError(f"{path}: not a cost file (wants \"format\": \"{FORMAT}\")")
    kinds_doc = doc.get("kinds")
    if not isinstance(kinds_doc, dict):
        raise CostError(f"{path}: \"kinds\" must map a device kind to its costs")
    kinds: dict[str, DeviceCost] = {}
    for kind, v in kinds_doc.items():
        if not isinstance(v, dict):
            raise CostError(f"{path}: kinds.{kind} must be an object")
        runs_on = v.get("runs_on", "cpu")
        if runs_on not in ("cpu", "nic"):
            raise CostError(f"{path}: kinds.{kind}.runs_on is {runs_on!r}: cpu or nic")
        kinds[kind] = DeviceCost(
            kind,
            packet_ns=_num(path, kind, "packet_ns", v.get("packet_ns", 0)),
            byte_ns=_num(path, kind, "byte_ns", v.get("byte_ns", 0)),
            latency_ns=_num(path, kind, "latency_ns", v.get("latency_ns", 0)),
            runs_on=runs_on,
            gso=bool(v.get("gso", True)),
            source=str(v.get("source", "stated")),
            note=str(v.get("note", "")),
        )
    header = {k: v for k, v in doc.items() if k != "kinds"}
    return CostModel(kinds, header, path)


def load_costs(path: Path | None = None) -> CostModel:
    p = path or DEFAULT_PATH
    try:
        doc = json.loads(p.read_text())
    except (OSError, ValueError) as e:
        raise CostError(f"{p}: cannot read the cost file: {e}") from None
    return parse_costs(doc, str(p))


_DEFAULT: dict[Path, CostModel] = {}


def default_costs() -> CostModel:
    """The cost file ``VNETLAB_COSTS`` names, else the shipped costs.json; each read once."""
    env = os.environ.get(ENV_VAR)
    p = Path(env) if env else DEFAULT_PATH
    if p not in _DEFAULT:
        _DEFAULT[p] = load_costs(p)
    return _DEFAULT[p]
