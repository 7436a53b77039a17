"""The iperf app's TCP-like stream: a window, the ACK clock, SACK recovery (both ends).

Design note
-----------
Segments are numbered 0..n-1 (one MSS each). The sender keeps ``snd_una``/``snd_nxt``
and a congestion window in segments, and transmits while the window allows, one frame
per ``interval`` (its CPU's or the wire's pace, from the cost model). The receiver
delivers in order, keeps out-of-order segments, and ACKs cumulatively every second
segment (delayed ACK), at once when something is out of order; its CPU takes
``rx_cost`` per segment, and the ACK leaves after it, so a slower receiver slows the
sender through the ACK clock (the window bounds what is in flight, as the receive window
does). Loss recovery follows Linux's shape, simplified (tcp_input.c
``tcp_fastretrans_alert``, RFC 6675): three duplicate ACKs enter recovery — ssthresh and
the window halve and every hole the receiver's SACK blocks show is retransmitted (the
blocks are read from the receiver's out-of-order set: both ends live in this object);
an ACK past the recovery point ends it. No ACK for ``max(200 ms, 2 srtt)`` (TCP_RTO_MIN)
is a timeout: the window drops to 1, the holes go again, slow start up to ssthresh.
Below ssthresh the window grows one segment per ACKed segment, above it one per window
(Reno's congestion avoidance; cubic's curve is not modelled). The window starts open
(``max_cwnd``): the app samples a steady state, not the connection's start.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

from vnetlab.sim.clock import MS, Scheduler, Timer

TCP_RTO_MIN = 200 * MS
#: type 0 = data, 1 = ack; segment or cumulative-ack number; the sender's timestamp (ns)
SEG = struct.Struct("!BIQ")


class TcpLike:
    """One stream of ``n`` segments; ``send_data(seq, ts)``/``send_ack(ack, ts)`` put a
    segment or an ACK on the lab (False: it could not be sent)."""

    def __init__(self, sched: Scheduler, n: int, max_cwnd: int, interval: float,
                 rx_cost: float, pad: int, send_data: Callable[[int, int], bool],
                 send_ack: Callable[[int, int], None]) -> None:
        self.sched = sched
        self.n = n
        self.max_cwnd = max_cwnd
        self.interval = interval
        self.rx_cost = rx_cost
        self.pad = pad
        self.send_data = send_data
        self.send_ack = send_ack
        # sender
        self.cwnd = float(max_cwnd)
        self.ssthresh = float("inf")
        self.snd_una = 0
        self.snd_nxt = 0
        self.dupacks = 0
        self.recover: int | None = None  # recovery ends when snd_una reaches it
        self.retx: list[int] = []  # holes to send again, in order
        self.retransmits = 0
        self.next_free = 0.0
        self.armed = False
        self.rto: Timer | None = None
        self.srtt = 0
        self.rtts: list[int] = []
        self.sent_frames = 0
        # receiver
        self.rcv_nxt = 0
        self.ooo: set[int] = set()
        self.unacked = 0
        self.rx_busy = 0.0
        self.delivered_at: list[int] = []  # when each in-order segment reached the app

    # -- receiver ---------------------------------------------------------------------------
    def on_data(self, data: bytes) -> None:
        kind, seq, ts = SEG.unpack_from(data)
        if kind != 0:
            return
        now = self.sched.now + self.pad
        if self.rx_cost:
            self.rx_busy = max(self.rx_busy, float(now)) + self.rx_cost
            self.sched.at(int(self.rx_busy), self._rx, (seq, ts))
        elif self.pad:
            self.sched.at(now, self._rx, (seq, ts))
        else:
            self._rx((seq, ts))

    def _rx(self, arg: tuple[int, int]) -> None:
        seq, ts = arg
        if seq == self.rcv_nxt:
            before = self.rcv_nxt
            self.rcv_nxt += 1
            while self.rcv_nxt in self.ooo:
                self.ooo.discard(self.rcv_nxt)
                self.rcv_nxt += 1
            now = self.sched.now
            self.delivered_at.extend([now] * (self.rcv_nxt - before))
            self.unacked += 1
            if self.unacked >= 2 or self.ooo or self.rcv_nxt >= self.n:
                self.unacked = 0
                self.send_ack(self.rcv_nxt, ts)
        elif seq > self.rcv_nxt:
            self.ooo.add(seq)
            self.send_ack(self.rcv_nxt, ts)  # out of order: a duplicate ACK at once
        else:
            self.send_ack(self.rcv_nxt, ts)

    # -- sender -----------------------------------------------------------------------------
    def start(self) -> None:
        self.next_free = float(self.sched.now)
        self.pump()

    def _holes(self, upto: int) -> list[int]:
        """Segments below ``upto`` the receiver has not got (its SACK blocks)."""
        return [q for q in range(self.snd_una, upto) if q not in self.ooo]

    def _tx(self, seq: int) -> None:
        now = self.sched.now
        if self.send_data(seq, now):
            self.sent_frames += 1
        self.next_free = now + self.interval

    def pump(self) -> None:
        if self.armed:  # paced: the armed wake-up sends when the CPU is free again
            return
        now = self.sched.now
        while self.retx or (self.snd_nxt < self.n
                            and self.snd_nxt - self.snd_una < int(self.cwnd)):
            if now < self.next_free:
                self.armed = True
                self.sched.at(int(math.ceil(self.next_free)), self._wake)
                return
            if self.retx:
                self._tx(self.retx.pop(0))
            else:
                self._tx(self.snd_nxt)
                self.snd_nxt += 1
        if self.snd_una < self.snd_nxt and self.rto is None:
            self.rto = self.sched.timer(max(TCP_RTO_MIN, 2 * self.srtt), self._on_rto)

    def _wake(self, _arg: object) -> None:
        self.armed = False
        self.pump()

    def _on_rto(self) -> None:
        self.rto = None
        if self.snd_una >= self.n:
            return
        self.ssthresh = max(2.0, self.cwnd / 2)
        self.cwnd = 1.0
        self.retx = self._holes(self.snd_nxt)
        self.retransmits += len(self.retx)
        self.recover = self.snd_nxt
        self.pump()

    def on_ack(self, data: bytes) -> None:
        kind, ack, ts = SEG.unpack_from(data)
        if kind != 1:
            return
        if self.pad:
            self.sched.at(self.sched.now + self.pad, self._ack, (ack, ts))
        else:
            self._ack((ack, ts))

    def _ack(self, arg: tuple[int, int]) -> None:
        ack, ts = arg
        now = self.sched.now
        if ack > self.snd_una:
            newly = ack - self.snd_una
            self.snd_una = ack
            self.retx = [q for q in self.retx if q >= ack]
            self.dupacks = 0
            rtt = now - ts
            self.rtts.append(rtt)
            self.srtt = rtt if not self.srtt else (7 * self.srtt + rtt) // 8
            if self.recover is not None and ack >= self.recover:
                self.recover = None
            if self.recover is None and self.cwnd < self.max_cwnd:
                grow = newly if self.cwnd < self.ssthresh else newly / self.cwnd
                self.cwnd = min(float(self.max_cwnd), self.cwnd + grow)
            if self.rto is not None:
                self.rto.cancel()
                self.rto = None
        elif ack == self.snd_una and self.snd_nxt > self.snd_una:
            self.dupacks += 1
            if self.dupacks == 3 and self.recover is None:
                self.ssthresh = max(2.0, self.cwnd / 2)
                self.cwnd = self.ssthresh
                self.recover = self.snd_nxt
                top = max(self.ooo, default=self.snd_una) + 1
                self.retx = self._holes(min(top, self.snd_nxt))
                self.retransmits += len(self.retx)
        self.pump()

    @property
    def done(self) -> bool:
        return self.rcv_nxt >= self.n and self.snd_una >= self.n

    def stop(self) -> None:
        if self.rto is not None:
            self.rto.cancel()
            self.rto = None

    def steady_rate(self) -> float:
        """In-order segments per second over the second half of the deliveries (the
        first half may hold a recovery from the open window's first burst)."""
        times = self.delivered_at
        if len(times) < 4:
            return 0.0
        half = times[len(times) // 2:]
        span = half[-1] - half[0]
        if span <= 0:
            return 0.0
        return (len(half) - 1) * 1e9 / span
