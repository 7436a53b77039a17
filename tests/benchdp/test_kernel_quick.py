"""``vnetlab bench dataplane --quick --paths veth`` on the real kernel (root): a few
seconds; the JSON and the plots are there and well-formed, nothing is left behind."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from vnetlab.cli.main import cli
from vnetlab.tools.benchplot import FILES

pytestmark = pytest.mark.kernel


def _bench_namespaces() -> list[str]:
    if not os.path.isdir("/run/netns"):
        return []
    return [n for n in os.listdir("/run/netns") if f"bench-veth-{os.getpid() % 100000}" in n]


def test_quick_veth(tmp_path: Path) -> None:
    out = tmp_path / "out"
    jf = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["bench", "dataplane", "--quick", "--paths", "veth",
                                 "--seconds", "1", "--json", str(jf), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "veth pair" in r.output and "20–40 Gbps, 5–10 µs" in r.output
    doc = json.loads(jf.read_text())
    assert doc["format"] == "vnetlab-bench-dataplane/1" and doc["repeat"] == 1
    v = doc["paths"]["veth"]
    assert v["status"] == "measured", v.get("reason")
    f = v["figures"]
    for key in ("tcp_bps", "tcp_parallel_bps", "udp64_pps", "rr_p50_us", "rr_p99_us",
                "ping_p50_us", "cpu_s_per_gb"):
        assert f[key]["n"] == 1 and f[key]["median"] > 0, key
        assert f[key]["min"] <= f[key]["median"] <= f[key]["max"]
    assert f["rr_p50_us"]["median"] <= f["rr_p99_us"]["median"]
    assert f["tcp_bps"]["median"] > 1e8  # a veth moves far more than 100 Mb/s anywhere
    for lat in ("rr_us", "ping_us"):
        cdf = v["latency"][lat]["cdf"]
        assert cdf[-1][1] == 1.0 and all(a[0] <= b[0] for a, b in zip(cdf, cdf[1:],
                                                                       strict=False))
    assert len(v["runs"]) == 1
    for name in FILES:
        data = (out / name).read_bytes()
        if name.endswith(".png"):
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert ET.fromstring(data).tag.endswith("svg")
    # only veth measured, no lo: no costs file, and the output says so
    assert "no costs file" in r.output and not (out / "costs.json").exists()
    assert _bench_namespaces() == []
