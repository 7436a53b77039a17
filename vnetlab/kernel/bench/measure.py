"""One measurement inside a lab that is up: iperf3 TCP/UDP, UDP request/response, ping,
and the CPU time the lab's processes spent.

Design note
-----------
Every program runs inside a lab namespace through ``ip netns exec`` (which execs it, so
the pid we hold is the program's own). Servers (``iperf3 -s -1``, the request/response
responder) are children of this process, waited for until they say they listen (bounded)
and stopped by their pid in ``finally`` (SIGTERM, then SIGKILL, each wait bounded);
clients run with a timeout of their test time plus a margin.

CPU cost per gigabyte is the CPU time the lab's processes spent during the TCP test over
the bytes the receiver got: iperf3's client and server as iperf3 itself reports them
(``getrusage``: ``cpu_utilization_percent``), every other process inside the lab's
namespaces (ovs-vswitchd, ovsdb-server: ``/proc/PID/stat`` utime + stime, sampled before
and after, matched by pid *and* start time), and this process's own CPU time (the
TUN/TAP programs run in its threads). Softirq work the kernel charges to no process
(ksoftirqd, or irq time with ``CONFIG_IRQ_TIME_ACCOUNTING``) is not in it; the host-wide
busy time from ``/proc/stat`` is reported beside it (``host_cpu_s_per_gb``), which counts
everything the machine did, other jobs included.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from vnetlab.engine import EngineError
from vnetlab.kernel import nl
from vnetlab.kernel.bench import parse
from vnetlab.kernel.iperf3 import client_argv

SERVER_START_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 2.0
CLIENT_MARGIN_S = 10.0
IPERF_PORT = 5201
RR_PORT = 7777
RR_SIZE = 64
RR_MAX_COUNT = 5000
UDPRR = Path(__file__).with_name("udprr.py")
_ENV = {**os.environ, "LC_ALL": "C"}
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Where:
    """Where a path's traffic runs: the client's and the server's namespaces, all of the
    lab's namespaces (for the CPU time), and the destination address."""

    client_ns: str
    server_ns: str
    namespaces: tuple[str, ...]
    dst: str


def _in_ns(ns: str, argv: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server by its pid: SIGTERM, then SIGKILL, each wait bounded."""
    if proc.poll() is None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
                break
            except subprocess.TimeoutExpired:
                continue
    if proc.stdout is not None:
        proc.stdout.close()


@contextlib.contextmanager
def server(ns: str, argv: Sequence[str], ready: bytes) -> Iterator[subprocess.Popen[bytes]]:
    """A server in ``ns``, once it printed ``ready`` (bounded); stopped on exit."""
    proc = subprocess.Popen(_in_ns(ns, argv), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_ENV)
    try:
        assert proc.stdout is not None
        seen = b""
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while ready not in seen:
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                said = seen.decode(errors="replace").strip() or "no output"
                raise EngineError(f"{argv[0]} in {ns} did not start: {said[:200]}")
            r, _, _ = select.select([proc.stdout], [], [], min(0.1, left))
            if r:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk and proc.poll() is not None:
                    continue
                seen += chunk
        yield proc
    finally:
        _stop(proc)


def _client(ns: str, argv: Sequence[str], limit_s: float) -> str:
    try:
        done = subprocess.run(_in_ns(ns, argv), capture_output=True, text=True,
                              timeout=limit_s, env=_ENV, check=False)
    except subprocess.TimeoutExpired:
        raise EngineError(f"{argv[0]} in {ns} did not finish within {limit_s:g} s") from None
    return done.stdout if done.stdout.strip() else done.stderr


# -- CPU time ---------------------------------------------------------------------------
def _proc_cpu(pid: int) -> tuple[int, int] | None:
    """(start time, utime + stime) of a process in clock ticks (None: gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = stat[stat.rfind(")") + 2:].split()  # comm may hold spaces and parentheses
    return int(rest[19]), int(rest[11]) + int(rest[12])


def ns_processes(namespaces: Sequence[str]) -> dict[int, tuple[int, int]]:
    """pid -> (start, cpu ticks) of every process inside the given namespaces."""
    inodes = set()
    for ns in namespaces:
        with contextlib.suppress(OSError):
            inodes.add(os.stat(nl.netns_path(ns)).st_ino)
    out: dict[int, tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry.name}/ns/net").st_ino not in inodes:
                continue
        except OSError:
            continue
        cpu = _proc_cpu(int(entry.name))
        if cpu is not None:
            out[int(entry.name)] = cpu
    return out


def others_cpu_s(before: dict[int, tuple[int, int]], after: dict[int, tuple[int, int]],
                 exclude: set[int]) -> float:
    """CPU seconds the processes alive at both samples spent between them."""
    ticks = 0
    for pid, (start, t1) in after.items():
        b = before.get(pid)
        if pid in exclude or b is None or b[0] != start:
            continue
        ticks += t1 - b[1]
    return ticks / _TICK


def host_busy_s() -> float:
    """CPU seconds the whole machine has been busy since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    vals = [int(v) for v in fields[:8]]
    return (sum(vals) - vals[3] - vals[4]) / _TICK  # minus idle and iowait


def self_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


# -- the measurements -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TcpRun:
    figures: parse.IperfFigures
    cpu_s: float  # the lab's processes (see the design note)
    host_cpu_s: float

    @property
    def cpu_s_per_gb(self) -> float:
        return self.cpu_s / (self.figures.bytes / 1e9) if self.figures.bytes else 0.0

    @property
    def host_cpu_s_per_gb(self) -> float:
        return self.host_cpu_s / (self.figures.bytes / 1e9) if self.figures.bytes else 0.0


def iperf(w: Where, secs: float, *, parallel: int = 1, udp_len: int | None = None) -> TcpRun:
    """One iperf3 test (TCP with ``parallel`` streams, or UDP ``-l udp_len -b 0``)."""
    from ipaddress import IPv4Address

    argv = client_argv(IPv4Address(w.dst), port=IPERF_PORT, udp=udp_len is not None,
                       bitrate=0 if udp_len is not None else None, time_s=secs,
                       length=udp_len)
    if parallel > 1:
        argv += ["-P", str(parallel)]
    srv_argv = ["iperf3", "-s", "-1", "--forceflush", "-p", str(IPERF_PORT)]
    with server(w.server_ns, srv_argv, b"Server listening") as srv:
        before = ns_processes(w.namespaces)
        busy0, self0 = host_busy_s(), self_cpu_s()
        out = _client(w.client_ns, argv, secs + CLIENT_MARGIN_S)
        busy1, self1 = host_busy_s(), self_cpu_s()
        after = ns_processes(w.namespaces)
        figs = parse.iperf_text(out, w.dst)
        others = others_cpu_s(before, after, {srv.pid})
    cpu = figs.cpu_client_s + figs.cpu_server_s + others + (self1 - self0)
    return TcpRun(figs, cpu, busy1 - busy0)


def request_response(w: Where, secs: float) -> tuple[list[float], int]:
    """UDP request/response round trips in µs (and how many requests were lost)."""
    py = [sys.executable, "-I", str(UDPRR)]
    with server(w.server_ns, [*py, "serve", str(RR_PORT), f"{secs + CLIENT_MARGIN_S:g}"],
                b"ready"):
        out = _client(w.client_ns, [*py, "client", w.dst, str(RR_PORT), f"{secs:g}",
                                    str(RR_MAX_COUNT), str(RR_SIZE)],
                      secs + CLIENT_MARGIN_S)
    return parse.rr_samples_us(out)


def ping(w: Where, count: int, interval_s: float = 0.01) -> list[float]:
    """``ping -c COUNT -i INTERVAL`` round trips in µs, one per reply."""
    argv = ["ping", "-n", "-c", str(count), "-i", f"{interval_s:g}", "-W", "1", w.dst]
    out = _client(w.client_ns, argv, count * interval_s + CLIENT_MARGIN_S)
    rtts = parse.ping_rtts_us(out)
    if not rtts:
        raise EngineError(f"ping {w.dst} from {w.client_ns}: no reply ({out.strip()[-200:]})")
    return rtts
