"""``kill -9`` of vnetlab in the middle of ``up`` of a lab with Open vSwitch, then ``gc``:
no daemon, socket, database or port of the lab survives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kernel.ovs.labs import needs_ovs, ovs_pids_under
from tests.kernel.test_gc import wait_for_line
from vnetlab.kernel import nl, runtime
from vnetlab.kernel.gc import check_namespace, gc
from vnetlab.kernel.ovs import daemons

pytestmark = [pytest.mark.kernel, needs_ovs]
ROOT = Path(__file__).resolve().parents[3]

#: builds the exercise-4 lab and stalls right after the op named by argv[2]
UP_AND_STALL = """
import sys, time
from tests.kernel.ovs.labs import ovs_lab
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.ovs.ops import OvsTool, StartOvsdb, StartVswitchd
lab, after = sys.argv[1], sys.argv[2]
seen = []
def progress(i, op):
    # called before op i: stall before the op that follows the one we wait for
    if seen:
        print("MIDWAY", flush=True)
        time.sleep(60)
    if (after == "ovsdb" and isinstance(op, StartOvsdb)) or \\
       (after == "vswitchd" and isinstance(op, StartVswitchd)) or \\
       (after == "add-port" and isinstance(op, OvsTool) and "add-port" in op.argv):
        seen.append(op)
LinuxEngine(persistent=True).realize(ovs_lab(lab), on_progress=progress)
print("FINISHED", flush=True)
"""


@pytest.mark.parametrize("after", ["ovsdb", "vswitchd", "add-port"])
def test_kill_9_during_up_then_gc_leaves_nothing(after: str) -> None:
    lab = f"kog{after[:3]}{os.getpid()}"
    labdir = daemons.lab_dir("vnl-", lab)
    proc = subprocess.Popen([sys.executable, "-c", UP_AND_STALL, lab, after], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        wait_for_line(proc, "MIDWAY", 60)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        rec = runtime.find(lab, "vnl-")
        assert rec is not None and rec.status == "building" and rec.is_dead()
        assert rec.ovs == []  # killed before anything was recorded
        running = ovs_pids_under(str(labdir))
        assert len(running) == (1 if after == "ovsdb" else 2)  # the daemons outlived it
        assert (labdir / "host" / "conf.db").exists() and (labdir / "host" / "db.sock").exists()
        ns = rec.namespaces["host"]
        if after == "add-port":  # ovs-vswitchd made br0 + ovs-netdev, untagged
            links = subprocess.run(["ip", "-n", ns, "-br", "link"], capture_output=True,
                                   text=True, check=True, timeout=10).stdout
            assert "br0" in links and "ovs-netdev" in links
            # known by the lab's ovs: section, not by a tag (without it: not provably ours)
            blind = runtime.LabRecord(**{**rec.__dict__, "spec": None})
            assert not check_namespace(ns, blind).owned
        assert check_namespace(ns, rec).owned

        removed = gc()

        assert sorted(removed) == sorted(rec.namespaces.values())
        assert ovs_pids_under(str(labdir)) == []  # no daemon
        assert not labdir.exists()  # no socket, database, pid file or log
        assert all(not runtime.pid_alive(p, None) for p in running)
        assert not [n for n in nl.list_netns() if n.startswith(f"vnl-{lab}.")]  # no port
        assert runtime.find(lab, "vnl-") is None
        assert gc() == []
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if runtime.find(lab, "vnl-") is not None:  # the test failed before gc
            gc(include_live=True)
        daemons.stop(daemons.find("vnl-", lab, {"host": f"vnl-{lab}.host"}))
        daemons.remove_files("vnl-", lab)
