"""IPv4 routing, forwarding, TTL, fragmentation (vnetlab/sim/stack/ipv4.py, fib.py)."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest
from simlab import EXAMPLES, Captures, icmp_type, link, realize

from vnetlab.model import load_lab
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.trace_render import render_trace

LPM = """
name: lpm
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  h:
    interfaces: {eth0: {addresses: [172.16.0.2/24]}}
    routes: [{dst: default, via: 172.16.0.1}]
  r:
    sysctls: {net.ipv4.ip_forward: 1}
    interfaces:
      eth0: {addresses: [172.16.0.1/24]}
      eth1: {addresses: [192.168.1.1/24]}
      eth2: {addresses: [192.168.2.1/24]}
      eth3: {addresses: [192.168.3.1/24]}
    routes:
      - {dst: default, via: 192.168.3.2}
      - {dst: 10.1.0.0/16, via: 192.168.2.2}
      - {dst: 10.1.1.0/24, via: 192.168.1.2}
  n1:
    interfaces: {eth0: {addresses: [192.168.1.2/24, 10.1.1.5/32]}}
    routes: [{dst: default, via: 192.168.1.1}]
  n2:
    interfaces: {eth0: {addresses: [192.168.2.2/24, 10.1.2.5/32]}}
    routes: [{dst: default, via: 192.168.2.1}]
  n3:
    interfaces: {eth0: {addresses: [192.168.3.2/24, 10.2.0.5/32]}}
    routes: [{dst: default, via: 192.168.3.1}]
links:
  - endpoints: [h:eth0, r:eth0]
  - endpoints: [r:eth1, n1:eth0]
  - endpoints: [r:eth2, n2:eth0]
  - endpoints: [r:eth3, n3:eth0]
"""

LPM_CASES = [
    ("10.1.1.5", "n1", "10.1.1.0/24 via 192.168.1.2 dev eth1"),
    ("10.1.2.5", "n2", "10.1.0.0/16 via 192.168.2.2 dev eth2"),
    ("10.2.0.5", "n3", "default via 192.168.3.2 dev eth3"),
]


@pytest.mark.parametrize(("dst", "node", "route"), LPM_CASES)
def test_longest_prefix_match_on_output(dst: str, node: str, route: str) -> None:
    engine, _ = realize(LPM)
    t = engine.trace("r", IPv4Address(dst))
    assert t.verdict() == f"delivered to {node}:eth0 ({dst})"
    src = f"192.168.{route.split('192.168.')[1][0]}.1"
    assert f"r: route {dst}: {route} (src {src})" in render_trace(t)


@pytest.mark.parametrize(("dst", "node", "route"), LPM_CASES)
def test_longest_prefix_match_when_forwarding(dst: str, node: str, route: str) -> None:
    engine, _ = realize(LPM)
    t = engine.trace("h", IPv4Address(dst))
    assert t.verdict() == f"delivered to {node}:eth0 ({dst})"
    assert f"r: forward 172.16.0.2 -> {dst} via route '{route}', ttl 64 -> 63" in render_trace(t)
    assert engine.ping("h", IPv4Address(dst)).received == 1


ROUTED = """
name: routed
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  a:
    interfaces: {eth0: {addresses: [10.0.1.2/24]}}
    routes: [{dst: default, via: 10.0.1.1}]
  r:
    sysctls: {net.ipv4.ip_forward: %(fwd)d}
    interfaces:
      eth1: {addresses: [10.0.1.1/24]}
      eth2: {addresses: [10.0.2.1/24], mtu: %(mtu)d}
  b:
    interfaces: {eth0: {addresses: [10.0.2.2/24], mtu: %(mtu)d}}
    routes: [{dst: default, via: 10.0.2.1}]
links:
  - endpoints: [a:eth0, r:eth1]
  - endpoints: [r:eth2, b:eth0]
"""


def routed(fwd: int = 1, mtu: int = 1500) -> str:
    return ROUTED % {"fwd": fwd, "mtu": mtu}


def test_forwarding_off_drops_silently() -> None:
    engine, _ = realize(routed(fwd=0))
    r = engine.ping("a", IPv4Address("10.0.2.2"), count=2)
    assert (r.transmitted, r.received, r.errors) == (2, 0, ())
    assert link(engine, "r", "eth2").stats.tx_packets == 0  # nothing left r towards b
    t = engine.trace("a", IPv4Address("10.0.2.2"))
    assert "ip_forward=0" in t.verdict()
    assert t.verdict().startswith("dropped at r: 10.0.2.2 is not a local address")


def test_forwarding_on_delivers() -> None:
    engine, _ = realize(routed(fwd=1))
    r = engine.ping("a", IPv4Address("10.0.2.2"), count=2)
    assert (r.received, r.errors) == (2, ())


def test_forwarding_on_without_route_sends_net_unreachable() -> None:
    engine, _ = realize(routed(fwd=1))
    r = engine.ping("a", IPv4Address("198.51.100.7"))
    assert r.received == 0
    assert r.errors == ("From 10.0.1.1 icmp_seq=1 Destination Net Unreachable",)


def test_no_local_route_is_network_unreachable_at_once() -> None:
    engine, _ = realize(routed())
    r = engine.ping("b", IPv4Address("10.0.1.2"))  # b has a default route: fine
    assert r.received == 1
    r = engine.ping("r", IPv4Address("198.51.100.7"))  # r has none
    assert r.errors == ("ping: connect: Network is unreachable",)
    assert r.transmitted == 0


LOOP = """
name: loop
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  a:
    interfaces: {eth0: {addresses: [10.0.1.2/24]}}
    routes: [{dst: default, via: 10.0.1.1}]
  r1:
    sysctls: {net.ipv4.ip_forward: 1}
    interfaces:
      eth0: {addresses: [10.0.1.1/24]}
      eth1: {addresses: [10.0.12.1/24]}
    routes: [{dst: default, via: 10.0.12.2}]
  r2:
    sysctls: {net.ipv4.ip_forward: 1}
    interfaces:
      eth1: {addresses: [10.0.12.2/24]}
    routes: [{dst: default, via: 10.0.12.1}]
links:
  - endpoints: [a:eth0, r1:eth0]
  - endpoints: [r1:eth1, r2:eth1]
"""


def test_routing_loop_ends_in_time_to_live_exceeded() -> None:
    engine, _ = realize(LOOP)
    r = engine.ping("a", IPv4Address("10.9.9.9"))
    assert r.received == 0
    # TTL 64 arrives at the k-th router with 65 - k; it expires at hop 64, which is r2
    assert r.errors == ("From 10.0.12.2 icmp_seq=1 Time to live exceeded",)
    # 63 forwards by the two routers in turn
    r1_fwd = engine.namespaces["r1"].stack.stats["ForwDatagrams"]
    r2_fwd = engine.namespaces["r2"].stack.stats["ForwDatagrams"]
    assert (r1_fwd, r2_fwd) == (32 + 1, 31)  # r1 also forwards r2's ICMP error back to a


def test_df_too_big_on_forwarding_hop_sends_frag_needed() -> None:
    engine, _ = realize(routed(mtu=1400))
    r = engine.ping("a", IPv4Address("10.0.2.2"), size=1400, dont_fragment=True)
    assert r.received == 0
    assert r.errors == ("From 10.0.1.1 icmp_seq=1 Frag needed and DF set (mtu = 1400)",)
    assert link(engine, "r", "eth2").stats.tx_packets == 0


def test_pmtudisc_want_sets_df_when_it_fits_locally() -> None:
    # ping's default (-M want): 1428 bytes fit a's 1500 MTU, so DF is set and the router
    # answers with frag needed instead of fragmenting
    engine, _ = realize(routed(mtu=1400))
    r = engine.ping("a", IPv4Address("10.0.2.2"), size=1400)
    assert r.errors == ("From 10.0.1.1 icmp_seq=1 Frag needed and DF set (mtu = 1400)",)


def _ip_frames(seen: list[bytes], src_mac: bytes) -> list[bytes]:
    return [f for f in seen if f[6:12] == src_mac and f[12:14] == b"\x08\x00"]


def test_router_fragments_without_df(tmp_path: Path) -> None:
    engine, _ = realize(routed(mtu=1400))
    cap = Captures(engine, tmp_path, ["r:eth1", "r:eth2"])
    # 2028 bytes exceed a's own MTU: -M want sends without DF, a fragments to 1500
    r = engine.ping("a", IPv4Address("10.0.2.2"), size=2000)
    seen = cap.stop()
    assert (r.received, r.errors) == (1, ())
    amac = engine.namespaces["a"].devices["eth0"].mac
    rmac = engine.namespaces["r"].devices["eth2"].mac
    ingress = _ip_frames(seen["r:eth1"], amac)
    egress = _ip_frames(seen["r:eth2"], rmac)
    assert [len(f) - 14 for f in ingress] == [1500, 548]
    sizes = [int.from_bytes(f[16:18], "big") for f in egress]
    assert len(egress) == 3 and max(sizes) <= 1400  # the 1500-byte fragment split again
    flags = [int.from_bytes(f[20:22], "big") for f in egress]
    assert [bool(x & 0x2000) for x in flags] == [True, True, False]  # MF on all but the last
    assert [x & 0x1FFF for x in flags] == [0, (1400 - 20) // 8, (1500 - 20) // 8]
    assert all(not x & 0x4000 for x in flags)


def test_local_ping_df_larger_than_own_mtu_is_emsgsize() -> None:
    engine, _ = realize(routed())
    r = engine.ping("a", IPv4Address("10.0.2.2"), size=1473, dont_fragment=True)
    assert r.errors == ("ping: local error: message too long, mtu=1500",)
    assert r.received == 0
    assert link(engine, "a", "eth0").stats.tx_packets == 0
    # one byte less fits exactly
    assert engine.ping("a", IPv4Address("10.0.2.2"), size=1472, dont_fragment=True).received == 1


def test_ping_own_address_goes_through_lo() -> None:
    engine, _ = realize(routed())
    r = engine.ping("a", IPv4Address("10.0.1.2"), count=2)
    assert (r.received, r.errors) == (2, ())
    lo = link(engine, "a", "lo").stats
    assert (lo.tx_packets, lo.rx_packets) == (4, 4)  # 2 requests + 2 replies
    assert link(engine, "a", "eth0").stats.tx_packets == 0


def test_ping_own_address_uses_that_address_as_source(tmp_path: Path) -> None:
    engine, _ = realize(routed())
    cap = Captures(engine, tmp_path, ["a:lo"])
    engine.ping("a", IPv4Address("10.0.1.2"))
    seen = cap.stop()["a:lo"]
    req = [f for f in seen if icmp_type(f) == 8]
    assert req and str(IPv4Address(req[0][26:30])) == "10.0.1.2"


def test_ping_bridge_address_from_container() -> None:
    lab = load_lab(EXAMPLES / "container-host.yaml")
    engine = SimEngine()
    engine.realize(lab)
    r = engine.ping("a", IPv4Address("192.168.1.1"), count=2)
    assert (r.received, r.errors) == (2, ())
    t = engine.trace("a", IPv4Address("192.168.1.1"))
    assert t.verdict() == "delivered to host:br0 (192.168.1.1)"
