"""Measure the cost model's parameters on this machine's kernel and write costs.json.

For each lab of ``bench/cost_labs.py`` (lo, veth, veth+bridge, VXLAN, MACVLAN, OVS with
its userspace datapath here) the linux engine builds it in namespaces of its own, and the
real iperf3 runs in them (``LinuxEngine.iperf``: one-off server, stopped by pid):

* TCP, one stream, ``-t T``: bulk rate -> time per MSS-sized frame ``t_tcp``;
* UDP ``-l 64 -b 0``: the receiver's packet rate -> time per small packet ``t_64``;
* UDP ``-l 1400 -b 0``: kept as a check of the model (predicted vs measured);
* ping (5 x, 0.2 s apart): the round trip -> one-way latency = rtt / 2.

Two message sizes, two unknowns per path: ``t = P/g + B * frame`` with ``g`` the GSO
segments per skb (65536 // MSS for TCP on GSO paths, 1 for UDP and for OVS userspace),
so ``B = (t_tcp - t_64/g) / (1514 - 106/g)`` and ``P = t_64 - 106 * B`` (106 = the frame
of a 64-byte UDP payload). The labs are run in the emulator as well, and the iperf app's
own path tracing says which device kinds each path crosses (``veth`` once per pair, the
bridge once ...); each lab adds one kind to those measured before it, so that kind's
numbers are the path's minus the known ones, divided by how often it occurs (a negative
difference, i.e. noise, is clamped to 0 and flagged). The lo lab gives the host stack.

Runs as root; a few seconds per measurement (``--time``), about a minute in all. Writes
``vnetlab/sim/perf/costs.json`` (or ``--out``) and prints a table and ``ratio:`` lines
(each path's measured TCP rate over veth's, measured in the same run).

    sudo .venv/bin/python bench/measure_costs.py [--time 2] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from collections import Counter
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cost_labs import LABS  # noqa: E402

import vnetlab  # noqa: E402
from vnetlab.engine import EngineError, IperfResult  # noqa: E402
from vnetlab.model.load import load_lab_text  # noqa: E402
from vnetlab.sim.apps.iperf import Iperf  # noqa: E402
from vnetlab.sim.engine import SimEngine  # noqa: E402
from vnetlab.sim.perf.cost import (  # noqa: E402
    DEFAULT_PATH,
    FORMAT,
    GSO_MAX_SIZE,
    CostModel,
    parse_costs,
)

MSS = 1448
FRAME_TCP = 1514
FRAME_64 = 14 + 20 + 8 + 64
FRAME_1400 = 14 + 20 + 8 + 1400
NO_GSO = {"openvswitch"}  # OVS's userspace datapath segments every packet
#: costs stated, not measured (no SR-IOV NIC here): see docs/cost-model.md
STATED: dict[str, dict[str, Any]] = {
    "loopback": {"source": "stated", "note": "lo: folded into the stack's numbers"},
    "dummy": {"source": "stated", "note": "a lower device that never transmits here"},
    "nic": {"runs_on": "nic", "packet_ns": 0, "byte_ns": 0, "latency_ns": 1000,
            "source": "stated",
            "note": "the physical function's embedded switch (VEB) and MAC: switching in "
                    "the NIC, no host CPU; ~1 us (order of magnitude of NIC datasheets); "
                    "line rate = the port's speed"},
    "vf": {"runs_on": "nic", "packet_ns": 0, "byte_ns": 0, "latency_ns": 2000,
           "source": "stated",
           "note": "a VF: the frame DMA'd over PCIe from the sender's tx ring to the NIC, "
                   "or from the NIC into the receiver's rx ring (~2 us each way incl. the "
                   "interrupt/NAPI poll); VF -> VEB -> VF = 2 + 1 + 2 = 5 us, the seed's "
                   "~5 us; line rate = the PF's speed"},
}


def kinds_of(lab_doc: dict[str, Any], dst: str) -> list[str]:
    """The device kinds the emulator's iperf app traces on this lab's path."""
    lab = load_lab_text(yaml.safe_dump(lab_doc))
    with vnetlab.realize(lab) as net:
        r = net.engine.iperf("a", IPv4Address(dst), time_s=0.01)
    if r.errors:
        raise SystemExit(f"{lab.name}: the emulator cannot run iperf: {r.errors[0]}")
    return list(r.json["modelled"]["path"])


def measure_median(lab_doc: dict[str, Any], dst: str, secs: float,
                   repeat: int) -> dict[str, Any]:
    """``measure`` ``repeat`` times: the median of each figure, and its spread."""
    runs = [measure(lab_doc, dst, secs) for _ in range(repeat)]
    out: dict[str, Any] = {}
    for key in runs[0]:
        vals = sorted(r[key] for r in runs)
        out[key] = statistics.median(vals)
        if repeat > 1:
            out[f"{key}_spread"] = [vals[0], vals[-1]]
    out["runs"] = repeat
    return out


def measure(lab_doc: dict[str, Any], dst: str, secs: float) -> dict[str, float]:
    lab = load_lab_text(yaml.safe_dump(lab_doc))
    d = IPv4Address(dst)
    out: dict[str, float] = {}
    with vnetlab.realize(lab, "linux") as net:
        eng: Any = net.engine
        tcp: IperfResult = eng.iperf("a", d, time_s=secs)
        u64: IperfResult = eng.iperf("a", d, udp=True, bitrate=0, length=64, time_s=secs)
        u1400: IperfResult = eng.iperf("a", d, udp=True, bitrate=0, length=1400,
                                       time_s=secs)
        for r in (tcp, u64, u1400):
            if r.errors:
                raise EngineError(f"{lab.name}: {r.errors[0]}")
        ping = net.ping("a", str(d), count=5)
        out["tcp_bps"] = tcp.bits_per_second
        out["tcp_retransmits"] = tcp.retransmits
        out["udp64_pps"] = (u64.packets - u64.lost_packets) / u64.seconds
        out["udp64_lost_percent"] = u64.lost_percent
        out["udp1400_pps"] = (u1400.packets - u1400.lost_packets) / u1400.seconds
        out["rtt_us"] = (sum(ping.rtts_ns) / len(ping.rtts_ns) / 1000) if ping.rtts_ns else 0
    return out


def solve(m: dict[str, float], gso: bool) -> tuple[float, float]:
    """(packet_ns, byte_ns) of the whole path from the TCP and 64-byte UDP rates."""
    g = GSO_MAX_SIZE // MSS if gso else 1
    t_tcp = MSS * 8 / m["tcp_bps"] * 1e9  # iperf3's rate counts payload: one MSS a frame
    t_64 = 1e9 / m["udp64_pps"]
    b = max(0.0, (t_tcp - t_64 / g) / (FRAME_TCP - FRAME_64 / g))
    p = max(0.0, t_64 - FRAME_64 * b)
    return p, b


def modelled(model: CostModel, lab_doc: dict[str, Any], dst: str) -> dict[str, float]:
    """What the emulator's iperf app makes of the lab with ``model``."""
    lab = load_lab_text(yaml.safe_dump(lab_doc))
    out: dict[str, float] = {}
    with vnetlab.realize(lab) as net:
        eng = net.engine
        assert isinstance(eng, SimEngine)
        d = IPv4Address(dst)
        server = next(ns for ns in eng.namespaces.values() if int(d) in ns.local_ips)
        for key, kw in (("tcp_bps", {}), ("udp64_pps", {"udp": True, "bitrate": 0,
                                                         "length": 64})):
            r = Iperf(eng.ns("a"), server, d, eng.namespaces, costs=model, time_s=1.0,
                      sport=41000 + len(out), **kw).run()  # type: ignore[arg-type]
            out[key] = r.bits_per_second if key == "tcp_bps" else r.packets - r.lost_packets
        out["rtt_us"] = 2 * r.json["modelled"]["one_way_latency_ns"] / 1000  # type: ignore[index]
    return out


def validate(model: CostModel, measured: dict[str, Any],
             only: list[str] | None) -> dict[str, Any]:
    """Model vs measurement per lab (where the decomposition clamped, they differ)."""
    out: dict[str, Any] = {}
    print(f"{'path':8s} {'TCP measured':>13s} {'modelled':>9s}   {'UDP64 measured':>15s} "
          f"{'modelled':>9s}   {'rtt measured':>12s} {'modelled':>9s}")
    for name, _new, dst, doc in LABS:
        m = measured.get(name)
        if (only and name not in only) or not m or "tcp_bps" not in m:
            continue
        got = modelled(model, {"name": f"mv-{name}", **doc}, dst)
        out[name] = {"measured": {k: m[k] for k in got}, "modelled": got}
        print(f"{name:8s} {m['tcp_bps'] / 1e9:8.2f} Gb/s {got['tcp_bps'] / 1e9:9.2f}   "
              f"{m['udp64_pps'] / 1e3:10.1f} kpps {got['udp64_pps'] / 1e3:9.1f}   "
              f"{m['rtt_us']:9.1f} us {got['rtt_us']:9.1f}")
    return out


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ver = subprocess.run(["iperf3", "--version"], capture_output=True, text=True,
                         check=False).stdout.splitlines()
    return {"hostname": platform.node(), "kernel": platform.release(),
            "cpus": os.cpu_count(), "cpu_model": cpu,
            "iperf3": ver[0] if ver else "?",
            "load_avg": os.getloadavg()[0]}


def derive(name: str, new: str, m: dict[str, Any],
           kinds: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The new kind's entry: the path's numbers minus the kinds known before it."""
    path: list[str] = m["path"]
    gso = not any(k in NO_GSO for k in path) and new not in NO_GSO
    p, b = solve(m, gso)
    lat = m["rtt_us"] * 1000 / 2
    m.update({"path_packet_ns": p, "path_byte_ns": b, "path_latency_ns": lat})
    known = Counter(k for k in path if k != new)
    count = max(1, path.count(new)) if new != "stack" else 1
    rest_p = rest_b = rest_l = 0.0
    if new != "stack":
        if "stack" not in kinds:
            raise SystemExit("the lo lab (the host stack) must be measured first")
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
        "latency_ns": round(max(0.0, dl)), "runs_on": "cpu", "gso": new not in NO_GSO,
        "source": "measured", "lab": name}
    notes = []
    if new == "openvswitch":
        notes.append("ovs-vswitchd's userspace (netdev) datapath: no openvswitch kernel "
                     "module here.")
    if clamped:
        notes.append(f"{', '.join(clamped)} came out below the kinds measured before it "
                     "(noise on a shared machine): clamped to 0")
    if notes:
        entry["note"] = " ".join(notes)
    return entry


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time", type=float, default=2.0, help="seconds per iperf3 run")
    ap.add_argument("--out", type=Path, default=DEFAULT_PATH)
    ap.add_argument("--only", nargs="*", help="lab names (default: all)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per lab (median kept)")
    ap.add_argument("--from-json", type=Path, default=None,
                    help="derive again from the measurements stored in this cost file "
                    "(no root, nothing run on the kernel)")
    args = ap.parse_args()
    old: dict[str, Any] | None = None
    if args.from_json is not None:
        old = json.loads(args.from_json.read_text())
    elif os.geteuid() != 0:
        raise SystemExit("measure_costs: needs root (the linux engine builds namespaces)")
    kinds: dict[str, dict[str, Any]] = {}
    measured: dict[str, Any] = {}
    for name, new, dst, doc in LABS:
        if args.only and name not in args.only:
            continue
        lab_doc = {"name": f"mc-{name}-{os.getpid() % 10000}", **doc}
        if old is not None:
            m = old["measured"].get(name)
            if not m or "tcp_bps" not in m:
                continue
        else:
            path = kinds_of(lab_doc, dst)
            try:
                m = measure_median(lab_doc, dst, args.time, args.repeat)
            except EngineError as e:
                print(f"{name:8s} skipped: {str(e).splitlines()[0]}", flush=True)
                measured[name] = {"skipped": str(e).splitlines()[0]}
                continue
            m["path"] = path
        measured[name] = m
        kinds[new] = derive(name, new, m, kinds)
        print(f"{name:8s} tcp {m['tcp_bps'] / 1e9:6.2f} Gb/s  udp64 "
              f"{m['udp64_pps'] / 1e3:7.1f} kpps  udp1400 {m['udp1400_pps'] / 1e3:7.1f} kpps"
              f"  rtt {m['rtt_us']:6.1f} us  path {' -> '.join(m['path'])}", flush=True)
    for k, v in STATED.items():
        kinds.setdefault(k, v)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%MZ")
    header: dict[str, Any] = {"date": now, "machine": machine(),
                              "repeat": args.repeat, "seconds_per_run": args.time}
    if old is not None:  # the measurements' own provenance
        header = {k: old[k] for k in header if k in old}
        header["derived"] = f"{now}, again from the stored measurements (--from-json)"
    doc_out = {
        "format": FORMAT, **header, "tool": "bench/measure_costs.py",
        "method": "TCP bulk + UDP 64-byte rates per path (two message sizes), ping rtt/2; "
                  "each lab adds one kind (docs/cost-model.md)",
        "kinds": kinds, "measured": measured}
    model = parse_costs(doc_out, str(args.out))
    doc_out["validation"] = validate(model, measured, args.only)
    args.out.write_text(json.dumps(doc_out, indent=2) + "\n")
    print(f"wrote {args.out}")
    base = measured.get("veth", {}).get("tcp_bps")
    for name, m in measured.items():
        if base and "tcp_bps" in m:
            print(f"ratio: {name} tcp {m['tcp_bps'] / base:.2f} of veth")


if __name__ == "__main__":
    main()
