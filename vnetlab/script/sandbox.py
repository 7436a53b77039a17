"""Run a script for real on the Linux kernel, inside a private throwaway sandbox.

Design note
-----------
The sandbox is ``unshare --net --mount``: a fresh network namespace (nothing of the
machine's interfaces is visible, so nothing of them can be touched) plus a private mount
namespace in which ``/run/netns`` is a fresh tmpfs, so the script's ``ip netns add NAME``
can never clash with the machine's namespaces; when the sandbox's shell exits, the kernel
frees every namespace and device it made (nothing to clean up, even after a crash or a
timeout kill). Its root namespace is prepared like the emulator's fresh host: ``lo`` up and
an ``eth0`` whose veth peer sits in the namespace ``vnl-uplink``, exactly as the emulator
builds it (the comparison leaves both out: they stand for the machine's NIC). The script
runs under ``sh`` with a wall-clock timeout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

PRELUDE = """\
set -e
mount -t tmpfs -o size=1m vnetlab-netns /run/netns
ip link set lo up
ip netns add vnl-uplink
ip link add eth0 type veth peer name eth0 netns vnl-uplink
ip -n vnl-uplink link set eth0 up
ip link set eth0 up
set +e
"""


@dataclass(frozen=True)
class SandboxResult:
    rc: int
    stdout: str
    stderr: str


def unavailable() -> str | None:
    """Why the sandbox cannot run here (None: it can)."""
    if os.geteuid() != 0:
        return "needs root (unshare --net --mount and ip link add)"
    for tool in ("unshare", "ip", "bridge", "sh"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not os.path.isdir("/run/netns"):
        return "/run/netns does not exist (the sandbox mounts its private tmpfs there)"
    return None


def run_in_sandbox(script: str, *, timeout: float = 60.0) -> SandboxResult:
    """Run SCRIPT (sh syntax) in a fresh network + mount namespace; never the host's."""
    why = unavailable()
    if why is not None:
        raise RuntimeError(f"kernel sandbox unavailable: {why}")
    with tempfile.TemporaryDirectory(prefix="vnetlab-sandbox-") as d:
        path = os.path.join(d, "script.sh")
        with open(path, "w") as f:
            f.write(PRELUDE + script)
        try:
            p = subprocess.run(
                ["unshare", "--net", "--mount", "--propagation", "private", "--", "sh", path],
                capture_output=True, text=True, timeout=timeout, cwd=d,
            )
        except subprocess.TimeoutExpired as e:
            # the sandbox dies with its shell: the kernel frees all it made
            return SandboxResult(124, str(e.stdout or ""), f"timeout after {timeout} s")
        return SandboxResult(p.returncode, p.stdout, p.stderr)
