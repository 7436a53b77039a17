"""A veth pair with a qdisc on one end: frames in, arrivals (time, bytes) out."""

from __future__ import annotations

from dataclasses import dataclass, field

from vnetlab.model.tc import parse_tc_line
from vnetlab.sim.clock import S, Scheduler
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.sched.qdisc import Qdisc, dev_queue_xmit
from vnetlab.sim.sched.tc import set_seed, tc_qdisc
from vnetlab.sim.stack.netns import Namespace

SRC = bytes.fromhex("020000000001")
DST = bytes.fromhex("020000000002")


@dataclass
class Pair:
    sched: Scheduler
    a: Veth
    b: Veth
    arrivals: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def qdisc(self) -> Qdisc:
        assert self.a.qdisc is not None
        return self.a.qdisc

    def frame(self, seq: int, size: int = 100) -> bytes:
        body = seq.to_bytes(4, "big") + bytes(max(0, size - 18))
        return DST + SRC + b"\x88\xb5" + body

    def send(self, n: int, *, every: int = 0, size: int = 100) -> None:
        """N frames (sequence numbers 0..N-1) ``every`` ns apart, then run it all."""
        start = self.sched.now
        for k in range(n):
            self.sched.at(start + k * every, lambda f: dev_queue_xmit(self.a, Skb(f)),
                          self.frame(k, size))
        self.sched.run(until=start + n * every + 600 * S)

    def seqs(self) -> list[int]:
        return [int.from_bytes(d[14:18], "big") for _, d in self.arrivals]


def make_pair(tc: str, seed: int = 1) -> Pair:
    sched = Scheduler()
    ns = Namespace("n", sched)
    set_seed(ns, seed)
    a = Veth(ns, "a", SRC)
    b = Veth(ns, "b", DST)
    Veth.pair(a, b)
    a.set_admin(True)
    b.set_admin(True)
    pair = Pair(sched, a, b)

    def sink(_dev: NetDevice, skb: Skb) -> None:
        pair.arrivals.append((sched.now, skb.data))

    b.rx_handler = sink
    tc_qdisc(ns, parse_tc_line(tc))
    return pair
