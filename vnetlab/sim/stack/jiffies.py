"""Kernel time for the timers of addrconf and MLD: jiffies at HZ=250 and the timer wheel.

Design note
-----------
The kernel's IPv6 timers are delayed works whose delays are jiffies (this machine's kernel:
``CONFIG_HZ=250``, 4 ms). A timer does not fire at its expiry but at the next bucket of
the timer wheel (kernel/time/timer.c ``calc_index``: the expiry is rounded *up*, past the
level's granularity, so a timer never fires early). The granularity grows with the delay:
1 jiffy below 63 jiffies, 8 jiffies (32 ms) below 504, 64 jiffies (256 ms) below 4032,
and so on. A DAD retransmission of 1 s therefore lands 4 to 32 ms late, a router
solicitation interval of about 4 s up to 256 ms late, on the kernel as here.

Jiffies count from virtual time 0, so where a rounded expiry lands is deterministic here;
on a real host it depends on the jiffies counter when the timer was armed (which nobody
controls), which is why the timeline test allows one granularity step.
"""

from __future__ import annotations

from collections.abc import Callable

from vnetlab.sim.clock import Scheduler, Timer

HZ = 250
JIFFY_NS = 1_000_000_000 // HZ

_LVL_CLK_SHIFT = 3
_LVL_SIZE = 64


def secs_to_jiffies(s: int) -> int:
    return s * HZ


def msecs_to_jiffies(ms: int) -> int:
    """``msecs_to_jiffies`` (rounds up, as the kernel does for HZ < 1000)."""
    return -(-ms * HZ // 1000)


def wheel_expiry_ns(now_ns: int, delay_j: int) -> int:
    """When a timer armed at NOW_NS with a delay of DELAY_J jiffies fires:
    ``calc_wheel_index``'s level from the delay, the expiry rounded up to the level's
    bucket (``calc_index``). Delay 0 is "run the work now" (no timer)."""
    if delay_j <= 0:
        return now_ns
    clk = now_ns // JIFFY_NS
    expires = clk + delay_j
    lvl = 0
    start = _LVL_SIZE - 1  # LVL_START(1)
    while delay_j >= start and lvl < 8:
        lvl += 1
        start <<= _LVL_CLK_SHIFT
    shift = lvl * _LVL_CLK_SHIFT
    bucket = ((expires >> shift) + 1) << shift
    return bucket * JIFFY_NS


def wheel_granularity_ns(delay_j: int) -> int:
    """The bucket width of the wheel level a DELAY_J-jiffy timer lands in: how late it
    may fire past its expiry."""
    lvl, start = 0, _LVL_SIZE - 1
    while delay_j >= start and lvl < 8:
        lvl += 1
        start <<= _LVL_CLK_SHIFT
    return (1 << (lvl * _LVL_CLK_SHIFT)) * JIFFY_NS


def mod_delayed_work(sched: Scheduler, old: Timer | None, delay_j: int,
                     fn: Callable[[], object]) -> Timer:
    """``mod_delayed_work``: cancel the pending run, arm a new one DELAY_J jiffies on."""
    if old is not None:
        old.cancel()
    return sched.timer(wheel_expiry_ns(sched.now, delay_j) - sched.now, fn)


__all__ = ["HZ", "JIFFY_NS", "mod_delayed_work", "msecs_to_jiffies", "secs_to_jiffies",
           "wheel_expiry_ns", "wheel_granularity_ns"]
