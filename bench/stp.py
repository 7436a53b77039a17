"""STP and the storm guard on the emulator: a quiet triangle against a guarded storm.

The quiet run: the three-bridge triangle of ``examples/stp-triangle.yaml`` (STP on) is
built and runs for 60 virtual seconds (election, listening, learning, forwarding, the
topology change and its end), then h2 pings h3. The storm run: the same ring with STP off
(the seed's incident), built, one ping (its ARP request storms round the ring until the
storm guard trips), then 60 virtual seconds more. Each is timed on the wall clock (best of
``--repeat``); both should take well under 1 s. Prints both and ``ratio: X`` (the storm
run's wall time over the quiet triangle's). Goal: ratio <= 2.

    python bench/stp.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from ipaddress import IPv4Address
from pathlib import Path

from vnetlab.model import load_lab_text
from vnetlab.model.spec import LabSpec
from vnetlab.sim.engine import SimEngine

TRIANGLE = Path(__file__).resolve().parents[1] / "examples" / "stp-triangle.yaml"


def labs() -> tuple[LabSpec, LabSpec]:
    text = TRIANGLE.read_text().split("\nchecks:")[0] + "\n"
    return load_lab_text(text), load_lab_text(text.replace("stp: true, ", ""))


def timed(lab: LabSpec, storm: bool) -> tuple[float, int, bool]:
    t0 = time.perf_counter()
    e = SimEngine()
    e.realize(lab)
    if storm:
        r = e.ping("h2", IPv4Address("10.0.0.3"))
        e.advance(60)
    else:
        e.advance(60)
        r = e.ping("h2", IPv4Address("10.0.0.3"))
    dt = time.perf_counter() - t0
    stormed = bool(e.storms()) or any(x.startswith("broadcast storm") for x in r.errors)
    return dt, e.sched.events_run, stormed if storm else r.reachable


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    quiet_lab, storm_lab = labs()
    best_q = best_s = float("inf")
    for r in range(args.repeat):
        q, q_events, ok = timed(quiet_lab, storm=False)
        assert ok, "the converged triangle forwards"
        s, s_events, stormed = timed(storm_lab, storm=True)
        assert stormed, "the ring without STP storms and the guard reports it"
        best_q, best_s = min(best_q, q), min(best_s, s)
        print(f"run {r + 1}: quiet triangle {q * 1000:.1f} ms ({q_events:,} events)   "
              f"guarded storm {s * 1000:.1f} ms ({s_events:,} events)")
    print(f"quiet triangle, STP, 60 virtual s:  {best_q * 1000:.1f} ms")
    print(f"guarded storm, no STP, 60 virtual s: {best_s * 1000:.1f} ms")
    print(f"ratio: {best_s / best_q:.2f}")


if __name__ == "__main__":
    main()
