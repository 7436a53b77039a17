"""IPVLAN in the emulator (drivers/net/ipvlan/ipvlan_core.c): l2 and l3 modes."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from labs_l2dev import ipvlan_lab

from vnetlab.model import LabError, load_lab_text
from vnetlab.sim.engine import SimEngine


def up(text: str) -> SimEngine:
    eng = SimEngine()
    eng.realize(load_lab_text(text))
    return eng


def reach(eng: SimEngine, src: str, dst: str) -> bool:
    return eng.ping(src, IPv4Address(dst), count=1).reachable


def test_children_share_the_parent_mac() -> None:
    lab = load_lab_text(ipvlan_lab("l2"))
    mac = lab.nodes["host"].interfaces["eth0"].mac
    assert lab.nodes["c1"].interfaces["ipv0"].mac == mac
    assert lab.nodes["c2"].interfaces["ipv0"].mac == mac


def test_l2_siblings_outside_and_parent() -> None:
    """l2: ARP works among children (ipvlan_multicast_enqueue). The parent's own address is
    not reachable: a child's ARP broadcast goes to the siblings and out of the master
    (ipvlan_process_multicast, tx: dev_queue_xmit) but never up the master's own stack, so
    the parent's MAC-for-IP is never learned — only a frame already addressed to the shared
    MAC would be handed to the master (ipvlan_xmit_mode_l2: dev_forward_skb(phy_dev))."""
    eng = up(ipvlan_lab("l2"))
    assert reach(eng, "c1", "10.0.0.2")
    assert reach(eng, "c1", "10.0.0.254")
    assert reach(eng, "ext", "10.0.0.2")
    assert not reach(eng, "c1", "10.0.0.100")
    neigh = {n.dst: n.lladdr for n in eng.observe().nodes["ext"].neighs}
    host_mac = eng.observe().nodes["host"].links
    assert neigh["10.0.0.2"] == next(ln.mac for ln in host_mac if ln.ifname == "eth0")


def test_l3_routes_by_ip_without_arp() -> None:
    """l3: children are NOARP, reach siblings by IP and the outside through the parent's
    routing; the outside reaches them through a route via the host."""
    eng = up(ipvlan_lab("l3"))
    assert reach(eng, "c1", "10.0.9.2")
    assert reach(eng, "c1", "10.0.0.254")
    assert reach(eng, "ext", "10.0.9.1")
    seen: list[bytes] = []
    eng.dev("c2", "ipv0").add_tap(lambda _t, d: seen.append(d))
    eng.ping("ext", IPv4Address("10.0.0.99"))  # an ARP broadcast on the wire
    reach(eng, "c1", "10.0.9.2")
    assert not [d for d in seen if d[0] & 1], "no broadcast/multicast reaches an l3 child"
    assert not eng.observe().nodes["c1"].neighs


def test_l3_arp_for_a_child_dies_there() -> None:
    """ipvlan_handle_mode_l3 hands an ARP for a child's IP to that NOARP child: nobody
    answers, so a host on the wire cannot resolve it without a route via the host."""
    text = ipvlan_lab("l3").replace("    routes:\n      - {dst: 10.0.9.0/24, via: 10.0.0.100}\n",
                                    "", 1)
    text = text.replace("[10.0.0.254/24]", "[10.0.0.254/16]")
    eng = up(text)
    assert not reach(eng, "ext", "10.0.9.1")


def test_one_mode_per_lower() -> None:
    text = ipvlan_lab("l2").replace("mode: l2, addresses: [10.0.0.2/24]",
                                    "mode: l3, addresses: [10.0.0.2/24]")
    with pytest.raises(LabError, match="the mode belongs to the lower device"):
        load_lab_text(text)


def test_no_mac_and_not_with_macvlan() -> None:
    with pytest.raises(LabError, match="an ipvlan uses the MAC of its lower"):
        load_lab_text(ipvlan_lab("l2").replace("mode: l2, addresses: [10.0.0.1/24]",
                                               "mode: l2, mac: '02:00:00:00:00:09'"))
    with pytest.raises(LabError, match="both macvlan and ipvlan"):
        load_lab_text(ipvlan_lab("l2").replace("type: ipvlan, link: host:eth0, mode: l2, "
                                               "addresses: [10.0.0.2/24]",
                                               "type: macvlan, link: host:eth0, mode: bridge"))
