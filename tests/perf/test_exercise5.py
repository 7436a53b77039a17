"""Exercise 5 in the emulator: its checks pass, and the two paths differ the way its
description says (modelled figures from the shipped cost file)."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest

from vnetlab.api import load, realize, run

EX5 = Path(__file__).resolve().parents[2] / "examples" / "exercise5-sriov.yaml"


def test_exercise5_passes_in_the_emulator() -> None:
    report = run(load(EX5))
    assert report.ok, [(r.subject, r.got, r.detail) for r in report.results
                       if r.status != "pass"]
    assert sum(r.kind == "iperf" for r in report.results) == 4


def test_the_vf_path_skips_the_bridge_and_splits_the_cpu_work() -> None:
    with realize(load(EX5)) as net:
        vf = net.engine.iperf("ns1", IPv4Address("10.0.0.2"))  # type: ignore[attr-defined]
        br = net.engine.iperf("ns1", IPv4Address("10.0.1.2"))  # type: ignore[attr-defined]
    vm, bm = vf.json["modelled"], br.json["modelled"]
    assert vm["path"] == ["vf", "nic", "vf"]
    assert bm["path"] == ["veth", "bridge", "veth"]
    assert [s["runs_on"] for s in vm["segments"]] == ["cpu", "nic", "cpu"]
    assert [s["runs_on"] for s in bm["segments"]] == ["cpu"]
    assert vm["line_rate_bps"] == 25e9 and bm["line_rate_bps"] is None
    # the host CPU the VF path costs per byte is the stack's alone: less than the bridge's
    assert vm["host_cpu_s_per_gbyte"] < bm["host_cpu_s_per_gbyte"]
    assert vf.bits_per_second > br.bits_per_second
    assert vf.bits_per_second <= 25e9 * 1448 / 1538 * 1.001  # never above the line


def test_a_vf_rate_limit_paces_the_sender_like_a_slower_line() -> None:
    from vnetlab.model import load_lab_text

    text = EX5.read_text().replace(
        "sriov: {numvfs: 4}", "sriov: {numvfs: 4, vfs: {0: {max_tx_rate: 1000}}}")
    assert "max_tx_rate" in text
    with realize(load_lab_text(text)) as net:
        tcp = net.engine.iperf("ns1", IPv4Address("10.0.0.2"))  # type: ignore[attr-defined]
        udp = net.engine.iperf("ns1", IPv4Address("10.0.0.2"), udp=True,  # type: ignore[attr-defined]
                               bitrate=5_000_000_000)
        other = net.engine.iperf("ns3", IPv4Address("10.0.0.4"))  # type: ignore[attr-defined]
    # 1000 Mb/s on the wire: 1448 of every 1538 bytes are TCP payload, 1448 of 1514 UDP
    assert tcp.bits_per_second == pytest.approx(1e9 * 1448 / 1538, rel=0.01)
    assert tcp.retransmits == 0
    assert udp.bits_per_second == pytest.approx(1e9 * 1448 / 1514, rel=0.01)
    assert udp.lost_packets == 0
    assert other.bits_per_second > 5 * tcp.bits_per_second  # VF 2 has no limit
