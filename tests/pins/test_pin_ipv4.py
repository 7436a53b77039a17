"""Pins for the emulator's IPv4 layer (issue 20): net/ipv4/ip_output.c, ip_input.c,
ip_fragment.c, route.c, devinet.c.

* ``inet_select_addr``: an address of the device in the destination's subnet, else the
  device's first (primary) one, else one of another device (never loopback's);
* path MTU (``__ip_rt_update_pmtu``): clamped to ``min_pmtu`` 552, cached for
  ``mtu_expires`` 600 s — gone at exactly expiry (``time_after_eq``); a larger value does not
  replace a smaller one that is still valid;
* ``IP_PMTUDISC_WANT``: DF when the datagram fits the path MTU (== fits), else fragments;
  ``IP_PMTUDISC_DO``: DF, EMSGSIZE past the MTU;
* the IP ID counter wraps at 16 bits;
* ``arp_constructor``/``ip_eth_mc_map``: a broadcast next hop goes to ff:ff:ff:ff:ff:ff, a
  multicast one to 01:00:5e + the low 23 bits, neither asks ARP;
* ``ip_rcv_core``: a bad header counts IpInHdrErrors, not the device's rx_dropped;
  a link-layer broadcast carrying a foreign IP is not forwarded;
* ``ip_expire``: an incomplete reassembly queue lives ``ipfrag_time`` (30 s).
"""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest
from pinlab import PAIR, entry, pcap_frames, realize, run_for

from vnetlab.sim.clock import MS, S
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.netdev import Skb
from vnetlab.sim.stack.ipv4 import MessageTooLong
from vnetlab.wire.icmp import IcmpMessage
from vnetlab.wire.ipv4 import Ipv4Header, fragment


def ip(s: str) -> int:
    return int(IPv4Address(s))


TWO_NETS = """
name: two
nodes:
  a:
    interfaces:
      eth0: {addresses: [10.0.0.1/24, 10.1.0.1/24]}
      d0: {type: dummy}
      d1: {type: dummy, addresses: [192.168.9.1/24]}
  b:
    interfaces: {eth0: {addresses: [10.0.0.2/24]}}
links:
  - endpoints: [a:eth0, b:eth0]
"""


def test_select_addr_subnet_then_primary_then_another_device() -> None:
    engine = realize(TWO_NETS)
    ns = engine.namespaces["a"]
    eth0, d0 = ns.devices["eth0"], ns.devices["d0"]
    st = ns.stack
    assert st.select_addr(eth0, ip("10.1.0.9")) == ip("10.1.0.1")
    assert st.select_addr(eth0, ip("10.0.0.9")) == ip("10.0.0.1")
    assert st.select_addr(eth0, ip("8.8.8.8")) == ip("10.0.0.1")      # the primary
    # a device without an address borrows another device's (never 127.0.0.1)
    assert st.select_addr(d0, ip("8.8.8.8")) in (ip("10.0.0.1"), ip("192.168.9.1"))
    assert st.select_addr(d0, ip("8.8.8.8")) != ip("127.0.0.1")


def test_path_mtu_clamp_expiry_and_no_growth() -> None:
    engine = realize(PAIR)
    st = engine.namespaces["a"].stack
    dev = engine.namespaces["a"].devices["eth0"]
    dst = ip("10.0.0.2")
    st.update_pmtu(dst, 500)
    assert st.path_mtu(dev, dst) == 552        # net.ipv4.route.min_pmtu
    st.update_pmtu(dst, 551)
    assert st.path_mtu(dev, dst) == 552
    st.update_pmtu(dst, 1400)                  # larger than the valid cached one: ignored
    assert st.path_mtu(dev, dst) == 552
    t0 = engine.sched.now
    engine2 = realize(PAIR)
    st2, dev2 = engine2.namespaces["a"].stack, engine2.namespaces["a"].devices["eth0"]
    t0 = engine2.sched.now
    st2.update_pmtu(dst, 1400)
    assert st2.path_mtu(dev2, dst) == 1400
    st2.update_pmtu(dst, 1300)                 # smaller: replaces
    assert st2.path_mtu(dev2, dst) == 1300
    engine2.sched.run(until=t0 + 600 * S - 1)
    assert st2.path_mtu(dev2, dst) == 1300
    engine2.sched.run(until=t0 + 600 * S)
    assert st2.path_mtu(dev2, dst) == 1500     # expired at exactly mtu_expires
    st2.update_pmtu(dst, 1450)
    assert st2.path_mtu(dev2, dst) == 1450
    # an entry that expires right now no longer blocks a larger value
    t1 = engine2.sched.now
    engine2.sched.run(until=t1 + 600 * S)
    st2.update_pmtu(dst, 1480)
    assert st2.path_mtu(dev2, dst) == 1480
    st2.update_pmtu(dst, 9000)                 # larger than the cached one: ignored
    assert st2.path_mtu(dev2, dst) == 1480


def _sent(engine: SimEngine, tmp: Path, fn) -> list[bytes]:  # type: ignore[no-untyped-def]
    cap = tmp / "a.pcap"
    engine.start_capture("a", "eth0", cap)
    fn()
    run_for(engine, 10 * MS)
    engine.stop_captures()
    mine = engine.namespaces["a"].devices["eth0"].mac   # what a sent, not b's answers
    return [f for _, f in pcap_frames(cap) if f[12:14] == b"\x08\x00" and f[6:12] == mine]


def test_pmtudisc_want_and_do_at_the_mtu(tmp_path: Path) -> None:
    engine = realize(PAIR)
    engine.ping("a", IPv4Address("10.0.0.2"))        # resolved: only IP frames follow
    st = engine.namespaces["a"].stack
    dst = ip("10.0.0.2")

    def send() -> None:
        st.ip_output(dst, 253, b"w" * 1480, None, pmtudisc="want")   # exactly 1500
        st.ip_output(dst, 253, b"w" * 1481, None, pmtudisc="want")   # one over
        st.ip_output(dst, 253, b"d" * 1480, None, pmtudisc="do")
        st.ip_output(dst, 253, b"n" * 1480, None, pmtudisc="dont")

    frames = _sent(engine, tmp_path, send)
    hdrs = [Ipv4Header.parse(f[14:])[0] for f in frames]
    assert [(h.total_length, h.df, h.mf) for h in hdrs] == [
        (1500, True, False), (1500, False, True), (21, False, False),
        (1500, True, False), (1500, False, False)]
    with pytest.raises(MessageTooLong):
        st.ip_output(dst, 253, b"d" * 1481, None, pmtudisc="do")


def test_ip_id_wraps_at_16_bits(tmp_path: Path) -> None:
    engine = realize(PAIR)
    engine.ping("a", IPv4Address("10.0.0.2"))
    st = engine.namespaces["a"].stack
    st.ip_id = 0xFFFE

    def send() -> None:
        for _ in range(3):
            st.ip_output(ip("10.0.0.2"), 253, b"i", None)

    ids = [Ipv4Header.parse(f[14:])[0].ident for f in _sent(engine, tmp_path, send)]
    assert ids == [0xFFFF, 0, 1]


def test_broadcast_and_multicast_next_hops_need_no_arp(tmp_path: Path) -> None:
    engine = realize(PAIR)
    st = engine.namespaces["a"].stack
    dev = engine.namespaces["a"].devices["eth0"]

    def send() -> None:
        st.ip_output(ip("10.0.0.255"), 253, b"b", None)
        st.ip_output(ip("224.1.2.3"), 253, b"m", None, dev=dev)
        st.ip_output(ip("239.129.2.3"), 253, b"m", None, dev=dev)
        st.ip_output(ip("255.255.255.255"), 253, b"l", None, dev=dev)

    cap = tmp_path / "all.pcap"
    engine.start_capture("a", "eth0", cap)
    send()
    run_for(engine, 10 * MS)
    engine.stop_captures()
    frames = [f for _, f in pcap_frames(cap)]
    assert [(f[0:6].hex(), f[12:14].hex()) for f in frames] == [
        ("ffffffffffff", "0800"), ("01005e010203", "0800"), ("01005e010203", "0800"),
        ("ffffffffffff", "0800")]


def _frame_to(engine: SimEngine, node: str, packet: bytes, dst_mac: bytes | None = None) -> None:
    """PACKET arrives at NODE:eth0 from the wire, sent by a's peer device."""
    src_node = "a" if node == "b" else "b"
    dev = engine.namespaces[node].devices["eth0"]
    peer = engine.namespaces[src_node].devices["eth0"]
    peer.xmit(Skb((dst_mac or dev.mac) + peer.mac + b"\x08\x00" + packet, None))
    run_for(engine, 1 * MS)


def test_bad_header_counts_inhdrerrors_not_rx_dropped() -> None:
    engine = realize(PAIR)
    b = engine.namespaces["b"]
    good = Ipv4Header(IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2"), 253).emit(b"x")
    bad = good[:10] + b"\x00\x00" + good[12:]
    _frame_to(engine, "b", bad)
    assert b.stack.stats.get("InHdrErrors") == 1
    assert b.devices["eth0"].rx_dropped == 0 and b.devices["eth0"].rx_packets >= 1


def test_l2_broadcast_with_a_foreign_ip_is_not_forwarded() -> None:
    engine = realize(PAIR)
    b = engine.namespaces["b"]
    b.stack.forwarding = True
    pkt = Ipv4Header(IPv4Address("10.0.0.1"), IPv4Address("10.0.0.77"), 253).emit(b"f")
    _frame_to(engine, "b", pkt, dst_mac=b"\xff" * 6)
    assert entry(engine, "b", "eth0", "10.0.0.77") is None        # not forwarded
    _frame_to(engine, "b", pkt)                                   # to b's MAC: forwarded
    assert entry(engine, "b", "eth0", "10.0.0.77") is not None


def _echo_fragments(ident: int) -> list[bytes]:
    msg = IcmpMessage.echo(0x77, 1, b"e" * 100).emit()
    hdr = Ipv4Header(IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2"), 1, ident=ident)
    frags = fragment(hdr, msg, 68)
    assert len(frags) >= 2
    return frags


def test_reassembly_queue_lives_ipfrag_time(tmp_path: Path) -> None:
    engine = realize(PAIR)
    engine.ping("a", IPv4Address("10.0.0.2"))
    cap = tmp_path / "b.pcap"
    engine.start_capture("b", "eth0", cap)
    for ident, late in ((0x101, 30 * S - 2 * MS), (0x102, 30 * S)):
        frags = _echo_fragments(ident)
        t0 = engine.sched.now
        for f in frags[:-1]:
            _frame_to(engine, "b", f)
        engine.sched.run(until=t0 + late)
        _frame_to(engine, "b", frags[-1])
    engine.stop_captures()
    replies = [f for _, f in pcap_frames(cap)
               if f[12:14] == b"\x08\x00" and f[23] == 1 and f[34] == 0]
    # only the datagram completed within 30 s was answered
    assert len({Ipv4Header.parse(f[14:])[0].ident for f in replies}) >= 1
    echoed = [IcmpMessage.parse(Ipv4Header.parse(f[14:])[1]) for f in replies
              if not Ipv4Header.parse(f[14:])[0].frag_offset]
    assert [m.ident for m in echoed] == [0x77]
    assert len(echoed) == 1
