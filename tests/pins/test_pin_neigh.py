"""Pins for the neighbour table and ARP (issue 20): net/core/neighbour.c and net/ipv4/arp.c.

The kernel facts each test pins (defaults of ``net.ipv4.neigh.default``):

* ``__neigh_event_send``: while INCOMPLETE packets wait in ``arp_queue``; when the queued
  bytes would exceed ``unres_qlen_bytes`` (212992) the OLDEST packets are dequeued and freed
  (``SKB_DROP_REASON_NEIGH_QUEUEFULL``) until the new one fits.
* ``neigh_timer_handler``: REACHABLE → DELAY when ``time_before_eq(now, used +
  delay_probe_time)`` else STALE; DELAY → REACHABLE when ``time_before_eq(now, confirmed +
  delay_probe_time)`` else PROBE; PROBE fails after ``ucast_solicit`` (3) probes, 1 s apart.
* ``arp_solicit``: in PROBE the request goes unicast to the cached ``neigh->ha``; while
  INCOMPLETE broadcast; the sender address is the queued packet's source when it is local
  (``arp_announce`` 0).
* ``arp_process``: ``override = time_after(jiffies, n->updated + locktime)``; a reply
  addressed to us confirms (REACHABLE), anything else is STALE; a different lladdr moves a
  valid entry to STALE; multicast senders/targets and loopback targets are ignored.
* ``neigh_update`` moves ``updated`` only when it changes the state or the lladdr (a no-op
  update must not slide the locktime window).
* ``neigh_ifdown``: a device going down takes its entries with it.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

from pinlab import BCAST, PAIR, arp_in, entry, pcap_frames, realize, run_for

from vnetlab.sim.clock import MS, S
from vnetlab.sim.stack.neigh import NUD_REACHABLE, NUD_STALE
from vnetlab.wire.ipv4 import Ipv4Header

# the kernel's defaults, written out (not the module's constants: a changed constant must fail
# here); tests/pins/test_pin_kernel.py reads them from a fresh namespace's sysctls
DELAY_FIRST_PROBE = 5 * S     # delay_first_probe_time
LOCKTIME = 1 * S              # locktime (100 x 10 ms)
REACHABLE_TIME = 30 * S       # base_reachable_time_ms
UNRES_QLEN_BYTES = 212_992    # unres_qlen_bytes

FAKE = b"\x02\xee\x00\x00\x00\x77"
OTHER = b"\x02\xee\x00\x00\x00\x88"


def _ip_packet(src: str, dst: str, size: int) -> bytes:
    """An IPv4 packet of SIZE bytes (past 64 KiB: only its first 20 bytes are a header; the
    neighbour layer only reads the source address)."""
    hdr = Ipv4Header(IPv4Address(src), IPv4Address(dst), 17).emit(b"")
    return hdr + b"p" * (size - 20)


def _send(engine, node: str, dst: str, packet: bytes) -> None:  # type: ignore[no-untyped-def]
    ns = engine.namespaces[node]
    ns.stack.neigh.output(ns.devices["eth0"], int(IPv4Address(dst)), packet, None)


def test_unresolved_queue_drops_the_oldest_over_the_byte_limit() -> None:
    engine = realize(PAIR)
    dev = engine.namespaces["a"].devices["eth0"]
    half = UNRES_QLEN_BYTES // 2
    p1 = _ip_packet("10.0.0.1", "10.0.0.99", half)
    p2 = _ip_packet("10.0.0.1", "10.0.0.99", half)[:-1] + b"2"
    _send(engine, "a", "10.0.0.99", p1)
    _send(engine, "a", "10.0.0.99", p2)
    n = entry(engine, "a", "eth0", "10.0.0.99")
    assert n is not None and n.state == "INCOMPLETE"
    # exactly the limit still fits: nothing dropped
    assert n.queued_bytes == UNRES_QLEN_BYTES and len(n.queue) == 2
    table = engine.namespaces["a"].stack.neigh
    assert dev.tx_dropped == 0 and table.unres_discards == 0
    p3 = _ip_packet("10.0.0.1", "10.0.0.99", 100)
    _send(engine, "a", "10.0.0.99", p3)
    # one byte over: the oldest goes, the newest two stay in order
    assert [p for p, _ in n.queue] == [p2, p3]
    assert n.queued_bytes == len(p2) + len(p3)
    assert table.unres_discards == 1 and dev.tx_dropped == 0  # a table stat only
    big = _ip_packet("10.0.0.1", "10.0.0.99", UNRES_QLEN_BYTES - 100)  # p3 + big == the limit
    _send(engine, "a", "10.0.0.99", big)
    assert [p for p, _ in n.queue] == [p3, big] and table.unres_discards == 2
    tiny = b"t"  # one byte over the limit is over: the oldest goes
    _send(engine, "a", "10.0.0.99", tiny)
    assert [p for p, _ in n.queue] == [big, tiny] and table.unres_discards == 3


def test_probe_is_unicast_to_the_cached_address_three_times_then_failed(
        tmp_path: Path) -> None:
    engine = realize(PAIR)
    arp_in(engine, "a", "eth0", 1, FAKE, "10.0.0.77", "10.0.0.1")  # creates STALE, lladdr FAKE
    n = entry(engine, "a", "eth0", "10.0.0.77")
    assert n is not None and n.state == NUD_STALE and n.lladdr == FAKE
    cap = tmp_path / "a.pcap"
    engine.start_capture("a", "eth0", cap)
    t0 = engine.sched.now
    _send(engine, "a", "10.0.0.77", _ip_packet("10.0.0.1", "10.0.0.77", 60))
    assert n.state == "DELAY"
    run_for(engine, DELAY_FIRST_PROBE - 1)
    assert n.state == "DELAY"
    run_for(engine, 1)
    assert n.state == "PROBE"
    run_for(engine, 2 * S + 1 * MS)
    assert n.state == "PROBE"
    run_for(engine, 1 * S)
    assert n.state == "FAILED"
    # FAILED keeps the old lladdr; resolving again starts INCOMPLETE: broadcast again
    _send(engine, "a", "10.0.0.77", _ip_packet("10.0.0.1", "10.0.0.77", 60))
    assert n.state == "INCOMPLETE" and n.lladdr == FAKE
    run_for(engine, 10 * MS)
    engine.stop_captures()
    reqs = [(t, f) for t, f in pcap_frames(cap) if f[12:14] == b"\x08\x06"]
    assert len(reqs) == 4
    assert all(f[0:6] == FAKE for _, f in reqs[:3]), "PROBE solicits unicast to neigh->ha"
    assert [t - t0 for t, _ in reqs[:3]] == [5 * S, 6 * S, 7 * S]
    assert reqs[3][1][0:6] == BCAST


def test_incomplete_solicits_broadcast_from_the_packets_own_source(tmp_path: Path) -> None:
    engine = realize(PAIR)
    cap = tmp_path / "a.pcap"
    engine.start_capture("a", "eth0", cap)
    # the queued packet's source 10.0.0.5 is ours: arp_announce 0 uses it
    _send(engine, "a", "10.0.0.99", _ip_packet("10.0.0.5", "10.0.0.99", 60))
    # a packet from a source we do not own (forwarded): the device's primary address
    _send(engine, "a", "10.0.0.98", _ip_packet("10.9.9.9", "10.0.0.98", 60))
    # a bare 20-byte header is still a packet with a source address
    _send(engine, "a", "10.0.0.97", _ip_packet("10.0.0.5", "10.0.0.97", 20))
    run_for(engine, 10 * MS)
    engine.stop_captures()
    reqs = [f for _, f in pcap_frames(cap) if f[12:14] == b"\x08\x06"]
    assert [f[0:6] for f in reqs] == [BCAST, BCAST, BCAST]
    assert [(f[28:32], f[38:42]) for f in reqs] == [
        (IPv4Address("10.0.0.5").packed, IPv4Address("10.0.0.99").packed),
        (IPv4Address("10.0.0.1").packed, IPv4Address("10.0.0.98").packed),
        (IPv4Address("10.0.0.5").packed, IPv4Address("10.0.0.97").packed),
    ]


def _reachable(engine) -> object:  # type: ignore[no-untyped-def]
    """a's entry for 10.0.0.2 confirmed REACHABLE by a reply to our request, at now."""
    _send(engine, "a", "10.0.0.2", _ip_packet("10.0.0.1", "10.0.0.2", 60))
    run_for(engine, 1 * MS)
    n = entry(engine, "a", "eth0", "10.0.0.2")
    assert n is not None and n.state == NUD_REACHABLE
    return n


def test_reachable_expiry_goes_to_delay_when_used_exactly_delay_probe_time_ago() -> None:
    engine = realize(PAIR)
    n = _reachable(engine)
    t_conf = n.confirmed  # type: ignore[attr-defined]
    # used exactly delay_first_probe_time before expiry: time_before_eq holds -> DELAY
    engine.sched.run(until=t_conf + REACHABLE_TIME - DELAY_FIRST_PROBE)
    _send(engine, "a", "10.0.0.2", _ip_packet("10.0.0.1", "10.0.0.2", 60))
    engine.sched.run(until=t_conf + REACHABLE_TIME)
    assert n.state == "DELAY"  # type: ignore[attr-defined]


def test_reachable_expiry_goes_to_stale_when_used_earlier() -> None:
    engine = realize(PAIR)
    n = _reachable(engine)
    t_conf = n.confirmed  # type: ignore[attr-defined]
    engine.sched.run(until=t_conf + REACHABLE_TIME - DELAY_FIRST_PROBE - 1)
    _send(engine, "a", "10.0.0.2", _ip_packet("10.0.0.1", "10.0.0.2", 60))
    engine.sched.run(until=t_conf + REACHABLE_TIME - 1)
    assert n.state == NUD_REACHABLE  # type: ignore[attr-defined]
    engine.sched.run(until=t_conf + REACHABLE_TIME)
    assert n.state == NUD_STALE  # type: ignore[attr-defined]


def _delay(engine):  # type: ignore[no-untyped-def]
    arp_in(engine, "a", "eth0", 1, FAKE, "10.0.0.77", "10.0.0.1")
    n = entry(engine, "a", "eth0", "10.0.0.77")
    _send(engine, "a", "10.0.0.77", _ip_packet("10.0.0.1", "10.0.0.77", 60))
    assert n is not None and n.state == "DELAY"
    return n


def test_delay_returns_to_reachable_on_a_confirmation_at_the_boundary() -> None:
    engine = realize(PAIR)
    n = _delay(engine)
    # neigh_confirm (an upper-layer confirmation, e.g. TCP) at the moment DELAY began:
    # delay_probe_time later time_before_eq(now, confirmed + delay) still holds
    n.confirmed = engine.sched.now
    run_for(engine, DELAY_FIRST_PROBE)
    assert n.state == NUD_REACHABLE
    run_for(engine, REACHABLE_TIME - 1)
    assert n.state == NUD_REACHABLE


def test_delay_moves_to_probe_without_a_recent_confirmation() -> None:
    engine = realize(PAIR)
    n = _delay(engine)
    n.confirmed = engine.sched.now - 1  # one nanosecond too old
    run_for(engine, DELAY_FIRST_PROBE)
    assert n.state == "PROBE" and n.probes == 1


def test_locktime_ignores_a_new_lladdr_until_strictly_after_it() -> None:
    engine = realize(PAIR)
    n = _reachable(engine)
    old = n.lladdr  # type: ignore[attr-defined]
    t_upd = n.updated  # type: ignore[attr-defined]
    engine.sched.run(until=t_upd + LOCKTIME)  # exactly locktime later: not yet time_after
    arp_in(engine, "a", "eth0", 2, OTHER, "10.0.0.2", "10.0.0.1")
    assert n.lladdr == old  # type: ignore[attr-defined]
    engine.sched.run(until=t_upd + LOCKTIME + 1)
    arp_in(engine, "a", "eth0", 2, OTHER, "10.0.0.2", "10.0.0.1")
    assert n.lladdr == OTHER  # type: ignore[attr-defined]
    assert n.state == NUD_REACHABLE  # type: ignore[attr-defined]  # a reply to us


def test_request_for_us_overrides_locktime() -> None:
    engine = realize(PAIR)
    n = _reachable(engine)
    # neigh_event_ns: a request for our address updates with NEIGH_UPDATE_F_OVERRIDE
    arp_in(engine, "a", "eth0", 1, OTHER, "10.0.0.2", "10.0.0.1", dst=BCAST)
    assert n.lladdr == OTHER and n.state == NUD_STALE  # type: ignore[attr-defined]


def test_noop_update_does_not_slide_the_locktime_window() -> None:
    engine = realize(PAIR)
    n = _reachable(engine)
    t_upd = n.updated  # type: ignore[attr-defined]
    mac_b = n.lladdr  # type: ignore[attr-defined]
    engine.sched.run(until=t_upd + LOCKTIME // 2)
    # the same lladdr again, not a change: neigh_update leaves `updated` alone
    arp_in(engine, "a", "eth0", 1, mac_b, "10.0.0.2", "10.0.0.9", dst=BCAST)
    assert n.updated == t_upd  # type: ignore[attr-defined]
    engine.sched.run(until=t_upd + LOCKTIME + 1)
    arp_in(engine, "a", "eth0", 2, OTHER, "10.0.0.2", "10.0.0.1")
    assert n.lladdr == OTHER  # type: ignore[attr-defined]


def test_lladdr_change_makes_a_valid_entry_stale_same_lladdr_keeps_state() -> None:
    engine = realize(PAIR)
    n = _reachable(engine)
    mac_b = n.lladdr  # type: ignore[attr-defined]
    run_for(engine, 2 * S)
    # a request for someone else (not a reply to us): state STALE only if lladdr changed
    arp_in(engine, "a", "eth0", 1, mac_b, "10.0.0.2", "10.0.0.9", dst=BCAST)
    assert n.state == NUD_REACHABLE  # type: ignore[attr-defined]
    arp_in(engine, "a", "eth0", 1, OTHER, "10.0.0.2", "10.0.0.9", dst=BCAST)
    assert (n.state, n.lladdr) == (NUD_STALE, OTHER)  # type: ignore[attr-defined]


def test_reply_not_addressed_to_us_only_makes_stale() -> None:
    engine = realize(PAIR)
    _send(engine, "a", "10.0.0.77", _ip_packet("10.0.0.1", "10.0.0.77", 60))
    n = entry(engine, "a", "eth0", "10.0.0.77")
    assert n is not None and n.state == "INCOMPLETE"
    arp_in(engine, "a", "eth0", 2, FAKE, "10.0.0.77", "10.0.0.1", dst=BCAST)
    assert (n.state, n.lladdr) == (NUD_STALE, FAKE)
    assert not n.queue  # the queued packet left with the new address
    arp_in(engine, "a", "eth0", 2, FAKE, "10.0.0.77", "10.0.0.1")
    assert n.state == NUD_REACHABLE


def test_unknown_sender_of_a_reply_or_foreign_request_creates_nothing() -> None:
    engine = realize(PAIR)
    arp_in(engine, "a", "eth0", 2, FAKE, "10.0.0.66", "10.0.0.1")
    arp_in(engine, "a", "eth0", 1, FAKE, "10.0.0.67", "10.0.0.9", dst=BCAST)
    assert entry(engine, "a", "eth0", "10.0.0.66") is None
    assert entry(engine, "a", "eth0", "10.0.0.67") is None
    arp_in(engine, "a", "eth0", 1, FAKE, "10.0.0.68", "10.0.0.1", dst=BCAST)
    assert entry(engine, "a", "eth0", "10.0.0.68") is not None


def test_multicast_sender_or_target_and_loopback_target_are_ignored() -> None:
    engine = realize(PAIR)
    arp_in(engine, "a", "eth0", 1, FAKE, "224.0.0.1", "10.0.0.1", dst=BCAST)
    arp_in(engine, "a", "eth0", 1, FAKE, "239.255.255.255", "10.0.0.1", dst=BCAST)
    arp_in(engine, "a", "eth0", 1, FAKE, "10.0.0.70", "224.0.0.1", dst=BCAST)
    arp_in(engine, "a", "eth0", 1, FAKE, "10.0.0.71", "127.0.0.1", dst=BCAST)
    for ip in ("224.0.0.1", "239.255.255.255", "10.0.0.70", "10.0.0.71"):
        assert entry(engine, "a", "eth0", ip) is None, ip
    # the edges just outside: 223.x and 240.x senders are unicast to arp_process
    arp_in(engine, "a", "eth0", 1, FAKE, "223.255.255.255", "10.0.0.1", dst=BCAST)
    arp_in(engine, "a", "eth0", 1, OTHER, "240.0.0.1", "10.0.0.1", dst=BCAST)
    assert entry(engine, "a", "eth0", "223.255.255.255") is not None
    assert entry(engine, "a", "eth0", "240.0.0.1") is not None


def test_a_namespace_without_addresses_asks_from_0_0_0_0(tmp_path: Path) -> None:
    """``arp_solicit``: no address to speak from (``inet_select_addr`` gives 0): the
    request's sender protocol address is 0.0.0.0."""
    engine = realize("""
name: bare
nodes:
  a:
    interfaces: {eth0: {}}
  b:
    interfaces: {eth0: {}}
links:
  - endpoints: [a:eth0, b:eth0]
""")
    cap = tmp_path / "a.pcap"
    engine.start_capture("a", "eth0", cap)
    _send(engine, "a", "10.0.0.2", b"")
    run_for(engine, 1 * MS)
    engine.stop_captures()
    reqs = [f for _, f in pcap_frames(cap) if f[12:14] == b"\x08\x06"]
    assert [(f[28:32], f[38:42]) for f in reqs] == [
        (bytes(4), IPv4Address("10.0.0.2").packed)]


def test_request_from_a_known_sender_for_a_multicast_target_changes_nothing() -> None:
    engine = realize(PAIR)
    n = _reachable(engine)
    old = n.lladdr  # type: ignore[attr-defined]
    run_for(engine, 2 * S)  # past locktime: only the multicast rule can keep it
    arp_in(engine, "a", "eth0", 1, OTHER, "10.0.0.2", "224.0.0.5", dst=BCAST)
    arp_in(engine, "a", "eth0", 1, OTHER, "10.0.0.2", "127.0.0.1", dst=BCAST)
    assert n.lladdr == old  # type: ignore[attr-defined]
    arp_in(engine, "a", "eth0", 1, OTHER, "10.0.0.2", "10.0.0.9", dst=BCAST)
    assert n.lladdr == OTHER  # type: ignore[attr-defined]


def test_request_for_us_is_answered_unicast_with_our_address(tmp_path: Path) -> None:
    engine = realize(PAIR)
    cap = tmp_path / "a.pcap"
    engine.start_capture("a", "eth0", cap)
    arp_in(engine, "a", "eth0", 1, FAKE, "10.0.0.77", "10.0.0.5", dst=BCAST)
    run_for(engine, 1 * MS)
    engine.stop_captures()
    mac_a = engine.namespaces["a"].devices["eth0"].mac
    replies = [f for _, f in pcap_frames(cap) if f[12:14] == b"\x08\x06"]
    assert len(replies) == 1
    r = replies[0]
    assert (r[0:6], r[6:12], r[20:22]) == (FAKE, mac_a, b"\x00\x02")
    assert (r[22:28], r[28:32]) == (mac_a, IPv4Address("10.0.0.5").packed)
    assert (r[32:38], r[38:42]) == (FAKE, IPv4Address("10.0.0.77").packed)


def test_device_down_flushes_its_neighbours_only() -> None:
    engine = realize(PAIR)
    _reachable(engine)
    ns = engine.namespaces["a"]
    ns.stack.neigh.add_permanent(ns.devices["lo"], int(IPv4Address("127.0.0.9")), FAKE)
    assert entry(engine, "a", "eth0", "10.0.0.2") is not None
    ns.devices["eth0"].set_admin(False)
    assert entry(engine, "a", "eth0", "10.0.0.2") is None
    assert entry(engine, "a", "lo", "127.0.0.9") is not None
