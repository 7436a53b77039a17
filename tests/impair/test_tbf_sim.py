"""tbf in the emulator (sch_tbf.c): the bucket, the queue limit, max_size, overlimits."""

from __future__ import annotations

from vnetlab.sim.clock import MS, S

from .harness import make_pair


def test_a_burst_passes_then_the_rate_holds() -> None:
    pair = make_pair("qdisc add dev a root tbf rate 1mbit burst 10k limit 20k")
    pair.send(100, every=0, size=1042)
    q = pair.qdisc
    # 9 frames of 1042 bytes fit the 10240-byte bucket; 19 more fit the 20480-byte queue
    assert (q.packets, q.drops) == (28, 72)
    times = [t for t, _ in pair.arrivals]
    assert times[:9] == [pair.a.delay] * 9
    # the queued frames leave one per 1042 bytes at 125000 bytes/s: 8.336 ms apart
    gaps = [b - a for a, b in zip(times[9:], times[10:], strict=False)]
    assert all(abs(g - 8_336_000) <= 1 for g in gaps)
    assert q.overlimits > 0 and (q.backlog, q.qlen) == (0, 0)


def test_steady_traffic_below_the_rate_is_untouched_above_it_is_shaped() -> None:
    below = make_pair("qdisc add dev a root tbf rate 8mbit burst 4k latency 50ms")
    below.send(1000, every=1 * MS, size=500)  # 4 Mbit/s
    assert len(below.arrivals) == 1000 and below.qdisc.drops == 0
    above = make_pair("qdisc add dev a root tbf rate 8mbit burst 4k latency 50ms")
    above.send(2000, every=250_000, size=500)  # 16 Mbit/s for 0.5 s
    span = above.arrivals[-1][0] - above.arrivals[0][0]
    rate = sum(len(d) for _, d in above.arrivals[1:]) * 8 / (span / S)
    assert abs(rate - 8e6) / 8e6 < 0.02
    assert above.qdisc.drops > 0


def test_a_frame_larger_than_the_bucket_is_dropped() -> None:
    pair = make_pair("qdisc add dev a root tbf rate 1mbit burst 1k latency 50ms")
    pair.send(3, every=0, size=1500)
    assert pair.arrivals == [] and pair.qdisc.drops == 3


def test_peakrate_limits_the_burst_itself() -> None:
    pair = make_pair("qdisc add dev a root tbf rate 1mbit burst 20k latency 1s "
                     "peakrate 2mbit mtu 1600")
    pair.send(10, every=0, size=1000)
    times = [t for t, _ in pair.arrivals]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # the peak bucket holds 1600 bytes (6.4 ms at 2 Mbit/s): the first frame leaves 2.4 ms,
    # the second waits 1.6 ms, then one per 4 ms (1000 bytes at the peak rate), though
    # the 20k rate bucket alone would have let all ten go at once
    assert gaps == [1_600_000] + [4 * MS] * 8
