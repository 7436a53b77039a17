"""tbf: the token bucket filter (sch_tbf.c) on virtual time.

Design note
-----------
Tokens are time, as in the kernel: the bucket holds up to ``buffer`` nanoseconds of
transmission at ``rate`` (the burst's transmit time), a frame costs ``psched_l2t_ns(rate,
len)``, and tokens refill one nanosecond per nanosecond since ``t_c``. With a
``peakrate`` a second bucket of ``mtu`` nanoseconds at the peak rate limits bursts too.
``tbf_enqueue`` drops a frame larger than ``max_size`` (what fits in a full bucket) and
otherwise appends it to the inner bfifo, which drops once ``limit`` bytes wait;
``tbf_dequeue`` sends the head frame when both buckets cover it, and otherwise arms the
watchdog for when they will and counts an overlimit.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from vnetlab.model.tc import TbfOpts
from vnetlab.sim.sched.qdisc import TC_H_ROOT, Qdisc
from vnetlab.sim.trace import EventKind

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice, Skb

NSEC_PER_SEC = 1_000_000_000


def l2t_ns(rate: int, length: int) -> int:
    """``psched_l2t_ns``: nanoseconds to send ``length`` bytes at ``rate`` bytes/s."""
    return length * NSEC_PER_SEC // rate


def t2l(rate: int, ns: int) -> int:
    """``psched_ns_t2l``: the bytes ``rate`` sends in ``ns``."""
    return ns * rate // NSEC_PER_SEC


class Tbf(Qdisc):
    kind = "tbf"

    def __init__(self, dev: NetDevice, handle: int, opts: TbfOpts,
                 parent: int = TC_H_ROOT) -> None:
        super().__init__(dev, handle, parent)
        self.queue: deque[Skb] = deque()
        self.opts = opts
        self.change(opts)

    def change(self, opts: TbfOpts) -> None:
        """``tbf_change``: new parameters; the buckets start full."""
        self.opts = opts
        self.rate = opts.rate
        self.peak = opts.peakrate
        self.buffer = opts.buffer_ns
        self.mtu = opts.mtu_ns
        self.limit = opts.limit
        max_size = min(t2l(self.rate, self.buffer), opts.burst or 2**32)
        if self.peak:
            max_size = min(max_size, t2l(self.peak, self.mtu), opts.pburst or 2**32)
        self.max_size = max_size
        self.tokens = self.buffer
        self.ptokens = self.mtu
        self.t_c = self.dev.sched.now

    def enqueue(self, skb: Skb) -> None:
        """``tbf_enqueue`` (with the inner ``bfifo_enqueue``)."""
        n = len(skb.data)
        if n > self.max_size:
            self.drop(skb, f"frame of {n} bytes exceeds the bucket ({self.max_size} bytes)")
            return
        if self.backlog + n > self.limit:
            self.drop(skb, f"queue full ({self.backlog} of {self.limit} bytes waiting)")
            return
        self.queue.append(skb)
        self.backlog += n
        self.qlen += 1
        if skb.trace is not None:
            skb.trace.add(self.dev.where, f"tbf: queued behind {self.qlen - 1} frames "
                          f"({self.backlog - n} bytes)", EventKind.QDISC)

    def dequeue(self) -> Skb | None:
        """``tbf_dequeue``."""
        if not self.queue:
            return None
        skb = self.queue[0]
        n = len(skb.data)
        now = self.dev.sched.now
        toks = min(now - self.t_c, self.buffer)
        ptoks = 0
        if self.peak:
            ptoks = min(toks + self.ptokens, self.mtu) - l2t_ns(self.peak, n)
        toks = min(toks + self.tokens, self.buffer) - l2t_ns(self.rate, n)
        if (toks | ptoks) >= 0:
            self.queue.popleft()
            self.t_c = now
            self.tokens = toks
            self.ptokens = ptoks
            self.backlog -= n
            self.qlen -= 1
            self.bstats_update(skb)
            return skb
        self.watchdog(now + max(-toks, -ptoks))
        self.overlimits += 1
        return None

    def reset(self) -> None:
        self.queue.clear()
        self.qlen = self.backlog = 0
