"""netem: delay, jitter, loss, duplication, corruption, reordering and rate (sch_netem.c).

Design note
-----------
``enqueue`` is ``netem_enqueue`` step by step, in the kernel's order: the duplicate
decision is drawn first, then the loss decision (a lost frame that was also to be
duplicated still leaves once: ``count`` goes 2 → 1), then corruption (one random bit of
the frame flipped), the queue limit, the duplicate re-enqueued at the root with
duplication off, and last the delay or the reorder: every ``gap``-th frame may, with the
``reorder`` probability, jump the queue (sent now, counted as a requeue); the others get
``time_to_send = now + tabledist(latency, jitter)``, and with a ``rate`` the frame
also waits for the previous one's transmission (``packet_time_ns``: its length plus the
per-packet overhead, rounded up to cells). Frames wait in a time-to-send ordered queue
(``tfifo``: a stable sort by time, so equal times keep their order); reordered frames sit
in the head queue that ``netem_dequeue`` empties first. ``slot`` (bursts of delivery)
follows ``get_slot_next`` for the fixed ``MIN_DELAY [MAX_DELAY]`` form.

Randomness comes from the qdisc's own seeded stream (vnetlab.sim.sched.prandom): the
``seed`` option, or one derived from the lab's ``seed:``. Statistics as the kernel keeps
them: a lost frame is a drop; ``requeues`` counts reorders; ``backlog``/``qlen`` what waits.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from vnetlab.model.tc_netem import NetemOpts
from vnetlab.model.tc_units import UINT32_MAX
from vnetlab.sim.sched.prandom import CrndState, Prandom, dist_table, get_crandom, tabledist
from vnetlab.sim.sched.qdisc import TC_H_ROOT, Qdisc, dev_queue_xmit
from vnetlab.sim.trace import DropReason, EventKind

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice, Skb

NSEC_PER_SEC = 1_000_000_000
GOOD_STATE, BAD_STATE = 1, 2
TX_IN_GAP_PERIOD, TX_IN_BURST_PERIOD, LOST_IN_GAP_PERIOD, LOST_IN_BURST_PERIOD = 1, 2, 3, 4


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.3f} ms"


class Netem(Qdisc):
    kind = "netem"

    def __init__(self, dev: NetDevice, handle: int, opts: NetemOpts, seed: int,
                 parent: int = TC_H_ROOT) -> None:
        super().__init__(dev, handle, parent)
        self.seed = seed
        self.prng = Prandom(seed)
        #: tfifo: (time_to_send, sequence, skb), sorted; the head queue: reordered frames
        self.tfifo: list[tuple[int, int, Skb]] = []
        self.head: list[Skb] = []
        self._seq = 0
        self.counter = 0
        self.clg_state = GOOD_STATE
        self.slot_next = 0
        self.slot_packets = self.slot_bytes = 0
        self.opts = opts
        self.change(opts)

    def change(self, opts: NetemOpts) -> None:
        """``netem_change``: new parameters; the correlation states start afresh."""
        self.opts = opts
        self.limit = opts.limit
        p = self.prng
        self.delay_cor = CrndState(opts.delay_corr, p)
        self.loss_cor = CrndState(opts.loss_corr, p)
        self.dup_cor = CrndState(opts.dup_corr, p)
        self.reorder_cor = CrndState(opts.reorder_corr, p)
        self.corrupt_cor = CrndState(opts.corrupt_corr, p)
        self.duplicate = opts.duplicate
        self.dist = dist_table(opts.dist) if opts.dist else None
        self.latency = opts.latency_ns
        self.jitter = opts.jitter_ns
        if opts.gemodel is not None:
            self.clg_state = GOOD_STATE
        elif opts.gimodel is not None:
            self.clg_state = TX_IN_GAP_PERIOD
        if opts.slot is not None:
            self.slot_next = self.dev.sched.now
            self._get_slot_next(self.dev.sched.now)
        else:
            self.slot_next = 0

    # -- the decisions --------------------------------------------------------------------
    def _loss_event(self) -> bool:
        """``loss_event``: random (correlated), Gilbert-Elliott or the 4-state model."""
        o = self.opts
        if o.gemodel is not None:
            return self._loss_gilb_ell(o.gemodel)
        if o.gimodel is not None:
            return self._loss_4state(o.gimodel)
        return bool(o.loss) and o.loss >= get_crandom(self.loss_cor, self.prng)

    def _loss_gilb_ell(self, ge: tuple[int, int, int, int]) -> bool:
        """``loss_gilb_ell``: a1 = p (good → bad), a2 = r (bad → good), a3 = h (bad state
        delivers with probability h), a4 = 1-k (loss in the good state)."""
        a1, a2, a3, a4 = ge
        u = self.prng.u32
        if self.clg_state == GOOD_STATE:
            if u() < a1:
                self.clg_state = BAD_STATE
            if u() < a4:
                return True
        else:
            if u() < a2:
                self.clg_state = GOOD_STATE
            if u() > a3:
                return True
        return False

    def _loss_4state(self, gi: tuple[int, int, int, int, int]) -> bool:
        """``loss_4state`` (``loss state p13 p31 p32 p23 p14``): a1 = p13, a2 = p31,
        a3 = p32, a4 = p14, a5 = p23, compared as the kernel does (u32 sums wrap)."""
        p13, p31, p32, p23, p14 = gi
        a1, a2, a3, a4, a5 = p13, p31, p32, p14, p23
        rnd = self.prng.u32()
        st = self.clg_state
        if st == TX_IN_GAP_PERIOD:
            if rnd < a4:
                self.clg_state = LOST_IN_GAP_PERIOD
                return True
            if a4 < rnd < (a1 + a4) & UINT32_MAX:
                self.clg_state = LOST_IN_BURST_PERIOD
                return True
            return False
        if st == TX_IN_BURST_PERIOD:
            if rnd < a5:
                self.clg_state = LOST_IN_BURST_PERIOD
                return True
            return False
        if st == LOST_IN_BURST_PERIOD:
            if rnd < a3:
                self.clg_state = TX_IN_BURST_PERIOD
            elif a3 < rnd < (a2 + a3) & UINT32_MAX:
                self.clg_state = TX_IN_GAP_PERIOD
            elif (a2 + a3) & UINT32_MAX < rnd:
                return True
            return False
        self.clg_state = TX_IN_GAP_PERIOD  # LOST_IN_GAP_PERIOD
        return False

    def _packet_time_ns(self, length: int) -> int:
        """``packet_time_ns``: the frame's time on a wire of ``rate`` bytes/s."""
        o = self.opts
        length += o.packet_overhead
        if o.cell_size:
            cells = -(-length // o.cell_size)
            length = cells * (o.cell_size + o.cell_overhead)
        return length * NSEC_PER_SEC // o.rate

    def _last_time_to_send(self) -> int | None:
        if self.tfifo:
            return self.tfifo[-1][0]
        return None

    # -- the qdisc ------------------------------------------------------------------------
    def enqueue(self, skb: Skb) -> None:
        """``netem_enqueue``."""
        prng = self.prng
        tr = skb.trace
        count = 1
        if self.duplicate and self.duplicate >= get_crandom(self.dup_cor, prng):
            count += 1
        if self._loss_event():
            if self.opts.ecn and _ecn_set_ce(skb):
                self.drops += 1  # the kernel counts a CE mark as a drop too
            else:
                count -= 1
        if count == 0:
            self.drop(skb, "lost (netem loss)", DropReason.NETEM_LOSS)
            return
        skb2 = None
        if count > 1:
            skb2 = skb.clone("netem duplicate")
        o = self.opts
        if o.corrupt and o.corrupt >= get_crandom(self.corrupt_cor, prng):
            data = bytearray(skb.data)
            pos = prng.below(len(data))
            bit = prng.below(8)
            data[pos] ^= 1 << bit
            skb.data = bytes(data)
            if tr is not None:
                tr.add(self.dev.where, f"netem: corrupted (byte {pos} bit {bit} flipped)",
                       EventKind.QDISC)
        if self.qlen >= self.limit:
            self.drop(skb, f"queue full ({self.limit} packets)")
            if skb2 is not None:
                self.drop(skb2, f"queue full ({self.limit} packets)")
            return
        if skb2 is not None:
            if skb2.trace is not None:
                skb2.trace.add(self.dev.where, "netem: duplicated", EventKind.QDISC)
            # re-insert at the root with duplication off, as the kernel does
            saved = self.duplicate
            self.duplicate = 0
            root = self.dev.qdisc
            if root is not None:
                root.enqueue(skb2)
            else:  # pragma: no cover - netem is always the root here
                dev_queue_xmit(self.dev, skb2)
            self.duplicate = saved
        self.backlog += len(skb.data)
        now = self.dev.sched.now
        if (self.opts.gap == 0 or self.counter < self.opts.gap - 1
                or self.opts.reorder < get_crandom(self.reorder_cor, prng)):
            delay = tabledist(self.latency, self.jitter, self.delay_cor, prng, self.dist)
            if o.rate:
                last = self._last_time_to_send()
                if last is not None:
                    delay -= last - now
                    delay = max(0, delay)
                    now = last
                delay += self._packet_time_ns(len(skb.data))
            tts = now + delay
            self.counter += 1
            self._seq += 1
            bisect.insort(self.tfifo, (tts, self._seq, skb), key=lambda e: e[0])
            if tr is not None:
                tr.add(self.dev.where, f"netem: delayed {_ms(tts - self.dev.sched.now)}",
                       EventKind.QDISC)
        else:
            self.counter = 0
            self.head.append(skb)
            self.requeues += 1
            if tr is not None:
                tr.add(self.dev.where, "netem: reordered (sent ahead of the queue)",
                       EventKind.QDISC)
        self.qlen += 1

    def _get_slot_next(self, now: int) -> None:
        """``get_slot_next`` for ``slot MIN [MAX]``: the next delivery window opens."""
        lo, hi, packets, nbytes = self.opts.slot or (0, 0, 0, 0)
        span = hi - lo
        nxt = lo if span == 0 else lo + (self.prng.u32() * span >> 32)
        self.slot_next = now + nxt
        self.slot_packets = packets or 2**31 - 1
        self.slot_bytes = nbytes or 2**31 - 1

    def dequeue(self) -> Skb | None:
        """``netem_dequeue``: the head queue first, then the tfifo when its time came."""
        if self.head:
            skb = self.head.pop(0)
            return self._deliver(skb)
        if not self.tfifo:
            return None
        now = self.dev.sched.now
        tts = self.tfifo[0][0]
        if self.slot_next and self.slot_next < tts:
            self._get_slot_next(now)
        if tts <= now and self.slot_next <= now:
            skb = self.tfifo.pop(0)[2]
            if self.slot_next:
                self.slot_packets -= 1
                self.slot_bytes -= len(skb.data)
                if self.slot_packets <= 0 or self.slot_bytes <= 0:
                    self._get_slot_next(now)
            return self._deliver(skb)
        self.watchdog(max(tts, self.slot_next))
        return None

    def _deliver(self, skb: Skb) -> Skb:
        self.qlen -= 1
        self.backlog -= len(skb.data)
        self.bstats_update(skb)
        return skb

    def reset(self) -> None:
        self.tfifo.clear()
        self.head.clear()
        self.qlen = self.backlog = 0


def _ecn_set_ce(skb: Skb) -> bool:
    """``INET_ECN_set_ce`` for IPv4 over Ethernet: mark CE if the sender is ECN-capable."""
    d = skb.data
    if len(d) < 34 or d[12:14] != b"\x08\x00" or not d[15] & 0x3:
        return False
    b = bytearray(d)
    b[15] |= 0x3
    # the header checksum changes with the TOS byte (RFC 1624 incremental update)
    csum = (b[24] << 8 | b[25]) ^ 0xFFFF
    csum += ((d[15] << 0) ^ 0xFFFF) + b[15]
    while csum > 0xFFFF:
        csum = (csum & 0xFFFF) + (csum >> 16)
    csum ^= 0xFFFF
    b[24], b[25] = csum >> 8, csum & 0xFF
    skb.data = bytes(b)
    return True
