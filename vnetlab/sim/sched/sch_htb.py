"""htb: the hierarchy token bucket's qdisc without classes (sch_htb.c).

Design note
-----------
``tc qdisc add ... htb default N`` alone creates the qdisc; shaping needs ``tc class``
rates, which this model does not have yet. Without a class every frame is unclassified:
``htb_classify`` finds no default class and the frame goes to the direct queue, sent
unshaped and counted in ``direct_packets_stat`` (what ``tc qdisc show`` prints), up to
``direct_qlen`` frames waiting.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from vnetlab.model.tc import HtbOpts
from vnetlab.sim.sched.qdisc import TC_H_ROOT, Qdisc

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice, Skb


class Htb(Qdisc):
    kind = "htb"

    def __init__(self, dev: NetDevice, handle: int, opts: HtbOpts,
                 parent: int = TC_H_ROOT) -> None:
        super().__init__(dev, handle, parent)
        self.direct: deque[Skb] = deque()
        self.direct_pkts = 0
        self.opts = opts

    def change(self, opts: HtbOpts) -> None:
        self.opts = opts

    def enqueue(self, skb: Skb) -> None:
        """``htb_enqueue`` of an unclassified frame: the direct queue."""
        if len(self.direct) >= self.opts.direct_qlen:
            self.drop(skb, f"direct queue full ({self.opts.direct_qlen} packets)")
            return
        self.direct.append(skb)
        self.direct_pkts += 1
        self.qlen += 1
        self.backlog += len(skb.data)

    def dequeue(self) -> Skb | None:
        if not self.direct:
            return None
        skb = self.direct.popleft()
        self.qlen -= 1
        self.backlog -= len(skb.data)
        self.bstats_update(skb)
        return skb

    def reset(self) -> None:
        self.direct.clear()
        self.qlen = self.backlog = 0
