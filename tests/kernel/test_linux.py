"""The linux engine on the real kernel: build, ping, observe, tear down, roll back."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from tests.kernel.labs import t1, t1_raw
from vnetlab.engine import Engine, EngineError
from vnetlab.kernel import nl, runtime
from vnetlab.kernel.engine import LinuxEngine, down
from vnetlab.model.spec import LabSpec

pytestmark = pytest.mark.kernel


def lab_namespaces(lab: str) -> list[str]:
    return [n for n in nl.list_netns() if n.startswith(f"vnl-{lab}.")]


@pytest.fixture
def make_engine() -> Iterator[list[LinuxEngine]]:
    """Engines made by a test; all torn down afterwards, whatever happened."""
    engines: list[LinuxEngine] = []
    yield engines
    for e in engines:
        e.teardown()


def up(engines: list[LinuxEngine], lab: LabSpec) -> LinuxEngine:
    e = LinuxEngine()
    engines.append(e)
    e.realize(lab)
    return e


def test_engine_protocol() -> None:
    assert isinstance(LinuxEngine(), Engine)


def test_ping_across_the_bridge_and_observe(make_engine: list[LinuxEngine]) -> None:
    e = up(make_engine, t1("kt1"))
    assert sorted(lab_namespaces("kt1")) == ["vnl-kt1.a", "vnl-kt1.b", "vnl-kt1.host"]
    r = e.ping("a", IPv4Address("192.168.1.3"), count=2)
    assert (r.transmitted, r.received, len(r.rtts_ns)) == (2, 2, 2), r
    assert e.ping("b", IPv4Address("192.168.1.1")).reachable
    st = e.observe()
    assert st.engine == "linux" and set(st.nodes) == {"host", "a", "b"}
    host = st.nodes["host"]
    # links: kind, state, MAC from the model, master, peer
    br0 = host.link("br0")
    assert (br0.kind, br0.operstate, br0.mac, br0.mtu) == ("bridge", "UP", "02:00:00:00:01:01",
                                                          1500)
    v = host.link("veth0a")
    assert (v.kind, v.master, v.peer, v.operstate) == ("veth", "br0", "a:eth0", "UP")
    assert st.nodes["a"].link("eth0").peer == "host:veth0a"
    assert st.nodes["a"].link("eth0").stats.tx_packets >= 3
    # FDB: a and b learned on their own ports; the ports' own MACs are permanent
    learned = {(f.port, f.mac) for f in host.fdb if not f.flags}
    assert ("veth0a", "02:00:00:00:00:0a") in learned
    assert ("veth0b", "02:00:00:00:00:0b") in learned
    assert ("veth0a", "02:00:00:00:00:0b") not in learned
    perm = {(f.port, f.mac) for f in host.fdb if f.flags == ("permanent",)}
    assert ("veth0a", "02:00:00:00:01:0a") in perm and ("br0", "02:00:00:00:01:01") in perm
    # neighbours: a resolved b right now
    neigh = {n.dst: n for n in st.nodes["a"].neighs}
    assert neigh["192.168.1.3"].state == "REACHABLE"
    assert neigh["192.168.1.3"].lladdr == "02:00:00:00:00:0b"
    # routes: the static default and the connected route as ip route shows them
    routes = {r.dst: r for r in st.nodes["a"].routes}
    assert (routes["default"].via, routes["default"].proto, routes["default"].dev) == (
        "192.168.1.1", "boot", "eth0")
    conn = routes["192.168.1.0/24"]
    assert (conn.proto, conn.scope, conn.prefsrc) == ("kernel", "link", "192.168.1.2")
    assert host.sysctls["net.ipv4.ip_forward"] == 1
    assert ("br0", "192.168.1.1/24") in {(a.ifname, a.cidr) for a in host.addrs}


def test_teardown_leaves_nothing(make_engine: list[LinuxEngine]) -> None:
    e = up(make_engine, t1("kt2"))
    assert runtime.find("kt2", "vnl-") is not None
    e.teardown()
    assert lab_namespaces("kt2") == []
    assert runtime.find("kt2", "vnl-") is None
    e.teardown()  # idempotent


def test_two_labs_with_the_same_node_names(make_engine: list[LinuxEngine]) -> None:
    e1 = up(make_engine, t1("kt3"))
    e2 = up(make_engine, t1("kt4"))
    assert e1.ping("a", IPv4Address("192.168.1.3")).reachable
    assert e2.ping("a", IPv4Address("192.168.1.3")).reachable
    e1.teardown()
    assert lab_namespaces("kt3") == [] and len(lab_namespaces("kt4")) == 3
    assert e2.ping("b", IPv4Address("192.168.1.2")).reachable


def test_same_lab_twice_is_refused(make_engine: list[LinuxEngine]) -> None:
    up(make_engine, t1("kt5"))
    with pytest.raises(EngineError, match="already"):
        up(make_engine, t1("kt5"))
    assert len(lab_namespaces("kt5")) == 3  # the first one is untouched


@pytest.mark.parametrize("fail_at", [1, 6, 15, -1])
def test_injected_failure_rolls_back(make_engine: list[LinuxEngine], fail_at: int) -> None:
    e = LinuxEngine()
    n_ops = len(e.plan(t1("kt6")))
    fail_at = fail_at % n_ops  # -1: before the very last op
    make_engine.append(e)
    with pytest.raises(EngineError, match="injected failure"):
        e.realize(t1("kt6"), fail_at=fail_at)
    assert lab_namespaces("kt6") == []
    assert runtime.find("kt6", "vnl-") is None


def test_kernel_refusal_rolls_back(make_engine: list[LinuxEngine]) -> None:
    raw = t1_raw("kt7")
    raw["nodes"]["b"]["routes"] = [{"dst": "10.0.0.0/8", "via": "172.16.0.1"}]  # not on-link
    with pytest.raises(EngineError, match=r"route add 10\.0\.0\.0/8 via 172\.16\.0\.1"):
        up(make_engine, LabSpec.model_validate(raw))
    assert lab_namespaces("kt7") == []
    assert runtime.find("kt7", "vnl-") is None


def test_exec_runs_a_real_program(make_engine: list[LinuxEngine]) -> None:
    e = up(make_engine, t1("kt8"))
    assert e.exec("a", ["true"]) == 0
    assert e.exec("a", ["sh", "-c", "exit 3"]) == 3
    done = e.exec("b", ["ip", "-br", "addr", "show", "eth0"], capture=True)
    assert not isinstance(done, int) and "192.168.1.3/24" in done.stdout


def test_capture_writes_a_pcap(make_engine: list[LinuxEngine], tmp_path: Path) -> None:
    e = up(make_engine, t1("kt9"))
    pcap = tmp_path / "b.pcap"
    e.start_capture("b", "eth0", pcap)
    assert e.ping("a", IPv4Address("192.168.1.3"), count=2).received == 2
    e.stop_captures()
    data = pcap.read_bytes()
    assert data[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4")  # classic pcap
    assert len(data) > 24 + 4 * (16 + 42)  # ARP + 2 echo requests + 2 replies at least


def test_attach_and_down_from_another_engine(make_engine: list[LinuxEngine]) -> None:
    e = LinuxEngine(persistent=True)
    make_engine.append(e)
    e.realize(t1("kt10"))
    other = LinuxEngine.attach("kt10")
    assert other.ping("a", IPv4Address("192.168.1.3")).reachable
    assert other.observe().nodes["a"].link("eth0").peer == "host:veth0a"
    removed, lingering = down("kt10")
    assert sorted(removed) == ["vnl-kt10.a", "vnl-kt10.b", "vnl-kt10.host"]
    assert lingering == {}
    assert lab_namespaces("kt10") == []
    e.realized.close() if e.realized else None
    e.realized = None
    e.record = None


def test_teardown_is_fast_and_complete_for_a_star(make_engine: list[LinuxEngine]) -> None:
    from tests.kernel.labs import star

    e = up(make_engine, star("kt11", 30))
    assert e.ping("n0", IPv4Address("10.0.0.31")).reachable  # n29
    t = time.perf_counter()
    e.teardown()
    assert time.perf_counter() - t < 10
    assert lab_namespaces("kt11") == []
    assert not any(n.startswith("vnl-kt11") for n in os.listdir("/run/netns"))


def test_bridge_options_reach_the_kernel(make_engine: list[LinuxEngine]) -> None:
    raw = t1_raw("kt12")
    host = raw["nodes"]["host"]["interfaces"]
    host["veth0b"]["bridge_port"] = {"hairpin": True, "learning": False}
    host["veth0a"]["mtu"] = 9000
    host["br0"]["fdb"] = [{"mac": "02:00:00:00:00:99", "dev": "veth0b"}]
    host["br0"]["ageing_time"] = 12.5
    raw["nodes"]["a"]["interfaces"]["eth0"]["mtu"] = 9000
    e = up(make_engine, LabSpec.model_validate(raw))
    assert e.ping("a", IPv4Address("192.168.1.3")).reachable
    st = e.observe().nodes["host"]
    assert ("veth0b", "02:00:00:00:00:99", ("static",)) in {(f.port, f.mac, f.flags)
                                                            for f in st.fdb}
    learned = {(f.port, f.mac) for f in st.fdb if not f.flags}
    assert ("veth0a", "02:00:00:00:00:0a") in learned
    assert not any(port == "veth0b" for port, _ in learned)  # learning off on veth0b
    assert st.link("veth0a").mtu == 9000 and st.link("br0").mtu == 1500
    assert st.link("br0").mac == "02:00:00:00:01:01"  # kept although ports joined
    done = e.exec("host", ["ip", "-d", "link", "show", "veth0b"], capture=True)
    assert not isinstance(done, int)
    assert "hairpin on" in done.stdout and "learning off" in done.stdout
    done = e.exec("host", ["ip", "-d", "link", "show", "br0"], capture=True)
    assert not isinstance(done, int) and "ageing_time 1250 " in done.stdout


def test_teardown_removes_a_lab_even_after_a_user_added_a_link_inside(
    make_engine: list[LinuxEngine],
) -> None:
    # ownership rests on the namespace's inode recorded at build time, not only on link
    # tags: an untagged link a user made with `vnetlab exec` must not pin the lab forever
    e = up(make_engine, t1("kusr"))
    assert e.exec("a", ["ip", "link", "add", "x1", "type", "veth", "peer", "name", "x2"]) == 0
    assert e.record is not None
    names = list(e.record.namespaces.values())
    e.teardown()
    assert not [n for n in names if os.path.exists(f"/run/netns/{n}")]


def test_down_names_processes_still_running_in_a_namespace(
    make_engine: list[LinuxEngine],
) -> None:
    e = LinuxEngine(persistent=True)
    make_engine.append(e)
    e.realize(t1("kt12"))
    assert e.record is not None
    ns = e.record.namespaces["a"]
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", "30"])
    try:
        deadline = time.monotonic() + 5
        while not nl.pids_in_netns(ns) and time.monotonic() < deadline:
            time.sleep(0.05)
        removed, lingering = down("kt12")
        assert ns in removed
        assert proc.pid in lingering.get(ns, [])
    finally:
        proc.kill()
        proc.wait(timeout=5)
