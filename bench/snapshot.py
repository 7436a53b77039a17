"""Snapshot of N namespaces: vnetlab's live dumper vs the iproute2 collection script.

Design note
-----------
The lab: ``host`` with bridge ``br0`` and N nodes joined by veth pairs (the bring-up
bench's star), built once by the linux engine under a lab name of this run. Timed, in the
same run, interleaved, ``--repeat`` times (median):

* vnetlab: ``vnetlab.kernel.dump.dump_namespaces`` (in-process netlink, one socket per
  namespace) + ``vnetlab.snapshot.snapshot`` -> the lab;
* baseline: ``scripts/collect-snapshot.sh`` (one ``ip``/``bridge`` process per dump and
  namespace, as a user runs it on a host) + ``read_dir`` + ``snapshot`` -> the same lab.

Prints both times per N and ends with ``ratio: X`` (vnetlab / script at the largest N;
< 1.0: the live dumper is faster). Needs root.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "kernel"))

from labs import star  # noqa: E402

from vnetlab.kernel.dump import dump_namespaces  # noqa: E402
from vnetlab.kernel.engine import LinuxEngine  # noqa: E402
from vnetlab.snapshot import from_mapping, read_dir, snapshot  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,50")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ratio = 1.0
    print(f"{'N':>5} {'vnetlab s':>10} {'script s':>10} {'ratio':>6}")
    for n in [int(x) for x in args.sizes.split(",")]:
        lab = star(f"bsn{os.getpid() % 10000}-{n}", n)
        e = LinuxEngine()
        try:
            e.realize(lab)
            names = [e.namespace(node) for node in lab.nodes]
            ours, theirs = [], []
            for _ in range(args.repeat):
                t = time.perf_counter()
                a = snapshot([from_mapping(k, v) for k, v in dump_namespaces(names).items()])
                ours.append(time.perf_counter() - t)
                with tempfile.TemporaryDirectory() as tmp:
                    t = time.perf_counter()
                    subprocess.run(["sh", str(ROOT / "scripts" / "collect-snapshot.sh"), tmp,
                                    *names], check=True, capture_output=True, timeout=600)
                    b = snapshot(read_dir(Path(tmp)))
                    theirs.append(time.perf_counter() - t)
                assert len(a.lab["nodes"]) == len(b.lab["nodes"]) == n + 1
        finally:
            e.teardown()
        mo, mt = statistics.median(ours), statistics.median(theirs)
        ratio = mo / mt
        print(f"{n:>5} {mo:>10.3f} {mt:>10.3f} {ratio:>6.2f}")
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
