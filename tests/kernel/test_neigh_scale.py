"""The neighbour-table batching keeps every ping verdict right at N = 2,000 (real kernel).

Design note
-----------
``net.ipv4.neigh.default.gc_thresh3`` cannot be made smaller in a sandbox: ``arp_tbl`` is one
table for the host, and its ``default`` sysctls exist only in the initial namespace
(``arp_init`` registers them once; a new namespace has ``/proc/sys/net/ipv4/neigh/lo`` and
its devices', no ``default``), so a namespace cannot get a table of its own, and the
global value is not ours to change. The test therefore uses the host's real limit (1,024 on
this kernel): 2,000 nodes on two bridges (a bridge holds at most 1,023 ports), each pinging
its gateway, need about 4,000 entries — four times what the table holds. The checks must be
planned in batches (``LinuxEngine.prepare_checks``), every ping must pass, pings to an
address nobody holds must still fail, and the kernel's own count of refused allocations
(``table_fulls`` in ``/proc/net/stat/arp_cache``, ``neigh_alloc``) must not grow while the
checks run (another user of the host overflowing it at the same time would show there too:
then the test says so instead of blaming the batching).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vnetlab.kernel import limits
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.model.spec import LabSpec

N = 2000
PORTS_PER_BRIDGE = 1000  # a bridge holds at most 1,023 ports (br_if.c find_portno)
ARP_STAT = Path("/proc/net/stat/arp_cache")


def _addr(i: int) -> str:
    k, j = divmod(i, PORTS_PER_BRIDGE)
    return f"10.{k}.{(j + 2) // 256}.{(j + 2) % 256}"


def star_pinging_gateways(name: str, n: int) -> LabSpec:
    """host with bridges br0, br1 ...; node i on bridge i // 1000 pings its bridge's
    address; and one ping per bridge to an address nobody holds (unreachable)."""
    bridges = -(-n // PORTS_PER_BRIDGE)
    host_ifs: dict[str, object] = {
        f"br{k}": {"type": "bridge", "addresses": [f"10.{k}.0.1/16"]} for k in range(bridges)}
    nodes: dict[str, object] = {"host": {"interfaces": host_ifs}}
    links = []
    checks: list[dict[str, object]] = []
    for i in range(n):
        host_ifs[f"v{i}"] = {"master": f"br{i // PORTS_PER_BRIDGE}"}
        nodes[f"n{i}"] = {"interfaces": {"eth0": {"addresses": [f"{_addr(i)}/16"]}}}
        links.append({"endpoints": [f"host:v{i}", f"n{i}:eth0"]})
        checks.append({"ping": f"n{i} -> 10.{i // PORTS_PER_BRIDGE}.0.1"})
    for k in range(bridges):
        checks.append({"ping": f"n{k * PORTS_PER_BRIDGE} -> 10.{k}.255.254",
                       "expect": "unreachable"})
    spec: dict[str, object] = {"name": name, "nodes": nodes, "links": links, "checks": checks}
    if "ipv6" in LabSpec.model_fields:  # IPv4 only: the table under test is arp_tbl
        spec["ipv6"] = False
    return LabSpec.model_validate(spec)


def table_fulls(stat: Path = ARP_STAT) -> int:
    """Refused neighbour allocations on the host so far (last column of ``arp_cache``)."""
    lines = stat.read_text().splitlines()
    col = lines[0].split().index("table_fulls")
    return int(lines[1].split()[col], 16)


def test_star_of_2000_pings_fits_only_in_batches() -> None:
    lab = star_pinging_gateways("nscale", N)
    pings = [(c.src, c.dst) for c in lab.checks if hasattr(c, "dst")]
    # two entries per reachable ping (the node's gateway, the host's node); the unreachable
    # ones an INCOMPLETE entry in the sender
    assert len(limits.neigh_entries(lab, pings)) == 2 * N + 2
    room = limits.budget(limits.NeighLimits(128, 512, 1024), existing=0)
    groups = limits.batches(lab, pings, room)
    assert len(groups) >= -(-(2 * N + 2) // room) >= 4
    assert sorted(i for g in groups for i in g) == list(range(len(pings)))
    for g in groups:
        assert len(limits.neigh_entries(lab, [pings[i] for i in g])) <= room


@pytest.mark.kernel
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")
def test_every_verdict_right_at_2000_nodes() -> None:
    from vnetlab.tools.checks import run_checks

    lim = limits.read_limits()
    need = 2 * N + 2
    if need <= limits.budget(lim):
        pytest.skip(f"this host's gc_thresh3 ({lim.gc_thresh3}) holds all {need} entries: "
                    "nothing to batch")
    lab = star_pinging_gateways(f"nscale{os.getpid()}", N)  # per-run namespace names
    e = LinuxEngine()
    try:
        e.realize(lab)
        fulls = table_fulls()
        report = run_checks(e, lab)
        overflowed = table_fulls() - fulls
    finally:
        e.teardown()
    bad = [r for r in report.results if r.status != "pass"]
    assert not bad, f"{len(bad)} wrong verdicts, first: {bad[:3]}"
    assert report.counts["pass"] == N + 2
    assert e.check_batches >= -(-need // lim.gc_thresh3)  # really batched (>= 4 here)
    assert overflowed == 0, (f"the host's neighbour table refused {overflowed} entries while "
                             "the checks ran (another user of the host, or a batch too big)")
