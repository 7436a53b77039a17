"""Plots and the CLI's rendering of a saved result (no root, nothing built): the PNG and
SVG files are well-formed, the table says what was measured and why paths were skipped,
bad input is refused in words."""

from __future__ import annotations

import json
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from vnetlab.cli.bench_cmds import markdown_table
from vnetlab.cli.main import cli
from vnetlab.kernel.bench import paths
from vnetlab.tools.benchplot import FILES, write_plots


def _doc() -> dict[str, Any]:
    def fig(v: float) -> dict[str, Any]:
        return {"median": v, "min": v * 0.8, "max": v * 1.2, "n": 3}

    measured = {
        "status": "measured", "title": "veth pair", "cost_path": ["veth"], "gso": True,
        "seed": {"device": "veth", "throughput": "20–40 Gbps", "latency": "5–10 µs",
                 "cpu": "Low", "gbps": [20, 40]},
        "figures": {"tcp_bps": fig(12.5e9), "tcp_parallel_bps": fig(15e9),
                    "udp64_pps": fig(80e3), "rr_p50_us": fig(20), "rr_p99_us": fig(60),
                    "ping_p50_us": fig(45), "cpu_s_per_gb": fig(0.6)},
        "runs": [{}, {}, {}],
        "latency": {"rr_us": {"p50": 20, "p99": 60, "n": 3,
                              "cdf": [[18, 0.33], [20, 0.67], [60, 1.0]]},
                    "ping_us": {"p50": 45, "p99": 50, "n": 2, "cdf": [[45, 0.5], [50, 1.0]]}}}
    return {"format": "vnetlab-bench-dataplane/1", "date": "2026-12-03T19:00Z",
            "machine": {"cpus": 2, "cpu_model": "AMD EPYC", "kernel": "6.18", "load_avg": 0.4},
            "repeat": 3, "seconds": 2, "parallel": 4,
            "paths": {"veth": measured,
                      "geneve": {"status": "skipped", "title": "Geneve over veth",
                                 "reason": "this kernel has no geneve support"}}}


def test_plots_are_well_formed_png_and_svg(tmp_path: Path) -> None:
    written = write_plots(_doc(), tmp_path / "plots")
    assert sorted(p.name for p in written) == sorted(FILES)
    for p in written:
        data = p.read_bytes()
        if p.suffix == ".png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            w, h = struct.unpack(">II", data[16:24])  # the IHDR chunk
            assert w > 600 and h > 300
        else:
            root = ET.fromstring(data)
            assert root.tag.endswith("svg")
            text = data.decode()
            assert "veth pair" in text and "Gb/s" in text or "µs" in text
    # the same result gives the same SVG (no date, fixed hash salt)
    again = write_plots(_doc(), tmp_path / "again")
    assert (tmp_path / "plots/throughput.svg").read_bytes() == again[1].read_bytes()


def test_from_json_renders_the_table(tmp_path: Path) -> None:
    f = tmp_path / "r.json"
    f.write_text(json.dumps(_doc()))
    r = CliRunner().invoke(cli, ["bench", "dataplane", "--from-json", str(f),
                                 "--out", str(tmp_path / "o"), "--json",
                                 str(tmp_path / "copy.json")])
    assert r.exit_code == 0, r.output
    assert "veth pair" in r.output and "12.5 (10–15)" in r.output
    assert "20–40 Gbps, 5–10 µs" in r.output
    assert "Geneve over veth: skipped: this kernel has no geneve support" in r.output
    # no lo measured: no costs file, and it says why
    assert "no costs file: the lo path" in r.output
    assert not (tmp_path / "o/costs.json").exists()
    assert json.loads((tmp_path / "copy.json").read_text()) == _doc()
    assert all((tmp_path / "o" / n).is_file() for n in FILES)


def test_markdown_table() -> None:
    md = markdown_table(_doc()).splitlines()
    assert md[0].startswith("| path | TCP Gb/s | TCP -P 4 Gb/s | UDP 64 B kpps | RR p50/p99 µs |")
    assert md[2] == ("| veth pair | 12.5 (10–15) | 15 (12–18) | 80 (64–96) | 20 / 60 | "
                     "45 (36–54) | 0.6 (0.48–0.72) | 20–40 Gbps, 5–10 µs |")
    assert md[3].startswith("| Geneve over veth | skipped |")
    assert md[-1] == "- Geneve over veth: skipped: this kernel has no geneve support"


def test_bad_input_is_refused_in_words(tmp_path: Path) -> None:
    f = tmp_path / "r.json"
    f.write_text('{"format": "something-else"}')
    r = CliRunner().invoke(cli, ["bench", "dataplane", "--from-json", str(f)])
    assert r.exit_code == 2 and "not a bench result" in r.output
    assert "Traceback" not in r.output


def test_path_selection() -> None:
    assert [p.name for p in paths.select(None, quick=True)] == ["veth"]
    assert [p.name for p in paths.select(None, quick=False)] == [p.name for p in paths.PATHS]
    # the bench's order whatever the order asked
    assert [p.name for p in paths.select(["ovs", "lo"], quick=False)] == ["lo", "ovs"]
    with pytest.raises(ValueError, match="unknown path 'wifi'"):
        paths.select(["wifi"], quick=False)


def test_skip_reason_names_the_probe_or_the_program() -> None:
    ovs = paths.BY_NAME["ovs"]
    assert paths.skip_reason(ovs, {"veth": None}, which=lambda _p: "/bin/x") is None
    assert paths.skip_reason(ovs, {"veth": None}, which=lambda p: None if p == "ovs-vswitchd"
                             else "/bin/x") == "not installed: ovs-vswitchd"
    gen = paths.BY_NAME["geneve"]
    assert paths.skip_reason(gen, {"veth": None, "geneve": "no geneve module"},
                             which=lambda _p: "/bin/x") == "no geneve module"
