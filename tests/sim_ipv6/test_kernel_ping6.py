"""Differential: ``ping -6`` across a veth and a bridge, ICMPv6 time exceeded / packet too
big / no route through a router, and the neighbour states they leave — the kernel (iputils
ping in namespaces this test creates and removes) against the emulator's same topology.

Both sides use nodad addresses so DAD timing does not enter; link-local addresses exist on
the kernel side (autoconf) and are left out of the comparison of neighbour tables.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from v6sim import add6, enable, ping6, realize, routed

pytestmark = pytest.mark.kernel

TAG = f"v6c{uuid.uuid4().hex[:6]}"


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=30)


def nsx(ns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return sh("ip", "netns", "exec", ns, *args, check=check)


@pytest.fixture
def netns() -> Iterator[dict[str, str]]:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    names = {k: f"{TAG}{k}" for k in ("a", "r", "b")}
    try:
        for n in names.values():
            sh("ip", "netns", "add", n)
        yield names
    finally:
        for n in names.values():
            sh("ip", "netns", "del", n, check=False)


def settle(*names: str) -> None:
    """Bounded (5 s): until no address in the namespaces is tentative and every device
    that is up has its link-local (the first MLD/RS traffic is then out)."""
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        out = "".join(sh("ip", "-n", n, "-6", "addr").stdout for n in names)
        if "tentative" not in out and out.count("scope link") >= 1:
            break
        time.sleep(0.1)
    time.sleep(0.3)


def _error_lines(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith("From ")
            or ln.startswith("ping: ")]


def _neigh(ns: str) -> set[tuple[str, str, str]]:
    """(address, device, state) of the global-address neighbours ``ip -6 neigh`` lists."""
    out = sh("ip", "-n", ns, "-6", "neigh").stdout
    rows = set()
    for ln in out.splitlines():
        f = ln.split()
        if f and not f[0].startswith("fe80"):
            rows.add((f[0], f[2], f[-1]))
    return rows


def _emu_neigh(ns: object) -> set[tuple[str, str, str]]:
    from ipaddress import IPv6Address

    return {(str(IPv6Address(ip)), dev.name, n.state)
            for (dev, ip), n in ns.ipv6.nd_tbl.entries.items()  # type: ignore[attr-defined]
            if not str(IPv6Address(ip)).startswith("fe80")}


def test_router_errors_and_neighbours_match_the_kernel(netns: dict[str, str]) -> None:
    a, r, b = netns["a"], netns["r"], netns["b"]
    sh("ip", "link", "add", "a0", "netns", a, "type", "veth", "peer", "name", "r0",
       "netns", r)
    sh("ip", "link", "add", "r1", "netns", r, "type", "veth", "peer", "name", "b0",
       "netns", b)
    for ns, dev, cidr in ((a, "a0", "2001:db8:1::1/64"), (r, "r0", "2001:db8:1::ff/64"),
                          (r, "r1", "2001:db8:2::ff/64"), (b, "b0", "2001:db8:2::2/64")):
        sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", ns, "addr", "add", cidr, "dev", dev, "nodad")
    sh("ip", "-n", a, "route", "add", "default", "via", "2001:db8:1::ff")
    sh("ip", "-n", b, "route", "add", "default", "via", "2001:db8:2::ff")
    nsx(r, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
    sh("ip", "-n", r, "link", "set", "r1", "mtu", "1280")
    sh("ip", "-n", b, "link", "set", "b0", "mtu", "1280")
    settle(a, r, b)
    _sched, ea, er, _eb = routed()
    cases = [
        (["-c", "2", "-i", "0.2"], {"count": 2, "interval": 0.2}),
        (["-c", "1", "-t", "1"], None),
        (["-c", "1", "-s", "1400", "-M", "do"], {"size": 1400, "pmtudisc": "do"}),
        (["-c", "1", "-s", "1400", "-M", "do"], {"size": 1400, "pmtudisc": "do"}),
        (["-c", "1", "-s", "1400"], {"size": 1400}),
    ]
    for args, kw in cases:
        k = nsx(a, "ping", "-6", "-W", "1", *args, "2001:db8:2::2", check=False)
        kernel_errors = _error_lines(k.stdout + k.stderr)
        kernel_rx = int(re.search(r"(\d+) received", k.stdout).group(1))  # type: ignore[union-attr]
        if kw is None:
            ea.ipv6.sysctl_set("conf.a0.hop_limit", "1")
            app = ping6(ea, "2001:db8:2::2")
            ea.ipv6.sysctl_set("conf.a0.hop_limit", "64")
        else:
            app = ping6(ea, "2001:db8:2::2", **kw)  # type: ignore[arg-type]
        assert (app.received, app.errors) == (kernel_rx, kernel_errors), args
    k = nsx(a, "ping", "-6", "-c", "1", "-W", "1", "2001:db8:3::9", check=False)
    app = ping6(ea, "2001:db8:3::9")
    assert app.errors == _error_lines(k.stdout)
    assert _emu_neigh(ea) == _neigh(a)
    kr = _neigh(r)
    er_rows = _emu_neigh(er)
    # the router's entry for a may be DELAY or already PROBE/REACHABLE depending on the
    # seconds that passed; compare addresses and devices, and b's side exactly
    assert {(x, d) for x, d, _s in er_rows} == {(x, d) for x, d, _s in kr}
    assert ("2001:db8:2::2", "r1", "REACHABLE") in kr and ("2001:db8:2::2", "r1",
                                                           "REACHABLE") in er_rows


BRIDGED = """
name: br6
nodes:
  host:
    interfaces:
      br0: {type: bridge}
      p1: {master: br0}
      p2: {master: br0}
  h1:
    interfaces: {eth0: {addresses: [10.0.0.1/24]}}
  h2:
    interfaces: {eth0: {addresses: [10.0.0.2/24]}}
links:
  - endpoints: [host:p1, h1:eth0]
  - endpoints: [host:p2, h2:eth0]
"""


def test_ping6_across_a_bridge_matches_the_kernel(netns: dict[str, str]) -> None:
    h1, host, h2 = netns["a"], netns["r"], netns["b"]
    sh("ip", "-n", host, "link", "add", "br0", "type", "bridge")
    for peer, p in ((h1, "p1"), (h2, "p2")):
        sh("ip", "link", "add", p, "netns", host, "type", "veth", "peer", "name", "eth0",
           "netns", peer)
        sh("ip", "-n", host, "link", "set", p, "master", "br0", "up")
    sh("ip", "-n", host, "link", "set", "br0", "up")
    for ns, cidr in ((h1, "2001:db8::1/64"), (h2, "2001:db8::2/64")):
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("ip", "-n", ns, "addr", "add", cidr, "dev", "eth0", "nodad")
    settle(h1, host, h2)
    k = nsx(h1, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "1", "2001:db8::2", check=False)
    kernel_rx = int(re.search(r"(\d+) received", k.stdout).group(1))  # type: ignore[union-attr]
    engine = realize(BRIDGED)
    for n in ("host", "h1", "h2"):
        enable(engine.namespaces[n])
    add6(engine.namespaces["h1"], "eth0", "2001:db8::1/64")
    add6(engine.namespaces["h2"], "eth0", "2001:db8::2/64")
    app = ping6(engine.namespaces["h1"], "2001:db8::2", count=3, interval=0.2)
    assert (app.received, app.errors) == (kernel_rx, _error_lines(k.stdout)) == (3, [])
    assert _emu_neigh(engine.namespaces["h1"]) == _neigh(h1) == {
        ("2001:db8::2", "eth0", "REACHABLE")}


def _neigh_full(ns: str) -> set[tuple[str, str, bool, str]]:
    out = sh("ip", "-n", ns, "-6", "neigh").stdout
    rows = set()
    for ln in out.splitlines():
        f = ln.split()
        if f and not f[0].startswith("fe80"):
            rows.add((f[0], f[2], "router" in f, f[-1]))
    return rows


def _emu_neigh_full(ns: object) -> set[tuple[str, str, bool, str]]:
    from ipaddress import IPv6Address

    st = ns.ipv6  # type: ignore[attr-defined]
    return {(str(IPv6Address(ip)), dev.name, (dev, ip) in st.nd_router, n.state)
            for (dev, ip), n in st.nd_tbl.entries.items()
            if not str(IPv6Address(ip)).startswith("fe80")}


def test_neighbour_states_and_router_flag_over_time(netns: dict[str, str]) -> None:
    """One ping through the router, then the tables at once and 6 s later: the answering
    side's STALE entry goes DELAY, then PROBE (a unicast NS), then REACHABLE; the router's
    NA carries the R flag ("router")."""
    import time

    a, r, b = netns["a"], netns["r"], netns["b"]
    sh("ip", "link", "add", "a0", "netns", a, "type", "veth", "peer", "name", "r0",
       "netns", r)
    sh("ip", "link", "add", "r1", "netns", r, "type", "veth", "peer", "name", "b0",
       "netns", b)
    for ns, dev, cidr in ((a, "a0", "2001:db8:1::1/64"), (r, "r0", "2001:db8:1::ff/64"),
                          (r, "r1", "2001:db8:2::ff/64"), (b, "b0", "2001:db8:2::2/64")):
        sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", ns, "addr", "add", cidr, "dev", dev, "nodad")
    sh("ip", "-n", a, "route", "add", "default", "via", "2001:db8:1::ff")
    sh("ip", "-n", b, "route", "add", "default", "via", "2001:db8:2::ff")
    nsx(r, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
    settle(a, r, b)
    sched, ea, er, eb = routed()
    from v6sim import run

    nsx(a, "ping", "-6", "-c", "1", "-W", "1", "2001:db8:2::2", check=False)
    start = time.monotonic()
    assert ping6(ea, "2001:db8:2::2").received == 1
    for kns, ens in ((a, ea), (r, er), (b, eb)):
        assert _emu_neigh_full(ens) == _neigh_full(kns), kns
    time.sleep(max(0.0, 6.5 - (time.monotonic() - start)))
    run(sched, 6.5)
    for kns, ens in ((a, ea), (r, er), (b, eb)):
        assert _emu_neigh_full(ens) == _neigh_full(kns), kns
