"""LinuxEngine: the Engine protocol on the real kernel, inside namespaces the lab owns.

Design note
-----------
``realize`` = real programs check (``hostprogs``) -> features check -> ``plan`` -> ownership
record (``runtime.claim``, before anything exists) -> ``apply`` (rolled back on failure) ->
record status ``up``.
``teardown`` deletes the lab's links in batches and removes its namespaces (``apply.destroy``)
then the record.

The engine is one class assembled from a part per concern, each a mixin on ``EngineCore``
(``engine_base``: the lab record, the live handles, node -> namespace lookups): the apps —
ping, exec, packet capture — in ``engine_apps``, iperf3 in ``engine_iperf``, device counters
and raw frames in ``engine_counters``, the tc step and qdisc counters in ``engine_qdisc``, the
host's neighbour table and the ping batches in ``engine_neigh``; giving back the SR-IOV PFs
an attached lab claimed is ``engine_sriov``. This module keeps the life cycle: plan,
realize, attach, time and STP, observe, teardown, ``down`` and ``status``.

A node with ``ovs:`` runs its own ovsdb-server and ovs-vswitchd (``vnetlab.kernel.ovs``):
their pid + start time go into the record once built; ``teardown``, ``down`` and ``gc``
stop them (found also without the record: pid files, the namespace's processes) before
the namespaces go, since a running daemon keeps its namespace alive.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any

from vnetlab.engine import EngineError
from vnetlab.kernel import apply as applier
from vnetlab.kernel import engine_sriov, features, hostprogs, nl, programs, runtime, storm
from vnetlab.kernel.engine_apps import AppsMixin, _Capture, parse_ping
from vnetlab.kernel.engine_counters import CounterMixin
from vnetlab.kernel.engine_iperf import IperfMixin
from vnetlab.kernel.engine_neigh import NeighMixin
from vnetlab.kernel.engine_qdisc import QdiscMixin
from vnetlab.kernel.gc import check_namespace
from vnetlab.kernel.kinds.bridge import read_stp_status
from vnetlab.kernel.observe import observe as observe_ns
from vnetlab.kernel.ops.base import DEFAULT_PREFIX, Op, Realized
from vnetlab.kernel.ops.ipv6 import SettleAddrconf
from vnetlab.kernel.ops.netns import AddNetns
from vnetlab.kernel.ops.tc import netem_unsupported
from vnetlab.kernel.ops.xfrm import esp_unsupported
from vnetlab.kernel.ovs import daemons as ovs_daemons
from vnetlab.kernel.ovs import observe as ovs_observe
from vnetlab.kernel.plan import plan, required_features
from vnetlab.model.checks import MAX_WAIT_S
from vnetlab.model.loops import find_loops
from vnetlab.model.spec import LabSpec
from vnetlab.model.state import LabState
from vnetlab.model.tc import lab_tc_lines, parse_tc_line
from vnetlab.tuntap.api import ProgramError

__all__ = ["LinuxEngine", "down", "parse_ping", "require_root", "status"]



class LinuxEngine(AppsMixin, IperfMixin, CounterMixin, QdiscMixin, NeighMixin):
    """Build and run labs on the real kernel (needs root)."""

    name = "linux"

    def __init__(self, *, prefix: str = DEFAULT_PREFIX, persistent: bool = False,
                 programs_needed: Sequence[str] = (),
                 which: hostprogs.Which = shutil.which, allow_loops: bool = False) -> None:
        self.prefix = prefix
        #: build a lab with an L2 loop without STP anyway, bounded (``kernel.storm``)
        self.allow_loops = allow_loops
        self.storm_measures: list[storm.StormMeasure] = []
        self.up_at = 0.0  # time.monotonic() when the lab was up (STP started)
        #: real programs checked before building besides the checks' own (``hostprogs``)
        self.programs_needed = tuple(programs_needed)
        self.which = which
        self.persistent = persistent
        self.lab: LabSpec | None = None
        self.record: runtime.LabRecord | None = None
        self.realized: Realized | None = None
        self.ops: list[Op] = []
        self.captures: list[_Capture] = []
        self.check_batches = 1  # how many batches the last prepare_checks planned
        #: running TUN/TAP programs by "node:ifname" (``vnetlab.kernel.programs``)
        self.programs: dict[str, programs.ProgramThread] = {}

    # -- build ---------------------------------------------------------------------------
    def plan(self, lab: LabSpec, run_id: str = "manual") -> list[Op]:
        storm.refuse_loops(lab, self.allow_loops)  # a loop is named before anything is built
        unsupported = features.unsupported_kinds(required_features(lab))
        if any(node.xfrm for node in lab.nodes.values()):
            why = esp_unsupported()
            if why is not None:
                unsupported["xfrm-esp"] = why
        if any(parse_tc_line(line).kind == "netem" for _, line in lab_tc_lines(lab)):
            why = netem_unsupported()
            if why is not None:
                unsupported["tc-netem"] = why
        return plan(lab, prefix=self.prefix, run_id=run_id, unsupported=unsupported)

    def realize(
        self,
        lab: LabSpec,
        *,
        fail_at: int | None = None,
        on_progress: Callable[[int, Op], None] | None = None,
    ) -> None:
        if self.record is not None:
            raise EngineError(f"this engine already holds lab {self.record.lab!r}")
        hostprogs.check_programs(lab, self.programs_needed, self.which)
        require_root()
        run_id = secrets.token_hex(4)
        ops = self.plan(lab, run_id)  # raises UnsupportedError before anything is made
        namespaces = {op.node: op.ns for op in ops if isinstance(op, AddNetns)}
        try:  # TUN/TAP programs are imported now: a bad one is refused before building
            progs = programs.load_all(lab, namespaces)
        except ProgramError as e:
            raise EngineError(str(e)) from None
        rec = runtime.LabRecord(
            lab=lab.name, prefix=self.prefix, run_id=run_id, namespaces=namespaces,
            pid=os.getpid(), pid_start=runtime.proc_start_time(os.getpid()),
            persistent=self.persistent, spec=lab.model_dump(mode="json"),
        )
        runtime.claim(rec)  # first: a lab that is up (or died) is named as such
        clash = [n for n in namespaces.values() if os.path.exists(nl.netns_path(n))]
        if clash:
            runtime.release(rec)
            raise EngineError(
                f"namespace(s) {', '.join(clash)} already exist and are not this run's",
                hint="`vnetlab down` / `vnetlab gc` if they are an old lab's, else rename the lab",
            )
        try:
            self.realized = applier.apply(ops, fail_at=fail_at, on_progress=on_progress)
        except BaseException:
            runtime.release(rec)
            raise
        # from here teardown() knows the lab: a Ctrl-C or a failed state write below
        # still removes it
        self.lab, self.record, self.ops = lab, rec, ops
        self.up_at = time.monotonic()
        try:
            rec.status = "up"
            rec.ovs = [d.to_json() for d in self.realized.processes]
            rec.ns_inodes = {n: os.stat(nl.netns_path(n)).st_ino for n in namespaces.values()}
            runtime.update(rec)
        except BaseException:
            self.teardown()
            raise
        try:  # each in a thread inside its node's namespace, on the real /dev/net/tun fd
            self.programs = programs.start_all(progs)
            for op in ops if self.programs else ():  # a TAP's carrier came with its
                if isinstance(op, SettleAddrconf):  # program: its DAD starts only now
                    op.apply(self.realized)
        except BaseException as e:
            self.teardown()
            if isinstance(e, ProgramError):
                raise EngineError(str(e)) from None
            raise
        loops = find_loops(lab) if self.allow_loops else []
        if loops:  # run bounded: inject, measure, break the loop (kernel.storm)
            try:
                self.storm_measures = storm.bound_storms(loops, storm.run_in(self._ns))
            except BaseException:
                self.teardown()
                raise

    @classmethod
    def attach(cls, lab_name: str, *, prefix: str = DEFAULT_PREFIX) -> LinuxEngine:
        """An engine for a lab another process brought up (``vnetlab down/exec/show``)."""
        rec = runtime.find(lab_name, prefix)
        if rec is None:
            raise EngineError(f"lab {lab_name!r} is not up on the linux engine",
                              hint="`vnetlab status` lists the labs that are up")
        eng = cls(prefix=prefix, persistent=rec.persistent)
        eng.record = rec
        if rec.spec is not None:
            with contextlib.suppress(ValueError):
                eng.lab = LabSpec.model_validate(rec.spec)
        return eng

    # -- time, STP and storms (the stp/wait/storm checks) ------------------------------------
    def elapsed(self) -> float:
        """Seconds since the lab was up (its bridges started STP then)."""
        return time.monotonic() - self.up_at

    def advance(self, seconds: float) -> None:
        """Let real time pass (bounded by the checks' own limit, ``MAX_WAIT_S``)."""
        time.sleep(max(0.0, min(seconds, MAX_WAIT_S)))

    def set_link(self, node: str, ifname: str, up: bool) -> None:
        """``ip link set IFNAME up|down`` in the node's namespace (a lab interface)."""
        done = subprocess.run(["ip", "-n", self._ns(node), "link", "set", ifname,
                               "up" if up else "down"], capture_output=True, text=True,
                              timeout=10, check=False)
        if done.returncode != 0:
            raise EngineError(done.stderr.strip() or f"ip link set {ifname} failed")

    def stp_status(self, node: str, bridge: str) -> dict[str, Any]:
        run = storm.run_in(self._ns)
        try:
            return read_stp_status(lambda argv: run(node, argv), bridge)
        except (KeyError, ValueError):
            raise EngineError(f"{node}:{bridge} is not a bridge") from None

    def storms(self) -> dict[str, int]:
        """``node:bridge`` -> peak frames/s measured on its loop ports (``--allow-loops``)."""
        out: dict[str, int] = {}
        assert self.lab is not None or not self.storm_measures
        for m, lp in zip(self.storm_measures, find_loops(self.lab) if self.lab else [],
                         strict=False):
            for h in lp.hops:
                out[f"{h.node}:{h.switch}"] = m.peak
        return out

    def storm_summary(self) -> str | None:
        return "; ".join(m.describe() for m in self.storm_measures) or None

    # -- state ---------------------------------------------------------------------------
    def observe(self) -> LabState:
        if self.record is None:
            raise EngineError("no lab is up in this engine")
        socks: dict[str, tuple[nl.NlSocket, int]] = {}
        opened: list[tuple[nl.NlSocket, int]] = []
        try:
            for node, ns in self.record.namespaces.items():
                h = self.realized.ns.get(ns) if self.realized else None
                if h is not None:
                    socks[node] = (h.sock, h.fd)
                else:
                    fd = nl.open_netns(ns)
                    pair = (nl.socket_in(fd), fd)
                    opened.append(pair)
                    socks[node] = pair
            return self._with_ovs_fdb(observe_ns(self.record.lab, socks, self.lab))
        finally:
            for sock, fd in opened:
                sock.close()
                os.close(fd)

    def _with_ovs_fdb(self, state: LabState) -> LabState:
        """Add each OVS bridge's MAC learning table (``ovs-appctl fdb/show``) to its node's
        FDB, as a Linux bridge's is there (``vnetlab.kernel.ovs.observe``)."""
        if self.lab is None or self.record is None:
            return state
        nodes = dict(state.nodes)
        for name, node in self.lab.nodes.items():
            if node.ovs and name in nodes:
                rundir = str(ovs_daemons.node_dir(self.record.prefix, self.record.lab, name))
                extra = ovs_observe.fdb(rundir, list(node.ovs))
                nodes[name] = dataclasses.replace(nodes[name],
                                                  fdb=(*nodes[name].fdb, *extra))
        return dataclasses.replace(state, nodes=nodes)

    def teardown(self) -> None:
        self.stop_captures()
        programs.stop_all(self.programs)
        rec = self.record
        if rec is None:
            return
        rec.status = "tearing-down"
        rec.pid, rec.pid_start = os.getpid(), runtime.proc_start_time(os.getpid())
        with contextlib.suppress(OSError):
            runtime.update(rec)
        names = list(rec.namespaces.values())
        try:  # the lab's daemons first: a running one keeps its namespace alive
            ovs_daemons.stop_recorded(rec)
            stuck = None
        except EngineError as e:
            stuck = e
        engine_sriov.release_claims(self.realized, rec)  # attached: from their records
        if self.realized is None:  # attached: remove only what provably is this lab's
            verdicts = [check_namespace(ns, rec) for ns in names]
            names = [v.ns for v in verdicts if v.owned]
            foreign = [f"{v.ns} ({v.reason})" for v in verdicts
                       if not v.owned and v.reason != "already gone"]
        else:
            foreign = []
        applier.destroy(self.realized, names)
        if stuck is not None:
            raise stuck
        if foreign:
            raise EngineError(
                f"left alone, not provably lab {rec.lab!r}'s: {', '.join(foreign)}",
                hint=f"inspect with `ip netns`; the record stays in {runtime.run_dir()}",
            )
        runtime.release(rec)
        self.realized = None
        self.record = None


def require_root(what: str = "the linux engine") -> None:
    if os.geteuid() != 0:
        raise EngineError(f"{what} needs root (network namespaces, netlink)",
                          hint="run it with sudo, or use the emulator (--engine sim)")


def down(
    lab_name: str, *, prefix: str = DEFAULT_PREFIX
) -> tuple[list[str], dict[str, list[int]]]:
    """``vnetlab down LAB``: remove a lab another process brought up.

    Returns the namespaces removed and, per namespace, the processes that were still
    running in it (started with ``vnetlab exec``): they are not ours to kill, and they
    keep that network namespace alive, so the caller tells the user."""
    eng = LinuxEngine.attach(lab_name, prefix=prefix)
    assert eng.record is not None
    names = list(eng.record.namespaces.values())
    ovs_daemons.stop_recorded(eng.record)  # ours: not to be reported as lingering
    present = [n for n in names if os.path.exists(nl.netns_path(n))]
    lingering = {n: p for n in present if (p := nl.pids_in_netns(n))}
    eng.teardown()
    return present, lingering


def status(prefix: str = DEFAULT_PREFIX) -> list[runtime.LabRecord]:
    """The labs recorded on this host (``vnetlab status``)."""
    return [r for r in runtime.records() if r.prefix == prefix]

