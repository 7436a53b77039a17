"""veth pairs (vnetlab/sim/devices/veth.py vs drivers/net/veth.c)."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest
from simlab import Captures, link, mac_bytes, realize

PAIR = """
name: pair
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  a:
    interfaces: {eth0: {addresses: [10.0.0.1/24]%(a)s}}
  b:
    interfaces: {eth0: {addresses: [10.0.0.2/24]%(b)s}}
links:
  - endpoints: [a:eth0, b:eth0]
"""


def pair(a: str = "", b: str = "") -> str:
    return PAIR % {"a": a, "b": b}


def test_carrier_follows_peer_admin_state() -> None:
    engine, _ = realize(pair(b=", up: false"))
    a = engine.namespaces["a"].devices["eth0"]
    assert not a.carrier and a.admin_up
    # default_operstate looks the peer's ifindex (2) up in a's own namespace, where 2 is
    # a:eth0 itself: DOWN, as `ip link` shows for a veth whose peer is elsewhere
    assert link(engine, "a", "eth0").operstate == "DOWN"
    assert link(engine, "b", "eth0").operstate == "DOWN"
    engine.namespaces["b"].devices["eth0"].set_admin(True)
    assert link(engine, "a", "eth0").operstate == "UP"
    assert link(engine, "b", "eth0").operstate == "UP"
    # and back: the end that stays up loses carrier
    engine.namespaces["a"].devices["eth0"].set_admin(False)
    assert not engine.namespaces["b"].devices["eth0"].carrier
    assert link(engine, "a", "eth0").operstate == "DOWN"


def test_veth_with_its_peer_down_in_the_same_namespace_is_lowerlayerdown() -> None:
    # measured on 6.18: `ip link add va type veth peer name vb; ip link set va up`
    # -> "va@vb ... state LOWERLAYERDOWN" (the peer resolves and has no carrier)
    engine, _ = realize("""
name: same
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  h:
    interfaces:
      va: {addresses: [10.0.0.1/24]}
      vb: {up: false}
links: [{endpoints: [h:va, h:vb]}]
""")
    assert link(engine, "h", "va").operstate == "LOWERLAYERDOWN"
    assert link(engine, "h", "vb").operstate == "DOWN"


def test_counters_count_whole_frames_on_both_ends(tmp_path: Path) -> None:
    engine, _ = realize(pair())
    cap = Captures(engine, tmp_path, ["a:eth0"])
    r = engine.ping("a", IPv4Address("10.0.0.2"), count=2)
    seen = cap.stop()["a:eth0"]
    assert r.received == 2
    a, b = link(engine, "a", "eth0").stats, link(engine, "b", "eth0").stats
    amac = mac_bytes(engine, "a", "eth0")
    sent = [f for f in seen if f[6:12] == amac]
    got = [f for f in seen if f[6:12] != amac]
    # ARP request (42 bytes, veth does not pad) + 2 echo requests (14 + 20 + 8 + 56 = 98)
    assert sorted(len(f) for f in sent) == [42, 98, 98]
    assert (a.tx_packets, a.tx_bytes) == (3, 42 + 98 + 98)
    assert (b.rx_packets, b.rx_bytes) == (a.tx_packets, a.tx_bytes)
    assert (b.tx_packets, b.tx_bytes) == (len(got), sum(len(f) for f in got))
    assert (a.rx_packets, a.rx_bytes) == (b.tx_packets, b.tx_bytes)
    assert a.tx_dropped == b.tx_dropped == 0


@pytest.mark.parametrize(
    ("size", "dropped"),
    [
        (1476, False),  # IP 1504, frame 1518 = peer MTU + ETH_HLEN + VLAN_HLEN: still forwardable
        (1477, True),  # frame 1519: is_skb_forwardable says no
    ],
)
def test_frame_longer_than_peer_mtu_plus_18_is_dropped(size: int, dropped: bool) -> None:
    engine, _ = realize(pair(a=", mtu: 9000"))
    r = engine.ping("a", IPv4Address("10.0.0.2"), size=size)
    a = link(engine, "a", "eth0").stats
    b = link(engine, "b", "eth0").stats
    if dropped:
        assert r.received == 0
        assert a.tx_dropped == 1
        assert b.rx_packets == 1  # only the ARP request got across
    else:
        assert r.received == 1
        assert a.tx_dropped == 0
        assert b.rx_bytes == 42 + 14 + 20 + 8 + size


def test_frames_to_a_down_peer_are_dropped_and_counted() -> None:
    engine, _ = realize(pair(b=", up: false"))
    r = engine.ping("a", IPv4Address("10.0.0.2"))
    engine.advance(5)  # the neighbour gives up after 3 ARP requests
    assert r.received == 0
    a = link(engine, "a", "eth0").stats
    b = link(engine, "b", "eth0").stats
    assert a.tx_dropped == 3  # every ARP request was dropped at veth_xmit
    assert a.tx_packets == 0
    assert b.rx_packets == 0 and b.rx_dropped == 0
