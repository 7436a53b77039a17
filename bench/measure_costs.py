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
from vnetlab.sim.perf.cost import DEFAULT_PATH, FORMAT, GSO_MAX_SIZE  # noqa: E402

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
            "note": "a physical port: DMA, no host CPU; the wire's line rate is the PF's "
                    "speed; ~1 us through MAC/PHY (datasheet order of magnitude)"},
    "vf": {"runs_on": "nic", "packet_ns": 0, "byte_ns": 0, "latency_ns": 2500,
           "source": "stated",
           "note": "a VF: descriptors DMA'd from/to its ring, switched by the VEB in the "
                   "NIC; 2 x 2.5 us (PCIe round trip + VEB hairpin) ~ the seed's ~5 us "
                   "VM-to-VM; line rate = the PF's speed"},
}


def kinds_of(lab_doc: dict[str, Any], dst: str) -> list[str]:
    """The device kinds the emulator's iperf app traces on this lab's path."""
    lab = load_lab_text(yaml.safe_dump(lab_doc))
    with vnetlab.realize(lab) as net:
        r = net.engine.iperf("a", IPv4Address(dst), time_s=0.01)  # type: ignore[attr-defined]
    if r.errors:
        raise SystemExit(f"{lab.name}: the emulator cannot run iperf: {r.errors[0]}")
    return list(r.json["modelled"]["path"])


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
    t_tcp = FRAME_TCP * 8 / m["tcp_bps"] * 1e9
    t_64 = 1e9 / m["udp64_pps"]
    b = max(0.0, (t_tcp - t_64 / g) / (FRAME_TCP - FRAME_64 / g))
    p = max(0.0, t_64 - FRAME_64 * b)
    return p, b


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time", type=float, default=2.0, help="seconds per iperf3 run")
    ap.add_argument("--out", type=Path, default=DEFAULT_PATH)
    ap.add_argument("--only", nargs="*", help="lab names (default: all)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("measure_costs: needs root (the linux engine builds namespaces)")
    kinds: dict[str, dict[str, Any]] = {}
    measured: dict[str, Any] = {}
    for name, new, dst, doc in LABS:
        if args.only and name not in args.only:
            continue
        lab_doc = {"name": f"mc-{name}-{os.getpid() % 10000}", **doc}
        path = kinds_of(lab_doc, dst)
        try:
            m = measure(lab_doc, dst, args.time)
        except EngineError as e:
            print(f"{name:8s} skipped: {str(e).splitlines()[0]}", flush=True)
            measured[name] = {"skipped": str(e).splitlines()[0]}
            continue
        gso = not any(k in NO_GSO for k in path) and new not in NO_GSO
        p, b = solve(m, gso)
        lat = m["rtt_us"] * 1000 / 2
        m.update({"path": path, "path_packet_ns": p, "path_byte_ns": b,
                  "path_latency_ns": lat})
        measured[name] = m
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
        if clamped:
            entry["note"] = (f"{', '.join(clamped)} came out below the kinds measured "
                             "before it (noise on a shared machine): clamped to 0")
        if new == "openvswitch":
            entry["note"] = ("ovs-vswitchd's userspace (netdev) datapath: no openvswitch "
                             "kernel module here. " + entry.get("note", ""))
        kinds[new] = entry
        print(f"{name:8s} tcp {m['tcp_bps'] / 1e9:6.2f} Gb/s  udp64 "
              f"{m['udp64_pps'] / 1e3:7.1f} kpps  udp1400 {m['udp1400_pps'] / 1e3:7.1f} kpps"
              f"  rtt {m['rtt_us']:6.1f} us  path {' -> '.join(path)}", flush=True)
    for k, v in STATED.items():
        kinds.setdefault(k, v)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%MZ")
    doc_out = {
        "format": FORMAT, "date": now, "machine": machine(), "tool": "bench/measure_costs.py",
        "method": "TCP bulk + UDP 64-byte rates per path (two message sizes), ping rtt/2; "
                  "each lab adds one kind (docs/cost-model.md)",
        "kinds": kinds, "measured": measured}
    args.out.write_text(json.dumps(doc_out, indent=2) + "\n")
    print(f"wrote {args.out}")
    base = measured.get("veth", {}).get("tcp_bps")
    for name, m in measured.items():
        if base and "tcp_bps" in m:
            print(f"ratio: {name} tcp {m['tcp_bps'] / base:.2f} of veth")


if __name__ == "__main__":
    main()
