"""The real ``iperf3`` between two of a lab's namespaces (the ``iperf`` check, ``vnetlab iperf``).

Design note
-----------
The server is ``iperf3 -s -1 --forceflush -p PORT`` in the namespace that holds the
destination address (one test, then it exits), started as a child of this process so it
can be stopped by its own pid; ``ip netns exec`` execs iperf3, so the pid is iperf3's. It
is ready once it printed "Server listening" (bounded wait). The client is
``iperf3 -c DST -p PORT -t T -J`` (``-u -b RATE`` for UDP, ``-l LEN``, ``-w WINDOW``) in
the source node, bounded by the test time plus a margin. Whatever happens, the server is
stopped in ``finally`` (SIGTERM, then SIGKILL, each wait bounded). The client's JSON is
read into ``IperfResult``: the receiver's rate from ``end.sum_received`` (TCP) or
``end.sum`` (UDP: iperf3 fills the loss and jitter the server reported there).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import time
from collections.abc import Mapping
from ipaddress import IPv4Address
from typing import Any

from vnetlab.engine import EngineError, IperfResult

PORT = 5201
SERVER_START_TIMEOUT_S = 5.0
SERVER_STOP_TIMEOUT_S = 2.0
#: what a client may take beyond its test time (connect, the final exchange)
CLIENT_MARGIN_S = 10.0
_ENV = {**os.environ, "LC_ALL": "C"}


def client_argv(dst: IPv4Address, *, port: int = PORT, udp: bool = False,
                bitrate: int | None = None, time_s: float = 1.0, length: int | None = None,
                window: int | None = None) -> list[str]:
    """The client's command line (after ``ip netns exec NS``)."""
    argv = ["iperf3", "-c", str(dst), "-p", str(port), "-t", f"{time_s:g}", "-J"]
    if udp:
        argv += ["-u", "-b", str(bitrate if bitrate is not None else 1_000_000)]
    if length is not None:
        argv += ["-l", str(length)]
    if window is not None:
        argv += ["-w", str(window)]
    return argv


def _wait_listening(proc: subprocess.Popen[bytes]) -> str:
    """Read the server's output until it listens; what it said (bounded wait)."""
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
            if b"Server listening" in seen:
                return ""
        elif proc.poll() is not None:
            break
    return seen.decode(errors="replace").strip() or "no output"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)
            try:
                proc.wait(timeout=SERVER_STOP_TIMEOUT_S)
                break
            except subprocess.TimeoutExpired:
                continue
    if proc.stdout is not None:
        proc.stdout.close()


def run_iperf3(src: str, src_ns: str, server_ns: str, dst: IPv4Address, *,
               udp: bool = False, bitrate: int | None = None, time_s: float = 1.0,
               length: int | None = None, window: int | None = None,
               port: int = PORT) -> IperfResult:
    """One iperf3 test from namespace ``src_ns`` to ``dst`` (held by ``server_ns``)."""
    server = subprocess.Popen(
        ["ip", "netns", "exec", server_ns, "iperf3", "-s", "-1", "--forceflush",
         "-p", str(port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=_ENV)
    try:
        why = _wait_listening(server)
        if why:
            raise EngineError(f"iperf3 server in {server_ns} did not start: {why}")
        argv = ["ip", "netns", "exec", src_ns, *client_argv(
            dst, port=port, udp=udp, bitrate=bitrate, time_s=time_s, length=length,
            window=window)]
        limit = time_s + CLIENT_MARGIN_S
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=limit,
                                  env=_ENV, check=False)
        except subprocess.TimeoutExpired:
            raise EngineError(f"iperf3 -c {dst} did not finish within {limit:g} s") from None
        try:
            doc = json.loads(done.stdout)
        except ValueError:
            raise EngineError(f"iperf3 -c {dst} printed no JSON: "
                              f"{(done.stderr or done.stdout).strip()[:200]}") from None
        return parse_json(src, dst, doc)
    finally:
        _stop(server)


def _f(d: Mapping[str, Any], key: str) -> float:
    v = d.get(key, 0)
    return float(v) if isinstance(v, (int, float)) else 0.0


def parse_json(src: str, dst: IPv4Address, doc: dict[str, Any]) -> IperfResult:
    """iperf3 ``-J`` -> ``IperfResult`` (an ``error`` key: a result with the error)."""
    if "error" in doc:
        return IperfResult(src, dst, "?", 0.0, 0, 0.0, 0.0,
                           errors=(f"iperf3: error - {doc['error']}",), json=doc)
    start = doc.get("start", {})
    end = doc.get("end", {})
    proto = str(start.get("test_start", {}).get("protocol", "TCP"))
    if proto == "UDP":
        s = end.get("sum", {})
        sent = end.get("sum_sent", s)
        packets = int(_f(s, "packets"))
        lost = int(_f(s, "lost_packets"))
        recv = end.get("sum_received")
        rbytes = int(_f(recv, "bytes")) if recv else int(_f(s, "bytes") * (
            1 - lost / packets if packets else 1))
        rbps = _f(recv, "bits_per_second") if recv else _f(s, "bits_per_second") * (
            1 - lost / packets if packets else 1)
        return IperfResult(src, dst, "UDP", _f(s, "seconds"), rbytes, rbps,
                           _f(sent, "bits_per_second"), packets=packets, lost_packets=lost,
                           jitter_ms=_f(s, "jitter_ms"), json=doc)
    sent = end.get("sum_sent", {})
    recv = end.get("sum_received", {})
    streams = end.get("streams", [{}])
    sender = streams[0].get("sender", {}) if streams else {}
    rtt = _f(sender, "mean_rtt")
    return IperfResult(src, dst, "TCP", _f(recv, "seconds"), int(_f(recv, "bytes")),
                       _f(recv, "bits_per_second"), _f(sent, "bits_per_second"),
                       retransmits=int(_f(sent, "retransmits")),
                       mean_rtt_us=rtt or None, json=doc)


def server_node(lab: Any, dst: IPv4Address) -> str | None:
    """The node whose interface holds ``dst`` in the lab spec (None: no such node)."""
    for name, node in lab.nodes.items():
        for iface in node.interfaces.values():
            if any(a.ip == dst for a in iface.addresses):
                return str(name)
    return None
