"""gc after a crash: a real process killed with SIGKILL in the middle of `up`."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from tests.kernel.labs import t1
from vnetlab.kernel import nl, runtime
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.gc import gc, orphans

pytestmark = pytest.mark.kernel
ROOT = Path(__file__).resolve().parents[2]

UP_AND_STALL = """
import sys, time
from tests.kernel.labs import star
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.kinds.veth import AddVeth
seen = []
def progress(i, op):
    if isinstance(op, AddVeth):
        seen.append(op)
        if len(seen) == 11:  # half of the 20 pairs exist, the rest does not
            print("MIDWAY", flush=True)
            time.sleep(60)
LinuxEngine(persistent=True).realize(star("kgc", 20), on_progress=progress)
print("FINISHED", flush=True)
"""


def wait_for_line(proc: subprocess.Popen[str], want: str, timeout_s: float) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if line.strip() == want:
                return
            if not line:
                break
    raise AssertionError(f"the child did not print {want!r} (rc={proc.poll()})")


@pytest.fixture
def foreign_netns() -> Iterator[str]:
    """A namespace with our prefix that vnetlab did not make (gc must not touch it)."""
    name = f"vnl-unrelated-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "-n", name, "link", "add", "x0", "type", "veth", "peer", "name",
                    "x1"], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name], check=False)


def test_gc_after_sigkill_removes_exactly_the_dead_lab(foreign_netns: str) -> None:
    live = LinuxEngine()
    proc = subprocess.Popen([sys.executable, "-c", UP_AND_STALL], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        live.realize(t1("kgclive"))
        wait_for_line(proc, "MIDWAY", 60)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        rec = runtime.find("kgc", "vnl-")
        assert rec is not None and rec.status == "building" and rec.is_dead()
        left = sorted(n for n in nl.list_netns() if n.startswith("vnl-kgc."))
        assert len(left) == 21  # all namespaces exist, half the links
        assert foreign_netns in orphans()

        removed = gc()

        assert sorted(removed) == left
        assert not [n for n in nl.list_netns() if n.startswith("vnl-kgc.")]
        assert runtime.find("kgc", "vnl-") is None
        # untouched: the foreign namespace and a live lab of a running process
        assert foreign_netns in nl.list_netns()
        assert len([n for n in nl.list_netns() if n.startswith("vnl-kgclive.")]) == 3
        assert live.ping("a", IPv4Address("192.168.1.3")).reachable
        assert gc() == []
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        live.teardown()
        rec = runtime.find("kgc", "vnl-")
        if rec is not None:  # the test failed before gc: clean up by the record
            gc(include_live=True)


def test_gc_leaves_a_lab_with_a_foreign_link() -> None:
    """A recorded dead lab whose namespace holds a link without our tag is not removed."""
    rec = runtime.LabRecord(lab="kgcf", prefix="vnl-", run_id="r", pid=2**22 + 7,
                            pid_start=None, namespaces={"x": "vnl-kgcf.x"})
    runtime.claim(rec)
    subprocess.run(["ip", "netns", "add", "vnl-kgcf.x"], check=True)
    try:
        subprocess.run(["ip", "-n", "vnl-kgcf.x", "link", "add", "y0", "type", "veth", "peer",
                        "name", "y1"], check=True)
        assert rec.is_dead()
        assert gc() == []
        assert "vnl-kgcf.x" in nl.list_netns()
    finally:
        subprocess.run(["ip", "netns", "del", "vnl-kgcf.x"], check=False)
        runtime.release(rec)


@pytest.mark.kernel
def test_gc_removes_a_dead_feature_probe_namespace_only() -> None:
    dead = "vnl-probe-999999"  # no such pid on this machine (pid_max is below 4194304)
    alive = f"vnl-probe-{os.getpid()}"  # ours, alive: must stay
    made = []
    try:
        for n in (dead, alive):
            if subprocess.run(["ip", "netns", "add", n], check=False).returncode == 0:
                made.append(n)
        removed = gc()
        assert dead in removed and alive not in removed
        assert os.path.exists(f"/run/netns/{alive}")
    finally:
        for n in made:
            subprocess.run(["ip", "netns", "del", n], check=False, capture_output=True)
