"""Neighbour-table budget: the estimate, the refusal, the batches; and the kernel agrees."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from tests.kernel.labs import star, t1
from vnetlab.kernel import limits
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.limits import NeighbourTableTooSmall, NeighLimits
from vnetlab.model.spec import LabSpec

HOST = NeighLimits(128, 512, 1024)  # this CI kernel's defaults


def mesh(n: int) -> list[tuple[str, IPv4Address]]:
    """Every node of ``star(.., n)`` pings every other one."""
    ips = [IPv4Address(f"10.0.{(i + 2) // 256}.{(i + 2) % 256}") for i in range(n)]
    return [(f"n{i}", ips[j]) for i in range(n) for j in range(n) if i != j]


def test_t1_pings_need_four_entries() -> None:
    pings = [("a", IPv4Address("192.168.1.3")), ("b", IPv4Address("192.168.1.1"))]
    assert limits.neigh_entries(t1(), pings) == {
        ("a", "192.168.1.3"), ("b", "192.168.1.2"), ("b", "192.168.1.1"), ("host", "192.168.1.3"),
    }


def test_routed_ping_counts_every_hop() -> None:
    # a -> 10.9.9.9 via its default gateway: only the gateway is resolved
    pings = [("a", IPv4Address("10.9.9.9"))]
    assert limits.neigh_entries(t1(), pings) == {("a", "192.168.1.1"), ("host", "192.168.1.2")}


def test_fifty_node_mesh_is_refused_clearly() -> None:
    pings = mesh(50)
    assert len(limits.neigh_entries(star("mesh", 50), pings)) == 50 * 49
    with pytest.raises(NeighbourTableTooSmall, match=r"gc_thresh3.*neighbour table overflow"):
        limits.check_pings(star("mesh", 50), pings, limits=HOST, existing=3)
    assert limits.check_pings(star("mesh", 10), mesh(10), limits=HOST, existing=3) == 90


def test_batches_fit_the_budget() -> None:
    lab, pings = star("mesh", 50), mesh(50)
    room = limits.budget(HOST, existing=3)
    groups = limits.batches(lab, pings, room)
    assert sorted(i for g in groups for i in g) == list(range(len(pings)))
    assert len(groups) >= 3
    for g in groups:
        assert len(limits.neigh_entries(lab, [pings[i] for i in g])) <= room


def test_read_limits_reads_the_host() -> None:
    lim = limits.read_limits()
    assert 0 < lim.gc_thresh1 <= lim.gc_thresh2 <= lim.gc_thresh3


@pytest.fixture
def t1_up() -> Iterator[LinuxEngine]:
    e = LinuxEngine()
    try:
        e.realize(t1("klim"))
        yield e
    finally:
        e.teardown()


@pytest.mark.kernel
def test_estimate_matches_the_kernel(t1_up: LinuxEngine) -> None:
    pings = [("a", IPv4Address("192.168.1.3")), ("b", IPv4Address("192.168.1.1"))]
    for src, dst in pings:
        assert t1_up.ping(src, dst).reachable
    st = t1_up.observe()
    real = {(node, n.dst) for node, ns in st.nodes.items() for n in ns.neighs}
    assert t1_up.lab is not None
    assert real == limits.neigh_entries(t1_up.lab, pings)
    assert t1_up.flush_neighbours() == 4
    assert not any(ns.neighs for ns in t1_up.observe().nodes.values())
    assert t1_up.ping_batches(pings) == [[0, 1]]


# -- run_checks plans the pings within the budget (engine hook prepare_checks) -----------

def _mesh_lab(name: str, n: int) -> LabSpec:
    base = star(name, n).model_dump(mode="json")
    base["checks"] = [{"ping": f"{src} -> {dst}"} for src, dst in mesh(n)]
    return LabSpec.model_validate(base)


@pytest.mark.kernel
def test_run_checks_batches_pings_within_a_small_budget(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    from vnetlab.tools.checks import run_checks

    lab = _mesh_lab("kbatch", 5)  # 20 pings, 40 entries
    monkeypatch.setattr(limits, "budget", lambda *a, **k: 12)
    e = LinuxEngine()
    flushed: list[int] = []
    real_flush = e.flush_neighbours
    def flush_counted() -> int:
        flushed.append(real_flush())
        return 0

    monkeypatch.setattr(e, "flush_neighbours", flush_counted)
    try:
        e.realize(lab)
        report = run_checks(e, lab)
    finally:
        e.teardown()
    assert report.ok and report.counts["pass"] == 20
    assert e.check_batches == len(flushed) + 1 >= 2  # 20 distinct entries, 12 at a time
    assert all(n > 0 for n in flushed)  # each flush removed the previous batch's entries


@pytest.mark.kernel
def test_run_checks_refuses_when_one_ping_does_not_fit(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    from vnetlab.tools.checks import run_checks

    lab = _mesh_lab("kbatch2", 3)
    monkeypatch.setattr(limits, "budget", lambda *a, **k: 1)
    e = LinuxEngine()
    try:
        e.realize(lab)
        with pytest.raises(NeighbourTableTooSmall, match="alone needs 2 neighbour entries"):
            run_checks(e, lab)
    finally:
        e.teardown()


def test_the_emulator_needs_no_planning() -> None:
    from vnetlab.sim.engine import SimEngine

    assert not hasattr(SimEngine(), "prepare_checks")


def test_host_entries_reads_the_global_count_from_arp_cache_stat(tmp_path: Path) -> None:
    from vnetlab.kernel.limits import host_entries

    f = tmp_path / "arp_cache"
    f.write_text("entries  allocs   destroys\n0000002a 00000f7c 00001334\n0000002a 000012ca 0\n")
    assert host_entries(f) == 42
    assert host_entries(tmp_path / "missing") == 0
