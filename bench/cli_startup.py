"""CLI start-up: how long ``vnetlab --help`` and a whole ``vnetlab run`` take as processes.

Every command pays the interpreter's start-up plus whatever vnetlab imports before it can
do anything, so ``--help`` measures the import cost a user feels on every invocation. The
baseline, measured in the same run and interleaved with the other commands so a busy
machine slows all alike, is the bare interpreter: ``python -c pass``. Prints the median
of each and ``ratio: X`` (``--help``'s median over the bare interpreter's). Goal: ratio <= 4.

    python bench/cli_startup.py [--repeat 15] [--lab examples/container-host.yaml]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def vnetlab_cmd() -> list[str]:
    """The installed entry point beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("vnetlab")
    if script.exists():
        return [str(script)]
    found = shutil.which("vnetlab")
    return [found] if found else [sys.executable, "-m", "vnetlab.cli.main"]


def once(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       cwd=ROOT)
    dt = time.perf_counter() - t0
    if r.returncode not in (0, 1):  # run exits 1 when a check fails: still a full run
        raise SystemExit(f"{' '.join(cmd)} exited {r.returncode}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--lab", default="examples/container-host.yaml")
    args = ap.parse_args()
    cmds = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "vnetlab --help": [*vnetlab_cmd(), "--help"],
        f"vnetlab run {args.lab}": [*vnetlab_cmd(), "run", args.lab],
    }
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for cmd in cmds.values():  # warm the page cache and .pyc files first
        once(cmd)
    for _ in range(args.repeat):
        for name, cmd in cmds.items():
            times[name].append(once(cmd))
    for name, ts in times.items():
        print(f"{name:<45} median {statistics.median(ts) * 1000:7.1f} ms  "
              f"min {min(ts) * 1000:7.1f} ms  max {max(ts) * 1000:7.1f} ms")
    base = statistics.median(times["python -c pass"])
    print(f"ratio: {statistics.median(times['vnetlab --help']) / base:.2f}")


if __name__ == "__main__":
    main()
