"""Measure the cost model's parameters on this machine's kernel and write costs.json.

The paths of ``vnetlab bench dataplane`` (``vnetlab.kernel.bench.paths``: lo, veth,
veth+bridge, VXLAN, Geneve, MACVLAN, IPVLAN, OVS, TAP + a userspace forwarder; those this
kernel lacks are skipped with the reason) are built and measured by the same runner
(``vnetlab.kernel.bench.runner``: iperf3 TCP, UDP ``-l 64 -b 0``, here also UDP
``-l 1400`` as a check of the model, ping ...), and the costs file is written by the one
writer of the format (``vnetlab.kernel.bench.costs``: two message sizes, two unknowns per
path, each lab adding one kind; docs/cost-model.md). This script adds what needs the
emulator: the validation (the emulator's iperf app with the new file on the same labs,
``"validation"`` in the file) and the ``ratio:`` lines (each path's TCP rate over veth's,
same run).

    sudo .venv/bin/python bench/measure_costs.py [--time 2] [--repeat 3] [--out FILE]
    .venv/bin/python bench/measure_costs.py --from-json FILE   # derive again, no root
"""

from __future__ import annotations

import argparse
import json
import os
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import yaml

import vnetlab
from vnetlab.kernel.bench import costs, paths, runner
from vnetlab.kernel.bench.host import machine_info, utc_now
from vnetlab.model.load import load_lab_text
from vnetlab.sim.apps.iperf import Iperf
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.perf.cost import DEFAULT_PATH, CostModel, parse_costs


def modelled(model: CostModel, p: paths.BenchPath) -> dict[str, float]:
    """What the emulator's iperf app makes of the path's lab with ``model``."""
    lab = load_lab_text(yaml.safe_dump({"name": f"mv-{p.name}", **p.lab}))
    out: dict[str, float] = {}
    with vnetlab.realize(lab) as net:
        eng = net.engine
        assert isinstance(eng, SimEngine)
        d = IPv4Address(p.dst)
        server = next(ns for ns in eng.namespaces.values() if int(d) in ns.local_ips)
        for key, kw in (("tcp_bps", {}), ("udp64_pps", {"udp": True, "bitrate": 0,
                                                         "length": 64})):
            r = Iperf(eng.ns(p.client), server, d, eng.namespaces, costs=model,
                      time_s=1.0, sport=41000 + len(out), **kw).run()  # type: ignore[arg-type]
            out[key] = r.bits_per_second if key == "tcp_bps" else r.packets - r.lost_packets
        out["rtt_us"] = 2 * r.json["modelled"]["one_way_latency_ns"] / 1000  # type: ignore[index]
    return out


def validate(model: CostModel, measured: dict[str, Any]) -> dict[str, Any]:
    """Model vs measurement per path (where the decomposition clamped, they differ)."""
    out: dict[str, Any] = {}
    print(f"{'path':8s} {'TCP measured':>13s} {'modelled':>9s}   {'UDP64 measured':>15s} "
          f"{'modelled':>9s}   {'rtt measured':>12s} {'modelled':>9s}")
    for p in paths.PATHS:
        m = measured.get(p.name)
        if not m or "tcp_bps" not in m:
            continue
        got = modelled(model, p)
        out[p.name] = {"measured": {k: m[k] for k in got}, "modelled": got}
        print(f"{p.name:8s} {m['tcp_bps'] / 1e9:8.2f} Gb/s {got['tcp_bps'] / 1e9:9.2f}   "
              f"{m['udp64_pps'] / 1e3:10.1f} kpps {got['udp64_pps'] / 1e3:9.1f}   "
              f"{m['rtt_us']:9.1f} us {got['rtt_us']:9.1f}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time", type=float, default=2.0, help="seconds per iperf3 run")
    ap.add_argument("--out", type=Path, default=DEFAULT_PATH)
    ap.add_argument("--only", nargs="*", help="path names (default: all; lo is the base)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per path (median kept)")
    ap.add_argument("--from-json", type=Path, default=None,
                    help="derive again from the measurements stored in this cost file "
                    "(no root, nothing run on the kernel)")
    args = ap.parse_args()
    if args.from_json is not None:
        old = json.loads(args.from_json.read_text())
        measured = old["measured"]
        header: dict[str, Any] = {k: old[k] for k in ("date", "machine", "repeat",
                                                      "seconds_per_run") if k in old}
        header["derived"] = f"{utc_now()}, again from the stored measurements (--from-json)"
    else:
        if os.geteuid() != 0:
            raise SystemExit("measure_costs: needs root (the linux engine builds namespaces)")
        chosen = paths.select(args.only, quick=False)
        settings = runner.Settings(repeat=args.repeat, seconds=args.time, udp_extra=(1400,))

        def step(name: str, what: str) -> None:
            print(f"  {name}: {what}", flush=True)

        bench = runner.run_bench(chosen, settings, step).to_json()
        measured = costs.measured_from_bench(bench)
        header = {"date": bench["date"], "machine": machine_info(), "repeat": args.repeat,
                  "seconds_per_run": args.time}
    doc = costs.costs_document(measured, tool="bench/measure_costs.py", header=header)
    for name, m in measured.items():
        if "tcp_bps" in m:
            print(f"{name:8s} tcp {m['tcp_bps'] / 1e9:6.2f} Gb/s  udp64 "
                  f"{m['udp64_pps'] / 1e3:7.1f} kpps  udp1400 "
                  f"{m.get('udp1400_pps', 0) / 1e3:7.1f} kpps  rtt {m['rtt_us']:6.1f} us  "
                  f"path {' -> '.join(m['path'])}", flush=True)
        else:
            print(f"{name:8s} {', '.join(f'{k}: {v}' for k, v in m.items())}")
    model = parse_costs(doc, str(args.out))
    doc["validation"] = validate(model, measured)
    costs.write_costs(doc, args.out)
    print(f"wrote {args.out}")
    base = measured.get("veth", {}).get("tcp_bps")
    for name, m in measured.items():
        if base and "tcp_bps" in m:
            print(f"ratio: {name} tcp {m['tcp_bps'] / base:.2f} of veth")


if __name__ == "__main__":
    main()
