"""The cost file format and how a path is cut into CPU and NIC segments."""

from __future__ import annotations

import json

import pytest

from tests.perf.labs import costs
from vnetlab.sim.perf.cost import (
    DEFAULT_PATH,
    FORMAT,
    CostError,
    default_costs,
    parse_costs,
)


def test_the_shipped_file_has_every_measured_and_stated_kind() -> None:
    m = default_costs()
    for kind in ("stack", "veth", "bridge", "vxlan", "macvlan", "openvswitch"):
        assert m.kinds[kind].source == "measured", kind
        assert m.kinds[kind].runs_on == "cpu"
    for kind in ("vf", "nic"):
        assert m.kinds[kind].source == "stated" and m.kinds[kind].runs_on == "nic"
    doc = json.loads(DEFAULT_PATH.read_text())
    assert doc["format"] == FORMAT
    assert doc["date"] and doc["machine"]["cpus"] and doc["machine"]["kernel"]
    assert not m.kinds["openvswitch"].gso  # the userspace datapath segments


@pytest.mark.parametrize(("doc", "words"), [
    ({"format": "other"}, "not a cost file"),
    ({"format": FORMAT}, '"kinds" must map'),
    ({"format": FORMAT, "kinds": {"veth": {"packet_ns": -1}}}, "kinds.veth.packet_ns"),
    ({"format": FORMAT, "kinds": {"veth": {"byte_ns": "x"}}}, "kinds.veth.byte_ns"),
    ({"format": FORMAT, "kinds": {"veth": {"runs_on": "gpu"}}}, "cpu or nic"),
])
def test_bad_cost_files_name_the_key(doc: object, words: str) -> None:
    with pytest.raises(CostError, match=words):
        parse_costs(doc, "f.json")


def test_a_software_path_is_one_cpu_segment_with_the_whole_stack() -> None:
    m = costs(stack={"packet_ns": 1000, "latency_ns": 10}, veth={"packet_ns": 100,
              "latency_ns": 1}, bridge={"byte_ns": 1.0, "latency_ns": 2})
    pm = m.path_model(["veth", "bridge", "veth"], [])
    assert [s.runs_on for s in pm.segments] == ["cpu"]
    assert pm.segments[0].stack_share == 1.0
    assert pm.latency_ns == 10 + 1 + 2 + 1
    assert pm.segment_ns(m, 100, False, 1448) == [1000 + 100 + 100 + 100]
    assert pm.line_rate_bps is None


def test_nic_hops_split_the_path_between_sender_and_receiver_cpus() -> None:
    m = costs(stack={"packet_ns": 1000}, vf={"runs_on": "nic", "latency_ns": 2500})
    pm = m.path_model(["vf", "vf"], [25e9, 25e9])
    assert [s.runs_on for s in pm.segments] == ["cpu", "nic", "cpu"]
    assert [s.stack_share for s in pm.segments] == [0.5, 0.0, 0.5]
    assert pm.segment_ns(m, 1514, False, 1448) == [500, 500]
    assert pm.latency_ns == 5000 and pm.line_rate_bps == 25e9


def test_kinds_without_numbers_are_free_and_named() -> None:
    m = costs(stack={"packet_ns": 10})
    pm = m.path_model(["geneve"], [])
    assert pm.unknown == ("geneve",)
    assert pm.segment_ns(m, 100, False, 1448) == [10]
