"""Differential: the emulated ``ovs-ofctl`` against OVS 3.1's on a private real
ovs-vswitchd, line for line (durations and ages aside)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.openflow.corpus import BAD_FLOWS, BAD_GROUPS, GOOD_FLOWS, GOOD_GROUPS
from tests.openflow.oflab import Emulated, Oracle, strip_ages


@pytest.fixture
def both(oracle: Oracle) -> tuple[Emulated, Oracle]:
    emu, ovs = Emulated(), oracle
    for side in (emu, ovs):
        side.ofctl("del-groups", "br0")
        side.ofctl("del-flows", "br0")
        assert side.ofctl("add-group", "br0", "group_id=1,type=all,bucket=output:1").status == 0
    return emu, ovs


def same(emu: Emulated, ovs: Oracle, *argv: str) -> None:
    a, b = emu.ofctl(*argv), ovs.ofctl(*argv)
    assert (a.status, a.stderr) == (b.status, b.stderr), argv
    assert strip_ages(a.stdout) == strip_ages(b.stdout), argv


@pytest.mark.parametrize("flow", GOOD_FLOWS + BAD_FLOWS)
def test_add_flow_then_dump(both: tuple[Emulated, Oracle], flow: str) -> None:
    emu, ovs = both
    same(emu, ovs, "add-flow", "br0", flow)
    same(emu, ovs, "dump-flows", "br0")
    same(emu, ovs, "--no-stats", "dump-flows", "br0")
    same(emu, ovs, "--names", "dump-flows", "br0")


def sorted_lines(text: str) -> list[str]:
    """Header first, then the rest sorted: OVS lists rules of one subtable (and groups) in
    hash order."""
    lines = strip_ages(text).splitlines()
    return lines[:1] + sorted(lines[1:])


def same_set(emu: Emulated, ovs: Oracle, *argv: str) -> None:
    a, b = emu.ofctl(*argv), ovs.ofctl(*argv)
    assert (a.status, a.stderr) == (b.status, b.stderr), argv
    assert sorted_lines(a.stdout) == sorted_lines(b.stdout), argv


@pytest.mark.parametrize("group", GOOD_GROUPS + BAD_GROUPS)
def test_add_group_then_dump(both: tuple[Emulated, Oracle], group: str) -> None:
    emu, ovs = both
    same(emu, ovs, "add-group", "br0", group)
    same_set(emu, ovs, "dump-groups", "br0")
    same_set(emu, ovs, "--names", "dump-groups", "br0")


def test_all_groups_then_flows_using_them(both: tuple[Emulated, Oracle]) -> None:
    emu, ovs = both
    for g in GOOD_GROUPS[1:]:
        same(emu, ovs, "add-group", "br0", g)
    same(emu, ovs, "add-group", "br0", GOOD_GROUPS[0])   # group 1 exists: OFPT_ERROR
    same(emu, ovs, "mod-group", "br0", "group_id=1,type=select,bucket=output:3")
    same(emu, ovs, "mod-group", "br0", "group_id=99,type=all,bucket=output:1")
    for gid in ("1", "2", "7"):
        same(emu, ovs, "dump-groups", "br0", gid)
    same(emu, ovs, "add-flow", "br0", "priority=5,actions=group:2")
    same(emu, ovs, "add-flow", "br0", "priority=6,actions=group:3")
    same(emu, ovs, "del-groups", "br0", "group_id=2")
    same_set(emu, ovs, "dump-flows", "br0")
    same_set(emu, ovs, "dump-groups", "br0")
    same(emu, ovs, "del-groups", "br0")
    same(emu, ovs, "dump-groups", "br0")
    same(emu, ovs, "dump-flows", "br0")


FLOW_TABLE = [
    "table=0,priority=100,in_port=p1,actions=output:p2",
    "table=0,priority=90,in_port=p2,actions=output:p1,output:p3",
    "table=0,priority=10,ip,actions=resubmit(,1)",
    "table=0,cookie=0x10,priority=5,arp,actions=NORMAL",
    "table=1,cookie=0x11,priority=50,ip,nw_dst=10.0.0.0/24,actions=output:3",
    "table=1,cookie=0x12,priority=40,tcp,tp_dst=80,actions=drop",
    "table=2,reg0=1,actions=output:1",
]


def test_modify_delete_and_filters(both: tuple[Emulated, Oracle]) -> None:
    emu, ovs = both
    for f in FLOW_TABLE:
        same(emu, ovs, "add-flow", "br0", f)
    for filt in ("table=1", "in_port=p1", "out_port=3", "cookie=0x10/-1", "ip",
                 "table=1,ip,nw_dst=10.0.0.0/24", "reg0=1", "out_port=p1"):
        same_set(emu, ovs, "dump-flows", "br0", filt)
        same_set(emu, ovs, "--names", "dump-flows", "br0", filt)
        same(emu, ovs, "dump-aggregate", "br0", filt)
    same(emu, ovs, "--strict", "dump-flows", "br0", "in_port=1")
    same(emu, ovs, "mod-flows", "br0", "table=1,actions=output:2")
    same(emu, ovs, "--strict", "mod-flows", "br0", "table=0,priority=100,in_port=1,actions=3")
    same(emu, ovs, "mod-flows", "br0", "in_port=7,actions=3")       # adds
    same(emu, ovs, "mod-flows", "br0", "cookie=0x10/0xff,actions=output:2")
    same(emu, ovs, "mod-flows", "br0", "cookie=0x99/-1,actions=output:2")   # no add
    same_set(emu, ovs, "dump-flows", "br0")
    same(emu, ovs, "del-flows", "br0", "out_port=1")
    same_set(emu, ovs, "dump-flows", "br0")
    same(emu, ovs, "--strict", "del-flows", "br0", "priority=90,in_port=2")
    same(emu, ovs, "--strict", "del-flows", "br0", "in_port=7")
    same(emu, ovs, "del-flows", "br0", "table=1")
    same_set(emu, ovs, "dump-flows", "br0")
    same(emu, ovs, "del-flows", "br0", "cookie=0x10/0xf0")
    same_set(emu, ovs, "dump-flows", "br0")
    same(emu, ovs, "del-flows", "br0")
    same(emu, ovs, "dump-flows", "br0")


def test_add_flows_file_and_command_errors(both: tuple[Emulated, Oracle], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    emu, ovs = both
    monkeypatch.chdir(tmp_path)     # relative names: the same argv live and replayed
    good = Path("flows.txt")
    good.write_text("# a comment\n\npriority=9,actions=1\nadd table=1,actions=2\n"
                    "  ip actions=3  \nmodify table=1,actions=4\ndelete priority=9\n")
    bad = Path("bad.txt")
    bad.write_text("priority=9,actions=1\n# c\n\nbogus=1,actions=1\n")
    same(emu, ovs, "add-flows", "br0", str(good))
    same_set(emu, ovs, "dump-flows", "br0")
    same(emu, ovs, "add-flows", "br0", str(bad))
    same(emu, ovs, "add-flows", "br0", "/nonexistent/flows")
    for argv in (["dump-flows", "br9"], ["bogus", "br0"], ["add-flow", "br0"], ["add-flow"],
                 ["dump-flows"], ["add-flow", "br0", "actions=1", "extra"],
                 ["-O", "OpenFlow99", "dump-flows", "br0"], ["--bogus", "dump-flows", "br0"],
                 ["del-flows", "br0", "actions=1"], ["del-flows", "br0", "priority=5"],
                 ["--strict", "dump-flows", "br0", "priority=5"],
                 ["dump-ports", "br0", "1"], ["dump-ports", "br0", "9"],
                 ["dump-groups", "br0", "99"]):
        same(emu, ovs, *argv)


def test_openflow13_dumps(both: tuple[Emulated, Oracle]) -> None:
    emu, ovs = both
    for f in ("priority=5,in_port=1,actions=2", "table=1,ip,actions=mod_nw_src:1.2.3.4,3",
              "dl_vlan=5,actions=mod_vlan_vid:7,strip_vlan,resubmit(,2)",
              "udp,actions=mod_tp_src:5,mod_dl_src:00:00:00:00:00:01,goto_table:4"):
        same(emu, ovs, "add-flow", "br0", f)
        same(emu, ovs, "-O", "OpenFlow13", "add-flow", "br0", "table=3," + f.replace(
            "table=1,", "").replace("strip_vlan", "pop_vlan"))
    same_set(emu, ovs, "-O", "OpenFlow13", "dump-flows", "br0")
    same_set(emu, ovs, "dump-flows", "br0")
    same_set(emu, ovs, "-O", "OpenFlow13", "dump-groups", "br0")


def test_show_and_dump_ports_shape(both: tuple[Emulated, Oracle]) -> None:
    """Same lines but for MACs/dpid, which the dummy netdevs pick at random."""
    import re
    emu, ovs = both
    hexes = re.compile(r"addr:[0-9a-f:]{17}|dpid:[0-9a-f]{16}")
    for argv in (["show", "br0"], ["-O", "OpenFlow13", "show", "br0"]):
        a, b = emu.ofctl(*argv), ovs.ofctl(*argv)
        assert hexes.sub("X", a.stdout) == hexes.sub("X", b.stdout)
    a, b = emu.ofctl("dump-ports", "br0"), ovs.ofctl("dump-ports", "br0")
    assert sorted_lines(a.stdout) == sorted_lines(b.stdout)


def test_dump_tables(both: tuple[Emulated, Oracle]) -> None:
    emu, ovs = both
    for f in ("table=0,actions=1", "table=2,actions=1", "table=3,actions=1"):
        same(emu, ovs, "add-flow", "br0", f)
    same(emu, ovs, "dump-tables", "br0")
    same(emu, ovs, "-O", "OpenFlow13", "dump-tables", "br0")


def test_group_stats(both: tuple[Emulated, Oracle]) -> None:
    emu, ovs = both
    same(emu, ovs, "add-group", "br0", "group_id=2,type=select,bucket=output:1,bucket=output:2")
    same(emu, ovs, "add-flow", "br0", "actions=group:2")
    same(emu, ovs, "add-flow", "br0", "priority=7,actions=group:2")
    same_set(emu, ovs, "dump-group-stats", "br0")
    same(emu, ovs, "dump-group-stats", "br0", "group_id=2")
    same(emu, ovs, "dump-group-stats", "br0", "2")
    same(emu, ovs, "dump-groups", "br0", "group_id=2")
    same(emu, ovs, "-O", "OpenFlow13", "dump-group-stats", "br0", "group_id=2")
    same(emu, ovs, "dump-groups", "br0", "2")
    same_set(emu, ovs, "dump-groups", "br0", "all")
    same(emu, ovs, "dump-group-stats", "br0", "bogus=1")


def test_dump_order_is_ovs_order(both: tuple[Emulated, Oracle]) -> None:
    """Subtables by their best priority, rules of one subtable in insertion order; a
    modified or replaced rule moves to the end (OVS inserts a new version)."""
    emu, ovs = both
    same(emu, ovs, "del-flows", "br0")
    for f in ("priority=5,in_port=1", "priority=100,in_port=2", "priority=50,in_port=3",
              "priority=100,in_port=4", "priority=7,in_port=1", "priority=1,in_port=9",
              "priority=200,in_port=1", "priority=0", "priority=9", "priority=3"):
        same(emu, ovs, "add-flow", "br0", f + ",actions=drop")
    same(emu, ovs, "--no-stats", "dump-flows", "br0")
    same(emu, ovs, "mod-flows", "br0", "in_port=3,actions=1")
    same(emu, ovs, "--strict", "del-flows", "br0", "priority=100,in_port=2")
    same(emu, ovs, "add-flow", "br0", "priority=100,in_port=2,actions=drop")
    same(emu, ovs, "add-flow", "br0", "priority=5,in_port=1,actions=2")
    same(emu, ovs, "--no-stats", "dump-flows", "br0")
    same(emu, ovs, "dump-flows", "br0")


def test_sorted_dumps_and_openflow13_usability(both: tuple[Emulated, Oracle]) -> None:
    emu, ovs = both
    for f in ("priority=5,in_port=1,actions=2", "priority=9,ip,nw_src=10.0.0.9,actions=1",
              "priority=9,ip,nw_src=10.0.0.1,actions=1", "priority=1,actions=drop",
              "priority=7,tcp,tp_dst=80,actions=drop", "priority=5,in_port=2,actions=1"):
        same(emu, ovs, "add-flow", "br0", f)
    for opt in ("--sort", "--rsort", "--sort=priority", "--rsort=in_port", "--sort=nw_src",
                "--sort=bogus"):
        same(emu, ovs, opt, "dump-flows", "br0")
        same(emu, ovs, opt, "--no-stats", "dump-flows", "br0")
    for f in ("actions=strip_vlan", "actions=mod_nw_tos:8", "ip,actions=mod_nw_tos:8",
              "actions=set_vlan_vid:5", "actions=mod_vlan_vid:5", "actions=enqueue:1:2",
              "dl_vlan=5,actions=strip_vlan", "actions=mod_tp_src:5"):
        same(emu, ovs, "add-flow", "br0", "table=7," + f)
        same(emu, ovs, "-O", "OpenFlow13", "add-flow", "br0", "table=8," + f)
    same(emu, ovs, "--no-stats", "dump-flows", "br0", "table=7")
    same(emu, ovs, "--no-stats", "-O", "OpenFlow13", "dump-flows", "br0", "table=8")
    for f in ("table=8,actions=push_vlan:0x8100,output:1",
              "table=8,reg0=1,actions=push_vlan:0x8100,output:1",
              "reg0=1,actions=push_vlan:0x8100,output:1"):
        same(emu, ovs, "add-flow", "br0", f)
    same(emu, ovs, "-O", "OpenFlow13", "add-flow", "br0", "table=8,reg0=1,actions=strip_vlan")
    same(emu, ovs, "-O", "OpenFlow13", "add-flow", "br0", "reg0=1,actions=strip_vlan")


def test_version_and_no_command(both: tuple[Emulated, Oracle]) -> None:
    emu, ovs = both
    for argv in (["--version"], ["-V"], [], ["-O", "OpenFlow13"]):
        same(emu, ovs, *argv)
