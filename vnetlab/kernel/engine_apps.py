"""Apps on the linux engine: ping, any program, packet capture — the real programs in a node.

Design note
-----------
Each is what a user would type: ``ip netns exec NS ping -c N -W T [-s S] [-M do] [-6] DST``
(iputils, output parsed with ``LC_ALL=C``), ``ip netns exec NS tcpdump -U --immediate-mode -Z
root -i IF -w PATH`` (started when it says "listening on"; immediate mode so no frame waits in
the ring buffer when it is stopped with SIGINT, which makes it flush), and ``exec`` for any
argv (on a node with Open vSwitch with ``OVS_RUNDIR`` & co. pointing at the node's own
daemons). Every wait is bounded; only processes this engine started are signalled, by pid.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

from vnetlab.engine import EngineError, PingResult
from vnetlab.kernel.engine_base import EngineCore
from vnetlab.kernel.ovs import daemons as ovs_daemons

CAPTURE_START_TIMEOUT_S = 5.0
CAPTURE_STOP_TIMEOUT_S = 5.0
_RTT = re.compile(r"bytes from .*time[=<]([\d.]+) ms")
_TTL = re.compile(r" ttl=(\d+) ")
_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
_ENV = {**os.environ, "LC_ALL": "C"}


def parse_ping(src: str, dst: IPv4Address | IPv6Address, count: int, text: str) -> PingResult:
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


class AppsMixin(EngineCore):
    """``ping``, ``exec``, ``exec_env``, ``start_capture``, ``stop_captures``."""

    captures: list[_Capture]

    def ping(
        self,
        node: str,
        dst: IPv4Address | IPv6Address,
        *,
        count: int = 1,
        size: int = 56,
        dont_fragment: bool = False,
        timeout_s: float = 1.0,
        interval_s: float | None = None,
        ifname: str | None = None,
    ) -> PingResult:
        ns = self._ns(node)
        wait = max(1, int(round(timeout_s)))
        interval = 0.2 if interval_s is None else interval_s
        argv = ["ip", "netns", "exec", ns, "ping", "-n", "-c", str(count), "-W", str(wait),
                "-i", f"{interval:g}", "-s", str(size)]
        if dont_fragment:
            argv += ["-M", "do"]
        if dst.version == 6:  # iputils ping -6 DST[%IFNAME] (a link-local needs the scope)
            argv.append("-6")
        argv.append(str(dst) if ifname is None else f"{dst}%{ifname}")
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
