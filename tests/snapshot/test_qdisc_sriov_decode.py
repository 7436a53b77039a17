"""The qdisc and SR-IOV decoders on recorded JSON.

- ``tc -j qdisc show``: tbf and htb as the real tc 6.1 printed them here (a namespace
  with a veth pair, recorded 2026-12-03); netem (this kernel has none) as iproute2's
  ``netem_print_opt`` (q_netem.c) prints it, which the emulator's tc reproduces: each
  decoded line, applied in the emulator, prints the same options again (a fixpoint).
- SR-IOV: ``vfinfo_list`` (``print_vfinfo``) -> VfSettings, and the collection
  script's sysfs part on a fake sysfs tree (a PF with two VFs, one of them here).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from emucollect import collect

from vnetlab.model.load import load_lab, load_lab_text
from vnetlab.script.interp import Interpreter
from vnetlab.snapshot import snapshot
from vnetlab.snapshot.dumps import NamespaceDump
from vnetlab.snapshot.qdisc import decode_qdiscs
from vnetlab.snapshot.tolab import vf_settings

ROOT = Path(__file__).resolve().parents[2]

#: `tc -j qdisc show` in a namespace here (iproute2 6.1, kernel 6.18) after
#: `tc qdisc add dev d0 root tbf rate 20mbit burst 32kb latency 50ms` and
#: `tc qdisc add dev d1 root htb default 10 r2q 5`
KERNEL_TC = json.loads(
    '[{"kind":"htb","handle":"8023:","dev":"d1","root":true,"refcnt":3,"options":{"r2q":5,'
    '"default":"0x10","direct_packets_stat":0,"direct_qlen":1000}},{"kind":"tbf",'
    '"handle":"8022:","dev":"d0","root":true,"refcnt":3,"options":{"rate":2500000,'
    '"burst":32767,"lat":50000}}]')

LAB = """
name: q
nodes:
  a: {}
  b: {}
links:
  - {endpoints: [a:d0, b:e0]}
  - {endpoints: [a:d1, b:e1]}
"""


def _emulator_qdiscs(lines: list[str]) -> list[dict[str, Any]]:
    """LINES applied in node a of the emulator, then its `tc -j qdisc show`."""
    out: list[str] = []
    err: list[str] = []
    it = Interpreter(lab=load_lab_text(LAB, "q.yaml"), out=out.append, err=err.append,
                     source="t")
    for line in lines:
        assert it.run_text(f"ip netns exec a tc {line}", finish=False) == 0, err
    out.clear()
    assert it.run_text("ip netns exec a tc -j qdisc show", finish=False) == 0, err
    return [q for q in json.loads("\n".join(out)) if q["kind"] != "noqueue"]


def _opts(qs: list[dict[str, Any]]) -> dict[str, tuple[str, Any]]:
    return {q["dev"]: (q["kind"], q["options"]) for q in qs}


def test_the_kernels_tbf_and_htb_decode_to_lines_the_emulator_prints_back_alike() -> None:
    lines, notes = decode_qdiscs(KERNEL_TC)
    assert lines == ["qdisc add dev d1 root htb r2q 5 default 10",
                     "qdisc add dev d0 root tbf rate 2500000bps burst 32767b latency 50000us"]
    assert notes == []
    emu = _opts(_emulator_qdiscs(lines))
    kernel = _opts(KERNEL_TC)
    assert emu["d1"] == kernel["d1"]
    kind, opts = emu["d0"]
    assert kind == "tbf" and opts["rate"] == 2500000
    # tc_calc_xmittime works in microseconds: the burst (a transmit time in the kernel)
    # comes back within a microsecond's bytes at this rate, per conversion (two here)
    assert abs(opts["burst"] - 32767) <= 2 * 2500000 // 1_000_000 + 1
    assert abs(opts["lat"] - 50000) <= 2


NETEM = [
    "delay 40ms 5ms loss 1%",
    "delay 100ms 10ms 25% loss 0.3% 25%",
    "delay 10ms reorder 25% 50% gap 5",
    "duplicate 1% corrupt 0.1% 5%",
    "rate 1mbit 4 64 limit 500",
    "rate 10mbit -20",
    "delay 1ms slot 800us 1ms packets 16 bytes 2000",
    "loss state 1% 10% 20% 30% 40%",
    "loss gemodel 1% 10% 70% 0.1%",
    "delay 2ms loss 1% ecn",
]


@pytest.mark.parametrize("opts", NETEM)
def test_netem_json_decodes_to_a_line_that_prints_the_same_json(opts: str) -> None:
    """q_netem.c's JSON (the emulator prints it as netem_print_opt does) -> a line ->
    applied again -> the same JSON: nothing netem prints is lost on the way."""
    first = _emulator_qdiscs([f"qdisc add dev d0 root netem {opts}"])
    lines, notes = decode_qdiscs(first)
    assert len(lines) == 1 and lines[0].startswith("qdisc add dev d0 root netem ")
    assert any("random state is not carried" in n for n in notes)
    again = _emulator_qdiscs(lines)
    assert _opts(again) == _opts(first)


def test_kernel_defaults_are_left_out_and_what_is_not_carried_is_said() -> None:
    data = [
        {"kind": "noqueue", "handle": "0:", "dev": "lo", "root": True, "options": {}},
        {"kind": "pfifo_fast", "handle": "0:", "dev": "eth0", "root": True, "options": {}},
        {"kind": "mq", "handle": "0:", "dev": "eth1", "root": True, "options": {}},
        {"kind": "fq_codel", "handle": "0:", "dev": "eth1", "parent": ":1", "options": {}},
        {"kind": "ingress", "handle": "ffff:", "dev": "eth0", "parent": "ffff:fff1",
         "options": {}},
        {"kind": "sfq", "handle": "10:", "dev": "eth0", "parent": "1:10", "options": {}},
        {"kind": "cake", "handle": "8001:", "dev": "eth2", "root": True, "options": {}},
        {"kind": "tbf", "handle": "8002:", "dev": "eth3", "root": True,
         "options": {"rate": 0, "burst": 1, "lat": 1}},
    ]
    lines, notes = decode_qdiscs(data)
    assert lines == []
    assert notes[0] == "eth0: qdisc ingress not carried (no tc filters in the lab)"
    assert notes[1] == "eth0: qdisc sfq 10: under parent 1:10 not carried (only root qdiscs)"
    assert notes[2] == "eth2: root qdisc cake not carried (the lab has netem, tbf, htb)"
    assert notes[3].startswith("eth3: qdisc add dev eth3 root tbf rate 0bps") and \
        "not carried" in notes[3]


def test_impaired_wan_snapshot_carries_its_netem_lines_and_says_what_it_cannot() -> None:
    lab = load_lab(ROOT / "examples" / "impaired-wan.yaml")
    snap = snapshot(collect(lab), name=lab.name)
    assert snap.lab["nodes"]["site1"]["tc"] == [
        "qdisc add dev wan0 root netem delay 40000us 5000us loss 1%"]
    assert any("netem's random state" in ln for ln in snap.yaml.splitlines()
               if ln.startswith("#"))


def test_vfinfo_entries_decode_to_vf_settings() -> None:
    """print_vfinfo's JSON (iproute2 6.1 ip/ipaddress.c): defaults give nothing."""
    assert vf_settings({"vf": 0, "address": "00:00:00:00:00:00", "vlan_list": [{}],
                        "rate": {"max_tx": 0, "min_tx": 0}, "spoofchk": True,
                        "link_state": "auto", "trust": False, "query_rss_en": False}) == {}
    assert vf_settings({"vf": 1, "address": "02:00:00:00:00:11",
                        "vlan_list": [{"vlan": 100, "qos": 3, "protocol": "802.1ad"}],
                        "rate": {"max_tx": 500, "min_tx": 100}, "spoofchk": False,
                        "link_state": "disable", "trust": True, "query_rss_en": True}) == {
        "mac": "02:00:00:00:00:11", "vlan": 100, "qos": 3, "proto": "802.1ad",
        "max_tx_rate": 500, "min_tx_rate": 100, "spoofchk": False, "trust": True,
        "state": "disable", "query_rss": True}
    # an older kernel/iproute2: legacy vlan/qos and tx_rate at the top level
    assert vf_settings({"vf": 2, "vlan": 5, "qos": 1, "tx_rate": 200}) == {
        "vlan": 5, "qos": 1, "max_tx_rate": 200}


def _link(ifindex: int, name: str, mac: str, **extra: Any) -> dict[str, Any]:
    return {"ifindex": ifindex, "ifname": name, "flags": ["BROADCAST", "UP"], "mtu": 1500,
            "operstate": "UP", "link_type": "ether", "address": mac, **extra}


def test_sriov_across_namespaces_from_vfinfo_and_sysfs() -> None:
    vfinfo = [{"vf": 0, "address": "00:00:00:00:00:00"},
              {"vf": 1, "address": "02:00:00:00:00:21", "vlan_list": [{"vlan": 7}]}]
    host = NamespaceDump(
        name="host", is_host=True,
        links=[_link(2, "enp3s0f0", "02:00:00:00:00:01", vfinfo_list=vfinfo),
               _link(5, "enp3s0f0v0", "02:00:00:00:00:20")],
        sriov=[{"ifname": "enp3s0f0", "pci": "0000:03:00.0", "speed": 25000,
                "sriov_totalvfs": 8, "sriov_numvfs": 2},
               {"ifname": "enp3s0f0v0", "pci": "0000:03:10.0", "physfn": "0000:03:00.0",
                "vf": 0}])
    app = NamespaceDump(
        name="app", links=[_link(6, "net1", "02:00:00:00:00:21")],
        sriov=[{"ifname": "net1", "pci": "0000:03:10.2", "physfn": "0000:03:00.0", "vf": 1}])
    snap = snapshot([host, app], name="s")
    nodes = snap.lab["nodes"]
    assert nodes["host"]["interfaces"]["enp3s0f0"] == {
        "type": "nic", "speed": 25000,
        "sriov": {"numvfs": 2, "vfs": {1: {"mac": "02:00:00:00:00:21", "vlan": 7}}},
        "mac": "02:00:00:00:00:01"}
    assert nodes["host"]["interfaces"]["enp3s0f0v0"] == {
        "type": "vf", "link": "enp3s0f0", "vf": 0, "mac": "02:00:00:00:00:20"}
    # its MAC is the PF's administrative one for VF 1: carried there, not twice
    assert nodes["app"]["interfaces"]["net1"] == {"type": "vf", "link": "host:enp3s0f0",
                                                  "vf": 1}
    assert any("no `wire`" in n for n in snap.notes)
    load_lab_text(snap.yaml, "s.yaml")  # the lab loads (resolve checks VFs against PFs)


def test_without_sysfs_a_pf_keeps_its_vfs_and_a_vf_netdev_is_not_recognised() -> None:
    host = NamespaceDump(name="host", is_host=True, links=[
        _link(2, "eth0", "02:00:00:00:00:01", vfinfo_list=[{"vf": 0}, {"vf": 1}, {"vf": 2}]),
        _link(3, "eth0v0", "02:00:00:00:00:20")])
    snap = snapshot([host], name="s")
    ifaces = snap.lab["nodes"]["host"]["interfaces"]
    assert ifaces["eth0"]["sriov"] == {"numvfs": 3}
    assert ifaces["eth0v0"]["type"] == "nic"  # nothing says it is a VF: a NIC port
    assert "host:eth0: sriov_totalvfs not collected; taken as 8" in snap.notes


def _fake_sysfs(root: Path) -> None:
    dev = root / "devices"
    for d in ("0000:03:00.0", "0000:03:10.0", "0000:03:10.2"):
        (dev / d).mkdir(parents=True)
    (dev / "0000:03:00.0" / "sriov_totalvfs").write_text("8\n")
    (dev / "0000:03:00.0" / "sriov_numvfs").write_text("2\n")
    (dev / "0000:03:00.0" / "virtfn0").symlink_to("../0000:03:10.0")
    (dev / "0000:03:00.0" / "virtfn1").symlink_to("../0000:03:10.2")
    (dev / "0000:03:10.2" / "physfn").symlink_to("../0000:03:00.0")
    for name, pci in (("enp3s0f0", "0000:03:00.0"), ("vf1", "0000:03:10.2"), ("veth0", None)):
        d = root / "class" / "net" / name
        d.mkdir(parents=True)
        if pci:
            (d / "device").symlink_to(f"../../../devices/{pci}")
    (root / "class" / "net" / "enp3s0f0" / "speed").write_text("25000\n")


def test_the_collection_scripts_sysfs_part_on_a_fake_tree(tmp_path: Path) -> None:
    _fake_sysfs(tmp_path)
    r = subprocess.run(["sh", str(ROOT / "scripts" / "collect-snapshot.sh"), "--sriov-json"],
                       env={**os.environ, "SYSFS": str(tmp_path)}, capture_output=True,
                       text=True, timeout=30, check=True)
    assert json.loads(r.stdout) == [
        {"ifname": "enp3s0f0", "pci": "0000:03:00.0", "speed": 25000, "sriov_totalvfs": 8,
         "sriov_numvfs": 2},
        {"ifname": "vf1", "pci": "0000:03:10.2", "physfn": "0000:03:00.0", "vf": 1}]


def test_the_live_dumper_runs_the_same_sysfs_snippet_as_the_script() -> None:
    from vnetlab.kernel.dump import SRIOV_SH

    assert SRIOV_SH in (ROOT / "scripts" / "collect-snapshot.sh").read_text()
