"""``vnetlab iperf LAB SRC DST``: iperf3's output (modelled), -J, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.clilab import invoke, write
from tests.perf.labs import VETH_BRIDGE


def _lab(tmp_path: Path) -> str:
    return write(tmp_path, VETH_BRIDGE.format(n=9, checks="[]"))


def test_tcp_prints_iperf3s_report_marked_modelled(tmp_path: Path) -> None:
    code, out, _ = invoke("iperf", _lab(tmp_path), "c", "10.0.1.2", "-t", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Connecting to host 10.0.1.2, port 5201"
    assert lines[2] == "[ ID] Interval           Transfer     Bitrate         Retr  Cwnd"
    assert lines[-3] == "iperf Done."
    assert lines[-2].startswith("modelled: figures computed by vnetlab's emulator")
    assert lines[-1].startswith("modelled: path: veth -> bridge -> veth; cost model")


def test_udp_json_is_iperf3s_document(tmp_path: Path) -> None:
    code, out, _ = invoke("iperf", _lab(tmp_path), "a", "10.0.0.2", "-u", "-b", "50M",
                          "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["start"]["test_start"]["protocol"] == "UDP"
    assert doc["end"]["sum"]["lost_packets"] == 0
    assert abs(doc["end"]["sum_received"]["bits_per_second"] - 50e6) < 1e5
    assert doc["modelled"]["path"] == ["veth"]


def test_failures_and_bad_arguments(tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    code, _, err = invoke("iperf", lab, "a", "10.0.1.2")
    assert code == 1
    assert err.strip() == "iperf3: error - unable to connect to server: Network is unreachable"
    code, _, err = invoke("iperf", lab, "a", "10.0.0.2", "-u", "-b", "fast")
    assert code == 2 and "'fast' is not a rate in bits/s" in err
    code, _, err = invoke("iperf", lab, "a", "10.0.0.9")
    assert code == 2 and "no node of this lab holds 10.0.0.9" in err
    code, _, err = invoke("iperf", lab, "a", "nope")
    assert code == 2 and "'nope' is not an IPv4 address" in err
