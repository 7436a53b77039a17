"""Pins for the bridge (issue 20): net/bridge/br_forward.c, br_input.c, br_fdb.c.

Kernel facts pinned here:

* ``br_dev_queue_push_xmit`` pushes the Ethernet header back, then ``is_skb_forwardable``
  admits ``skb->len <= mtu + ETH_HLEN + VLAN_HLEN`` (``mtu + VLAN_ETH_HLEN`` = mtu + 18 bytes
  of frame); longer frames are dropped — on the fast path (known unicast) and on a flood.
* ``br_flood`` picks the per-port flag by packet type: BR_BCAST_FLOOD for broadcast,
  BR_MCAST_FLOOD for other multicast, BR_FLOOD for unknown unicast.
* ``br_fdb_delete_by_port`` (port leaves) removes that port's entries, local ones too;
  ``br_stp_disable_port`` flushes only its dynamic entries; ``br_fdb_find_delete_local``
  removes only the local entry of that port and VLAN; ``br_fdb_cleanup`` deletes learned
  entries once ``updated + hold_time <= now`` and re-arms for the next expiry.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pinlab import BCAST, pcap_frames, realize, run_for

from vnetlab.sim.clock import MS, S
from vnetlab.sim.devices.bridge import fdb as fdbmod
from vnetlab.sim.devices.bridge.device import BridgeDevice
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.netdev import Skb
from vnetlab.sim.trace import Trace

LAB = """
name: br3
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  host:
    interfaces:
      br0: {type: bridge, ageing_time: 10}
      veth1: {master: br0}
      veth2: {master: br0, mtu: 1400}
      veth3: {master: br0}
  ns1:
    interfaces: {eth0: {addresses: [10.0.0.1/24], mtu: 9000}}
  ns2:
    interfaces: {eth0: {addresses: [10.0.0.2/24]}}
  ns3:
    interfaces: {eth0: {addresses: [10.0.0.3/24]}}
links:
  - endpoints: [host:veth1, ns1:eth0]
  - endpoints: [host:veth2, ns2:eth0]
  - endpoints: [host:veth3, ns3:eth0]
"""

SRC = b"\x02\x00\x00\x00\x01\x01"
UNKNOWN = b"\x02\x00\x00\x00\x09\x09"
MCAST = b"\x01\x00\x5e\x00\x00\x01"


def _br(engine: SimEngine) -> BridgeDevice:
    br = engine.namespaces["host"].devices["br0"]
    assert isinstance(br, BridgeDevice)
    return br


def host_dev(engine: SimEngine, name: str):  # type: ignore[no-untyped-def]
    return engine.namespaces["host"].devices[name]


def _mac(engine: SimEngine, node: str) -> bytes:
    return engine.namespaces[node].devices["eth0"].mac


def _send(engine: SimEngine, dst: bytes, size: int, src: bytes = SRC, traced: bool = False,
          node: str = "ns1") -> None:
    frame = dst + src + b"\x88\xb5" + b"x" * (size - 14)
    trace = Trace("pin").root if traced else None
    engine.namespaces[node].devices["eth0"].xmit(Skb(frame, trace))
    run_for(engine, 1 * MS)


def _received(engine: SimEngine, tmp: Path, sends: list[tuple[bytes, int, bool]]) -> dict[
        str, list[int]]:
    """Frame sizes that arrived at ns2 and ns3 for SENDS (dst, size, traced) from ns1."""
    paths = {n: tmp / f"{n}.pcap" for n in ("ns2", "ns3")}
    for n, p in paths.items():
        engine.start_capture(n, "eth0", p)
    for dst, size, traced in sends:
        _send(engine, dst, size, traced=traced)
    engine.stop_captures()
    return {n: [len(f) for _, f in pcap_frames(p) if f[12:14] == b"\x88\xb5"]
            for n, p in paths.items()}


def test_egress_mtu_threshold_is_mtu_plus_vlan_eth_hlen(tmp_path: Path) -> None:
    engine = realize(LAB)
    br = _br(engine)
    _send(engine, BCAST, 60)  # learn SRC on veth1
    _send(engine, _mac(engine, "ns1"), 60, src=_mac(engine, "ns2"), node="ns2")
    # known unicast to ns2 (fast path and traced slow path), then unknown unicast (flood)
    ns2 = _mac(engine, "ns2")
    before = br.tx_dropped
    got = _received(engine, tmp_path, [
        (ns2, 1418, False), (ns2, 1419, False), (ns2, 1418, True), (ns2, 1419, True),
        (UNKNOWN, 1418, False), (UNKNOWN, 1419, False),
    ])
    assert got["ns2"] == [1418, 1418, 1418]
    # veth3 (mtu 1500) takes the flooded 1419-byte frame, veth2 (mtu 1400) does not
    assert got["ns3"] == [1418, 1419]
    # br_dev_queue_push_xmit frees the frame without counting it (kernel-measured)
    assert br.tx_dropped == before
    assert host_dev(engine, "veth2").tx_dropped == 0


def test_broadcast_uses_bcast_flood_multicast_uses_mcast_flood(tmp_path: Path) -> None:
    engine = realize(LAB)
    host = engine.namespaces["host"].devices
    p2, p3 = host["veth2"].br_port, host["veth3"].br_port
    assert p2 is not None and p3 is not None
    p2.bcast_flood = False  # bridge link set dev veth2 bcast_flood off
    p3.mcast_flood = False  # bridge link set dev veth3 mcast_flood off
    got = _received(engine, tmp_path, [
        (BCAST, 100, False), (MCAST, 101, False), (BCAST, 102, True), (MCAST, 103, True),
    ])
    assert got == {"ns2": [101, 103], "ns3": [100, 102]}
    p2.bcast_flood = p3.mcast_flood = True
    p2.flood = False  # unknown unicast only: broadcast and multicast still reach veth2
    got = _received(engine, tmp_path, [(BCAST, 104, False), (MCAST, 105, False),
                                       (UNKNOWN, 106, False)])
    assert got == {"ns2": [104, 105], "ns3": [104, 105, 106]}


def _entries(br: BridgeDevice) -> dict[tuple[bytes, int], str]:
    return {(e.mac, e.vid): (e.port.name if e.port else "self") + (" local" if e.local else "")
            + (" static" if e.static and not e.local else "") for e in br.fdb.values()}


def test_delete_by_port_removes_that_ports_entries_only() -> None:
    engine = realize(LAB)
    br = _br(engine)
    host = engine.namespaces["host"].devices
    _send(engine, BCAST, 60)
    _send(engine, BCAST, 60, src=_mac(engine, "ns3"), node="ns3")
    br.add_static(UNKNOWN, host["veth1"])
    v1_mac = host["veth1"].mac
    assert _entries(br)[(SRC, 0)] == "veth1" and _entries(br)[(v1_mac, 0)] == "veth1 local"
    br.del_port(host["veth1"])
    left = _entries(br)
    assert (SRC, 0) not in left and (UNKNOWN, 0) not in left and (v1_mac, 0) not in left
    assert left[(_mac(engine, "ns3"), 0)] == "veth3"
    assert left[(host["veth3"].mac, 0)] == "veth3 local"


def test_flush_dynamic_keeps_static_and_local_entries_and_other_ports() -> None:
    engine = realize(LAB)
    br = _br(engine)
    host = engine.namespaces["host"].devices
    _send(engine, BCAST, 60)
    _send(engine, BCAST, 60, src=_mac(engine, "ns3"), node="ns3")
    br.add_static(UNKNOWN, host["veth1"])
    p1 = host["veth1"].br_port
    assert p1 is not None
    fdbmod.fdb_flush_dynamic_port(br, p1)
    left = _entries(br)
    assert (SRC, 0) not in left
    assert left[(UNKNOWN, 0)] == "veth1 static"
    assert left[(host["veth1"].mac, 0)] == "veth1 local"
    assert left[(_mac(engine, "ns3"), 0)] == "veth3"


def test_delete_local_matches_mac_port_and_vid() -> None:
    engine = realize(LAB)
    br = _br(engine)
    host = engine.namespaces["host"].devices
    p1, p3 = host["veth1"].br_port, host["veth3"].br_port
    mac = host["veth1"].mac
    fdbmod.fdb_insert_local(br, mac, p1, 10)
    fdbmod.fdb_add_static(br, SRC, p1, 10)
    fdbmod.fdb_delete_local(br, mac, p3, 10)   # another port: stays
    fdbmod.fdb_delete_local(br, mac, p1, 20)   # another VLAN: stays
    fdbmod.fdb_delete_local(br, SRC, p1, 10)   # not a local entry: stays
    assert (mac, 10) in _entries(br) and (SRC, 10) in _entries(br)
    fdbmod.fdb_delete_local(br, mac, p1, 10)
    assert (mac, 10) not in _entries(br)
    assert _entries(br)[(mac, 0)] == "veth1 local" and (SRC, 10) in _entries(br)
    assert fdbmod.fdb_key(mac, 0) == mac and fdbmod.fdb_key(mac, 10) == mac + b"\x00\x0a"


def test_ageing_deletes_at_updated_plus_hold_and_rearms_for_the_next() -> None:
    engine = realize(LAB)
    br = _br(engine)
    hold = 10 * S
    t0 = engine.sched.now
    _send(engine, BCAST, 60)                      # SRC learned at t0 + 1 ms
    engine.sched.run(until=t0 + 3 * S)
    _send(engine, BCAST, 60, src=_mac(engine, "ns3"), node="ns3")  # at t0 + 3 s + 1 ms
    t_src = br.fdb[SRC].updated
    t_ns3 = br.fdb[_mac(engine, "ns3")].updated
    assert br.gc_at == t_src + hold
    engine.sched.run(until=t_src + hold - 1)
    assert SRC in br.fdb
    engine.sched.run(until=t_src + hold)
    assert SRC not in br.fdb and _mac(engine, "ns3") in br.fdb
    assert br.gc_at == t_ns3 + hold   # re-armed for the next expiry
    engine.sched.run(until=t_ns3 + hold)
    assert _mac(engine, "ns3") not in br.fdb and br.gc_at is None
    # local and static entries never age
    assert any(e.local for e in br.fdb.values())


def test_refresh_before_expiry_keeps_the_entry_and_a_later_arming_does_not_supersede() -> None:
    engine = realize(LAB)
    br = _br(engine)
    _send(engine, BCAST, 60)
    t1 = br.fdb[SRC].updated
    armed = br.gc_at
    engine.sched.run(until=t1 + 5 * S)
    _send(engine, BCAST, 60)                      # refresh: updated moves
    t2 = br.fdb[SRC].updated
    fdbmod.fdb_arm_cleanup(br, t2 + 100 * S)      # later than the pending one: ignored
    assert br.gc_at == armed
    engine.sched.run(until=t1 + 10 * S)           # first cleanup: not yet expired, re-armed
    assert SRC in br.fdb and br.gc_at == t2 + 10 * S
    fdbmod.fdb_arm_cleanup(br, t2 + 2 * S)        # earlier: supersedes
    assert br.gc_at == t2 + 2 * S
    engine.sched.run(until=t2 + 10 * S)
    assert SRC not in br.fdb


def test_invalid_sources_are_dropped_and_not_learned(tmp_path: Path) -> None:
    engine = realize(LAB)
    br = _br(engine)
    for src in (b"\x00" * 6, b"\x01\x00\x00\x00\x00\x01"):
        _send(engine, BCAST, 60, src=src)
        assert src not in br.fdb
    assert fdbmod.invalid_source(b"\x02" + b"\x00" * 5) is None
    got = _received(engine, tmp_path, [(BCAST, 60, False)])
    assert got == {"ns2": [60], "ns3": [60]}


def test_steady_state_takes_the_fast_path_and_every_exception_the_slow_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``br_handle_frame``'s fast path is a performance contract (bench/emulator_hops.py):
    a learned source sending to a known remote unicast with nothing watching must not reach
    ``br_handle_frame_slow``; anything else must, or it would skip a decision."""
    from vnetlab.sim.devices.bridge import input as brinput

    engine = realize(LAB)
    br = _br(engine)
    host = engine.namespaces["host"].devices
    slow: list[bytes] = []
    real = brinput.br_handle_frame_slow

    def counting(*args: object) -> None:
        slow.append(args[3].data)  # type: ignore[attr-defined]
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(brinput, "br_handle_frame_slow", counting)
    known = b"\x02\x01\x00\x00\x00\x02"       # dst[1] odd: only dst[0] is the group bit
    behind1 = b"\x02\x01\x00\x00\x00\x01"     # a static entry behind the ingress port
    br.add_static(known, host["veth2"])
    br.add_static(behind1, host["veth1"])
    _send(engine, BCAST, 60)                  # learn SRC on veth1 (slow: broadcast)

    def path(dst: bytes, size: int = 60, traced: bool = False, ether: bytes = b"\x88\xb5",
             src: bytes = SRC) -> str:
        slow.clear()
        frame = dst + src + ether + b"x" * (size - 14)
        trace = Trace("pin").root if traced else None
        engine.namespaces["ns1"].devices["eth0"].xmit(Skb(frame, trace))
        run_for(engine, 1 * MS)
        return "slow" if slow else "fast"

    assert path(known) == "fast"
    assert path(known, size=1418) == "fast"
    assert path(known, size=1419) == "slow"                 # over veth2's mtu + 18
    assert path(known, traced=True) == "slow"
    assert path(b"\x03\x01\x00\x00\x00\x02") == "slow"      # group bit set
    assert path(UNKNOWN) == "slow"
    assert path(host["veth3"].mac) == "slow"                # a local address goes up
    assert path(behind1) == "slow"                          # same port, no hairpin
    assert path(known, src=b"\x02\x00\x00\x00\x07\x07") == "slow"   # source not learned
    assert path(known) == "fast"
    assert path(known, ether=b"\x08\x06") == "fast"         # ARP, no suppression anywhere
    p3 = host["veth3"].br_port
    p1 = host["veth1"].br_port
    assert p1 is not None and p3 is not None
    p3.neigh_suppress = True
    assert path(known, ether=b"\x08\x06") == "slow"
    assert path(known, ether=b"\x08\x00") == "fast"
    assert path(known, ether=b"\x07\x06") == "fast"
    p3.neigh_suppress = False
    br.set_promiscuity(1)
    assert path(known) == "slow"
    br.set_promiscuity(-1)
    br.storm_mode = True
    assert path(known) == "slow"
    br.storm_mode = False
    p1.isolated = True
    assert path(known) == "slow"
    p1.isolated = False
    p1.hairpin = True
    assert path(behind1) == "fast"  # hairpin: back out of the ingress port, fast
    assert path(known) == "fast"


def test_isolated_ports_block_only_isolated_to_isolated(tmp_path: Path) -> None:
    """``br_skb_isolated``: both ports isolated → no; either one not → yes; a frame the
    bridge itself sends (no ingress port) reaches an isolated port."""
    engine = realize(LAB)
    host = engine.namespaces["host"].devices
    p1, p2 = host["veth1"].br_port, host["veth2"].br_port
    assert p1 is not None and p2 is not None
    p1.isolated = True
    got = _received(engine, tmp_path, [(BCAST, 100, False), (BCAST, 101, True)])
    assert got == {"ns2": [100, 101], "ns3": [100, 101]}   # isolated -> not isolated
    p2.isolated = True
    got = _received(engine, tmp_path, [(BCAST, 102, False), (BCAST, 103, True)])
    assert got == {"ns2": [], "ns3": [102, 103]}           # isolated -> isolated: no
    p1.isolated = False
    got = _received(engine, tmp_path, [(BCAST, 104, False)])
    assert got == {"ns2": [104], "ns3": [104]}             # not isolated -> isolated
    # the bridge's own broadcast (ingress None) reaches the isolated port
    paths = {n: tmp_path / f"own-{n}.pcap" for n in ("ns2", "ns3")}
    for n, p in paths.items():
        engine.start_capture(n, "eth0", p)
    br = _br(engine)
    br.xmit(Skb(BCAST + br.mac + b"\x88\xb5" + b"o" * 46, None))
    run_for(engine, 1 * MS)
    engine.stop_captures()
    assert [len(pcap_frames(p)) for p in paths.values()] == [1, 1]


def test_fdb_moves_and_own_address_echoes_are_counted_for_the_storm_guard() -> None:
    engine = realize(LAB)
    br = _br(engine)
    host = engine.namespaces["host"].devices
    g = br.storm
    _send(engine, BCAST, 60)                                   # SRC learned on veth1
    assert g.moves == {} and g.window_moves == 0
    _send(engine, BCAST, 60, node="ns3")                       # SRC shows up on veth3
    assert g.moves == {SRC: 1} and g.window_moves == 1
    _send(engine, BCAST, 60, node="ns3")                       # no move: same port
    assert g.moves == {SRC: 1} and g.window_moves == 1
    own = host["veth1"].mac                                    # a local entry on veth1
    _send(engine, BCAST, 60, src=own, node="ns3")              # comes back on veth3
    assert g.moves == {SRC: 1, own: 1} and g.window_moves == 2
    assert br.fdb[own].local and br.fdb[own].port is host["veth1"].br_port
    _send(engine, BCAST, 60, src=own, node="ns1")              # on its own port: fine
    assert g.moves == {SRC: 1, own: 1} and g.window_moves == 2


def test_storm_budget_is_exactly_storm_budget_floods_while_the_fdb_flaps() -> None:
    from vnetlab.sim.devices.bridge.forward import BROADCAST, br_flood
    from vnetlab.sim.devices.bridge.storm import STORM_BUDGET, STORM_MIN_MOVES

    engine = realize(LAB)
    br = _br(engine)
    g = br.storm
    host = engine.namespaces["host"].devices
    ns2 = engine.namespaces["ns2"].devices["eth0"]
    g.window_start, g.credit, g.window_moves = engine.sched.now, STORM_BUDGET, STORM_MIN_MOVES
    before = ns2.rx_packets
    for _ in range(STORM_BUDGET + 5):
        br_flood(br, Skb(BCAST + SRC + b"\x88\xb5" + b"s" * 46, None), BROADCAST,
                 host["veth1"])
    run_for(engine, 1 * MS)
    assert ns2.rx_packets - before == STORM_BUDGET
    assert g.tripped and br.storm_mode and len(g.events) == 1
    # without flapping the same burst just opens a fresh window each time it runs out
    engine2 = realize(LAB)
    br2 = _br(engine2)
    ns2b = engine2.namespaces["ns2"].devices["eth0"]
    host2 = engine2.namespaces["host"].devices
    before = ns2b.rx_packets
    for _ in range(3 * STORM_BUDGET):
        br_flood(br2, Skb(BCAST + SRC + b"\x88\xb5" + b"s" * 46, None), BROADCAST,
                 host2["veth1"])
    run_for(engine2, 1 * MS)
    assert ns2b.rx_packets - before == 3 * STORM_BUDGET and not br2.storm.tripped


def test_link_local_frame_from_an_invalid_source_is_dropped_not_passed_up(
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = realize(LAB)
    host_ns = engine.namespaces["host"]
    seen: list[tuple[str, bytes]] = []
    real = host_ns.rcv

    def rcv(dev, skb):  # type: ignore[no-untyped-def]
        seen.append((dev.name, skb.data[6:12]))
        real(dev, skb)

    monkeypatch.setattr(host_ns, "rcv", rcv)
    lldp = b"\x01\x80\xc2\x00\x00\x0e"
    _send(engine, lldp, 60, src=b"\x00" * 6)
    _send(engine, lldp, 60, src=b"\x03\x00\x00\x00\x00\x01")
    assert seen == []
    _send(engine, lldp, 60)                         # a valid source: to veth1's own stack
    assert seen == [("veth1", SRC)]


def test_link_local_range_ends_at_0f(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """01:80:C2:00:00:00-0F are the IEEE 802.1D reserved groups (``is_link_local_ether_addr``):
    0F still goes to the port's own stack, 10 is ordinary multicast and is flooded."""
    engine = realize(LAB)
    host_ns = engine.namespaces["host"]
    seen: list[str] = []
    real = host_ns.rcv

    def rcv(dev, skb):  # type: ignore[no-untyped-def]
        seen.append(dev.name)
        real(dev, skb)

    monkeypatch.setattr(host_ns, "rcv", rcv)
    got = _received(engine, tmp_path, [(b"\x01\x80\xc2\x00\x00\x0f", 100, False),
                                       (b"\x01\x80\xc2\x00\x00\x10", 101, False),
                                       (b"\x01\x80\xc2\x00\x00\x01", 102, False)])
    assert got == {"ns2": [101], "ns3": [101]}   # 01 (pause) is dropped outright
    assert seen == ["veth1", "br0"]
    # with STP on, only group 00 is a BPDU for br_stp_rcv; LLDP (0E) still goes to veth1
    _br(engine).set_stp(True)
    seen.clear()
    _send(engine, b"\x01\x80\xc2\x00\x00\x0e", 60)
    assert seen == ["veth1"]


def test_a_static_fdb_entry_for_a_group_address_does_not_steer_it(tmp_path: Path) -> None:
    """``br_handle_frame_finish``: multicast destinations take the mdb/flood path; the FDB
    is only looked up for unicast (``bridge fdb add 01:..`` is accepted, never consulted)."""
    engine = realize(LAB)
    host = engine.namespaces["host"].devices
    _br(engine).add_static(MCAST, host["veth2"])
    _send(engine, BCAST, 60)          # SRC learned: the fast path is open
    got = _received(engine, tmp_path, [(MCAST, 100, False), (MCAST, 101, True)])
    assert got == {"ns2": [100, 101], "ns3": [100, 101]}


def test_unanswered_arp_still_reaches_neigh_suppress_ports(tmp_path: Path) -> None:
    """``br_flood`` skips BR_NEIGH_SUPPRESS ports only when the bridge answered the request
    itself (``proxyarp_replied``); a request it cannot answer is flooded to them too."""
    engine = realize(LAB)
    p3 = engine.namespaces["host"].devices["veth3"].br_port
    assert p3 is not None
    p3.neigh_suppress = True
    arp = (bytes.fromhex("0001080006040001") + SRC + bytes([10, 0, 0, 1]) + bytes(6)
           + bytes([10, 9, 9, 9]))
    paths = {n: tmp_path / f"{n}.pcap" for n in ("ns2", "ns3")}
    for n, p in paths.items():
        engine.start_capture(n, "eth0", p)
    frame = BCAST + SRC + b"\x08\x06" + arp + bytes(18)
    engine.namespaces["ns1"].devices["eth0"].xmit(Skb(frame, None))
    run_for(engine, 1 * MS)
    engine.stop_captures()
    got = {n: [f[38:42] for _, f in pcap_frames(p) if f[12:14] == b"\x08\x06"]
           for n, p in paths.items()}
    assert got == {"ns2": [bytes([10, 9, 9, 9])], "ns3": [bytes([10, 9, 9, 9])]}


def test_locked_port_admits_only_sources_with_a_non_local_entry_on_it(tmp_path: Path) -> None:
    """``br_handle_frame_finish`` with BR_PORT_LOCKED: the source needs an FDB entry on this
    very port that is not local; nothing is learned from a locked port."""
    engine = realize(LAB)
    br = _br(engine)
    host = engine.namespaces["host"].devices
    p1 = host["veth1"].br_port
    assert p1 is not None
    p1.locked = True
    other = b"\x02\x00\x00\x00\x05\x05"
    br.add_static(SRC, host["veth1"])
    br.add_static(other, host["veth3"])
    got = _received(engine, tmp_path, [(BCAST, 100, False), (BCAST, 101, True)])
    assert got == {"ns2": [100, 101], "ns3": [100, 101]}
    paths = {n: tmp_path / f"l-{n}.pcap" for n in ("ns2", "ns3")}
    for n, p in paths.items():
        engine.start_capture(n, "eth0", p)
    for src in (other, host["veth1"].mac, b"\x02\x00\x00\x00\x06\x06"):
        _send(engine, BCAST, 60, src=src)
    engine.stop_captures()
    assert [len(pcap_frames(p)) for p in paths.values()] == [0, 0]
    assert b"\x02\x00\x00\x00\x06\x06" not in br.fdb


def test_a_bpdu_sender_is_learned_while_stp_runs() -> None:
    """``__br_handle_local_finish``: with STP on, a BPDU's source is learned on a learning
    or forwarding port before ``br_stp_rcv`` takes it."""
    from vnetlab.sim.devices.bridge.port import BR_STATE_FORWARDING, BR_STATE_LEARNING

    engine = realize(LAB)
    br = _br(engine)
    br.set_stp(True)
    run_for(engine, 20 * S)
    p1 = engine.namespaces["host"].devices["veth1"].br_port
    assert p1 is not None and p1.state in (BR_STATE_LEARNING, BR_STATE_FORWARDING)
    _send(engine, b"\x01\x80\xc2\x00\x00\x00", 60)
    assert SRC in br.fdb and br.fdb[SRC].port is p1
