"""Virtual clock and event scheduler: the only source of time in the emulator.

Design note
-----------
Time is an integer number of nanoseconds; nothing reads the wall clock, so a run is
reproducible byte for byte. Events are ``(fn, arg)`` pairs kept in per-timestamp buckets
(a calendar queue): a heap holds each distinct timestamp once, and events sharing a
timestamp run in FIFO order from a plain list. Many frames of a burst land on the same
timestamps, so the common case costs a list append and an index step, not a heap push
and pop per event. An event scheduled for "now" while "now" runs is appended to the
running bucket and runs in the same pass, after the events already queued.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

NS = 1
US = 1_000
MS = 1_000_000
S = 1_000_000_000

#: While the loop runs, CPython's young-generation GC threshold is raised from 700: every
#: event allocates a tuple (and most an Skb), so at 700 a collection ran every few hundred
#: hops, and the older generations it periodically sweeps hold the whole in-flight queue.
#: Measured on the 100-port bridge bench: about 1.4x more hops/s. Restored on return.
GC_GEN0_THRESHOLD = 10_000

Event = tuple[Callable[[Any], object], Any]


class Timer:
    """A cancellable one-shot callback (kernel ``timer_list``)."""

    __slots__ = ("fn", "cancelled", "expires")

    def __init__(self, fn: Callable[[], object], expires: int) -> None:
        self.fn = fn
        self.expires = expires
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def fire(self, _arg: object = None) -> None:
        if not self.cancelled:
            self.cancelled = True
            self.fn()


class Scheduler:
    __slots__ = ("now", "buckets", "_times", "events_run", "storm_ticks")

    def __init__(self) -> None:
        self.now = 0
        self.buckets: dict[int, list[Event]] = {}
        self._times: list[int] = []
        self.events_run = 0
        #: every storm guard trip and storm hop drop of the bridges on this clock
        #: (vnetlab.sim.devices.bridge.storm): a ping learns of a storm in O(1)
        self.storm_ticks = 0

    def at(self, t: int, fn: Callable[[Any], object], arg: Any = None) -> None:
        """Run ``fn(arg)`` at virtual time ``t`` (never earlier than now)."""
        if t < self.now:
            t = self.now
        bucket = self.buckets.get(t)
        if bucket is None:
            self.buckets[t] = bucket = []
            heappush(self._times, t)
        bucket.append((fn, arg))

    def after(self, delay: int, fn: Callable[[Any], object], arg: Any = None) -> None:
        self.at(self.now + delay, fn, arg)

    def timer(self, delay: int, fn: Callable[[], object]) -> Timer:
        t = Timer(fn, self.now + delay)
        self.at(t.expires, t.fire)
        return t

    def next_time(self) -> int | None:
        return self._times[0] if self._times else None

    def run(self, until: int | None = None, max_events: int = 50_000_000) -> int:
        """Run events in time order up to and including ``until`` (all when None).

        Returns the number of events run. ``max_events`` bounds a runaway lab (a
        broadcast storm, say) so a call always returns.
        """
        buckets = self.buckets
        times = self._times
        ran = 0
        gc_old = gc.get_threshold()
        if gc_old[0] < GC_GEN0_THRESHOLD:
            gc.set_threshold(GC_GEN0_THRESHOLD, gc_old[1], gc_old[2])
        try:
            ran = self._loop(buckets, times, until, max_events)
        finally:
            gc.set_threshold(*gc_old)
        if until is not None and self.now < until and (not times or times[0] > until):
            self.now = until
        self.events_run += ran
        return ran

    def _loop(
        self, buckets: dict[int, list[Event]], times: list[int], until: int | None,
        max_events: int,
    ) -> int:
        ran = 0
        while times and ran < max_events:
            t = times[0]
            if until is not None and t > until:
                break
            self.now = t
            bucket = buckets[t]
            # a list iterator sees items appended while it runs: same-time events
            # scheduled now run in this pass, in FIFO order
            for fn, arg in bucket:
                fn(arg)
            ran += len(bucket)
            heappop(times)
            del buckets[t]
        return ran

    def pending(self) -> int:
        return sum(len(b) for b in self.buckets.values())
