"""The ``iperf`` check on the real kernel: iperf3 -s -1 / iperf3 -c -J in the lab's own
namespaces, the same verdicts as the emulator's on a veth lab, the server gone after."""

from __future__ import annotations

import os
import shutil
import subprocess
from ipaddress import IPv4Address

import pytest

from vnetlab.api import realize, run
from vnetlab.model import load_lab_text
from vnetlab.model.spec import LabSpec

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(shutil.which("iperf3") is None,
                       reason="iperf3 is not installed (Debian package iperf3)"),
]


def _lab() -> LabSpec:
    return load_lab_text(f"""
name: ip{os.getpid() % 100000}
nodes:
  a: {{interfaces: {{eth0: {{addresses: [10.31.0.1/24]}}}}}}
  b: {{interfaces: {{eth0: {{addresses: [10.31.0.2/24]}}}}}}
links: [{{endpoints: [a:eth0, b:eth0]}}]
checks:
  - {{iperf: a -> 10.31.0.2, time: 1s, min_rate: 10M}}
  - {{iperf: a -> 10.31.0.2, time: 1s, min_rate: 10T}}
  - {{iperf: a -> 10.31.0.2, udp: true, bitrate: 10M, time: 1s, max_loss: 5, min_rate: 5M}}
""")


def _iperf3_pids() -> set[int]:
    r = subprocess.run(["pgrep", "-x", "iperf3"], capture_output=True, text=True,
                       check=False)
    return {int(p) for p in r.stdout.split()}


def test_kernel_and_emulator_agree_on_the_iperf_verdicts() -> None:
    lab = _lab()
    before = _iperf3_pids()
    linux = run(lab, engine="linux")
    assert [r.status for r in linux.results] == ["pass", "fail", "pass"], linux
    assert all(r.detail.startswith("measured") for r in linux.results)
    sim = run(lab)
    assert [r.status for r in sim.results] == [r.status for r in linux.results]
    # every server this run started was stopped (by its pid)
    assert _iperf3_pids() <= before


def test_kernel_iperf_reads_iperf3s_json() -> None:
    lab = _lab()
    with realize(lab, "linux") as net:
        tcp = net.engine.iperf("a", IPv4Address("10.31.0.2"), time_s=1)  # type: ignore[attr-defined]
        udp = net.engine.iperf("a", IPv4Address("10.31.0.2"), udp=True,  # type: ignore[attr-defined]
                               bitrate=20_000_000, length=1000, time_s=1)
    assert not tcp.modelled and tcp.protocol == "TCP" and tcp.errors == ()
    assert tcp.bits_per_second > 1e7 and tcp.mean_rtt_us is not None
    assert tcp.json["start"]["test_start"]["protocol"] == "TCP"  # type: ignore[index]
    assert udp.protocol == "UDP" and udp.packets > 0
    assert udp.json["start"]["test_start"]["blksize"] == 1000  # type: ignore[index]
    assert udp.sent_bps == pytest.approx(20e6, rel=0.1)


def test_an_address_no_node_holds_is_refused_before_anything_runs() -> None:
    from vnetlab.engine import EngineError

    with realize(_lab(), "linux") as net, pytest.raises(EngineError,
                                                        match="no node of this lab holds"):
        net.engine.iperf("a", IPv4Address("10.31.9.9"))  # type: ignore[attr-defined]
