"""A lab node's own ovsdb-server and ovs-vswitchd: start, find, stop, by pid + start time.

Design note
-----------
Each node with ``ovs:`` gets a private Open vSwitch, as ``ovs-ctl start`` would start one but
with every file under the lab's run directory (``vnetlab.kernel.runtime.run_dir()``):
``RUN_DIR/PREFIX+LAB/NODE/`` holds ``conf.db``, ``db.sock``, the pid files, the unixctl
sockets (``ovs-vswitchd.PID.ctl``), the logs and the per-bridge ``BR.mgmt``/``BR.snoop``
sockets. The tools find them through ``OVS_RUNDIR``/``OVS_DBDIR``/``OVS_LOGDIR`` (``env()``),
which is also what ``vnetlab exec LAB NODE -- ovs-ofctl ...`` sets.

Both daemons run inside the node's network namespace (``ip netns exec NS``, which also gives
them a private mount namespace with that namespace's ``/sys``, where netdev-linux reads its
devices), so ovs-vswitchd sees only the node's interfaces and makes its internal ports (taps
on the userspace datapath) there. They ``--detach`` and are reparented away from vnetlab:
a ``kill -9`` of vnetlab leaves them running, so ownership must be provable later.

Ownership: a process is this lab's daemon when its ``/proc/PID/cmdline`` is
``ovsdb-server``/``ovs-vswitchd`` *and* names the node's run directory (every path is passed
explicitly on the command line for exactly this), and, when we recorded it, its start time
(``/proc/PID/stat`` field 22) is the recorded one, so a recycled pid is never signalled.
``find()`` collects candidates from three places: the lab record, the pid files, and the
processes inside the lab's namespaces — the last two cover a ``kill -9`` of vnetlab between
starting a daemon and recording it. ``stop()`` sends SIGTERM (ovs-vswitchd leaves its
datapath and taps; the namespace removal takes those), waits a bounded time, then SIGKILL;
then the run directory goes. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vnetlab.engine import EngineError
from vnetlab.kernel import nl, runtime
from vnetlab.model.ovs import TUNNEL_TYPES

SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
DAEMONS = ("ovsdb-server", "ovs-vswitchd")
#: the tools (``ovs-vsctl`` waits for ovs-vswitchd to apply a change: bounded by this)
TOOL_TIMEOUT_S = 10
STOP_WAIT_S = 3.0


@dataclass(frozen=True, slots=True)
class OvsDaemon:
    """One running daemon of a lab node, as recorded in the lab's state file."""

    prog: str
    pid: int
    start: int | None
    node: str
    rundir: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> OvsDaemon:
        return cls(prog=str(raw["prog"]), pid=int(raw["pid"]),
                   start=None if raw.get("start") is None else int(raw["start"]),
                   node=str(raw["node"]), rundir=str(raw["rundir"]))


def lab_dir(prefix: str, lab: str) -> Path:
    """Where a lab's Open vSwitch files live (beside its record ``PREFIX+LAB.json``)."""
    return runtime.run_dir() / f"{prefix}{lab}"


def node_dir(prefix: str, lab: str, node: str) -> Path:
    return lab_dir(prefix, lab) / node


def env(rundir: str | Path) -> dict[str, str]:
    """The environment of ``vnetlab exec`` on a node with OVS (lib/dirs.c reads these):
    ``OVS_RUNDIR`` is what the tools need (``ovs-vsctl``: ``db.sock``, ``ovs-ofctl``:
    ``BR.mgmt``, ``ovs-appctl``: ``ovs-vswitchd.pid``); the others point ``ovsdb-tool`` and
    the log helpers at the same directory."""
    d = str(rundir)
    return {"OVS_RUNDIR": d, "OVS_DBDIR": d, "OVS_LOGDIR": d}


def env_prefix(rundir: str | Path) -> str:
    """How a printed plan line sets the one variable the daemons and tools read:
    ``OVS_RUNDIR`` (the daemons' unixctl and ``BR.mgmt`` sockets go there, every other
    path is on their command line)."""
    return f"OVS_RUNDIR={shlex.quote(str(rundir))}"


def db_remote(rundir: str | Path) -> str:
    return f"unix:{rundir}/db.sock"


def ovsdb_server_argv(rundir: str) -> list[str]:
    return ["ovsdb-server", f"{rundir}/conf.db", f"--remote=punix:{rundir}/db.sock",
            f"--pidfile={rundir}/ovsdb-server.pid", f"--log-file={rundir}/ovsdb-server.log",
            "--no-chdir", "--detach"]


def create_argv(rundir: str) -> list[str]:
    return ["ovsdb-tool", "create", f"{rundir}/conf.db", str(SCHEMA)]


@functools.cache
def installed_versions() -> tuple[str, str]:
    """(ovs_version, db_version) of the installed Open vSwitch, as ``ovs-ctl start`` writes
    them (``ovs-vswitchd --version``'s last word, ``ovsdb-tool schema-version``); empty
    strings where a tool does not answer."""
    def last_word(argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=10,
                                 check=False).stdout
        except (OSError, subprocess.TimeoutExpired):
            return ""
        words = out.splitlines()[0].split() if out.strip() else []
        return words[-1] if words else ""

    return (last_word(["ovs-vswitchd", "--version"]),
            last_word(["ovsdb-tool", "schema-version", str(SCHEMA)]))


def init_argv() -> list[str]:
    """``ovs-vsctl init`` (the Open_vSwitch root row ovs-vswitchd waits for) with the
    versions ``ovs-ctl start`` records (so ``ovs-vsctl show`` prints ``ovs_version`` as on a
    stock install; the emulator writes its own through ``ovsdb.commands.startup_commands``),
    and one handler and one revalidator thread: a lab may run many vswitchds on few cores."""
    ovs_version, db_version = installed_versions()
    stamp = [f"{k}={json.dumps(v)}" for k, v in
             (("db_version", db_version), ("ovs_version", ovs_version)) if v]
    return ["ovs-vsctl", "--no-wait", "init", "--", "set", "Open_vSwitch", ".", *stamp,
            "other_config:n-handler-threads=1", "other_config:n-revalidator-threads=1"]


def vswitchd_argv(rundir: str) -> list[str]:
    return ["ovs-vswitchd", db_remote(rundir), f"--pidfile={rundir}/ovs-vswitchd.pid",
            f"--log-file={rundir}/ovs-vswitchd.log", "--no-chdir", "--detach"]


def run_tool(argv: list[str], rundir: str, *, ns: str | None = None,
             timeout_s: float = TOOL_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run an OVS tool against the node's daemons (inside ``ns`` if given); raise
    EngineError with the tool's own message when it fails or does not finish in time."""
    full = (["ip", "netns", "exec", ns] if ns else []) + argv
    extra = {"OVS_RUNDIR": rundir} if rundir else {}
    try:
        done = subprocess.run(full, capture_output=True, text=True, timeout=timeout_s,
                              env={**os.environ, **extra, "LC_ALL": "C"}, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise EngineError(f"`{' '.join(argv)}` did not finish within {timeout_s:.0f} s")\
            from None
    except FileNotFoundError:
        raise EngineError(f"{argv[0]} is not installed",
                          hint="install Debian's openvswitch-switch (`.ci/run` does)") from None
    if done.returncode != 0:
        msg = (done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}")
        raise EngineError(f"`{' '.join(argv)}` failed: {msg}")
    return done


def read_pidfile(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _started(prog: str, node: str, rundir: str) -> OvsDaemon:
    pid = read_pidfile(Path(rundir) / f"{prog}.pid")
    if pid is None:
        raise EngineError(f"{prog} of node {node} started but wrote no pid file in {rundir}")
    return OvsDaemon(prog, pid, runtime.proc_start_time(pid), node, rundir)


def start_ovsdb(ns: str, node: str, rundir: str) -> OvsDaemon:
    """``ovsdb-tool create`` + ``ovsdb-server --detach`` in ``ns`` + ``ovs-vsctl init``
    (which creates the Open_vSwitch root row ovs-vswitchd waits for)."""
    os.makedirs(rundir, mode=0o755, exist_ok=True)
    if not SCHEMA.exists():
        raise EngineError(f"the Open vSwitch schema {SCHEMA} is missing",
                          hint="install Debian's openvswitch-switch (`.ci/run` does)")
    run_tool(create_argv(rundir), rundir)
    run_tool(ovsdb_server_argv(rundir), rundir, ns=ns)
    d = _started("ovsdb-server", node, rundir)
    run_tool(init_argv(), rundir)
    return d


def start_vswitchd(ns: str, node: str, rundir: str) -> OvsDaemon:
    run_tool(vswitchd_argv(rundir), rundir, ns=ns)
    return _started("ovs-vswitchd", node, rundir)


# -- ownership -----------------------------------------------------------------------------

def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def owned(pid: int, rundir: str, start: int | None = None) -> str | None:
    """The daemon's name if ``pid`` is provably an OVS daemon of this run directory (and,
    if ``start`` is given, the very process we started), else None."""
    if start is not None and runtime.proc_start_time(pid) != start:
        return None
    argv = _cmdline(pid)
    if not argv:
        return None
    prog = os.path.basename(argv[0])
    if prog not in DAEMONS:
        return None
    mark = rundir.rstrip("/") + "/"
    if not any(mark in a for a in argv[1:]):
        return None
    return prog


def find_in(node: str, rundir: str, ns: str) -> list[OvsDaemon]:
    """The OVS daemons of one node that its pid files or its namespace point at and that
    prove to be ours (``owned``)."""
    pids = [p for prog in DAEMONS
            if (p := read_pidfile(Path(rundir) / f"{prog}.pid")) is not None]
    pids += nl.pids_in_netns(ns)
    out: dict[int, OvsDaemon] = {}
    for pid in pids:
        prog = owned(pid, rundir)
        if prog is not None and pid not in out:
            out[pid] = OvsDaemon(prog, pid, runtime.proc_start_time(pid), node, rundir)
    return list(out.values())


def find(prefix: str, lab: str, namespaces: Mapping[str, str],
         recorded: Iterable[OvsDaemon] = ()) -> list[OvsDaemon]:
    """This lab's running OVS daemons: the recorded ones still alive as recorded, and any
    other found by ``find_in`` (a ``kill -9`` of vnetlab before it recorded them). The
    ovs-vswitchds first, so ``stop`` takes each down before its database."""
    found: dict[int, OvsDaemon] = {}
    for d in recorded:
        if owned(d.pid, d.rundir, d.start) is not None:
            found[d.pid] = d
    for node, ns in namespaces.items():
        rundir = node_dir(prefix, lab, node)
        if not rundir.is_dir():  # made before any daemon of the node starts: none did
            continue
        for d in find_in(node, str(rundir), ns):
            found.setdefault(d.pid, d)
    return sorted(found.values(), key=lambda d: (-DAEMONS.index(d.prog), d.node))


def _gone(d: OvsDaemon) -> bool:
    return not runtime.pid_alive(d.pid, d.start)


def stop(daemons: Iterable[OvsDaemon], *, wait_s: float = STOP_WAIT_S) -> list[OvsDaemon]:
    """SIGTERM each daemon (only while it still proves ours), wait up to ``wait_s``, then
    SIGKILL the rest and wait again. Returns the daemons that are still alive (none,
    normally)."""
    todo = [d for d in daemons if owned(d.pid, d.rundir, d.start) is not None]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for d in todo:
            with contextlib.suppress(ProcessLookupError):
                os.kill(d.pid, sig)
        deadline = time.monotonic() + wait_s
        while todo and time.monotonic() < deadline:
            todo = [d for d in todo if not _gone(d)]
            if todo:
                time.sleep(0.02)
        if not todo:
            break
    return todo


def remove_files(prefix: str, lab: str) -> None:
    """The lab's OVS run directory (db, sockets, pid files, logs) goes."""
    shutil.rmtree(lab_dir(prefix, lab), ignore_errors=True)


def remove_node_files(rundir: str) -> None:
    """One node's OVS files go, and the lab's directory with the last of them."""
    shutil.rmtree(rundir, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(rundir.rstrip("/")))


def stop_node(node: str, rundir: str, ns: str) -> None:
    """Stop one node's daemons (whatever of them runs) and remove its files: the cleanup of
    a plan that failed half-way."""
    left = stop(find_in(node, rundir, ns))
    if not left:
        remove_node_files(rundir)


def stop_lab(prefix: str, lab: str, namespaces: Mapping[str, str],
             recorded: Iterable[OvsDaemon] = ()) -> list[OvsDaemon]:
    """Stop every OVS daemon of the lab and remove its files. Returns what was stopped.

    Raises EngineError (files kept, for a later ``gc``) if one would not die."""
    daemons = find(prefix, lab, namespaces, recorded)
    left = stop(daemons)
    if left:
        names = ", ".join(f"{d.prog} pid {d.pid}" for d in left)
        raise EngineError(f"the lab's Open vSwitch daemons did not stop: {names}",
                          hint="`vnetlab gc` tries again")
    remove_files(prefix, lab)
    return daemons


def stop_recorded(rec: runtime.LabRecord) -> list[OvsDaemon]:
    """``stop_lab`` for a lab record (``down``, ``gc``, teardown of an attached lab)."""
    recorded = [OvsDaemon.from_json(raw) for raw in rec.ovs]
    if not recorded and not lab_dir(rec.prefix, rec.lab).is_dir():
        return []  # the lab never started an Open vSwitch
    return stop_lab(rec.prefix, rec.lab, rec.namespaces, recorded)


#: the kernel datapath's tunnel vports: OVS names them after the port type and UDP port
#: (``vxlan_sys_4789``, ``genev_sys_6081``: lib/netdev-vport.c ``dpif_port``)
_VPORT = re.compile(r"^[a-z]+_sys_[0-9]+$")


def made_links(rec: runtime.LabRecord, ns: str) -> Callable[[str], bool]:
    """Whether a link of this namespace of the lab is one ovs-vswitchd makes (from the lab
    as recorded): the datapath's own device (``ovs-netdev`` userspace, ``ovs-system``
    kernel), each bridge's own port, the internal ports, the kernel datapath's tunnel
    vports. They carry no tag of ours until the plan tags them, so ``gc`` after a
    ``kill -9`` must know them by name."""
    node = next((n for n, name in rec.namespaces.items() if name == ns), None)
    nodes = (rec.spec or {}).get("nodes") or {}
    bridges = ((nodes.get(node) or {}).get("ovs") or {}) if node is not None else {}
    if not isinstance(bridges, dict) or not bridges:
        return lambda name: False
    names = {"ovs-netdev", "ovs-system"}
    tunnels = False
    for br, bspec in bridges.items():
        names.add(br)
        for port, pspec in ((bspec or {}).get("ports") or {}).items():
            ptype = (pspec or {}).get("type", "system")
            if ptype == "internal":
                names.add(port)
            tunnels = tunnels or ptype in TUNNEL_TYPES
    return lambda name: name in names or (tunnels and _VPORT.match(name) is not None)
