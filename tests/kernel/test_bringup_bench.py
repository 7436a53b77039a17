"""bench/linux_bringup.py's lab and its limits (pure: nothing is built here)."""

from __future__ import annotations

import importlib.util
import resource
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "linux_bringup.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("linux_bringup", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["linux_bringup"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_up_to_1000_nodes_share_one_bridge(bench: ModuleType) -> None:
    lab = bench.star("b", 1000)
    host = lab.nodes["host"].interfaces
    assert [i for i, s in host.items() if s.type == "bridge"] == ["br0"]
    assert {s.master for i, s in host.items() if i.startswith("v")} == {"br0"}
    assert str(lab.nodes["n999"].interfaces["eth0"].addresses[0]) == "10.0.3.233/16"


def test_2000_nodes_take_two_bridges_below_the_kernel_port_limit(bench: ModuleType) -> None:
    lab = bench.star("b", 2000)
    host = lab.nodes["host"].interfaces
    ports: dict[str | None, int] = {}
    for i, s in host.items():
        if i.startswith("v"):
            ports[s.master] = ports.get(s.master, 0) + 1
    assert ports == {"br0": 1000, "br1": 1000}
    assert max(ports.values()) <= 1023  # BR_MAX_PORTS - 1
    assert str(host["br1"].addresses[0]) == "10.1.0.1/16"
    assert str(lab.nodes["n1000"].interfaces["eth0"].addresses[0]) == "10.1.0.2/16"
    addrs = {str(n.interfaces["eth0"].addresses[0]) for k, n in lab.nodes.items() if k != "host"}
    assert len(addrs) == 2000


def test_time_projection_is_at_least_linear(bench: ModuleType) -> None:
    assert bench.projected_s([(500, 10.0)], 1000) == pytest.approx(20.0)
    # measured growth exponent 2 between 500 and 1000
    assert bench.projected_s([(500, 10.0), (1000, 40.0)], 2000) == pytest.approx(160.0)
    # faster than linear measured: still projected linearly
    assert bench.projected_s([(500, 10.0), (1000, 12.0)], 2000) == pytest.approx(24.0)


def test_a_size_beyond_the_fd_hard_limit_is_refused_with_the_reason(bench: ModuleType) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no hard limit on file descriptors here")
    why = bench.room_for(hard, None)
    assert why is not None and why.startswith("file descriptors:")
    assert f"hard limit is {hard}" in why
