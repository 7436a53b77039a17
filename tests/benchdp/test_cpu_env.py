"""CPU accounting helpers (no root) and the emulator picking up a cost file through
``VNETLAB_COSTS``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vnetlab.kernel.bench import measure
from vnetlab.sim.perf import cost as simcost


def test_proc_cpu_reads_this_process() -> None:
    got = measure._proc_cpu(os.getpid())
    assert got is not None
    start, ticks = got
    assert start > 0 and ticks >= 0
    # the same start time as the engine's own reader (field 22 of /proc/PID/stat)
    from vnetlab.kernel.runtime import proc_start_time

    assert start == proc_start_time(os.getpid())
    assert measure._proc_cpu(2**22 + 12345) is None  # beyond pid_max: gone


def test_others_cpu_counts_survivors_with_the_same_start_only() -> None:
    before = {10: (100, 50), 11: (200, 10), 12: (300, 0)}
    after = {10: (100, 50 + measure._TICK), 11: (999, 500), 12: (300, 7), 13: (400, 80)}
    # 10: one second; 11: a recycled pid (other start): not counted; 12: excluded;
    # 13: new since the first sample: not counted
    assert measure.others_cpu_s(before, after, exclude={12}) == pytest.approx(1.0)


def test_host_busy_grows() -> None:
    a = measure.host_busy_s()
    sum(i * i for i in range(200_000))
    assert measure.host_busy_s() >= a > 0


def test_vnetlab_costs_env_picks_the_file(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = json.loads(simcost.DEFAULT_PATH.read_text())
    shipped["kinds"]["veth"]["packet_ns"] = 1234.5
    shipped["date"] = "2030-01-01T00:00Z"
    f = tmp_path / "mine.json"
    f.write_text(json.dumps(shipped))
    monkeypatch.setenv(simcost.ENV_VAR, str(f))
    m = simcost.default_costs()
    assert m.kinds["veth"].packet_ns == 1234.5
    assert m.describe_source().startswith("mine.json (2030-01-01T00:00Z")
    monkeypatch.delenv(simcost.ENV_VAR)
    assert simcost.default_costs().path == str(simcost.DEFAULT_PATH)
    monkeypatch.setenv(simcost.ENV_VAR, str(tmp_path / "missing.json"))
    with pytest.raises(simcost.CostError, match="cannot read the cost file"):
        simcost.default_costs()


LAB = """\
name: bdveth
nodes:
  a: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}
  b: {interfaces: {eth0: {addresses: [10.0.0.2/24]}}}
links:
  - endpoints: [a:eth0, b:eth0]
"""


def test_iperf_costs_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from vnetlab.cli.main import cli

    monkeypatch.delenv(simcost.ENV_VAR, raising=False)
    lab = tmp_path / "lab.yaml"
    lab.write_text(LAB)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "vnetlab-costs/1", "kinds": {"veth": {"byte_ns": "x"}}}')
    r = CliRunner().invoke(cli, ["iperf", str(lab), "a", "10.0.0.2", "--costs", str(bad)])
    assert r.exit_code == 2 and "kinds.veth.byte_ns is 'x'" in r.output
    shipped = json.loads(simcost.DEFAULT_PATH.read_text())
    shipped["date"] = "2031-02-03T04:05Z"
    good = tmp_path / "good.json"
    good.write_text(json.dumps(shipped))
    r = CliRunner().invoke(cli, ["iperf", str(lab), "a", "10.0.0.2", "--costs", str(good)])
    assert r.exit_code == 0, r.output
    assert "cost model good.json (2031-02-03T04:05Z" in r.output
