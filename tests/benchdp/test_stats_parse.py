"""Statistics and the parsing of what iperf3, ping and the UDP RR client print (the
iperf3 and ping samples in data/ are real output, captured in a veth lab here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vnetlab.kernel.bench import parse
from vnetlab.kernel.bench.stats import cdf, percentile, summarize

DATA = Path(__file__).with_name("data")


def test_summary_is_median_and_min_max() -> None:
    s = summarize([3.0, 1.0, 10.0, 2.0])
    assert s is not None
    assert (s.median, s.lo, s.hi, s.n) == (2.5, 1.0, 10.0, 4)
    assert s.spread_percent == pytest.approx(360.0)
    assert summarize([]) is None
    assert summarize([float("nan"), 4.0]) == summarize([4.0])


def test_percentile_nearest_rank() -> None:
    xs = list(range(1, 101))  # 1..100
    assert percentile(xs, 50) == 50
    assert percentile(xs, 99) == 99
    assert percentile(xs, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([5, 1, 3], 50) == 3  # unsorted input
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1], 0)


def test_cdf_is_thinned_monotone_and_ends_at_one() -> None:
    xs = [float(i % 97) for i in range(5000)]
    pts = cdf(xs, points=100)
    assert 2 <= len(pts) <= 101
    assert pts[-1] == (96.0, 1.0)
    assert all(a[0] <= b[0] and a[1] < b[1] for a, b in zip(pts, pts[1:], strict=False))
    assert cdf([]) == []
    assert cdf([2.0, 1.0]) == [(1.0, 0.5), (2.0, 1.0)]


def test_iperf_tcp_parallel() -> None:
    doc = json.loads((DATA / "iperf3_tcp_P2.json").read_text())
    f = parse.iperf_figures(doc, "10.0.0.2")
    assert f.protocol == "TCP" and f.streams == 2
    recv = doc["end"]["sum_received"]
    assert f.bytes == recv["bytes"] and f.bps == pytest.approx(recv["bits_per_second"])
    cpu = doc["end"]["cpu_utilization_percent"]
    assert f.cpu_client_s == pytest.approx(cpu["host_total"] / 100 * f.seconds)
    assert f.cpu_server_s == pytest.approx(cpu["remote_total"] / 100 * f.seconds)
    # the sum of both streams, not one of them
    per_stream = [s["receiver"]["bytes"] for s in doc["end"]["streams"]]
    assert len(per_stream) == 2 and f.bytes == sum(per_stream)


def test_iperf_udp_rate_counts_what_arrived() -> None:
    text = (DATA / "iperf3_udp64.json").read_text()
    f = parse.iperf_text(text)
    s = json.loads(text)["end"]["sum"]
    assert f.protocol == "UDP" and f.packets == s["packets"]
    assert f.pps == pytest.approx((s["packets"] - s["lost_packets"]) / s["seconds"])


def test_iperf_error_and_garbage() -> None:
    with pytest.raises(parse.ParseError, match="unable to connect"):
        parse.iperf_text((DATA / "iperf3_error.json").read_text())
    with pytest.raises(parse.ParseError, match="no JSON"):
        parse.iperf_text("iperf3: error - something\n")


def test_ping_rtts() -> None:
    rtts = parse.ping_rtts_us((DATA / "ping_c5.txt").read_text())
    assert rtts == pytest.approx([33.0, 51.0, 47.0, 49.0, 47.0])
    assert parse.ping_rtts_us("From 10.0.0.1 icmp_seq=1 Destination Host Unreachable\n") == []


def test_udprr_script_round_trip_on_loopback() -> None:
    """The responder and client as the bench runs them (here in this namespace, on lo):
    every sample is a real round trip, the JSON line parses."""
    script = Path(parse.__file__).with_name("udprr.py")
    port = "47777"
    srv = subprocess.Popen([sys.executable, "-I", str(script), "serve", port, "10"],
                           stdout=subprocess.PIPE, text=True)
    try:
        assert srv.stdout is not None and srv.stdout.readline().strip() == "ready"
        out = subprocess.run([sys.executable, "-I", str(script), "client", "127.0.0.1", port,
                              "2", "50", "64"], capture_output=True, text=True, timeout=20,
                             check=True).stdout
    finally:
        srv.kill()
        srv.wait(timeout=5)
    rtts, lost = parse.rr_samples_us(out)
    assert len(rtts) + lost == 50 and len(rtts) >= 45
    assert all(0 < r < 500_000 for r in rtts)
    with pytest.raises(parse.ParseError):
        parse.rr_samples_us("Traceback ...")
