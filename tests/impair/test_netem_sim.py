"""netem in the emulator against its documented semantics, statistically over many frames
with fixed seeds (sch_netem.c; tc-netem(8))."""

from __future__ import annotations

import math
import statistics

import pytest

from vnetlab.sim.clock import MS, US, S
from vnetlab.sim.sched.sch_netem import Netem

from .harness import make_pair

N = 20_000


def _binomial_ok(k: int, n: int, p: float, z: float = 5.0) -> bool:
    """k successes of n at probability p, within z standard deviations."""
    return abs(k - n * p) <= z * math.sqrt(n * p * (1 - p)) + 1


def test_random_loss_rate_and_drop_counter() -> None:
    pair = make_pair("qdisc add dev a root netem loss 10%", seed=3)
    pair.send(N, every=10 * US)
    lost = N - len(pair.arrivals)
    assert _binomial_ok(lost, N, 0.10)
    q = pair.qdisc
    assert (q.drops, q.packets, q.backlog, q.qlen) == (lost, N - lost, 0, 0)
    assert pair.seqs() == sorted(pair.seqs())  # no delay: order kept


def test_correlated_loss_comes_in_bursts_and_below_its_nominal_rate() -> None:
    """``get_crandom`` mixes each value with the last: losses cluster. As in the kernel
    (a known property of netem's correlation), the mix also pulls values toward the
    middle, so the loss rate ends up below the nominal one."""

    def losses(line: str) -> tuple[float, float]:
        pair = make_pair(line, seed=5)
        pair.send(N, every=10 * US)
        got = set(pair.seqs())
        bursts, run = [], 0
        for k in range(N):
            if k not in got:
                run += 1
            elif run:
                bursts.append(run)
                run = 0
        return (N - len(got)) / N, statistics.mean(bursts)

    rate, burst = losses("qdisc add dev a root netem loss 30% 50%")
    assert 0.05 < rate < 0.25
    # independent losses at that rate would have bursts of 1 / (1 - rate) on average
    assert burst > 1.2 / (1 - rate)
    plain_rate, plain_burst = losses("qdisc add dev a root netem loss 30%")
    assert _binomial_ok(round(plain_rate * N), N, 0.30)
    assert plain_burst == pytest.approx(1 / (1 - 0.30), rel=0.05)


def test_gilbert_elliott_loss_matches_its_stationary_rate() -> None:
    # p = 1 % (good -> bad), r = 10 % (bad -> good), 1-h = 70 % (loss in bad), 1-k = 0.1 %
    pair = make_pair("qdisc add dev a root netem loss gemodel 1% 10% 70% 0.1%", seed=11)
    n = 100_000
    pair.send(n, every=1 * US)
    pi_bad = 0.01 / (0.01 + 0.10)
    expected = pi_bad * 0.70 + (1 - pi_bad) * 0.001
    assert (n - len(pair.arrivals)) / n == pytest.approx(expected, rel=0.15)


def test_duplicate_rate_and_the_copy_is_not_duplicated_again() -> None:
    pair = make_pair("qdisc add dev a root netem duplicate 100%", seed=1)
    pair.send(100, every=10 * US)
    assert len(pair.arrivals) == 200  # each once more, never a copy of a copy
    pair = make_pair("qdisc add dev a root netem duplicate 5%", seed=2)
    pair.send(N, every=10 * US)
    assert _binomial_ok(len(pair.arrivals) - N, N, 0.05)


def test_loss_is_decided_after_duplication_so_a_duplicate_survives_a_loss() -> None:
    # netem_enqueue: count = 1 + duplicate; a loss takes one away; 0 is a drop
    pair = make_pair("qdisc add dev a root netem loss 100% duplicate 100%", seed=1)
    pair.send(50, every=10 * US)
    assert len(pair.arrivals) == 50 and pair.qdisc.drops == 0


def test_corruption_flips_exactly_one_bit() -> None:
    pair = make_pair("qdisc add dev a root netem corrupt 100%", seed=4)
    pair.send(200, every=10 * US, size=200)
    for k, (_, data) in enumerate(pair.arrivals):
        sent = pair.frame(k, 200)
        diff = [a ^ b for a, b in zip(sent, data, strict=True) if a != b]
        assert len(diff) <= 1 and all(bin(d).count("1") == 1 for d in diff)
    flipped = sum(1 for k, (_, d) in enumerate(pair.arrivals) if d != pair.frame(k, 200))
    assert flipped == 200 - sum(1 for k, (_, d) in enumerate(pair.arrivals)
                                if d[14:18] != k.to_bytes(4, "big") and d == pair.frame(k, 200))


def test_uniform_jitter_stays_within_delay_plus_minus_jitter() -> None:
    pair = make_pair("qdisc add dev a root netem delay 40ms 5ms", seed=9)
    pair.send(5000, every=100 * US)
    seqs = pair.seqs()
    sent_at = {k: k * 100 * US for k in range(5000)}
    delays = [t - sent_at[int.from_bytes(d[14:18], "big")] for t, d in pair.arrivals]
    veth = pair.a.delay
    assert min(delays) >= 35 * MS + veth and max(delays) <= 45 * MS + veth
    assert statistics.mean(delays) == pytest.approx(40 * MS + veth, rel=0.01)
    assert seqs != sorted(seqs)  # jitter larger than the gap reorders (tfifo by time)


def test_normal_distribution_delay() -> None:
    pair = make_pair("qdisc add dev a root netem delay 40ms 5ms distribution normal", seed=9)
    pair.send(5000, every=100 * US)
    delays = [t - int.from_bytes(d[14:18], "big") * 100 * US - pair.a.delay
              for t, d in pair.arrivals]
    assert statistics.mean(delays) == pytest.approx(40 * MS, rel=0.01)
    assert statistics.pstdev(delays) == pytest.approx(5 * MS, rel=0.05)


def test_reorder_with_gap_sends_every_fifth_frame_at_once_with_its_probability() -> None:
    pair = make_pair("qdisc add dev a root netem delay 10ms reorder 100% gap 5", seed=1)
    pair.send(50, every=1 * MS)
    # frames 4, 9, 14 ... (the gap-th) jump the queue; the rest wait 10 ms
    first = pair.seqs()[:5]
    assert first[0] == 4 and all(s % 5 == 4 for s in first[:2])
    assert pair.qdisc.requeues == 10
    pair = make_pair("qdisc add dev a root netem delay 10ms reorder 25% gap 1", seed=8)
    pair.send(N, every=1 * MS)
    assert _binomial_ok(pair.qdisc.requeues, N, 0.25)


def test_rate_spaces_frames_by_their_wire_time_plus_overhead() -> None:
    pair = make_pair("qdisc add dev a root netem rate 1mbit 20", seed=1)
    pair.send(20, every=0, size=105)  # a burst: 105 + 20 bytes = 1 ms at 1 Mbit/s each
    times = [t for t, _ in pair.arrivals]
    gaps = {b - a for a, b in zip(times, times[1:], strict=False)}
    assert gaps == {1 * MS}
    assert times[0] - 0 == 1 * MS + pair.a.delay


def test_limit_drops_what_the_queue_cannot_hold() -> None:
    pair = make_pair("qdisc add dev a root netem delay 100ms limit 10", seed=1)
    pair.send(25, every=0)
    assert len(pair.arrivals) == 10 and pair.qdisc.drops == 15


def test_change_and_delete_between_bursts() -> None:
    from vnetlab.model.tc import parse_tc_line
    from vnetlab.sim.sched.tc import tc_qdisc

    pair = make_pair("qdisc add dev a root netem loss 100%", seed=1)
    pair.send(10, every=10 * US)
    assert pair.arrivals == []
    tc_qdisc(pair.a.ns, parse_tc_line("qdisc change dev a root netem loss 0%"))
    pair.send(10, every=10 * US)
    assert len(pair.arrivals) == 10
    tc_qdisc(pair.a.ns, parse_tc_line("qdisc del dev a root"))
    assert pair.a.qdisc is None
    pair.send(10, every=10 * US)
    assert len(pair.arrivals) == 20


def test_same_seed_same_frames_other_seed_other_frames() -> None:
    def run(seed: int) -> list[tuple[int, bytes]]:
        pair = make_pair("qdisc add dev a root netem delay 10ms 3ms loss 20% corrupt 5% "
                         "duplicate 3%", seed=seed)
        pair.send(2000, every=200 * US)
        return pair.arrivals

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_seed_option_pins_the_stream_whatever_the_lab_seed() -> None:
    line = "qdisc add dev a root netem loss 30% seed 1234"
    a, b = make_pair(line, seed=1), make_pair(line, seed=99)
    a.send(500, every=10 * US)
    b.send(500, every=10 * US)
    assert a.seqs() == b.seqs()
    assert isinstance(a.qdisc, Netem) and a.qdisc.seed == 1234


def test_a_slot_delivers_in_bursts() -> None:
    pair = make_pair("qdisc add dev a root netem slot 10ms packets 3", seed=1)
    pair.send(9, every=0)
    times = sorted({t for t, _ in pair.arrivals})
    assert len(times) == 3 and times[1] - times[0] == 10 * MS
    assert len(pair.arrivals) == 9
    assert S > 0
