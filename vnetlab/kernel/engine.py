"""LinuxEngine: the Engine protocol on the real kernel, inside namespaces the lab owns.

Design note
-----------
``realize`` = real programs check (``hostprogs``) -> features check -> ``plan`` -> ownership
record (``runtime.claim``, before anything exists) -> ``apply`` (rolled back on failure) ->
record status ``up``.
``teardown`` deletes the lab's links in batches and removes its namespaces (``apply.destroy``)
then the record. Apps are the real programs run in the node's namespace the way a user
would: ``ip netns exec NS ping -c N -W T [-s S] [-M do] DST`` (iputils, output parsed with
``LC_ALL=C``), ``ip netns exec NS tcpdump -U --immediate-mode -Z root -i IF -w PATH``
(started when it says "listening on"; immediate mode so no frame waits in the ring buffer
when it is stopped with SIGINT, which makes it flush), and ``exec`` for any argv (on a node
with Open vSwitch with ``OVS_RUNDIR`` & co. pointing at the node's own daemons). Every wait
is bounded; only processes this engine started are signalled, by pid.

A node with ``ovs:`` runs its own ovsdb-server and ovs-vswitchd (``vnetlab.kernel.ovs``):
their pid + start time go into the record once built; ``teardown``, ``down`` and ``gc``
stop them (found also without the record: pid files, the namespace's processes) before
the namespaces go, since a running daemon keeps its namespace alive.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from pyroute2.netlink.rtnl.ndmsg import ndmsg

from vnetlab.engine import EngineError, IperfResult, PingResult
from vnetlab.kernel import apply as applier
from vnetlab.kernel import features, hostprogs, iperf3, limits, nl, programs, runtime, storm
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.gc import check_namespace
from vnetlab.kernel.kinds import sriov_host
from vnetlab.kernel.kinds.bridge import read_stp_status
from vnetlab.kernel.observe import observe as observe_ns
from vnetlab.kernel.ops.base import DEFAULT_PREFIX, NsHandle, Op, Realized, alias_for
from vnetlab.kernel.ops.netns import AddNetns
from vnetlab.kernel.ops.tc import Tc, netem_unsupported, never_on_kernel, qdisc_stats
from vnetlab.kernel.ops.xfrm import esp_unsupported
from vnetlab.kernel.ovs import daemons as ovs_daemons
from vnetlab.kernel.ovs import observe as ovs_observe
from vnetlab.kernel.plan import plan, required_features
from vnetlab.model.checks import MAX_WAIT_S, PingCheck
from vnetlab.model.loops import find_loops
from vnetlab.model.spec import LabSpec
from vnetlab.model.state import LabState
from vnetlab.model.tc import TcError, lab_tc_lines, parse_tc_line
from vnetlab.tuntap.api import ProgramError

CAPTURE_START_TIMEOUT_S = 5.0
CAPTURE_STOP_TIMEOUT_S = 5.0
_RTT = re.compile(r"bytes from .*time[=<]([\d.]+) ms")
_TTL = re.compile(r" ttl=(\d+) ")
_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
_ENV = {**os.environ, "LC_ALL": "C"}
AF_INET = 2
NUD_NOARP = 0x40
NUD_PERMANENT = 0x80


def parse_ping(src: str, dst: IPv4Address, count: int, text: str) -> PingResult:
    """Parse iputils ``ping`` output: reply rtts, error lines, the summary counts."""
    rtts: list[int] = []
    ttls: list[int] = []
    errors: list[str] = []
    transmitted = received = None
    for line in text.splitlines():
        line = line.strip()
        m = _RTT.search(line)
        if m and " from " in line and "icmp_seq" in line:
            rtts.append(round(float(m.group(1)) * 1_000_000))
            t = _TTL.search(line)
            if t:
                ttls.append(int(t.group(1)))
            continue
        m = _SUMMARY.search(line)
        if m:
            transmitted, received = int(m.group(1)), int(m.group(2))
            continue
        if line.startswith("From ") or line.startswith("ping:") or "Unreachable" in line:
            errors.append(line)
    if transmitted is None:
        transmitted = count if not errors else 0
        received = len(rtts)
    return PingResult(
        src=src, dst=dst, transmitted=transmitted, received=received or 0,
        rtts_ns=tuple(rtts), errors=tuple(errors), ttls=tuple(ttls),
    )


@dataclass
class _Capture:
    proc: subprocess.Popen[bytes]
    path: Path


class LinuxEngine:
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

    # -- helpers -------------------------------------------------------------------------
    def _ns(self, node: str) -> str:
        if self.record is None:
            raise EngineError("no lab is up in this engine")
        try:
            return self.record.namespaces[node]
        except KeyError:
            known = ", ".join(sorted(self.record.namespaces))
            raise EngineError(f"lab {self.record.lab!r} has no node {node!r} (nodes: {known})")\
                from None

    def namespace(self, node: str) -> str:
        return self._ns(node)

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

    def _handle(self, node: str) -> NsHandle:
        h = self.realized.ns.get(self._ns(node)) if self.realized else None
        if h is None:
            raise EngineError(f"node {node!r} has no namespace handle (the lab is not up)")
        return h

    def tc(self, node: str, line: str) -> None:
        """A ``tc`` step: the line as a qdisc request in the node's namespace (vnetlab.kernel
        .ops.tc); refused, as at plan time, where the kernel or the encoder cannot."""
        try:
            cmd = parse_tc_line(line)
        except TcError as e:
            raise EngineError(f"tc {line}: {e.message.splitlines()[0]}") from None
        never = never_on_kernel(cmd)
        why = never if never is not None else (
            netem_unsupported() if cmd.kind == "netem" else None)
        if why is not None:
            raise EngineError(f"tc {line}: {why}")
        h = self._handle(node)
        if cmd.dev not in h.index:
            h.index[cmd.dev] = self._ifindex(node, cmd.dev)
        assert self.realized is not None  # _handle found it
        Tc(h.name, line=line).apply(self.realized)

    def _ifindex(self, node: str, ifname: str) -> int:
        done = subprocess.run(["ip", "-n", self._ns(node), "-j", "link", "show", ifname],
                              capture_output=True, text=True, timeout=10, check=False)
        if done.returncode != 0:
            raise EngineError(done.stderr.strip() or f'Cannot find device "{ifname}"')
        return int(json.loads(done.stdout)[0]["ifindex"])

    def qdisc_stats(self, node: str, ifname: str) -> list[dict[str, Any]]:
        """NODE:IFNAME's qdiscs with ``tc -s`` counters (kind, handle, bytes, packets,
        drops, overlimits, requeues, backlog, qlen), read over netlink."""
        h = self._handle(node)
        idx = h.index.get(ifname) or self._ifindex(node, ifname)
        return qdisc_stats(h.sock, idx)

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

    # -- apps ----------------------------------------------------------------------------
    def ping(
        self,
        node: str,
        dst: IPv4Address,
        *,
        count: int = 1,
        size: int = 56,
        dont_fragment: bool = False,
        timeout_s: float = 1.0,
        interval_s: float | None = None,
    ) -> PingResult:
        ns = self._ns(node)
        wait = max(1, int(round(timeout_s)))
        interval = 0.2 if interval_s is None else interval_s
        argv = ["ip", "netns", "exec", ns, "ping", "-n", "-c", str(count), "-W", str(wait),
                "-i", f"{interval:g}", "-s", str(size)]
        if dont_fragment:
            argv += ["-M", "do"]
        argv.append(str(dst))
        limit = count * interval + wait + 10
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=limit, env=_ENV,
                                  check=False)
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            res = parse_ping(node, dst, count, out)
            return PingResult(res.src, dst, count, res.received, res.rtts_ns,
                              res.errors + (f"ping did not finish within {limit:.0f} s",))
        return parse_ping(node, dst, count, done.stdout + done.stderr)

    def iperf(self, node: str, dst: IPv4Address, *, udp: bool = False,
              bitrate: int | None = None, time_s: float = 1.0, length: int | None = None,
              window: int | None = None) -> IperfResult:
        """The real iperf3 from NODE to DST (``vnetlab.kernel.iperf3``): a one-off server
        in the node holding DST, stopped by pid whatever happens."""
        server = iperf3.server_node(self.lab, dst) if self.lab is not None else None
        if server is None:
            raise EngineError(f"no node of this lab holds {dst}: nowhere to run iperf3 -s",
                              hint="iperf checks name an address of a lab interface")
        return iperf3.run_iperf3(node, self._ns(node), self._ns(server), dst, udp=udp,
                                 bitrate=bitrate, time_s=time_s, length=length,
                                 window=window)

    def exec(self, node: str, argv: Sequence[str], *, timeout_s: float | None = None,
             capture: bool = False) -> int | subprocess.CompletedProcess[str]:
        """Run a real program in the node's namespace; its exit status (or the result)."""
        if not argv:
            raise EngineError("exec needs a command to run")
        full = ["ip", "netns", "exec", self._ns(node), *argv]
        try:
            done = subprocess.run(full, timeout=timeout_s, check=False, capture_output=capture,
                                  text=capture or None, env=self.exec_env(node))
        except FileNotFoundError as e:
            raise EngineError(f"cannot run {argv[0]!r}: {e}") from None
        return done if capture else done.returncode

    def exec_env(self, node: str) -> dict[str, str] | None:
        """The environment of ``exec``: the OVS tools reach the node's own daemons
        (``OVS_RUNDIR`` ...), if the node runs an Open vSwitch; else the caller's."""
        assert self.record is not None
        rundir = ovs_daemons.node_dir(self.record.prefix, self.record.lab, node)
        return {**os.environ, **ovs_daemons.env(rundir)} if rundir.is_dir() else None

    def start_capture(self, node: str, ifname: str, path: Path) -> None:
        ns = self._ns(node)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        argv = ["ip", "netns", "exec", ns, "tcpdump", "-U", "--immediate-mode", "-n",
                "-Z", "root", "-i", ifname, "-w", str(path)]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=_ENV)
        assert proc.stderr is not None
        deadline = time.monotonic() + CAPTURE_START_TIMEOUT_S
        seen = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stderr], [], [], 0.1)
            if ready:
                chunk = os.read(proc.stderr.fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
                if b"listening on" in seen:
                    self.captures.append(_Capture(proc, path))
                    return
            elif proc.poll() is not None:
                break
        _stop(proc)
        raise EngineError(f"tcpdump on {node}:{ifname} did not start: "
                          f"{seen.decode(errors='replace').strip() or 'no output'}")

    def stop_captures(self) -> None:
        caps, self.captures = self.captures, []
        for cap in caps:
            _stop(cap.proc)

    # -- host limits ---------------------------------------------------------------------
    def ping_batches(self, pings: Sequence[tuple[str, IPv4Address]]) -> list[list[int]]:
        """Indexes of ``pings`` in batches that fit the host's neighbour table (one batch if
        all fit). Between batches call ``flush_neighbours``. See ``vnetlab.kernel.limits``."""
        if self.lab is None:
            raise EngineError("no lab is up in this engine")
        return limits.batches(self.lab, pings, limits.budget())

    def prepare_checks(self, checks: Sequence[Any]) -> Callable[[int], None] | None:
        """Plan the lab's ping checks within the host's global neighbour table (hook of
        ``tools.checks.run_checks``). All fit: no hook. Else the pings are split into
        batches that fit, and the returned hook flushes the lab's neighbour tables before
        the first check of each later batch. A ping that alone does not fit raises
        ``NeighbourTableTooSmall`` (a clear error instead of wrong reachability)."""
        pings = [(i, c.src, c.dst) for i, c in enumerate(checks) if isinstance(c, PingCheck)]
        if not pings:
            return None
        groups = self.ping_batches([(src, dst) for _, src, dst in pings])
        if len(groups) <= 1:
            return None
        starts = {pings[g[0]][0] for g in groups[1:]}
        self.check_batches = len(groups)

        def before(index: int) -> None:
            if index in starts:
                self.flush_neighbours()

        return before

    def flush_neighbours(self) -> int:
        """``ip -n NS neigh flush all`` in every lab namespace; entries removed."""
        if self.record is None:
            raise EngineError("no lab is up in this engine")
        removed = 0
        for ns in self.record.namespaces.values():
            h = self.realized.ns.get(ns) if self.realized else None
            fd = h.fd if h is not None else nl.open_netns(ns)
            sock = h.sock if h is not None else nl.socket_in(fd)
            try:
                m = ndmsg()
                m["family"] = AF_INET
                for n in sock.dump(m, M.RTM_GETNEIGH):
                    if n["state"] & (NUD_NOARP | NUD_PERMANENT):
                        continue
                    body = M.ndmsg(AF_INET, n["ifindex"], 0, 0)
                    body += M.ipv4(M.NDA_DST, n.get_attr("NDA_DST"))
                    sock.send_raw(M.RTM_DELNEIGH, body)
                    removed += 1
                try:
                    sock.flush()
                except nl.NetlinkRequestError as e:
                    if e.errno != errno.ENOENT:  # already gone (gc raced us)
                        raise
            finally:
                if h is None:
                    sock.close()
                    os.close(fd)
        return removed

    # -- counters and raw frames (the counter check, the inject step) ---------------------
    @contextlib.contextmanager
    def _netlink_in(self, node: str) -> Iterator[tuple[nl.NlSocket, int]]:
        """(socket, namespace fd) of the node's namespace, for the block."""
        ns = self._ns(node)
        h = self.realized.ns.get(ns) if self.realized else None
        if h is not None:
            yield h.sock, h.fd
            return
        fd = nl.open_netns(ns)
        sock = nl.socket_in(fd)
        try:
            yield sock, fd
        finally:
            sock.close()
            os.close(fd)

    def counter(self, node: str, ifname: str, name: str) -> int:
        """A device counter: its stats64 field, else its ``ethtool -S`` name."""
        from vnetlab.kernel.counters import read_counter, run_ethtool

        with self._netlink_in(node) as (sock, _fd):
            try:
                value, names = read_counter(sock, ifname, name, run_ethtool(self._ns(node)))
            except LookupError as e:
                raise EngineError(f"{node}: {e}") from None
        if value is None:
            raise EngineError(f"{node}:{ifname} has no counter {name!r}",
                              hint=f"its counters: {', '.join(names)}")
        return value

    def inject(self, node: str, ifname: str, frame: bytes, count: int,
               interval_s: float) -> None:
        """A packet socket in the node's namespace sends ``frame`` ``count`` times."""
        from vnetlab.kernel.counters import inject

        with self._netlink_in(node) as (_sock, fd):
            try:
                inject(fd, ifname, frame, count, interval_s)
            except OSError as e:
                raise EngineError(f"{node}:{ifname}: cannot send raw frames: "
                                  f"{e.strerror}") from None
        time.sleep(0.2)  # let the frames land before the next check reads a counter

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
        if self.realized is None:  # attached: the PFs it claimed, from their records
            sriov_host.restore_lab(alias_for(rec.lab, rec.run_id))
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


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT (tcpdump flushes and closes its file), then terminate, then kill; bounded."""
    if proc.poll() is None:
        for sig, wait in ((signal.SIGINT, CAPTURE_STOP_TIMEOUT_S), (signal.SIGTERM, 2.0),
                          (signal.SIGKILL, 2.0)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    if proc.stderr is not None:
        proc.stderr.close()


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

