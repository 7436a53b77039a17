"""The one writer of ``vnetlab-costs/1`` files (docs/cost-model.md): measured paths ->
per-device-kind costs for the emulator's cost model.

Design note
-----------
Both ``vnetlab bench dataplane`` and ``bench/measure_costs.py`` write their costs through
here; the reader is the emulator's ``vnetlab.sim.perf.cost.parse_costs`` (this package
may not import the emulator: the layering keeps kernel and sim apart, so the format
name is spelled here too and a test holds the two together, and the round trip
writer -> reader is tested).

Two message sizes, two unknowns per path: a frame of ``L`` bytes costs
``t = P/g + B * L`` with ``g`` the GSO segments per skb (65536 // MSS for TCP on a GSO
path, 1 for UDP and for a path that segments in userspace), so from the TCP bulk rate
(one MSS-sized frame of 1514 bytes per 1448 payload bytes) and the 64-byte UDP
receiver rate (frames of 106 bytes): ``B = (t_tcp - t_64/g) / (1514 - 106/g)`` and
``P = t_64 - 106 * B`` (clamped at 0). Latency: half the median ping round trip (the
median: on a shared machine a few scheduling outliers of milliseconds would dominate a
mean). The
paths are taken in the bench's order (``paths.PATHS``): lo gives the host ``stack``,
and each later path adds one kind to those known, so that kind's numbers are the
path's minus the known kinds' (as often as the emulator's trace crosses them), divided
by how often the new kind occurs; a negative difference (noise on a shared machine)
is clamped to 0 and says so in the kind's ``note``. Kinds nothing measured here (SR-IOV)
are ``stated`` with the reasoning in their notes.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from vnetlab.kernel.bench.host import machine_info, utc_now
from vnetlab.kernel.bench.paths import BY_NAME, PATHS, STATED_COSTS, BenchPath

#: the format name; equal to ``vnetlab.sim.perf.cost.FORMAT`` (tested)
FORMAT = "vnetlab-costs/1"
MSS = 1448
FRAME_TCP = 1514
FRAME_64 = 14 + 20 + 8 + 64
GSO_MAX_SIZE = 65536
METHOD = ("TCP bulk + UDP 64-byte rates per path (two message sizes), ping rtt/2; "
          "each lab adds one kind (docs/cost-model.md)")

#: costs stated, not measured (no SR-IOV NIC here): ``paths.yaml``, docs/cost-model.md
STATED = STATED_COSTS


def solve(m: dict[str, Any], gso: bool) -> tuple[float, float]:
    """(packet_ns, byte_ns) of the whole path from its TCP and 64-byte UDP rates."""
    g = GSO_MAX_SIZE // MSS if gso else 1
    t_tcp = MSS * 8 / m["tcp_bps"] * 1e9  # iperf3's rate counts payload: one MSS a frame
    t_64 = 1e9 / m["udp64_pps"]
    b = max(0.0, (t_tcp - t_64 / g) / (FRAME_TCP - FRAME_64 / g))
    p = max(0.0, t_64 - FRAME_64 * b)
    return p, b


def path_gso(m: dict[str, Any], p: BenchPath | None = None) -> bool:
    """Whether the measured path carried GSO super-packets: as the measurement says, else
    as the path's table says (stored results from before the field)."""
    if "gso" in m:
        return bool(m["gso"])
    return not (p is not None and p.no_gso)


def derive(name: str, new: str, m: dict[str, Any], kinds: dict[str, dict[str, Any]],
           note: str = "", gso: bool = True) -> dict[str, Any]:
    """The new kind's entry: the path's numbers minus the kinds known before it (``m``
    gains the whole path's ``path_packet_ns``/``path_byte_ns``/``path_latency_ns``)."""
    path: list[str] = list(m["path"])
    p, b = solve(m, gso)
    lat = m["rtt_us"] * 1000 / 2
    m.update({"path_packet_ns": p, "path_byte_ns": b, "path_latency_ns": lat})
    known = Counter(k for k in path if k != new)
    count = max(1, path.count(new)) if new != "stack" else 1
    rest_p = rest_b = rest_l = 0.0
    if new != "stack":
        if "stack" not in kinds:
            raise ValueError("the lo path (the host stack) must be measured first")
        stack = kinds["stack"]
        rest_p, rest_b, rest_l = stack["packet_ns"], stack["byte_ns"], stack["latency_ns"]
    for k, c in known.items():
        if k in kinds:
            rest_p += c * kinds[k]["packet_ns"]
            rest_b += c * kinds[k]["byte_ns"]
            rest_l += c * kinds[k]["latency_ns"]
    dp, db, dl = ((p - rest_p) / count, (b - rest_b) / count, (lat - rest_l) / count)
    clamped = [n for n, v in (("packet_ns", dp), ("byte_ns", db), ("latency_ns", dl))
               if v < 0]
    entry: dict[str, Any] = {
        "packet_ns": round(max(0.0, dp), 1), "byte_ns": round(max(0.0, db), 4),
        "latency_ns": round(max(0.0, dl)), "runs_on": "cpu", "gso": gso,
        "source": "measured", "lab": name}
    notes = [note] if note else []
    if clamped:
        notes.append(f"{', '.join(clamped)} came out below the kinds measured before it "
                     "(noise on a shared machine): clamped to 0")
    if notes:
        entry["note"] = " ".join(notes)
    return entry


#: bench figure -> the costs file's ``measured`` key (the medians; ``_spread`` = [min, max])
_MEASURED_KEYS = {"tcp_bps": "tcp_bps", "tcp_retransmits": "tcp_retransmits",
                  "udp64_pps": "udp64_pps", "udp64_lost_percent": "udp64_lost_percent",
                  "udp1400_pps": "udp1400_pps", "ping_p50_us": "rtt_us",
                  "tcp_parallel_bps": "tcp_parallel_bps", "rr_p50_us": "rr_p50_us",
                  "rr_p99_us": "rr_p99_us", "cpu_s_per_gb": "cpu_s_per_gb"}


def measured_from_bench(bench: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A ``vnetlab-bench-dataplane/1`` document -> the costs file's ``measured`` section
    (skipped and failed paths keep their reason)."""
    out: dict[str, dict[str, Any]] = {}
    for name, r in bench.get("paths", {}).items():
        if r.get("status") != "measured":
            out[name] = {r.get("status", "skipped"): r.get("reason", "")}
            continue
        m: dict[str, Any] = {}
        for fig, key in _MEASURED_KEYS.items():
            f = r.get("figures", {}).get(fig)
            if f is None:
                continue
            m[key] = f["median"]
            if f.get("n", 1) > 1:
                m[f"{key}_spread"] = [f["min"], f["max"]]
        m["runs"] = len(r.get("runs", []))
        m["path"] = list(r.get("cost_path", BY_NAME[name].cost_path if name in BY_NAME
                                else ()))
        m["gso"] = bool(r.get("gso", True))
        out[name] = m
    return out


def _note(p: BenchPath, gso: bool) -> str:
    if p.cost_note_userspace and not gso:
        return p.cost_note_userspace
    return p.cost_note


def costs_document(measured: dict[str, dict[str, Any]], *, tool: str,
                   header: dict[str, Any] | None = None) -> dict[str, Any]:
    """Derive every kind the measurements allow, in the bench's path order, and wrap
    them in a ``vnetlab-costs/1`` document (``header``: date, machine, repeat ... —
    default: now and this machine)."""
    kinds: dict[str, dict[str, Any]] = {}
    for p in PATHS:
        m = measured.get(p.name)
        if not m or "tcp_bps" not in m or "udp64_pps" not in m or "rtt_us" not in m:
            continue
        if p.cost_kind != "stack" and "stack" not in kinds:
            continue  # nothing to subtract from: the lo path was not measured
        m.setdefault("path", list(p.cost_path))
        gso = path_gso(m, p)
        kinds[p.cost_kind] = derive(p.name, p.cost_kind, m, kinds, _note(p, gso), gso)
    for k, v in STATED.items():
        kinds.setdefault(k, v)
    head = header if header is not None else {"date": utc_now(), "machine": machine_info()}
    return {"format": FORMAT, **head, "tool": tool, "method": METHOD, "kinds": kinds,
            "measured": measured}


def write_costs(doc: dict[str, Any], path: Path) -> None:
    """Write the document (refusing one that is not ``vnetlab-costs/1``)."""
    if doc.get("format") != FORMAT or not isinstance(doc.get("kinds"), dict):
        raise ValueError(f"not a {FORMAT} document")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
