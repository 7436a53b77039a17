"""The ``iperf`` check: loading (rates, sizes, bad input) and its verdicts both ways on
the emulator."""

from __future__ import annotations

import pytest

from tests.perf.labs import lab
from vnetlab.api import run
from vnetlab.model import LabError, load_lab_text
from vnetlab.model.checks import IperfCheck, parse_rate, parse_size


def test_rates_and_sizes_read_like_iperf3() -> None:
    assert parse_rate("10G") == 10_000_000_000
    assert parse_rate("1.5M") == 1_500_000
    assert parse_rate(1000) == 1000
    assert parse_size("128K") == 131072
    assert parse_size("1M") == 1 << 20
    c = IperfCheck.model_validate({"iperf": "a -> 10.0.0.2", "udp": True, "bitrate": "1G",
                                   "time": "2s", "len": 1448, "min_rate": "5G",
                                   "max_loss": 1})
    assert (c.src, str(c.dst), c.bitrate, c.time, c.min_rate) == (
        "a", "10.0.0.2", 10**9, 2.0, 5 * 10**9)


@pytest.mark.parametrize(("check", "words"), [
    ("{iperf: a -> 10.0.0.2, bitrate: fast}", "is not a rate in bits/s"),
    ("{iperf: a -> 10.0.0.2, max_loss: 1}", "max_loss is a UDP expectation"),
    ("{iperf: a -> 10.0.0.2, min_rate: 2G, max_rate: 1G}", "no result can pass"),
    ("{iperf: a -> 10.0.0.2, time: 600}", "time"),
    ("{iperf: zz -> 10.0.0.2}", "zz"),
])
def test_bad_iperf_checks_are_refused_where_they_are(check: str, words: str) -> None:
    with pytest.raises(LabError) as e:
        lab(f"[{check}]")
    assert words in str(e.value)
    assert "checks" in str(e.value)


def test_the_check_passes_and_fails_on_its_bounds() -> None:
    report = run(lab("""
  - {iperf: a -> 10.0.0.2, min_rate: 1M}
  - {iperf: a -> 10.0.0.2, min_rate: 10T}
  - {iperf: c -> 10.0.1.2, max_rate: 1K}
  - {iperf: c -> 10.0.1.2, udp: true, bitrate: 100M, max_loss: 0, min_rate: 99M}
  - {iperf: a -> 10.0.1.2}
"""))
    got = [(r.kind, r.status) for r in report.results]
    assert got == [("iperf", "pass"), ("iperf", "fail"), ("iperf", "fail"),
                   ("iperf", "pass"), ("iperf", "fail")]
    first = report.results[0]
    assert first.detail.startswith("modelled")
    assert first.got.endswith("bits/sec")
    assert "loss 0%" in report.results[3].got
    assert "Network is unreachable" in report.results[4].detail


def test_an_engine_without_iperf_skips_the_check_with_the_reason() -> None:
    from vnetlab.model.checks import IperfCheck as C
    from vnetlab.tools.checks import run_iperf

    class NoIperf:
        name = "other"

    c = C.model_validate({"iperf": "a -> 10.0.0.2"})
    r = run_iperf(0, NoIperf(), c)  # type: ignore[arg-type]
    assert r.status == "skip" and "cannot run iperf" in r.detail


def test_the_lab_schema_has_the_check() -> None:
    from vnetlab.model.schema import lab_json_schema

    defs = lab_json_schema().get("$defs", {})
    assert "IperfCheck" in defs
    assert {"iperf", "udp", "bitrate", "time", "min_rate", "max_loss"} <= set(
        defs["IperfCheck"]["properties"])


def test_a_lab_file_with_iperf_checks_loads() -> None:
    spec = load_lab_text("""
name: x
nodes:
  a: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}
  b: {interfaces: {eth0: {addresses: [10.0.0.2/24]}}}
links: [{endpoints: [a:eth0, b:eth0]}]
checks:
  - {iperf: a -> 10.0.0.2, udp: true, bitrate: 1G, time: 1s, len: 1448, max_loss: 0.5}
""")
    assert isinstance(spec.checks[0], IperfCheck)


def test_the_linux_engine_wants_iperf3_before_building() -> None:
    from vnetlab.engine import EngineError
    from vnetlab.kernel.hostprogs import check_programs, needed

    spec = lab("[{iperf: a -> 10.0.0.2}]")
    assert needed(spec)["iperf3"] == "its iperf checks"
    with pytest.raises(EngineError, match=r"program 'iperf3' not found.*Debian package iperf3"):
        check_programs(spec, which=lambda p: None if p == "iperf3" else "/usr/bin/" + p)
