"""Fuzzing: whatever the input, the loader returns a LabSpec or raises LabError, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fuzzlab import paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vnetlab.model import LabError, LabSpec, load_lab_text

EXAMPLE = Path(__file__).with_name("container_host.yaml").read_text()

NAMES = ["a", "b", "host", "br0", "eth0", "veth0a", "veth0b", "x" * 16, "", "a b", "1"]
KEYS = [
    "name", "nodes", "links", "checks", "interfaces", "routes", "sysctls", "type", "addresses",
    "mtu", "mac", "up", "master", "bridge_port", "learning", "flood", "hairpin", "stp",
    "ageing_time", "fdb", "dev", "dst", "via", "metric", "endpoints", "ping", "trace", "verdict",
    "frames", "match", "proto", "op", "src", "expect", "port", "count", "net.ipv4.ip_forward",
    *NAMES,
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.sampled_from(
        [
            "bridge",
            "veth",
            "vlan",
            "default",
            "10.0.0.1/24",
            "10.0.0.1",
            "192.168.1.300/24",
            "02:00:00:00:00:01",
            "03:00:00:00:00:01",
            "a:eth0",
            "host:br0",
            "a -> 10.0.0.2",
            "a->10.0.0.2",
            "broadcast",
            "arp",
            "request",
            "seen",
            "reachable",
            "t",
            "br0",
        ]
    ),  # fmt: skip
    st.text(max_size=20),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=30,
)


def _ok(text: str) -> None:
    try:
        lab = load_lab_text(text, "fuzz.yaml")
    except LabError as e:
        assert e.problems
        assert str(e)
        for p in e.problems:
            assert p.line is None or p.line >= 1
    else:
        assert isinstance(lab, LabSpec)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _ok(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="ab:- \n\t{}[],&*!|>'\"#%@`?0123456789.", max_size=120))
def test_yamlish_text(text: str) -> None:
    _ok(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VALUES)
def test_random_nested_values(value: Any) -> None:
    _ok(yaml.safe_dump(value))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_example(data: st.DataObject) -> None:
    doc = yaml.safe_load(EXAMPLE)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths(doc)))
        if not path:
            continue
        parent = doc
        for seg in path[:-1]:
            parent = parent[seg]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(VALUES)
    _ok(yaml.safe_dump(doc))


def test_example_itself_loads() -> None:
    _ok(EXAMPLE)
    lab = load_lab_text(EXAMPLE)
    assert lab.nodes and all(s.mac for n in lab.nodes.values() for s in n.interfaces.values())


def test_recursive_anchor() -> None:
    _ok("name: t\nnodes: &n {a: *n}\n")
    _ok("name: t\nnodes: {a: {}}\nlinks: &l [*l]\n")
    _ok("name: t\nnodes: {a: &x {interfaces: {e0: *x}}}\n")


def test_merge_keys_work_and_keep_lines() -> None:
    text = (
        "name: t\n"
        "defaults: &d {mtu: 9000}\n"
        "nodes:\n"
        "  a:\n"
        "    interfaces:\n"
        "      br0: {<<: *d, type: bridge, mtu: 1500, stpp: true}\n"
    )
    try:
        load_lab_text(text, "lab.yaml")
    except LabError as e:
        paths = {p.path: p.line for p in e.problems}
        assert paths["defaults"] == 2
        assert paths["nodes.a.interfaces.br0.stpp"] == 6
    else:
        raise AssertionError("unknown keys must be reported")
