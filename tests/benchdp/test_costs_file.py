"""The one costs writer: its documents are what the emulator's reader reads, it derives
the shipped costs.json's kinds again from that file's own measurements, and the paths'
cost_path is what the emulator's iperf app traces on the same labs."""

from __future__ import annotations

import copy
import json
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
import yaml

import vnetlab
from vnetlab.kernel.bench import costs, paths
from vnetlab.model.load import load_lab_text
from vnetlab.sim.perf import cost as simcost


def _bench_doc() -> dict[str, Any]:
    def fig(v: float, lo: float, hi: float) -> dict[str, Any]:
        return {"median": v, "min": lo, "max": hi, "n": 3}

    def measured(tcp: float, pps: float, rtt: float, path: list[str], gso: bool = True,
                 ) -> dict[str, Any]:
        return {"status": "measured", "cost_path": path, "gso": gso, "runs": [{}, {}, {}],
                "figures": {"tcp_bps": fig(tcp, tcp * 0.9, tcp * 1.1),
                            "udp64_pps": fig(pps, pps * 0.9, pps * 1.1),
                            "ping_p50_us": fig(rtt, rtt - 5, rtt + 5),
                            "ping_avg_us": fig(rtt * 3, rtt, rtt * 9)}}

    return {"format": "vnetlab-bench-dataplane/1", "date": "2026-12-03T19:00Z",
            "machine": {"cpus": 2, "cpu_model": "test"}, "repeat": 3, "seconds": 2,
            "paths": {"lo": measured(8e9, 60e3, 40, ["loopback"]),
                      "veth": measured(5e9, 40e3, 50, ["veth"]),
                      "bridge": measured(3e9, 20e3, 70, ["veth", "bridge", "veth"]),
                      "geneve": {"status": "skipped", "reason": "no geneve module"},
                      "ovs": measured(0.5e9, 15e3, 250, ["veth", "openvswitch", "veth"],
                                      gso=False)}}


def test_format_name_is_the_readers() -> None:
    assert costs.FORMAT == simcost.FORMAT


def test_round_trip_through_the_emulators_reader(tmp_path: Path) -> None:
    measured = costs.measured_from_bench(_bench_doc())
    assert measured["geneve"] == {"skipped": "no geneve module"}
    assert measured["veth"]["tcp_bps_spread"] == [4.5e9, 5.5e9]
    doc = costs.costs_document(measured, tool="test",
                               header={"date": "2026-12-03T19:00Z", "machine": {"cpus": 2}})
    out = tmp_path / "c.json"
    costs.write_costs(doc, out)
    model = simcost.load_costs(out)
    assert set(model.kinds) >= {"stack", "veth", "bridge", "openvswitch", "vf", "nic"}
    assert model.kinds["openvswitch"].gso is False and model.kinds["veth"].gso is True
    assert model.kinds["vf"].source == "stated" and model.kinds["veth"].source == "measured"
    # veth's path = stack + veth: what the writer solved for the whole path, split
    m = doc["measured"]["veth"]
    st, ve = model.kinds["stack"], model.kinds["veth"]
    assert st.packet_ns + ve.packet_ns == pytest.approx(m["path_packet_ns"], abs=0.2)
    assert st.latency_ns + ve.latency_ns == pytest.approx(50 * 1000 / 2, abs=1)
    # one frame of 64 bytes on veth's path costs 1 / the measured packet rate
    t64 = (st.packet_ns + ve.packet_ns) + (st.byte_ns + ve.byte_ns) * costs.FRAME_64
    assert t64 == pytest.approx(1e9 / 40e3, rel=1e-3)
    assert "the lo path" not in json.dumps(doc)
    assert model.describe_source().startswith("c.json (2026-12-03T19:00Z")


def test_no_stack_no_measured_kinds() -> None:
    b = _bench_doc()
    del b["paths"]["lo"]
    doc = costs.costs_document(costs.measured_from_bench(b), tool="t", header={})
    assert not any(v.get("source") == "measured" for v in doc["kinds"].values())


def test_write_refuses_other_documents(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="vnetlab-costs/1"):
        costs.write_costs({"format": "x", "kinds": {}}, tmp_path / "x.json")


def test_shipped_costs_derive_again_from_their_own_measurements() -> None:
    shipped = json.loads(simcost.DEFAULT_PATH.read_text())
    doc = costs.costs_document(copy.deepcopy(shipped["measured"]), tool="t", header={})
    for kind, entry in shipped["kinds"].items():
        assert doc["kinds"][kind] == entry, kind


def _emulated_path(p: paths.BenchPath) -> list[str]:
    lab = load_lab_text(yaml.safe_dump({"name": f"bd-{p.name}", **p.lab}))
    with vnetlab.realize(lab) as net:
        r = net.engine.iperf(p.client, IPv4Address(p.dst), time_s=0.01)
    assert not r.errors, r.errors
    return list(r.json["modelled"]["path"])


@pytest.mark.parametrize("p", paths.PATHS, ids=lambda p: p.name)
def test_cost_path_is_what_the_emulator_traces(p: paths.BenchPath) -> None:
    assert tuple(_emulated_path(p)) == p.cost_path
