"""The runner's result document (no kernel): skipped paths keep the reason, measured
ones get median/min/max over the runs and pooled latency distributions."""

from __future__ import annotations

from vnetlab.kernel.bench import paths, runner


def test_skipped_paths_are_not_built() -> None:
    geneve = paths.BY_NAME["geneve"]
    res = runner.run_bench([geneve], runner.Settings(repeat=1),
                           planned=[(geneve, "no geneve module")])
    doc = res.to_json()
    assert doc["format"] == runner.FORMAT
    g = doc["paths"]["geneve"]
    assert g["status"] == "skipped" and g["reason"] == "no geneve module"
    assert "figures" not in g and g["seed"]["device"] == "VXLAN"
    assert doc["machine"]["cpus"] and doc["repeat"] == 1


def test_measured_path_document() -> None:
    r = runner.PathResult(paths.BY_NAME["veth"], "measured")
    for i, tcp in enumerate((5e9, 3e9, 4e9)):
        r.runs.append({"tcp_bps": tcp, "udp64_pps": 1000.0 * (i + 1), "rr_p50_us": 20.0})
    r.rr_us = [float(x) for x in range(1, 1001)]
    r.ping_us = [40.0, 50.0]
    d = r.to_json()
    assert d["figures"]["tcp_bps"] == {"median": 4e9, "min": 3e9, "max": 5e9, "n": 3}
    assert d["figures"]["udp64_pps"]["median"] == 2000.0
    assert list(d["figures"])[:2] == ["tcp_bps", "udp64_pps"]  # the table's order
    rr = d["latency"]["rr_us"]
    assert (rr["p50"], rr["p99"], rr["n"]) == (500.0, 990.0, 1000)
    assert len(rr["cdf"]) == 200 and rr["cdf"][-1] == [1000.0, 1.0]
    assert d["latency"]["ping_us"]["cdf"] == [[40.0, 0.5], [50.0, 1.0]]
    assert d["cost_path"] == ["veth"] and d["gso"] is True


def test_steps_total_counts_runnable_paths_only() -> None:
    veth, gen = paths.BY_NAME["veth"], paths.BY_NAME["geneve"]
    s = runner.Settings(repeat=3, udp_extra=(1400,))
    # a build, then per run: tcp, tcp -P, udp 64, udp 1400, udp rr, ping
    assert runner.steps_total([(veth, None), (gen, "no module")], s) == 1 + 3 * 6
