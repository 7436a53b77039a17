"""A private real ovsdb-server + ovs-vswitchd for the script's differential tests.

Design note
-----------
``RealOvs`` runs the distribution's daemons with every file (database, sockets, pid files,
logs) under a temp dir, ``OVS_RUNDIR`` pointing there so ``ovs-vsctl``, ``ovs-ofctl`` and
``ovs-appctl`` reach these daemons and never the machine's own service; ``ovs-vswitchd``
runs with ``--enable-dummy=override``, so every port is a dummy netdev and nothing is made
on the host. ``run_line`` runs one OVS line of a script as typed (sh word splitting via
``shlex``). The daemons are stopped by pid with bounded waits and the files removed, also
when a test fails (``real_ovs`` is a fixture generator with try/finally).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from vnetlab.openflow.cmd import CmdResult
from vnetlab.ovsdb.commands import startup_commands

SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
TOOLS = ("ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ovs-appctl")


def missing_reason() -> str | None:
    """Why the real tools cannot be the oracle here, or None."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return f"Open vSwitch tools missing: {', '.join(missing)}"
    if not SCHEMA.exists():
        return f"{SCHEMA} is missing"
    return None


_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|.*\n?", re.M)


class RealOvs:
    def __init__(self, base: Path) -> None:
        self.dir = base
        self.env = {**os.environ, "OVS_RUNDIR": str(base), "OVS_DBDIR": str(base),
                    "OVS_LOGDIR": str(base), "OVS_PKGDATADIR": "/usr/share/openvswitch"}
        self.pids: list[int] = []

    def _run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=20,
                              check=check)

    def _wait_pidfile(self, path: Path) -> None:
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.pids.append(int(path.read_text().strip()))

    def start(self) -> None:
        d = self.dir
        self._run(["ovsdb-tool", "create", f"{d}/conf.db", str(SCHEMA)])
        self._run(["ovsdb-server", f"--remote=punix:{d}/db.sock", f"--pidfile={d}/db.pid",
                   f"--unixctl={d}/db.ctl", f"--log-file={d}/db.log", "--detach",
                   f"{d}/conf.db"])
        self._wait_pidfile(d / "db.pid")
        # what ``ovs-ctl start`` does on a stock install, and the emulator does too
        for argv in startup_commands():
            self._run(["ovs-vsctl", *argv])
        self._run(["ovs-vswitchd", "--enable-dummy=override", f"unix:{d}/db.sock",
                   f"--pidfile={d}/ovs-vswitchd.pid", f"--log-file={d}/vs.log",
                   "--detach"])
        self._wait_pidfile(d / "ovs-vswitchd.pid")

    def run(self, argv: list[str]) -> CmdResult:
        """One OVS tool command line against these daemons (vlog lines left out)."""
        argv = list(argv)
        if argv[0] in ("ovs-vsctl", "ovs-ofctl", "ovs-appctl"):
            argv.insert(1, "--timeout=10")
        p = self._run(argv, check=False)
        return CmdResult(p.stdout, _LOG_LINE.sub("", p.stderr), p.returncode)

    def run_line(self, line: str) -> CmdResult:
        return self.run(shlex.split(line))

    def stop(self) -> None:
        for pid in reversed(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.pids = []


def real_ovs() -> Iterator[RealOvs]:
    """Fixture generator: started daemons, always stopped and their files removed."""
    base = Path(tempfile.mkdtemp(prefix="vnetlab-script-ovs-"))
    ovs = RealOvs(base)
    try:
        ovs.start()
        yield ovs
    finally:
        ovs.stop()
        shutil.rmtree(base, ignore_errors=True)
