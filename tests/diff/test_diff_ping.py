"""Ping results agree between the engines for a table of probes on a small routed lab:
reachable or not, and the first error line iputils prints (the kernel is the oracle)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from ipaddress import IPv4Address

import pytest

from vnetlab.engine import PingResult
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.model import load_lab_text
from vnetlab.sim.engine import SimEngine

pytestmark = pytest.mark.kernel

LAB = """
name: dping
nodes:
  a:
    interfaces: {eth0: {addresses: [10.1.1.2/24]}}
    routes: [{dst: default, via: 10.1.1.1}]
  r:
    sysctls: {net.ipv4.ip_forward: 1}
    interfaces:
      eth0: {addresses: [10.1.1.1/24]}
      eth1: {addresses: [10.1.2.1/24]}
  b:
    interfaces: {eth0: {addresses: [10.1.2.2/24]}}
    routes: [{dst: default, via: 10.1.2.1}]
  c:
    interfaces: {eth0: {addresses: [10.1.1.3/24]}}
links:
  - endpoints: [a:eth0, r:eth0]
  - endpoints: [r:eth1, b:eth0]
  - endpoints: [c:eth0, a:eth1]
"""
# c:eth0 <-> a:eth1 has no address on a's side: c's only route is its connected one

PROBES = [
    ("a", "10.1.2.2"),  # routed through r
    ("a", "10.1.1.1"),  # the gateway itself
    ("b", "10.1.1.2"),  # the way back
    ("a", "10.1.1.99"),  # on-link, nobody answers ARP: a's own Host Unreachable
    ("a", "10.1.2.99"),  # behind r, nobody answers r's ARP: r's Host Unreachable
    ("a", "198.51.100.7"),  # r has no route: Net Unreachable from r
    ("c", "10.1.2.2"),  # no route at all: "ping: connect: Network is unreachable"
]
TIMEOUT_S = 5.0  # ARP gives up after 3 probes 1 s apart; the ICMP error needs to arrive


def norm(r: PingResult) -> tuple[bool, str]:
    first = r.errors[0] if r.errors else ""
    return r.reachable, re.sub(r"\s+", " ", first).strip()


@pytest.fixture(scope="module")
def results() -> Iterator[dict[tuple[str, str], tuple[tuple[bool, str], tuple[bool, str]]]]:
    lab = load_lab_text(LAB)
    sim = SimEngine()
    sim.realize(lab)
    linux = LinuxEngine()
    out = {}
    try:
        linux.realize(lab)
        for p in PROBES:
            src, dst = p.values if hasattr(p, "marks") else p
            s = sim.ping(src, IPv4Address(dst), timeout_s=TIMEOUT_S)
            k = linux.ping(src, IPv4Address(dst), timeout_s=TIMEOUT_S)
            out[(src, dst)] = (norm(s), norm(k))
        yield out
    finally:
        linux.teardown()
        sim.teardown()


@pytest.mark.parametrize("src,dst", [p if hasattr(p, "marks") else
                                     pytest.param(*p, id=f"{p[0]}->{p[1]}") for p in PROBES])
def test_ping_results_agree(src: str, dst: str, results: dict) -> None:
    sim, kernel = results[(src, dst)]
    assert sim == kernel, f"emulator {sim}, kernel {kernel}"
