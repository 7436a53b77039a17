"""The storm guard: a broadcast storm is reproduced, measured, then stopped.

Design note
-----------
Without STP, a loop of bridges floods every broadcast round the ring for ever (Linux has
no TTL at layer 2): on a real kernel about 100,000 frames/s per port and a CPU core in
softirq. The emulator reproduces it on virtual time — every copy is a real frame, port
counters climb, the FDB flaps as copies arrive from each side — under a per-bridge
budget: more than ``STORM_BUDGET`` flooded frames in one virtual second trips the guard,
which drops this bridge's floods until the second is over (so the copies in flight die
out and the run never hangs) and records a ``StormEvent``: when, the rate it measured,
each port's transmit rate over the window and the MACs that moved between ports. A
second safety net, ``MAX_BRIDGE_HOPS``, drops a frame that crossed that many bridges (a
known unicast can also go round a loop once the FDB entries of its destination point
round it) once the guard has tripped: from then on (the loop is there) the bridge takes
every frame by the slow path, which counts the bridges a frame crossed (``Skb.hops``).

Counting costs one decrement per flood, and the FDB move count only runs when an entry
moves: the fast path of a quiet bridge is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vnetlab.sim.trace import DropReason
from vnetlab.wire.mac import mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.device import BridgeDevice
    from vnetlab.sim.netdev import Skb

S = 1_000_000_000
#: flooded frames one bridge may send in one virtual second before the guard looks: it
#: trips only if the FDB also flapped (``STORM_MIN_MOVES`` moves in the window); a burst
#: of broadcasts without a loop moves nothing and just gets a fresh budget
STORM_BUDGET = 64
STORM_MIN_MOVES = 16
#: once a bridge's guard has tripped, a frame crossing more bridges than this is going
#: round the loop (the frame's flood copies share the count: a tree never gets there)
MAX_BRIDGE_HOPS = 16
#: storm events kept per bridge (the oldest are kept: they say when it started)
MAX_EVENTS = 32
#: MACs named in a report
MAX_FLAPPED = 8


@dataclass(frozen=True, slots=True)
class StormEvent:
    """One trip of the guard on one bridge."""

    bridge: str  # "node:bridge"
    at_ns: int
    rate: int  # flooded frames per second the bridge was sending when it tripped
    port_rates: tuple[tuple[str, int], ...]  # (port, frames/s sent) over the window
    flapped: tuple[tuple[str, int], ...]  # (MAC, moves) most moved first

    def describe(self) -> str:
        ports = ", ".join(f"{p} {r:,}/s" for p, r in self.port_rates)
        macs = ", ".join(f"{m} ({n} moves)" for m, n in self.flapped) or "none"
        return (f"{self.bridge} flooding {self.rate:,} frames/s at {self.at_ns / S:.3f}s "
                f"(ports: {ports}); FDB flapping: {macs}")


class StormGuard:
    __slots__ = ("credit", "window_start", "tripped", "events", "moves", "tx_base",
                 "hop_drops", "window_moves")

    def __init__(self) -> None:
        self.credit = 0  # the first flood opens the first window
        self.window_start = -S
        self.tripped = False
        self.events: list[StormEvent] = []
        self.moves: dict[bytes, int] = {}
        self.tx_base: dict[str, int] = {}
        self.hop_drops = 0  # frames dropped by MAX_BRIDGE_HOPS
        self.window_moves = 0  # FDB moves since the window opened


def storm_flood_allowed(br: BridgeDevice) -> bool:
    """Called when a bridge's flood credit ran out: open a new window if the last one is
    over or nothing flapped in it (no loop), else trip (record the event once) and refuse."""
    g = br.storm
    now = br.sched.now
    if now - g.window_start >= S or (not g.tripped and g.window_moves < STORM_MIN_MOVES):
        g.window_start = now
        g.credit = STORM_BUDGET
        g.tripped = False
        g.window_moves = 0
        g.tx_base = {p.name: p.dev.tx_packets for p in br.port_list}
        return True
    if not g.tripped:
        g.tripped = True
        br.storm_mode = True
        if len(g.events) < MAX_EVENTS:
            g.events.append(_event(br, now))
            br.sched.storm_ticks += 1  # storm_activity grew: told without a scan
    return False


def storm_hop_limit(br: BridgeDevice, skb: Skb) -> bool:
    """While the guard is tripped: True (drop it) when the frame went round too often."""
    skb.hops += 1
    if skb.hops <= MAX_BRIDGE_HOPS:
        return False
    br.storm.hop_drops += 1
    br.sched.storm_ticks += 1
    if skb.trace is not None:
        skb.trace.drop(br.where, f"broadcast storm: the frame crossed {MAX_BRIDGE_HOPS} "
                       "bridges (storm guard; a loop without STP?)",
                       DropReason.BRIDGE_STORM_GUARD)
    return True


def _event(br: BridgeDevice, now: int) -> StormEvent:
    g = br.storm
    span = max(now - g.window_start, 1)
    rate = STORM_BUDGET * S // span
    ports = tuple(
        (p.name, (p.dev.tx_packets - g.tx_base.get(p.name, p.dev.tx_packets)) * S // span)
        for p in sorted(br.port_list, key=lambda p: p.name))
    flapped = sorted(g.moves.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FLAPPED]
    return StormEvent(br.where, now, rate, ports,
                      tuple((mac_to_str(m), n) for m, n in flapped))


def storm_activity(bridges: list[BridgeDevice]) -> int:
    """A number that grows while any of ``bridges`` is storming (trips + hop drops).
    The scheduler's ``storm_ticks`` grows by the same steps across all its bridges, for a
    caller that would otherwise scan every device of a large lab."""
    return sum(len(b.storm.events) + b.storm.hop_drops for b in bridges)


def storm_summary(bridges: list[BridgeDevice], loops: list[str]) -> str | None:
    """One line for ``ping``/``trace``/``run``: the loop(s), the rates, the flapping MACs."""
    events = [e for b in bridges for e in b.storm.events[-1:]]
    if not events and not any(b.storm.hop_drops for b in bridges):
        return None
    where = f"loop {'; '.join(loops)}" if loops else "a loop of bridges"
    lines = "; ".join(e.describe() for e in events)
    return f"broadcast storm: {where} (no STP); {lines}" if lines else \
        f"broadcast storm: {where} (no STP)"
