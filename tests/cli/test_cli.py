"""The vnetlab command: exit statuses, messages for bad input, outputs people and scripts read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clilab import CONTAINER_HOST, EXERCISE1, invoke, write

from vnetlab.wire.pcap import read_pcap


def test_run_passes_and_prints_verdicts() -> None:
    code, out, _ = invoke("run", CONTAINER_HOST)
    assert code == 0
    assert "ping a -> 192.168.1.3" in out
    assert "9 passed, 0 failed" in out


def test_run_json_lists_every_check() -> None:
    code, out, _ = invoke("run", EXERCISE1, "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True
    assert [r["status"] for r in data["results"]] == ["pass"] * len(data["results"])
    assert {r["kind"] for r in data["results"]} == {"ping", "frames", "fdb", "trace"}


def test_failing_check_exits_1(tmp_path: Path) -> None:
    lab = write(tmp_path, """
name: fails
nodes:
  a: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}
  b: {interfaces: {eth0: {addresses: [10.0.0.2/24]}}}
links: [{endpoints: [a:eth0, b:eth0]}]
checks:
  - ping: a -> 10.0.0.2
  - {ping: a -> 10.0.0.2, expect: unreachable}
""")
    code, out, _ = invoke("run", lab, "--json")
    data = json.loads(out)
    assert code == 1
    assert [r["status"] for r in data["results"]] == ["pass", "fail"]


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("name: x\nnodes:\n  a:\n    interfaces:\n      eth0: {adresses: [10.0.0.1/24]}\n",
         ["lab.yaml:5", "nodes.a.interfaces.eth0.adresses", "did you mean 'addresses'"]),
        ("name: x\nnodes:\n  a:\n    interfaces:\n"
         "      br0: {type: bridge, addresses: [10.0.0.300/24]}\n",
         ["lab.yaml:5", "addresses[0]", "10.0.0.300/24"]),
        ("name: x\nnodes:\n  a:\n    interfaces:\n      averyveryverylong0: {type: bridge}\n",
         ["lab.yaml:5", "at most 15"]),
        ("name: x\nnodes:\n  a: {}\nlinks:\n  - endpoints: [a:eth0, ghost:eth0]\n",
         ["lab.yaml:5", "ghost"]),
        ("name: x\nnodes:\n  a: {}\n  a: {}\n", ["lab.yaml:4", "duplicate"]),
        ("name: x\nnodes: [\n", ["lab.yaml"]),
    ],
    ids=["unknown-key", "bad-cidr", "long-name", "dangling-node", "duplicate-key", "yaml-syntax"],
)
def test_bad_input_exits_2_with_where_and_what(
    tmp_path: Path, text: str, needles: list[str]
) -> None:
    code, out, err = invoke("run", write(tmp_path, text))
    assert code == 2
    assert out == ""
    for needle in needles:
        assert needle in err, err
    assert "Traceback" not in err


def test_stp_lab_runs_on_the_emulator(tmp_path: Path) -> None:
    # issue 12: STP is emulated now (was refused with exit 2)
    text = "name: x\nnodes:\n  h:\n    interfaces:\n      br0: {type: bridge, stp: true}\n"
    lab = write(tmp_path, text)
    code, _, err = invoke("run", lab)
    assert code == 0, err
    assert "Traceback" not in err


def test_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = invoke("run", str(tmp_path / "nope.yaml"))
    assert code == 2 and "no such file" in err


def test_unknown_node_and_bad_ip_exit_2() -> None:
    code, _, err = invoke("trace", CONTAINER_HOST, "--from", "zz", "--to", "192.168.1.3")
    assert code == 2 and "no node 'zz'" in err
    code, _, err = invoke("trace", CONTAINER_HOST, "--from", "a", "--to", "192.168.1")
    assert code == 2 and "not an IPv4 address" in err


def test_trace_text_and_json() -> None:
    code, out, _ = invoke("trace", CONTAINER_HOST, "--from", "a", "--to", "192.0.2.254")
    assert code == 0
    assert out.splitlines()[-1] == "verdict: delivered to internet:eth0 (192.0.2.254)"
    assert "host: forward 192.168.1.2 -> 192.0.2.254" in out
    code, out, _ = invoke("trace", CONTAINER_HOST, "--from", "a", "--to", "198.51.100.7", "--json")
    data = json.loads(out)
    assert code == 1 and data["delivered"] is False
    assert data["verdict"].startswith("dropped at host: no route to 198.51.100.7")


def test_ping_prints_like_iputils() -> None:
    code, out, _ = invoke("ping", CONTAINER_HOST, "a", "192.0.2.254", "-c", "2")
    assert code == 0
    assert "2 packets transmitted, 2 received, 0% packet loss" in out
    code, out, _ = invoke("ping", CONTAINER_HOST, "a", "198.51.100.7", "-c", "1")
    assert code == 1
    assert "From 192.168.1.1 icmp_seq=1 Destination Net Unreachable" in out


def test_show_json_after_checks_has_learned_fdb() -> None:
    code, out, _ = invoke("show", CONTAINER_HOST, "--after-checks", "--json")
    assert code == 0
    host = json.loads(out)["nodes"]["host"]
    learned = [f for f in host["fdb"] if not f["flags"]]
    assert {f["port"] for f in learned} == {"veth0a", "veth0b"}
    assert any(r["dst"] == "192.168.1.0/24" and r["proto"] == "kernel" for r in host["routes"])


def test_capture_writes_one_pcap_per_interface(tmp_path: Path) -> None:
    out_dir = tmp_path / "caps"
    code, out, _ = invoke("capture", EXERCISE1, "host:veth2", "host:veth3", "-o", str(out_dir))
    assert code == 0
    v2 = read_pcap(out_dir / "host-veth2.pcap")
    v3 = read_pcap(out_dir / "host-veth3.pcap")

    def igmp(frame: bytes) -> bool:  # br0's own reports (it joins 224.0.0.106)
        return frame[12:14] == b"\x08\x00" and frame[23] == 2

    # only the flooded ARP request (br0's IGMP joins went out during bring-up, before
    # the capture started)
    assert len(v3) == 1 and v3[0][1][12:14] == b"\x08\x06"
    assert not [f for _, f in v2 if igmp(f)]
    assert len(v2) > len(v3)
    code, _, err = invoke("capture", EXERCISE1, "host:nope", "-o", str(out_dir))
    assert code == 2 and "host:nope" in err


def test_schema_is_json_schema() -> None:
    code, out, _ = invoke("schema")
    data = json.loads(out)
    assert code == 0 and "$schema" in data and "nodes" in data["properties"]
