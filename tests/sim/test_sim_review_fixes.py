"""Linux behaviours pinned down after review: each test names the kernel function."""

from __future__ import annotations

from ipaddress import IPv4Address

from simlab import realize

from vnetlab.sim.netdev import Skb

BRIDGE = """
name: rv
nodes:
  h:
    interfaces:
      br0: {type: bridge}
      p1: {master: br0}
      p2: {master: br0}
  a: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}
  b: {interfaces: {eth0: {addresses: [10.0.0.2/24]}}}
links:
  - endpoints: [h:p1, a:eth0]
  - endpoints: [h:p2, b:eth0]
"""


def _learned(engine, mac: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.port for f in engine.observe().nodes["h"].fdb if f.mac == mac and not f.flags]


def test_all_zero_source_mac_is_not_learned_and_dropped() -> None:
    # br_handle_frame: !is_valid_ether_addr(h_source) -> drop
    engine, _ = realize(BRIDGE)
    a = engine.namespaces["a"].devices["eth0"]
    b = engine.namespaces["b"].devices["eth0"]
    before = b.rx_packets
    a.xmit(Skb(b"\xff" * 6 + b"\x00" * 6 + b"\x08\x06" + bytes(28)))
    engine.advance(0.1)
    assert _learned(engine, "00:00:00:00:00:00") == []
    assert b.rx_packets == before  # dropped at the bridge, not flooded


def test_bridge_down_flushes_learned_entries() -> None:
    # br_dev_stop -> br_stp_disable_port -> br_fdb_delete_by_port
    engine, _ = realize(BRIDGE)
    assert engine.ping("a", IPv4Address("10.0.0.2")).reachable
    amac = engine.observe().nodes["a"].link("eth0").mac
    assert _learned(engine, amac) == ["p1"]
    br = engine.namespaces["h"].devices["br0"]
    br.set_admin(False)
    br.set_admin(True)
    assert _learned(engine, amac) == []


def test_echo_to_a_broadcast_address_is_ignored() -> None:
    # icmp_echo_ignore_broadcasts=1: no reply to a subnet-broadcast ping
    engine, _ = realize(BRIDGE)
    r = engine.ping("a", IPv4Address("10.0.0.255"))
    assert not r.reachable


def test_arp_for_a_loopback_address_is_not_answered() -> None:
    # arp_process: ipv4_is_loopback(tip) -> drop
    engine, _ = realize(BRIDGE)
    b = engine.namespaces["b"].devices["eth0"]
    before = b.tx_packets
    from vnetlab.wire.arp import ArpPacket

    a = engine.namespaces["a"].devices["eth0"]
    req = ArpPacket.request(a.mac, IPv4Address("10.0.0.1"), IPv4Address("127.0.0.1")).emit()
    a.xmit(Skb(b"\xff" * 6 + a.mac + b"\x08\x06" + req))
    engine.advance(0.1)
    assert b.tx_packets == before


def test_address_of_a_down_device_is_not_local() -> None:
    # fib_disable_ip removes a downed device's local routes
    engine, _ = realize(BRIDGE)
    ns = engine.namespaces["b"]
    assert ns.stack.is_local(int(IPv4Address("10.0.0.2")))
    ns.devices["eth0"].set_admin(False)
    assert not ns.stack.is_local(int(IPv4Address("10.0.0.2")))


def test_vxlan_static_entry_refuses_a_spoofed_source_vtep() -> None:
    # vxlan_snoop: static entries are not migrated; the packet is dropped
    engine, _ = realize("""
name: vs
nodes:
  h1:
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
      vx0: {type: vxlan, id: 5, dev: eth0, remote: 10.0.0.2, addresses: [192.168.5.1/24]}
  h2:
    interfaces:
      eth0: {addresses: [10.0.0.2/24]}
      vx0: {type: vxlan, id: 5, dev: eth0, remote: 10.0.0.1, addresses: [192.168.5.2/24],
            fdb: [{mac: "02:00:00:00:00:99", dst: 10.0.0.9}]}
links: [{endpoints: [h1:eth0, h2:eth0]}]
""")
    vx = engine.namespaces["h2"].devices["vx0"]
    assert vx.snoop(b"\x02\x00\x00\x00\x00\x99", int(IPv4Address("10.0.0.1")), None) is True
    assert vx.snoop(b"\x02\x00\x00\x00\x00\x99", int(IPv4Address("10.0.0.9")), None) is False


def test_link_local_groups_are_not_flooded_but_stp_group_is_while_stp_is_off() -> None:
    # br_handle_frame: 01:80:C2:00:00:0E (LLDP) stays on the port; :00 is forwarded w/o STP
    engine, _ = realize(BRIDGE)
    a = engine.namespaces["a"].devices["eth0"]
    b = engine.namespaces["b"].devices["eth0"]
    before = b.rx_packets
    a.xmit(Skb(bytes.fromhex("0180c200000e") + a.mac + b"\x88\xcc" + bytes(46)))
    engine.advance(0.1)
    assert b.rx_packets == before
    a.xmit(Skb(bytes.fromhex("0180c2000000") + a.mac + b"\x00\x26" + bytes(46)))
    engine.advance(0.1)
    assert b.rx_packets == before + 1


def test_a_vlan_bridge_port_follows_its_parent_losing_carrier() -> None:
    # netif_stacked_transfer_operstate -> NETDEV_CHANGE -> br_port_carrier_check
    engine, _ = realize("""
name: vp
nodes:
  sw:
    interfaces:
      br0: {type: bridge}
      eth0: {}
      eth0.10: {type: vlan, link: eth0, id: 10, master: br0}
  peer:
    interfaces: {eth0: {}}
links: [{endpoints: [sw:eth0, peer:eth0]}]
""")
    port = engine.namespaces["sw"].devices["eth0.10"].br_port
    assert port is not None and port.state_name == "forwarding"
    engine.namespaces["peer"].devices["eth0"].set_admin(False)
    assert port.state_name == "disabled"
    engine.namespaces["peer"].devices["eth0"].set_admin(True)
    assert port.state_name == "forwarding"


def test_reachable_entry_in_use_goes_to_delay_not_stale() -> None:
    # neigh_timer_handler: REACHABLE past reachable_time but used within
    # delay_first_probe_time -> DELAY; idle -> STALE
    engine, _ = realize(BRIDGE)

    def state() -> str:
        (n,) = [x for x in engine.observe().nodes["a"].neighs if x.dst == "10.0.0.2"]
        return n.state

    engine.ping("a", IPv4Address("10.0.0.2"), count=29)  # used until ~28 s in
    engine.advance(30.5 - 28.0)
    assert state() == "DELAY"
    idle, _ = realize(BRIDGE)
    idle.ping("a", IPv4Address("10.0.0.2"))
    idle.advance(31)
    (n,) = [x for x in idle.observe().nodes["a"].neighs if x.dst == "10.0.0.2"]
    assert n.state == "STALE"


def test_icmp_errors_are_rate_limited_per_peer_like_linux() -> None:
    # icmpv4_xrlim_allow: 1 token per icmp_ratelimit (1 s), burst 6; frag-needed exempt
    from vnetlab.sim.clock import S
    from vnetlab.sim.stack.icmp_ratelimit import IcmpRateLimiter

    lim = IcmpRateLimiter()
    burst = [lim.allow(10 * S, 3, 0, 1) for _ in range(8)]
    assert burst == [True] * 6 + [False] * 2
    assert lim.allow(10 * S + S // 2, 3, 0, 1) is False
    assert lim.allow(11 * S, 3, 0, 1) is True
    assert all(lim.allow(11 * S, 3, 4, 1) for _ in range(20))  # frag needed: never limited
    assert lim.allow(11 * S, 3, 0, 2) is True  # another peer has its own bucket
    assert all(lim.allow(11 * S, 0, 0, 1) for _ in range(20))  # echo reply: not in the mask


def test_a_fast_ping_to_an_unroutable_net_gets_two_errors() -> None:
    # measured on this kernel: `ping -c 10 -i 0.1` to a net the router has no route for
    # prints two "Destination Net Unreachable": ip_error and icmpv4_xrlim_allow spend the
    # same peer's tokens
    from pathlib import Path

    from vnetlab.model import load_lab
    from vnetlab.script.interp import Interpreter

    lab = load_lab(Path(__file__).resolve().parents[2] / "examples" / "container-host.yaml")
    out: list[str] = []
    it = Interpreter(lab=lab, out=out.append)
    it.run_text("ip netns exec a ping -c 10 -i 0.1 198.51.100.7\n")
    errors = [line for line in out if "Destination Net Unreachable" in line]
    assert len(errors) == 2, out
