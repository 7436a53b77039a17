"""Helpers of the OpenFlow tests: an in-memory bridge for ``run_ofctl`` and a private real
``ovs-vswitchd`` (dummy netdevs, files under a temp dir) to compare with.

The real daemons are ours alone: their own database, sockets and pid files under a temp
dir; the machine's OVS service is never used. They are stopped by pid (bounded waits) and
their files removed, also when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vnetlab.openflow.cmd import CmdResult
from vnetlab.openflow.ofctl import PortInfo, PortStats, run_ofctl
from vnetlab.openflow.ofproto_tables import OfprotoTables

OVS_TOOLS = ("ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl")
MISSING = [t for t in OVS_TOOLS if shutil.which(t) is None]
SKIP_REASON = f"Open vSwitch tools missing: {', '.join(MISSING)}" if MISSING else ""

#: the ports both bridges have: ofport -> name
PORTS = {1: "p1", 2: "p2", 3: "p3", 4: "tap-vm1"}


@dataclass
class FakeBridge:
    """An OfctlBridge with fixed ports and empty tables."""

    name: str = "br0"
    tables: OfprotoTables = field(default_factory=OfprotoTables)
    datapath_id: int = 0x0000AE303917A949
    ports: dict[int, str] = field(default_factory=lambda: dict(PORTS))

    def port_names(self) -> dict[int, str]:
        return {**self.ports, 0xFFFE: self.name}

    def port_info(self, ofport: int) -> PortInfo | None:
        names = self.port_names()
        if ofport not in names:
            return None
        return PortInfo(ofport, names[ofport], 0xAA55AA550000 + (ofport & 0xFF))

    def port_stats(self, ofport: int) -> PortStats | None:
        return PortStats() if ofport in self.port_names() else None


class Emulated:
    """``ovs-ofctl`` against one FakeBridge, on a clock the test moves."""

    def __init__(self) -> None:
        self.bridge = FakeBridge()
        self.now = 1000.0

    def ofctl(self, *argv: str) -> CmdResult:
        return run_ofctl(list(argv), lambda n: self.bridge if n == "br0" else None, self.now)


_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|.*\n?", re.M)
_AGES = re.compile(r"(duration=[0-9.]+s|idle_age=\d+|hard_age=\d+), ?")


def strip_ages(text: str) -> str:
    """Durations and ages aside (the only nondeterministic parts of dump-flows)."""
    return _AGES.sub("", text)


def strip_logs(text: str) -> str:
    """Drop vlog lines (wall-clock timestamps) from stderr."""
    return _LOG_LINE.sub("", text)


class RealOvs:
    """A private ovsdb-server + ovs-vswitchd (``--enable-dummy=override``) with br0."""

    def __init__(self, base: Path) -> None:
        self.dir = base
        self.env = {**os.environ, "OVS_RUNDIR": str(base), "OVS_DBDIR": str(base),
                    "OVS_LOGDIR": str(base), "OVS_PKGDATADIR": "/usr/share/openvswitch"}
        self.db = f"unix:{base}/db.sock"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), env=self.env, capture_output=True, text=True,
                              timeout=20, check=check)

    def start(self) -> None:
        d = self.dir
        self._run("ovsdb-tool", "create", f"{d}/conf.db",
                  "/usr/share/openvswitch/vswitch.ovsschema")
        self._run("ovsdb-server", f"--remote=punix:{d}/db.sock", f"--pidfile={d}/db.pid",
                  f"--unixctl={d}/db.ctl", f"--log-file={d}/db.log", "--detach",
                  f"{d}/conf.db")
        self.vsctl("--no-wait", "init")
        self._run("ovs-vswitchd", "--enable-dummy=override", self.db,
                  f"--pidfile={d}/vs.pid", f"--unixctl={d}/vs.ctl", f"--log-file={d}/vs.log",
                  "--detach")
        args = ["add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
                "fail_mode=secure", "other_config:datapath-id=0000ae303917a949"]
        for ofport, name in PORTS.items():
            args += ["--", "add-port", "br0", name, "--", "set", "interface", name,
                     f"ofport_request={ofport}"]
        self.vsctl(*args)

    def vsctl(self, *argv: str) -> str:
        return self._run("ovs-vsctl", f"--db={self.db}", "--timeout=10", *argv).stdout

    def ofctl(self, *argv: str) -> CmdResult:
        p = self._run("ovs-ofctl", "--timeout=10", *argv, check=False)
        return CmdResult(p.stdout, strip_logs(p.stderr), p.returncode)

    def appctl(self, *argv: str) -> str:
        return self._run("ovs-appctl", "--timeout=10", "-t", f"{self.dir}/vs.ctl",
                         *argv).stdout

    def receive(self, port: str, frame: bytes) -> None:
        """Inject ``frame`` as if it arrived on dummy port ``port``."""
        self.appctl("netdev-dummy/receive", port, frame.hex())

    def stop(self) -> None:
        for pidfile in ("vs.pid", "db.pid"):
            path = self.dir / pidfile
            try:
                pid = int(path.read_text().strip())
            except (OSError, ValueError):
                continue
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


class Recording:
    """A live RealOvs whose every call and answer is noted (for the golden file)."""

    def __init__(self, real: RealOvs, log: list[list[object]]) -> None:
        self.real = real
        self.log = log

    def ofctl(self, *argv: str) -> CmdResult:
        r = self.real.ofctl(*argv)
        self.log.append(["ofctl", list(argv), r.stdout, r.stderr, r.status])
        return r

    def appctl(self, *argv: str) -> str:
        out = self.real.appctl(*argv)
        self.log.append(["appctl", list(argv), out, "", 0])
        return out

    def receive(self, port: str, frame: bytes) -> None:
        self.real.receive(port, frame)
        self.log.append(["receive", [port, frame.hex()], "", "", 0])


class Replay:
    """The recorded answers of real OVS, in order: the same tests without OVS."""

    def __init__(self, entries: list[list[object]]) -> None:
        self.entries = list(entries)

    def _next(self, method: str, argv: list[str]) -> list[object]:
        assert self.entries, f"no recorded answer for {method} {argv}"
        entry = self.entries.pop(0)
        assert entry[0] == method and entry[1] == argv, (entry[:2], method, argv)
        return entry

    def ofctl(self, *argv: str) -> CmdResult:
        e = self._next("ofctl", list(argv))
        return CmdResult(str(e[2]), str(e[3]), int(str(e[4])))

    def appctl(self, *argv: str) -> str:
        return str(self._next("appctl", list(argv))[2])

    def receive(self, port: str, frame: bytes) -> None:
        self._next("receive", [port, frame.hex()])


#: what the tests talk to: a live (recorded) real OVS, or its recording
Oracle = Recording | Replay


def real_ovs() -> Iterator[RealOvs]:
    """Generator for a fixture: a started RealOvs, always stopped and removed."""
    base = Path(tempfile.mkdtemp(prefix="vnetlab-of-"))
    ovs = RealOvs(base)
    try:
        ovs.start()
        yield ovs
    finally:
        ovs.stop()
        shutil.rmtree(base, ignore_errors=True)
