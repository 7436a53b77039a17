"""The emulator's iperf app: its arithmetic on known paths, UDP loss beyond capacity,
the window/RTT bound, determinism and its iperf3-shaped report."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from tests.perf.labs import costs, lab
from vnetlab.api import realize
from vnetlab.engine import IperfResult
from vnetlab.sim.apps.iperf import MAX_SAMPLE_FRAMES, Iperf
from vnetlab.sim.engine import SimEngine

MSS = 1448
FRAME = 1514  # a full TCP segment with timestamps on the wire


def _run(cost_kinds: dict[str, dict[str, object]], src: str, dst: str,
         **kw: object) -> IperfResult:
    with realize(lab()) as net:
        eng = net.engine
        assert isinstance(eng, SimEngine)
        app = Iperf(eng.ns(src), next(ns for ns in eng.namespaces.values()
                                      if int(IPv4Address(dst)) in ns.local_ips),
                    IPv4Address(dst), eng.namespaces, costs=costs(**cost_kinds),
                    **kw)  # type: ignore[arg-type]
        return app.run()


def test_udp_rate_is_one_datagram_per_sender_cost() -> None:
    # 1000 ns per packet on the only (software) segment: 1e6 datagrams/s of 1448 bytes
    r = _run({"stack": {"packet_ns": 1000}}, "a", "10.0.0.2", udp=True, bitrate=0,
             time_s=1.0)
    assert r.errors == ()
    assert r.modelled and r.protocol == "UDP"
    assert r.packets == 1_000_000 and r.lost_packets == 0
    assert r.bits_per_second == pytest.approx(1448 * 8 * 1e6, rel=1e-6)


def test_udp_below_capacity_runs_at_the_bitrate_without_loss() -> None:
    r = _run({"stack": {"packet_ns": 1000}}, "a", "10.0.0.2", udp=True,
             bitrate=100_000_000, time_s=2.0)
    assert r.lost_packets == 0
    assert r.bits_per_second == pytest.approx(100e6, rel=0.001)


def test_tcp_rate_is_the_per_byte_cost_of_the_path() -> None:
    # stack 0.5 ns/B + veth 0.5 ns/B: 1514 ns per full frame -> 1448*8 bits per 1514 ns
    r = _run({"stack": {"byte_ns": 0.5}, "veth": {"byte_ns": 0.5}}, "a", "10.0.0.2",
             time_s=1.0)
    assert r.errors == () and r.protocol == "TCP"
    assert r.bits_per_second == pytest.approx(MSS * 8 / FRAME * 1e9, rel=0.01)


def test_tcp_per_packet_cost_is_paid_once_per_gso_super_packet() -> None:
    # 45 MSS per 64 KB GSO skb: 45000 ns per skb is 1000 ns per frame
    r = _run({"stack": {"packet_ns": 45_000}}, "a", "10.0.0.2", time_s=1.0)
    assert r.bits_per_second == pytest.approx(MSS * 8 / 1000e-9, rel=0.01)
    # a kind without GSO (OVS's userspace datapath) pays it per frame
    r2 = _run({"stack": {"packet_ns": 45_000, "gso": False}}, "a", "10.0.0.2", time_s=1.0)
    assert r2.bits_per_second == pytest.approx(MSS * 8 / 45_000e-9, rel=0.01)


def test_the_bridge_path_costs_more_than_the_veth_path() -> None:
    k = {"stack": {"byte_ns": 0.3}, "veth": {"byte_ns": 0.1}, "bridge": {"byte_ns": 0.2}}
    veth = _run(k, "a", "10.0.0.2")
    bridge = _run(k, "c", "10.0.1.2")
    assert veth.json["modelled"]["path"] == ["veth"]  # type: ignore[index]
    assert bridge.json["modelled"]["path"] == ["veth", "bridge", "veth"]  # type: ignore[index]
    # 0.4 vs 0.7 ns per byte
    assert veth.bits_per_second / bridge.bits_per_second == pytest.approx(0.7 / 0.4, rel=0.02)


def test_tcp_is_window_bound_when_the_window_is_below_the_bandwidth_delay_product() -> None:
    # 500 us one way: rtt ~1 ms; a 64 KB window (45 segments) then allows ~0.52 Gb/s
    r = _run({"stack": {"byte_ns": 0.1, "latency_ns": 500_000}}, "a", "10.0.0.2",
             window=65536, time_s=1.0)
    assert r.mean_rtt_us is not None and 1000 <= r.mean_rtt_us < 1100
    want = (65536 // MSS) * MSS * 8 / (r.mean_rtt_us * 1e-6)
    assert r.bits_per_second == pytest.approx(want, rel=0.05)
    # the same path with the default (4 MB) window is bounded by the CPU instead
    fast = _run({"stack": {"byte_ns": 0.1, "latency_ns": 500_000}}, "a", "10.0.0.2")
    assert fast.bits_per_second > 10 * r.bits_per_second


def _receiver_bound() -> dict[str, dict[str, object]]:
    # veth as if it were a NIC hop: the bridge then runs on the receiver's side, 2 us per
    # packet (no GSO, so TCP pays it per frame too): the receiver takes ~500 k frames/s
    # while the sender could send 20 M/s
    return {"stack": {"packet_ns": 100}, "veth": {"runs_on": "nic"},
            "bridge": {"packet_ns": 2000, "gso": False}}


def test_udp_above_capacity_loses_what_the_receiver_cannot_take() -> None:
    capacity = 500_000 * 1448 * 8  # 5.79 Gb/s
    r = _run(_receiver_bound(), "c", "10.0.1.2", udp=True, bitrate=2 * capacity)
    assert r.lost_percent == pytest.approx(50, abs=3)
    assert r.bits_per_second == pytest.approx(capacity, rel=0.05)
    ok = _run(_receiver_bound(), "c", "10.0.1.2", udp=True, bitrate=capacity // 2)
    assert ok.lost_packets == 0


def test_tcp_over_the_receiver_bound_path_follows_the_ack_clock() -> None:
    r = _run(_receiver_bound(), "c", "10.0.1.2", window=256 * 1024)
    assert r.retransmits == 0  # the window, not loss, holds the sender back
    assert r.bits_per_second == pytest.approx(MSS * 8 / 2.05e-6, rel=0.05)


def test_line_rate_bounds_a_path_through_a_wire() -> None:
    from vnetlab.sim.apps import iperf as app

    # veth ends standing in for a 1 Gb/s NIC (line_rate_bps reads ``speed``)
    with realize(lab()) as net:
        eng = net.engine
        assert isinstance(eng, SimEngine)
        dev = eng.dev("a", "eth0")
        setattr_ok = hasattr(dev, "speed")
        assert not setattr_ok  # veth has no wire
        assert app.line_rate_bps(dev) is None


def test_two_runs_are_identical() -> None:
    def once() -> tuple[str, object]:
        with realize(lab()) as net:
            r = net.engine.iperf("c", IPv4Address("10.0.1.2"), udp=True,  # type: ignore[attr-defined]
                                 bitrate=2_000_000_000, time_s=1.0)
            t = net.engine.iperf("c", IPv4Address("10.0.1.2"), time_s=1.0)  # type: ignore[attr-defined]
        return r.text + t.text, (r.json, t.json)

    assert once() == once()


def test_the_sample_is_bounded_and_said_to_be_modelled() -> None:
    with realize(lab()) as net:
        r = net.engine.iperf("a", IPv4Address("10.0.0.2"), time_s=30.0)  # type: ignore[attr-defined]
    assert "modelled: figures computed by vnetlab's emulator, not measured" in r.text
    assert f"{MAX_SAMPLE_FRAMES} frames simulated" in r.text
    assert r.json["start"]["version"] == "vnetlab iperf (modelled)"  # type: ignore[index]
    assert r.seconds == 30.0


def test_an_unreachable_server_is_iperf3s_connect_error() -> None:
    with realize(lab()) as net:
        r = net.engine.iperf("a", IPv4Address("10.0.1.2"), time_s=1.0)  # type: ignore[attr-defined]
    assert r.errors == ("iperf3: error - unable to connect to server: "
                        "Network is unreachable",)
