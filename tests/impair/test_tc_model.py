"""The ``tc qdisc`` line model: iproute2 6.1's units, its refusals in its own words, and
a lab's ``tc:`` lines and ``tc`` steps checked at load time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnetlab.model import load_lab_text
from vnetlab.model.errors import LabError
from vnetlab.model.tc import NETEM_USAGE, TBF_USAGE, TC_H_ROOT, TcError, parse_tc_line
from vnetlab.model.tc_netem import NetemOpts
from vnetlab.model.tc_tbf import TbfOpts
from vnetlab.model.tc_units import (
    UINT32_MAX,
    calc_xmitsize,
    get_percent,
    get_rate64,
    get_size64,
    get_time,
    tick2time,
)


def test_units_as_iproute2_converts_them() -> None:
    assert get_rate64("1mbit") == 125_000
    assert get_rate64("1Mbit") == 125_000  # suffixes are case-insensitive (strcasecmp)
    assert get_rate64("10kbps") == 10_000
    assert get_rate64("1gibit") == 2**30 // 8
    assert get_rate64("bogus") is None and get_rate64("-1mbit") is None
    assert get_size64("10k") == 10240 and get_size64("32kbit") == 4096
    assert get_size64("1600") == 1600 and get_size64("1mb") == 2**20
    assert get_size64("10q") is None
    assert get_time("40ms") == 40_000 and get_time("1s") == 1_000_000
    assert get_time("250") == 250 and get_time("5us") == 5 and get_time("1h") is None
    assert get_percent("1%") == 42_949_673 and get_percent("100%") == UINT32_MAX
    assert get_percent("120%") is None and get_percent("1%x") is None


def test_netem_line_in_kernel_units() -> None:
    cmd = parse_tc_line("qdisc add dev eth0 root netem delay 40ms 5ms 25% loss 1% "
                        "duplicate 2% reorder 10% gap 5 corrupt 0.1% rate 10mbit limit 50")
    assert (cmd.verb, cmd.dev, cmd.parent, cmd.kind) == ("add", "eth0", TC_H_ROOT, "netem")
    o = cmd.opts
    assert isinstance(o, NetemOpts)
    assert o.latency_ns == 40_000_000 and o.jitter_ns == 5_000_000  # ticks of 64 ns
    assert o.delay_corr == get_percent("25%") and o.loss == get_percent("1%")
    assert (o.gap, o.limit, o.rate) == (5, 50, 1_250_000)
    assert o.reorder == get_percent("10%") and o.corrupt == get_percent("0.1%")


def test_reorder_without_gap_gets_gap_1_and_gemodel_defaults() -> None:
    o = parse_tc_line("qdisc add dev e root netem delay 10ms reorder 25%").opts
    assert isinstance(o, NetemOpts) and o.gap == 1
    ge = parse_tc_line("qdisc add dev e root netem loss gemodel 1%").opts
    assert isinstance(ge, NetemOpts)
    # q_netem.c: r defaults to 1 - p, h (kernel side) to 0 -> "1-h 100%", k to 0
    assert ge.gemodel == (get_percent("1%"), round(0.99 * UINT32_MAX), 0, 0)
    ge2 = parse_tc_line("qdisc add dev e root netem loss gemodel 1% 10% 70% 0.1%").opts
    assert isinstance(ge2, NetemOpts) and ge2.gemodel is not None
    assert ge2.gemodel[2] == UINT32_MAX - round(0.70 * UINT32_MAX)  # the option is 1-h


def test_tbf_burst_and_latency_become_ticks_and_a_byte_limit() -> None:
    o = parse_tc_line("qdisc add dev eth0 root tbf rate 1mbit burst 32kbit latency 400ms").opts
    assert isinstance(o, TbfOpts)
    assert (o.rate, o.burst, o.limit) == (125_000, 4096, 54_096)
    assert calc_xmitsize(o.rate, o.buffer) == 4096  # what tc prints back: "burst 4Kb"
    o2 = parse_tc_line("qdisc add dev eth0 root tbf rate 1mbit burst 10k limit 20k").opts
    assert isinstance(o2, TbfOpts) and o2.limit == 20480
    # tbf_print_opt's latency for it: 1e6 * limit/rate - tick2time(buffer) = 81.92 ms
    assert 1_000_000 * o2.limit / o2.rate - tick2time(o2.buffer) == pytest.approx(81920)


@pytest.mark.parametrize(("line", "message", "status"), [
    # the real tc 6.1's stderr, recorded in a namespace (see test_tc_kernel.py)
    ("qdisc add dev va root tbf rate 1mbit",
     'tbf: the "burst" parameter is mandatory.\ntbf: either "limit" or "latency" is '
     "required.\n" + TBF_USAGE, 1),
    ("qdisc add dev va root tbf rate 1mbit burst 10k",
     'tbf: either "limit" or "latency" is required.\n' + TBF_USAGE, 1),
    ("qdisc add dev va root tbf rate bogus burst 1k latency 1ms",
     'tbf: illegal value for "rate": "bogus"', 1),
    ("qdisc add dev va root tbf rate 1mbit burst 1k latency 1ms bogus",
     'tbf: unknown parameter "bogus"\n' + TBF_USAGE, 1),
    ("qdisc add dev vb root tbf rate 1mbit burst 1k limit 1k latency 1ms",
     'tbf: specifying both "limit" and "/latency" is not allowed', 1),
    ("qdisc add dev lo root netem bogus", 'What is "bogus"?\n' + NETEM_USAGE, 1),
    ("qdisc add dev lo root netem loss 120%", 'Illegal "loss percent"', 1),
    ("qdisc add dev lo root netem delay 10ms 2ms distribution uniform",
     "No distribution data for uniform (/usr/lib/x86_64-linux-gnu/tc//uniform.dist: "
     "No such file or directory)", 1),
    ("qdisc add dev lo root netem reorder 10%",
     "reordering not possible without specifying some delay\n" + NETEM_USAGE, 1),
    ("qdisc add dev lo root netem delay 10ms gap 5",
     "gap specified without reorder probability\n" + NETEM_USAGE, 1),
    ("qdisc foo dev va", 'Command "foo" is unknown, try "tc qdisc help".', 255),
])
def test_refusals_in_tcs_words(line: str, message: str, status: int) -> None:
    with pytest.raises(TcError) as e:
        parse_tc_line(line)
    assert (e.value.message, e.value.status) == (message, status)


_LAB = """\
name: t
nodes:
  a:
    interfaces: {{eth0: {{addresses: [10.0.0.1/24]}}}}
    tc: [{tc!r}]
  b:
    interfaces: {{eth0: {{addresses: [10.0.0.2/24]}}}}
links:
  - endpoints: [a:eth0, b:eth0]
checks:
  - {{tc: a, run: {run!r}}}
"""


def test_a_labs_tc_lines_are_checked_at_load_with_tcs_words() -> None:
    ok = load_lab_text(_LAB.format(tc="qdisc add dev eth0 root netem delay 40ms",
                                   run="qdisc change dev eth0 root netem loss 30%"))
    assert ok.nodes["a"].tc == ["qdisc add dev eth0 root netem delay 40ms"]
    assert ok.seed == 1
    with pytest.raises(LabError) as e:
        load_lab_text(_LAB.format(tc="qdisc add dev eth0 root netem loss 120%",
                                  run="qdisc del dev eth0 root"), "lab.yaml")
    text = str(e.value)
    assert "lab.yaml:5" in text and 'Illegal "loss percent"' in text
    with pytest.raises(LabError) as e:
        load_lab_text(_LAB.format(tc="qdisc del dev eth0 root",
                                  run="qdisc change dev eth0 root tbf rate 1mbit"), "lab.yaml")
    assert 'tbf: the "burst" parameter is mandatory.' in str(e.value)
    assert "lab.yaml:11" in str(e.value)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(
    ["qdisc", "add", "change", "replace", "del", "show", "dev", "eth0", "root", "handle",
     "1:", "parent", "ffff:1", "netem", "tbf", "htb", "delay", "loss", "gemodel", "state",
     "random", "rate", "burst", "latency", "limit", "peakrate", "mtu", "slot", "packets",
     "bytes", "reorder", "gap", "duplicate", "corrupt", "distribution", "normal", "seed",
     "ecn", "default", "r2q", "40ms", "5ms", "1%", "120%", "1e999", "-5", "0x10", "10k",
     "1mbit", "32kbit", "nan", "1e308kbit", "", "'"]), max_size=14))
def test_any_words_parse_or_are_refused_with_tcs_words(words: list[str]) -> None:
    line = " ".join(words)
    try:
        cmd = parse_tc_line(line)
    except TcError as e:
        assert e.message and e.status in (1, 255)
    else:
        assert cmd.verb in ("add", "change", "replace", "del")


def test_tc_lines_and_steps_name_devices_of_their_node() -> None:
    text = _LAB.format(tc="qdisc add dev eth1 root netem delay 40ms",
                       run="qdisc del dev wan0 root").replace("{tc: a,", "{tc: b,")
    with pytest.raises(LabError) as e:
        load_lab_text(text, "lab.yaml")
    msg = str(e.value)
    assert 'lab.yaml:5' in msg and 'Cannot find device "eth1" in node a' in msg
    assert "did you mean 'eth0'?" in msg
    assert 'lab.yaml:11' in msg and 'Cannot find device "wan0" in node b' in msg
    with pytest.raises(LabError) as e:
        load_lab_text(_LAB.format(tc="qdisc del dev eth0 root", run="qdisc del dev eth0 root")
                      .replace("{tc: a,", "{tc: zz,"))
    assert "tc step: no node 'zz'" in str(e.value)
