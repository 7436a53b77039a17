"""Descriptor pool and rx rings in both isolation modes; rate shaping and line rate on
virtual time."""

from __future__ import annotations

from ipaddress import IPv4Address

from sriovlab import build, frames_seen, lab_text, pf, ping_ok, vf
from test_sriov_veb import _frame, _ours

from vnetlab.sim.clock import S
from vnetlab.sim.devices.sriov.cable import wire_time_ns
from vnetlab.sim.trace import DropReason

US = 0.000001


def _flood(eng: object, k: int, count: int) -> None:
    """The wire sends ``count`` frames to VF k, one per microsecond."""
    ext = eng.dev("ext", "eth0")  # type: ignore[attr-defined]
    eng.inject("ext", "eth0", _frame(vf(eng, k).mac, ext.mac), count, US)  # type: ignore


def test_per_vf_a_stalled_vf_fills_only_its_own_ring() -> None:
    eng, _ = build(lab_text("0: {stalled: true}",
                            sriov_extra="descriptors: 64\n          ring: 16\n"
                                        "          isolation: per-vf"))
    sr = pf(eng).sriov
    assert sr is not None and [r.capacity for r in sr.rings] == [16, 16, 16]
    assert sr.pool.free == 64 - 48
    _flood(eng, 0, 40)
    v0 = vf(eng, 0)
    assert sr.rings[0].held == 16
    assert v0.rx_missed_errors == 24 and eng.counter("ns0", "vf0", "rx_out_of_buffer") == 24
    assert v0.rx_packets == 0  # nothing reached its stack
    assert ping_ok(eng, "ext", "10.0.0.2") and ping_ok(eng, "ns1", "10.0.0.3")
    assert vf(eng, 1).rx_missed_errors == 0 and vf(eng, 2).rx_missed_errors == 0


def test_shared_pool_a_stalled_vf_starves_the_others_until_it_drains() -> None:
    eng, _ = build(lab_text("0: {stalled: true}",
                            sriov_extra="descriptors: 16\n          ring: 64\n"
                                        "          isolation: shared-pool"))
    sr = pf(eng).sriov
    assert sr is not None
    _flood(eng, 0, 40)
    assert sr.rings[0].held == 16 and sr.pool.free == 0
    assert vf(eng, 0).rx_missed_errors == 24
    assert sr.rings[0].stats.pool_empty == 24 and sr.rings[0].stats.ring_full == 0
    trace = eng.trace("ext", IPv4Address("10.0.0.2"))
    # the ARP requests found no descriptor: the neighbour failed, and the trace says why
    cause = trace.cause()
    assert cause is not None and cause.reason is DropReason.VF_POOL_EMPTY
    assert "shared pool of 16 is empty" in trace.verdict()
    assert not ping_ok(eng, "ns2", "10.0.0.2")  # VF to VF inside the NIC starves too
    assert vf(eng, 1).rx_missed_errors >= 1
    # the application drains again: its backlog reaches its stack, the pool refills
    sr.set_vf(0, stalled=False)
    eng.advance(0.01)
    assert sr.pool.free == 16 and vf(eng, 0).rx_packets >= 16
    assert ping_ok(eng, "ext", "10.0.0.2")


def test_shared_pool_caps_a_vf_at_its_ring_too() -> None:
    eng, _ = build(lab_text("0: {stalled: true, ring: 8}",
                            sriov_extra="descriptors: 64\n          isolation: shared-pool"))
    sr = pf(eng).sriov
    assert sr is not None
    _flood(eng, 0, 20)
    assert sr.rings[0].held == 8 and sr.pool.free == 56
    assert sr.rings[0].stats.ring_full == 12
    trace = eng.trace("ext", IPv4Address("10.0.0.2"))
    assert trace.delivered


def test_a_draining_vf_never_fills_its_ring_at_line_rate() -> None:
    eng, _ = build(lab_text(sriov_extra="descriptors: 64\n          ring: 4\n"
                                        "          isolation: per-vf"))
    _flood(eng, 0, 200)
    assert vf(eng, 0).rx_missed_errors == 0 and vf(eng, 0).rx_packets >= 200


def test_max_tx_rate_paces_the_vf_on_virtual_time() -> None:
    eng, _ = build(lab_text("0: {max_tx_rate: 10}"))
    arrivals: list[int] = []
    eng.dev("ext", "eth0").add_tap(lambda ts, data: arrivals.append(ts)
                                   if data[12:14] == b"\x88\xb5" else None)
    v0 = vf(eng, 0)
    frame = _frame(b"\xff" * 6, v0.mac, size=1250)
    eng.inject("ns0", "vf0", frame, 20, 0.0)
    eng.advance(1)
    gaps = {b - a for a, b in zip(arrivals, arrivals[1:], strict=False)}
    assert len(arrivals) == 20
    assert gaps == {wire_time_ns(1250, 10)}  # 10 Mb/s: about 1 ms a frame
    # unshaped, VF 1 leaves at the 10 Gb/s line rate
    arrivals.clear()
    eng.inject("ns1", "vf1", _frame(b"\xff" * 6, vf(eng, 1).mac, size=1250), 20, 0.0)
    gaps = {b - a for a, b in zip(arrivals, arrivals[1:], strict=False)}
    assert gaps == {wire_time_ns(1250, 10000)}


def test_max_tx_rate_backlog_overflows_into_tx_dropped() -> None:
    eng, _ = build(lab_text("0: {max_tx_rate: 1}"))
    v0 = vf(eng, 0)
    eng.inject("ns0", "vf0", _frame(b"\xff" * 6, v0.mac, size=100), 1100, 0.0)
    assert v0.tx_dropped == 1100 - 1001  # one leaving + a queue of 1000


def test_the_cable_runs_at_the_lower_of_the_two_speeds() -> None:
    eng, _ = build(lab_text(pf_extra="speed: 1000"))
    wire = frames_seen(eng, "ext", "eth0")
    times: list[int] = []
    eng.dev("ext", "eth0").add_tap(lambda ts, d: times.append(ts) if d[12:14] == b"\x88\xb5"
                                   else None)
    eng.inject("ns0", "vf0", _frame(b"\xff" * 6, vf(eng, 0).mac, size=1000), 5, 0.0)
    assert len(_ours(wire)) == 5
    assert {b - a for a, b in zip(times, times[1:], strict=False)} == {wire_time_ns(1000, 1000)}
    assert pf(eng).cable is not None and pf(eng).cable.speed == 1000
    assert eng.sched.now > 5 * wire_time_ns(1000, 1000) and S > 0
