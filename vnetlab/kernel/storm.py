"""Loops without STP on the real kernel: refused at plan time, or run bounded on request.

Design note
-----------
A layer-2 loop of bridges without STP turns one broadcast into a storm that eats a CPU
core for as long as the loop stands (about 100,000 frames/s per port here). So the plan
refuses a lab whose model has one (``vnetlab.model.loops.find_loops``) before anything
is built, naming the loop. With the explicit flag (``LinuxEngine(allow_loops=True)``,
``vnetlab run --allow-loops``) the lab is built, one broadcast frame is injected into each
loop (a bounded injection, not whatever the bring-up happens to send), the ports of the
loop are measured for ``STORM_SECONDS``, and then the engine breaks the loop by setting
the last hop's port down. What it measured is kept as ``StormMeasure`` (the ``storm``
check, ``run``'s report).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from vnetlab.engine import UnsupportedError
from vnetlab.model.loops import Loop, find_loops, loop_refusal
from vnetlab.model.spec import LabSpec

#: how long a storm runs on the kernel before the engine breaks the loop
STORM_SECONDS = 2.0
LOOP_HINT = ("turn STP on for a bridge of the loop (stp: true), remove a link, or run it "
             f"bounded with --allow-loops (the engine breaks the loop after {STORM_SECONDS:g} s)")

#: one broadcast frame sent on a bridge device (AF_PACKET, inside the lab's namespace)
_INJECT = (
    "import socket,sys\n"
    "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
    "s.bind((sys.argv[1],0))\n"
    "mac=open('/sys/class/net/'+sys.argv[1]+'/address').read().strip()\n"
    "src=bytes.fromhex(mac.replace(':',''))\n"
    "s.send(b'\\xff'*6+src+b'\\x88\\xb5'+b'vnetlab storm probe'.ljust(46,b'\\0'))\n"
)


def refuse_loops(lab: LabSpec, allow: bool) -> list[Loop]:
    """The lab's loops; ``UnsupportedError`` naming the first unless ``allow``."""
    loops = find_loops(lab)
    if loops and not allow:
        raise UnsupportedError(loop_refusal(loops), hint=LOOP_HINT)
    return loops


@dataclass(frozen=True, slots=True)
class StormMeasure:
    """One loop's storm on the kernel: received frames/s per port, and how it ended."""

    loop: str
    rates: tuple[tuple[str, int], ...]  # ("node:port", frames/s)
    broken: str  # "node:port" set down to end it
    seconds: float

    @property
    def peak(self) -> int:
        return max((r for _, r in self.rates), default=0)

    def describe(self) -> str:
        ports = ", ".join(f"{p} {r:,}/s" for p, r in self.rates)
        return (f"broadcast storm: loop {self.loop} (no STP); measured for "
                f"{self.seconds:.1f} s: {ports}; the engine broke the loop by setting "
                f"{self.broken} down")


Run = Callable[[str, list[str]], str]  # (node, argv) -> stdout, inside the node's netns


def _rx(run: Run, node: str, port: str) -> int:
    out = run(node, ["cat", f"/sys/class/net/{port}/statistics/rx_packets"]).strip()
    return int(out) if out.isdigit() else 0


def bound_storms(loops: list[Loop], run: Run, seconds: float = STORM_SECONDS) -> \
        list[StormMeasure]:
    """Inject one broadcast per loop, measure every loop port for ``seconds``, then set
    each loop's last port down. Always breaks every loop, even when measuring fails."""
    out: list[StormMeasure] = []
    try:
        ports = [(h.node, h.port) for lp in loops for h in lp.hops]
        before = {p: _rx(run, *p) for p in ports}
        t0 = time.monotonic()
        for lp in loops:
            first = lp.hops[0]
            run(first.node, [sys.executable, "-c", _INJECT, first.switch])
        time.sleep(seconds)
        after = {p: _rx(run, *p) for p in ports}
        dt = max(time.monotonic() - t0, 1e-3)
        for lp in loops:
            last = lp.hops[-1]
            rates = tuple((f"{h.node}:{h.port}",
                           int((after[(h.node, h.port)] - before[(h.node, h.port)]) / dt))
                          for h in lp.hops)
            out.append(StormMeasure(lp.describe(), rates, f"{last.node}:{last.port}", dt))
    finally:
        for lp in loops:
            last = lp.hops[-1]
            run(last.node, ["ip", "link", "set", last.port, "down"])
    return out


def run_in(namespace: Callable[[str], str]) -> Run:
    """A ``Run`` over ``ip netns exec`` (bounded: 10 s per command)."""
    def run(node: str, argv: list[str]) -> str:
        try:
            done = subprocess.run(["ip", "netns", "exec", namespace(node), *argv],
                                  capture_output=True, text=True, timeout=10, check=False)
        except subprocess.TimeoutExpired:
            return ""
        return done.stdout
    return run
