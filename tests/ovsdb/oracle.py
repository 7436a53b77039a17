"""A real ovsdb-server on a temporary database, and the normalisation that makes its
output comparable with ``run_vsctl``'s.

Real OVSDB makes random UUIDs and lists rows in hash order; ours are deterministic and in
creation order. ``normalize`` replaces each UUID by a placeholder named after the row it
identifies (``<Bridge:br0>``, ``<Open_vSwitch>``, else ``<uuidN>`` by first appearance),
sorts the elements of bracketed lists of placeholders, and sorts the records of a
``list``/``find`` output, so what remains to compare is content, not randomness. Log
timestamps (``2026-...Z|``) become ``TIME|``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from vnetlab.ovsdb.db import Database
from vnetlab.ovsdb.vsctl import CmdResult, run_vsctl

SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|", re.M)


def missing_tools() -> str | None:
    for tool in ("ovsdb-server", "ovsdb-tool", "ovs-vsctl"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not SCHEMA.exists():
        return f"{SCHEMA} is missing"
    return None


class RealOvsdb:
    """An ovsdb-server of our own under a temp dir; ``stop()`` kills it by pid."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="vnl-ovsdb-"))
        self.sock = self.dir / "db.sock"
        self.pid: int | None = None
        d = self.dir
        try:
            self._start(d)
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _start(self, d: Path) -> None:
        subprocess.run(["ovsdb-tool", "create", str(d / "conf.db"), str(SCHEMA)], check=True,
                       capture_output=True, timeout=20)
        subprocess.run(["ovsdb-server", f"--remote=punix:{self.sock}",
                        f"--pidfile={d / 'db.pid'}", f"--unixctl={d / 'db.ctl'}",
                        f"--log-file={d / 'db.log'}", "--detach", str(d / "conf.db")],
                       check=True, capture_output=True, timeout=20)
        try:
            self.pid = int((d / "db.pid").read_text().strip())
            deadline = time.monotonic() + 10
            while not self.sock.exists():
                if time.monotonic() > deadline:
                    raise RuntimeError("ovsdb-server did not create its socket")
                time.sleep(0.02)
        except BaseException:
            self.stop()
            raise

    def vsctl(self, argv: list[str]) -> CmdResult:
        p = subprocess.run(["ovs-vsctl", "--no-wait", f"--db=unix:{self.sock}", *argv],
                           capture_output=True, text=True, timeout=20)
        return CmdResult(p.stdout, p.stderr, p.returncode)

    def stop(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                for _ in range(100):
                    os.kill(self.pid, 0)
                    time.sleep(0.02)
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.pid = None
        shutil.rmtree(self.dir, ignore_errors=True)


def real_ovsdb() -> Iterator[RealOvsdb]:
    server = RealOvsdb()
    try:
        yield server
    finally:
        server.stop()


class Labels:
    """UUID -> placeholder, by what the row is (looked up in the database that made it)."""

    def __init__(self, lookup: dict[str, str]) -> None:
        self.lookup = lookup
        self.seen: dict[str, str] = {}

    def __call__(self, m: re.Match[str]) -> str:
        u = m.group(0)
        if u in self.lookup:
            return self.lookup[u]
        if u not in self.seen:
            self.seen[u] = f"<uuid{len(self.seen) + 1}>"
        return self.seen[u]


NAMED = {"Bridge": "name", "Port": "name", "Interface": "name", "Mirror": "name",
         "Controller": "target", "Manager": "target", "Flow_Table": "name"}


def _sort_lists(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        items = m.group(1).split(", ")
        return "[" + ", ".join(sorted(items)) + "]"
    return re.sub(r"\[((?:<[^>\]]+>)(?:, <[^>\]]+>)*)\]", fix, text)


def _sort_records(text: str) -> str:
    if "\n\n" not in text or not re.match(r"^\S[^\n]*\s: ", text):
        return text
    records = text.rstrip("\n").split("\n\n")
    return "\n\n".join(sorted(records)) + "\n"


def _sort_show(text: str) -> str:
    """``show`` lists bridges and ports in UUID order: sort sibling row blocks."""
    lines = text.splitlines()
    if not lines or lines[0].startswith(" ") or not all(
            ln.startswith("    ") for ln in lines[1:]):
        return text

    def blocks(items: list[str], indent: int) -> list[str]:
        head: list[str] = []
        tail: list[str] = []
        groups: list[list[str]] = []
        for ln in items:
            at_level = not ln.startswith(" " * (indent + 1))
            if at_level and re.match(r"(Bridge|Port|Interface|Controller|Manager) ",
                                     ln[indent:]):
                groups.append([ln])
            elif at_level:
                (tail if groups else head).append(ln)
            else:
                groups[-1].append(ln)
        out = list(head)
        for g in sorted(groups, key=lambda g: g[0]):
            out.append(g[0])
            out.extend(blocks(g[1:], indent + 4))
        return out + tail

    return "\n".join([lines[0], *blocks(lines[1:], 4)]) + "\n"


def normalize(res: CmdResult, lookup: dict[str, str]) -> tuple[str, str, int]:
    labels = Labels(lookup)
    out = _sort_show(_sort_records(_sort_lists(UUID_RE.sub(labels, res.stdout))))
    err = TIME_RE.sub("TIME|", UUID_RE.sub(labels, res.stderr))
    return out, err, res.status


def real_labels(server: RealOvsdb) -> dict[str, str]:
    out: dict[str, str] = {}
    for table, col in [("Open_vSwitch", None), *NAMED.items()]:
        cols = "_uuid" if col is None else f"_uuid,{col}"
        r = server.vsctl(["--format=csv", "--data=bare", "--no-headings", f"--columns={cols}",
                          "list", table])
        for fields in csv.reader(io.StringIO(r.stdout)):
            uuid, name = (fields + [""])[:2]
            out[uuid] = f"<{table}:{name}>" if col else f"<{table}>"
    return out


def our_labels(db: Database) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in db.rows("Open_vSwitch"):
        out[row.uuid] = "<Open_vSwitch>"
    for table, col in NAMED.items():
        for row in db.rows(table):
            value = row[col]
            if isinstance(value, list):
                value = value[0] if value else ""
            out[row.uuid] = f"<{table}:{value}>"
    return out


def compare(server: RealOvsdb, db: Database, argv: list[str]) -> tuple[object, object]:
    """Runs ``argv`` on both; returns (real, ours) normalised."""
    real = server.vsctl(argv)
    ours = run_vsctl(db, ["--no-wait", *argv])
    return normalize(real, real_labels(server)), normalize(ours, our_labels(db))
