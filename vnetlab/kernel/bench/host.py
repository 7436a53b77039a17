"""The machine a bench ran on (for the JSON, the costs file and the README table)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def machine_info() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        ver = subprocess.run(["iperf3", "--version"], capture_output=True, text=True,
                             check=False, timeout=5).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        ver = []
    return {"hostname": platform.node(), "kernel": platform.release(),
            "cpus": os.cpu_count(), "cpu_model": cpu,
            "iperf3": ver[0] if ver else "?",
            "load_avg": round(os.getloadavg()[0], 2)}


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%MZ")
