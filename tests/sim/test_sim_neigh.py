"""ARP and the neighbour table (vnetlab/sim/stack/neigh.py vs net/core/neighbour.c, arp.c)."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

from simlab import BCAST, Captures, count, icmp_type, is_arp, realize

from vnetlab.model.state import NeighState
from vnetlab.sim.apps.ping import Ping
from vnetlab.sim.clock import MS, S
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.stack.addr import ip_int

PAIR = """
name: pair
nodes:
  a:
    interfaces: {eth0: {addresses: [10.0.0.1/24]}}
  b:
    interfaces: {eth0: {addresses: [10.0.0.2/24]}}
links:
  - endpoints: [a:eth0, b:eth0]
"""


def neigh(engine: SimEngine, node: str, ip: str) -> NeighState | None:
    for n in engine.observe().nodes[node].neighs:
        if n.dst == ip:
            return n
    return None


def test_first_ping_reachable_on_sender_stale_on_target() -> None:
    engine, _ = realize(PAIR)
    assert engine.ping("a", IPv4Address("10.0.0.2")).received == 1
    na = neigh(engine, "a", "10.0.0.2")
    assert na is not None and na.state == "REACHABLE"
    assert na.lladdr == engine.observe().nodes["b"].link("eth0").mac
    # arp_process: a request for our address creates the sender's entry as STALE; the echo
    # reply then uses it (STALE -> DELAY), since nothing confirmed it yet
    nb = neigh(engine, "b", "10.0.0.1")
    assert nb is not None and nb.lladdr == engine.observe().nodes["a"].link("eth0").mac
    assert nb.state == "DELAY"


def test_arp_request_creates_stale_entry_on_target() -> None:
    engine, _ = realize(PAIR)
    ns = engine.namespaces["a"]
    # an ARP probe only (no IP traffic): a's neighbour layer resolves 10.0.0.2
    ns.stack.neigh.output(ns.devices["eth0"], ip_int("10.0.0.2"), b"", None)
    engine.sched.run(until=engine.sched.now + 1 * MS)
    nb = neigh(engine, "b", "10.0.0.1")
    assert nb is not None and nb.state == "STALE"


def test_unanswered_arp_fails_after_three_requests_one_second_apart(tmp_path: Path) -> None:
    engine, _ = realize(PAIR)
    cap = Captures(engine, tmp_path, ["a:eth0"])
    r = engine.ping("a", IPv4Address("10.0.0.99"))
    engine.advance(10)
    seen = cap.stop()["a:eth0"]
    assert r.received == 0
    reqs = [f for f in seen if is_arp(f, 1) and f[0:6] == BCAST]
    assert len(reqs) == 3
    n = neigh(engine, "a", "10.0.0.99")
    assert n is not None and n.state == "FAILED" and n.lladdr is None
    # 1 s apart (retrans_time): the pcap timestamps are virtual time
    from vnetlab.wire.pcap import read_pcap

    times = [t for t, f in read_pcap(cap.paths["a:eth0"]) if is_arp(f, 1)]
    assert [t - times[0] for t in times] == [0, 1 * S, 2 * S]


def test_ping_to_missing_host_reports_destination_host_unreachable() -> None:
    engine, _ = realize(PAIR)
    r = engine.ping("a", IPv4Address("10.0.0.99"), count=5)
    assert r.received == 0
    assert r.errors, "ping prints an error line per failed request"
    assert all(e.endswith("Destination Host Unreachable") for e in r.errors), r.errors
    # the first three requests waited in the unresolved queue and failed together at 3 s
    assert [e.split()[2] for e in r.errors[:3]] == [f"icmp_seq={i}" for i in (1, 2, 3)]


def test_host_unreachable_comes_from_own_address() -> None:
    engine, _ = realize(PAIR)
    r = engine.ping("a", IPv4Address("10.0.0.99"), count=5)
    assert r.errors[:3] == tuple(
        f"From 10.0.0.1 icmp_seq={i} Destination Host Unreachable" for i in (1, 2, 3)
    )


def test_reachable_turns_stale_after_30s() -> None:
    engine, _ = realize(PAIR)
    engine.ping("a", IPv4Address("10.0.0.2"))
    engine.advance(29)
    assert neigh(engine, "a", "10.0.0.2").state == "REACHABLE"  # type: ignore[union-attr]
    engine.advance(2)
    assert neigh(engine, "a", "10.0.0.2").state == "STALE"  # type: ignore[union-attr]


def test_packets_queued_while_incomplete_are_all_sent_on_reply(tmp_path: Path) -> None:
    engine, _ = realize(PAIR)
    ns = engine.namespaces["a"]
    done: list[Ping] = []
    apps = [
        Ping(ns, ip_int("10.0.0.2"), count=1, ident=0x100 + i, on_done=done.append)
        for i in range(3)
    ]
    cap = Captures(engine, tmp_path, ["a:eth0"])
    for app in apps:  # three sockets send before the first ARP reply can arrive
        app.start()
    engine.sched.run(until=engine.sched.now + 2 * S)
    seen = cap.stop()["a:eth0"]
    assert [a.received for a in apps] == [1, 1, 1]
    assert count(seen, lambda f: is_arp(f, 1)) == 1  # one resolution for all three
    assert count(seen, lambda f: icmp_type(f) == 8) == 3
    assert count(seen, lambda f: icmp_type(f) == 0) == 3


def test_fragments_queued_while_incomplete_all_go_out(tmp_path: Path) -> None:
    engine, _ = realize(PAIR)
    cap = Captures(engine, tmp_path, ["a:eth0"])
    r = engine.ping("a", IPv4Address("10.0.0.2"), size=4000)  # 3 fragments, first contact
    seen = cap.stop()["a:eth0"]
    assert r.received == 1
    amac = engine.namespaces["a"].devices["eth0"].mac
    sent_ip = [f for f in seen if f[6:12] == amac and f[12:14] == b"\x08\x00"]
    assert len(sent_ip) == 3
