"""Real Open vSwitch as the oracle: a private ovsdb-server + ovs-vswitchd in a temp dir.

ovs-vswitchd runs with ``--enable-dummy=override``: every port is a dummy netdev, nothing
touches the host, and the datapath numbers ports like ``dpif-netdev``'s test mode (the
number in the port name; ``br*`` from 100). The daemons are stopped by the pids they wrote,
their files removed, whatever happens in the test.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

TOOLS = ("ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ovs-appctl")
SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")


def missing() -> str | None:
    """Why the oracle cannot run here (None: it can)."""
    for t in TOOLS:
        if shutil.which(t) is None:
            return f"{t} is not installed"
    if not SCHEMA.exists():
        return f"{SCHEMA} is missing"
    return None


class Oracle:
    def __init__(self, d: Path) -> None:
        self.d = d

    def _run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, OVS_RUNDIR=str(self.d), OVS_DBDIR=str(self.d),
                   OVS_LOGDIR=str(self.d))
        p = subprocess.run(argv, capture_output=True, text=True, timeout=20, env=env)
        if check and p.returncode != 0:
            raise AssertionError(f"{argv}: {p.returncode} {p.stderr}")
        return p

    def vsctl(self, *args: str) -> str:
        return self._run(["ovs-vsctl", f"--db=unix:{self.d}/db.sock", "--timeout=10",
                          *args]).stdout

    def ofctl(self, cmd: str, bridge: str, *args: str) -> str:
        return self._run(["ovs-ofctl", cmd, f"unix:{self.d}/{bridge}.mgmt", *args]).stdout

    def appctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run(["ovs-appctl", "-t", f"{self.d}/vs.ctl", *args], check=check)


def _stop(pidfile: Path) -> None:
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@contextmanager
def oracle(tmp: Path, *, override: bool = True) -> Iterator[Oracle]:
    """The daemons; ``override=False`` keeps the real tunnel netdevs (native tunnels on
    the dummy datapath, as OVS's tunnel-push-pop.at) and ports must be ``type=dummy``."""
    d = tmp / "ovs"
    d.mkdir()
    o = Oracle(d)
    try:
        o._run(["ovsdb-tool", "create", f"{d}/conf.db", str(SCHEMA)])
        o._run(["ovsdb-server", f"--remote=punix:{d}/db.sock", f"--pidfile={d}/db.pid",
                f"--unixctl={d}/db.ctl", f"--log-file={d}/db.log", "--detach",
                f"{d}/conf.db"])
        o.vsctl("--no-wait", "init")
        dummy = "--enable-dummy=override" if override else "--enable-dummy"
        o._run(["ovs-vswitchd", dummy, f"unix:{d}/db.sock",
                f"--pidfile={d}/vs.pid", f"--unixctl={d}/vs.ctl", f"--log-file={d}/vs.log",
                "--detach"])
        yield o
    finally:
        _stop(d / "vs.pid")
        _stop(d / "db.pid")
        shutil.rmtree(d, ignore_errors=True)
