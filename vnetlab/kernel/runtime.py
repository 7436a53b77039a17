"""Ownership records: one state file per lab under ``/run/vnetlab`` (tmpfs, gone on reboot,
like the namespaces themselves).

Design note
-----------
A record is written *before* the first namespace is created (status ``building``) and
lists every namespace the plan will make, the run id (also in every link's ifalias
``vnetlab:LAB:RUN`` and the device group), and the creating process (pid plus its start
time from ``/proc/PID/stat`` field 22, so a recycled pid is not mistaken for the owner).

A lab is *dead* — ``vnetlab gc`` may remove it — when its owner process is gone and it was
not left up on purpose: ``status != "up"`` (killed mid-``up`` or mid-``down``) or it was an
ephemeral lab (``persistent`` false, e.g. ``vnetlab run``). A lab brought up with
``vnetlab up`` (persistent, status ``up``) lives until ``vnetlab down``.

The record file is claimed with ``O_EXCL``, so two processes cannot build the same lab.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from vnetlab.engine import EngineError

ENV_RUN_DIR = "VNETLAB_RUN_DIR"
DEFAULT_RUN_DIR = "/run/vnetlab"


def run_dir() -> Path:
    return Path(os.environ.get(ENV_RUN_DIR, DEFAULT_RUN_DIR))


def proc_start_time(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks since boot (``/proc/PID/stat`` field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # the command name (field 2) may contain spaces: split after its closing parenthesis
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def pid_alive(pid: int, start: int | None) -> bool:
    now = proc_start_time(pid)
    if now is None:
        return False
    if start is not None and now != start:
        return False  # the pid was reused by another process
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


@dataclass
class LabRecord:
    lab: str
    prefix: str
    run_id: str
    namespaces: dict[str, str]  # node -> namespace name
    pid: int
    pid_start: int | None
    status: str = "building"  # "building" | "up" | "tearing-down"
    persistent: bool = False
    created: float = field(default_factory=time.time)
    spec: dict[str, Any] | None = None  # the lab as built (model JSON), for attach/show
    #: namespace -> inode of its nsfs file once built: proof of ownership that survives
    #: links a user adds inside it later (`vnetlab exec ... ip link add`)
    ns_inodes: dict[str, int] = field(default_factory=dict)
    #: daemons the lab runs (a node's ovsdb-server and ovs-vswitchd): prog, pid, start
    #: time, node, run directory (``vnetlab.kernel.ovs.daemons.OvsDaemon``)
    ovs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.prefix}{self.lab}"

    def owner_alive(self) -> bool:
        return pid_alive(self.pid, self.pid_start)

    def is_dead(self) -> bool:
        if self.owner_alive():
            return False
        return self.status != "up" or not self.persistent


def record_path(prefix: str, lab: str) -> Path:
    return run_dir() / f"{prefix}{lab}.json"


def _write(path: Path, rec: LabRecord, *, exclusive: bool) -> None:
    # shallow field dict + the C JSON encoder (asdict's deep copy and indent are slow for
    # a 500-node spec)
    data = json.dumps({f.name: getattr(rec, f.name) for f in fields(rec)}).encode()
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def claim(rec: LabRecord) -> None:
    """Write a new record; refuse if the lab exists (alive: 'up'; dead: run gc)."""
    d = run_dir()
    d.mkdir(parents=True, exist_ok=True)
    path = record_path(rec.prefix, rec.lab)
    try:
        _write(path, rec, exclusive=True)
    except FileExistsError:
        old = load(path)
        if old is not None and old.is_dead():
            raise EngineError(
                f"lab {rec.lab!r} has leftovers of a run that died ({old.status}, pid "
                f"{old.pid})",
                hint="run `vnetlab gc` to remove them, then try again",
            ) from None
        raise EngineError(
            f"lab {rec.lab!r} is already up on the linux engine (pid {old.pid if old else '?'})",
            hint=f"`vnetlab down {rec.lab}` first, or give the lab another name",
        ) from None


def update(rec: LabRecord) -> None:
    _write(record_path(rec.prefix, rec.lab), rec, exclusive=False)


def release(rec: LabRecord) -> None:
    with contextlib.suppress(FileNotFoundError):
        record_path(rec.prefix, rec.lab).unlink()


def load(path: Path) -> LabRecord | None:
    try:
        raw = json.loads(path.read_text())
        return LabRecord(**raw)
    except (FileNotFoundError, ValueError, TypeError):
        return None


def find(lab: str, prefix: str) -> LabRecord | None:
    return load(record_path(prefix, lab))


def records() -> list[LabRecord]:
    d = run_dir()
    if not d.is_dir():
        return []
    out = []
    for p in sorted(d.glob("*.json")):
        rec = load(p)
        if rec is not None:
            out.append(rec)
    return out
