"""The TCP-like stream on its own, over a scripted network: the ACK clock, the window
bound and loss recovery (fast retransmit with SACK holes, the timeout)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vnetlab.sim.apps.iperf_tcp import SEG, TCP_RTO_MIN, TcpLike
from vnetlab.sim.clock import S, Scheduler

ONE_WAY = 10_000  # ns


def _flow(n: int, *, window: int = 1000, interval: float = 1000.0, rx_cost: float = 0.0,
          drop: Callable[[int, int], bool] = lambda seq, nth: False) -> TcpLike:
    """A flow whose data frames take ONE_WAY ns unless ``drop(seq, nth_send)``."""
    sched = Scheduler()
    sends: dict[int, int] = {}
    box: list[TcpLike] = []

    def send_data(seq: int, ts: int) -> bool:
        sends[seq] = sends.get(seq, 0) + 1
        if not drop(seq, sends[seq]):
            sched.after(ONE_WAY, box[0].on_data, SEG.pack(0, seq, ts))
        return True

    def send_ack(ack: int, ts: int) -> None:
        sched.after(ONE_WAY, box[0].on_ack, SEG.pack(1, ack, ts))

    f = TcpLike(sched, n, window, interval, rx_cost, 0, send_data, send_ack)
    box.append(f)
    f.start()
    sched.run(until=20 * S)
    f.stop()
    return f


def test_lossless_stream_runs_at_the_senders_pace() -> None:
    f = _flow(2000)
    assert f.done and f.retransmits == 0
    assert f.steady_rate() == pytest.approx(1e6, rel=0.01)  # one segment per 1000 ns
    assert min(f.rtts) >= 2 * ONE_WAY


def test_the_window_bounds_the_rate_by_the_round_trip() -> None:
    f = _flow(2000, window=10)  # 10 segments per ~20 us round trip
    rtt = sum(f.rtts) / len(f.rtts)
    assert f.steady_rate() == pytest.approx(10 * 1e9 / rtt, rel=0.1)
    assert f.steady_rate() < 0.6e6


def test_a_slow_receiver_slows_the_sender_through_the_ack_clock() -> None:
    f = _flow(2000, window=100, rx_cost=4000.0)
    assert f.retransmits == 0
    assert f.steady_rate() == pytest.approx(0.25e6, rel=0.02)


def test_scattered_losses_are_repaired_by_fast_retransmit() -> None:
    lost = {100, 500, 501, 502, 900}
    f = _flow(2000, drop=lambda seq, nth: seq in lost and nth == 1)
    assert f.done and f.rcv_nxt == 2000
    assert f.retransmits == len(lost)
    assert f.steady_rate() > 0.5e6  # no timeout: recovery took a round trip or two


def test_a_lost_retransmission_waits_for_the_timeout() -> None:
    f = _flow(500, drop=lambda seq, nth: seq == 100 and nth <= 2)
    assert f.done and f.retransmits == 2
    # the second copy was lost too: delivery of segment 100 waited for the RTO
    gap = max(b - a for a, b in zip(f.delivered_at, f.delivered_at[1:], strict=False))
    assert gap >= TCP_RTO_MIN
