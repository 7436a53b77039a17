"""A directory recorded from a kernel lab (tests/snapshot/data/ovs-pipeline: real OVS
tables and flows) -> lab -> the emulator: the original's checks pass the same way, its
observed state is the same; no root."""

from __future__ import annotations

from pathlib import Path

from roundtrip import compare, snapshot_lab

from vnetlab.model.load import load_lab
from vnetlab.snapshot import read_dir, snapshot

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_a_recorded_ovs_lab_behaves_like_the_original() -> None:
    snap = snapshot(read_dir(HERE / "data" / "ovs-pipeline"))
    assert snap.lab["name"] == "ovs-pipeline"  # vnl-ovs-pipeline.NODE -> NODE
    original = load_lab(ROOT / "examples" / "ovs-pipeline.yaml")
    br = snap.lab["nodes"]["host"]["ovs"]["br0"]
    assert br["fail_mode"] == "secure" and br["datapath_type"] == "netdev"
    assert "table=0,priority=200,ip,in_port=p2,nw_dst=10.0.0.11,actions=drop" in br["flows"]
    assert br["groups"]
    # the kernel ran it on the netdev datapath: compare with the original pinned to it
    nodes = dict(original.nodes)
    ovs = {name: b.model_copy(update={"datapath_type": "netdev"})
           for name, b in nodes["host"].ovs.items()}
    nodes["host"] = nodes["host"].model_copy(update={"ovs": ovs})
    # ... and with IPv6 off in every namespace (the linux engine switched it off when this
    # dump was recorded; the snapshot sees no inet6 address, not even lo's ::1)
    assert snap.lab["ipv6"] is False
    pinned = original.model_copy(update={"nodes": nodes, "ipv6": False})
    diff = compare(pinned, snapshot_lab(snap.yaml, pinned))
    assert not diff, "\n".join(diff)
