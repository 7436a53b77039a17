"""The decoders on real iproute2 output (tests/snapshot/data/two-ns, see its README) and
the lab they make; no root."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vnetlab.cli.main import cli
from vnetlab.model.load import load_lab, load_lab_text
from vnetlab.snapshot import DumpError, read_dir, snapshot
from vnetlab.snapshot.decode import decode, decode_routes
from vnetlab.snapshot.ovs import flow_line

DATA = Path(__file__).resolve().parent / "data" / "two-ns"


def test_links_peers_and_lowers_are_resolved_across_namespaces() -> None:
    host = decode(read_dir(DATA))
    a, b = host.namespaces["snpx-a"], host.namespaces["snpx-b"]
    assert a.links["v0"].peer == ("snpx-b", "e0")
    assert b.links["e0"].peer == ("snpx-a", "v0")
    assert b.links["mv0"].kind == "macvlan"
    assert b.links["mv0"].lower == ("snpx-a", "br0")
    assert a.links["vx0"].info["port"] == 4789
    assert a.links["v0"].slave["state"] == "forwarding"
    assert a.nsids == {0: "snpx-b"}


def test_the_lab_carries_configuration_and_leaves_kernel_made_things_out() -> None:
    snap = snapshot(read_dir(DATA), name="two-ns")
    lab = load_lab_text(snap.yaml, "snap.yaml")
    a, b = lab.nodes["snpx-a"], lab.nodes["snpx-b"]
    assert set(a.interfaces) == {"br0", "v0", "vx0", "tp0"}  # no lo
    assert [str(x) for x in a.interfaces["br0"].addresses] == ["10.0.0.1/24"]
    vx = a.interfaces["vx0"]
    assert (vx.type, vx.id, vx.dstport, vx.learning) == ("vxlan", 100, 4789, False)
    assert [(f.mac, str(f.dst)) for f in vx.fdb] == [("00:00:00:00:00:00", "10.0.0.9")]
    assert b.interfaces["mv0"].type == "macvlan"
    assert b.interfaces["mv0"].link == "snpx-a:br0"
    # connected and local-table routes are the kernel's: only the default route stays
    assert [(r.dst, str(r.via)) for r in b.routes] == [("default", "10.0.0.1")]
    assert a.routes == []
    assert {tuple(str(x) for x in ln.endpoints) for ln in lab.links} == {
        ("snpx-a:v0", "snpx-b:e0")}
    # a static neighbour has no lab key: it is a setup line; learned ones are not carried
    assert lab.setup.strip() == (
        "ip -n snpx-a neigh replace 10.0.0.5 lladdr 02:00:00:00:00:05 dev br0 nud permanent")
    assert "tp0: a tap device; the program behind it is not carried" in snap.yaml


def test_the_snapshot_is_traced_offline(tmp_path: Path) -> None:
    out = tmp_path / "lab.yaml"
    r = CliRunner().invoke(cli, ["snapshot", "--from-dir", str(DATA), "-o", str(out)])
    assert r.exit_code == 0, r.output
    load_lab(out)
    r = CliRunner().invoke(cli, ["trace", str(out), "--from", "snpx-b", "--to", "10.0.0.1"])
    assert r.exit_code == 0, r.output
    assert "verdict: delivered to snpx-a:br0 (10.0.0.1)" in r.output


def test_host_routes_get_their_prefix_and_defaults_are_iproute2s() -> None:
    r = decode_routes([{"dst": "10.1.2.3", "gateway": "10.0.0.1", "dev": "e0"},
                       {"dst": "10.9.0.0/16", "dev": "e0", "table": "100"}])
    assert (r[0].table, r[0].type, r[0].protocol, r[0].scope) == (
        "main", "unicast", "boot", "global")
    assert r[1].table == "100"


def test_dumped_flows_lose_their_statistics() -> None:
    line = (" cookie=0x0, duration=3.241s, table=0, n_packets=5, n_bytes=420, idle_age=1, "
            "priority=100,in_port=veth1 actions=output:vx0")
    assert flow_line(line) == "table=0,priority=100,in_port=veth1,actions=output:vx0"
    assert flow_line("NXST_FLOW reply (xid=0x4):") is None


def test_bad_input_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "ns1").mkdir()
    (tmp_path / "ns1" / "link.json").write_text("[{oops")
    with pytest.raises(DumpError, match=r"ns1/link.json:1: not JSON"):
        read_dir(tmp_path)
    with pytest.raises(DumpError, match="no namespace directories"):
        read_dir(tmp_path / "ns1")
    r = CliRunner().invoke(cli, ["snapshot", "--from-dir", str(tmp_path)])
    assert r.exit_code == 2
    assert "not JSON" in r.output and "Traceback" not in r.output


def test_the_fixture_is_real_iproute2_json() -> None:
    links = json.loads((DATA / "snpx-a" / "link.json").read_text())
    assert any(ln.get("linkinfo", {}).get("info_kind") == "vxlan" for ln in links)


def test_the_command_wants_exactly_one_source(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["snapshot"])
    assert r.exit_code == 2 and "--from-dir" in r.output
    r = CliRunner().invoke(cli, ["snapshot", "--netns", "x", "--from-dir", str(DATA)])
    assert r.exit_code == 2 and "not both" in r.output


def test_a_bridge_with_a_ports_mac_is_said() -> None:
    snap = snapshot(read_dir(DATA))
    assert "mac" not in snap.lab["nodes"]["snpx-a"]["interfaces"]["br0"]
    assert any("br0: its MAC 1a:8f:d0:93:bf:d0 is its port vx0's" in n for n in snap.notes)
