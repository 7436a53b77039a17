"""``vnetlab.ovsdb.commands``: the argv lists that build a bridge, run on our database and
(when Open vSwitch is installed) on a real ovsdb-server, which must end up the same."""

from __future__ import annotations

from tests.ovsdb.oracle import RealOvsdb, compare
from vnetlab.model import load_lab_text
from vnetlab.model.ovs import OvsBridgeSpec
from vnetlab.ovsdb.commands import ofctl_commands, quote, startup_commands, vsctl_commands
from vnetlab.ovsdb.db import Database
from vnetlab.ovsdb.vsctl import run_vsctl


def bridge_spec() -> OvsBridgeSpec:
    return OvsBridgeSpec.model_validate({
        "fail_mode": "secure", "mac": "02:00:00:00:00:fe",
        "other_config": {"mac-aging-time": "300", "forward-bpdu": "false"},
        "ports": {
            "veth1": {"ofport_request": 1},
            "veth2": {"tag": 10},
            "veth3": None,
            "trunk1": {"trunks": [20, 10], "vlan_mode": "native-untagged", "tag": 10},
            "int0": {"type": "internal", "mac": "02:00:00:00:01:01",
                     "addresses": ["10.0.1.1/24"]},
            "patch-a": {"type": "patch", "options": {"peer": "patch-b"}},
            "vxlan0": {"type": "vxlan", "options": {"remote_ip": "192.168.1.2", "key": "flow",
                                                    "dst_port": 4789}},
            "gnv0": {"type": "geneve", "options": {"remote_ip": "flow",
                                                   "local_ip": "192.168.1.1"}},
        },
        "mirrors": {"m0": {"select_src_port": ["veth1"], "select_dst_port": ["veth1"],
                           "output_port": "veth3"},
                    "m1": {"select_all": True, "select_vlan": [10], "output_vlan": 99}},
        "flows": ["table=0,priority=100,in_port=veth1,actions=output:vxlan0"],
        "groups": ["group_id=1,type=select,bucket=output:veth2,bucket=output:veth3"],
    })


def test_the_commands_read_like_ovs_vsctl() -> None:
    cmds = vsctl_commands("br0", bridge_spec(), "netdev")
    assert cmds[0] == ["add-br", "br0", "--", "set", "Bridge", "br0", "datapath_type=netdev",
                       "fail_mode=secure", "other_config:forward-bpdu=false",
                       'other_config:hwaddr="02:00:00:00:00:fe"',
                       "other_config:mac-aging-time=300"]
    assert ["add-port", "br0", "trunk1", "tag=10", "trunks=10,20",
            "vlan_mode=native-untagged"] in cmds
    assert ["add-port", "br0", "vxlan0", "--", "set", "Interface", "vxlan0", "type=vxlan",
            "options:dst_port=4789", "options:key=flow", "options:remote_ip=192.168.1.2"] \
        in cmds
    assert cmds[-2] == ["--", "--id=@p0", "get", "Port", "veth1", "--", "--id=@p1", "get",
                        "Port", "veth3", "--", "--id=@m", "create", "Mirror", "name=m0",
                        "select_src_port=@p0", "select_dst_port=@p0", "output_port=@p1",
                        "--", "add", "Bridge", "br0", "mirrors", "@m"]
    assert ofctl_commands("br0", bridge_spec()) == [
        ["add-group", "br0", "group_id=1,type=select,bucket=output:veth2,bucket=output:veth3"],
        ["add-flow", "br0", "table=0,priority=100,in_port=veth1,actions=output:vxlan0"]]


def test_the_commands_build_the_bridge_in_our_database() -> None:
    db = Database()
    for argv in vsctl_commands("br0", bridge_spec(), "netdev"):
        res = run_vsctl(db, ["--no-wait", *argv])
        assert res.status == 0, (argv, res.stderr)
    (br,) = db.rows("Bridge")
    assert br["fail_mode"] == ["secure"]
    assert br["other_config"] == {"forward-bpdu": "false", "hwaddr": "02:00:00:00:00:fe",
                                  "mac-aging-time": "300"}
    assert len(br["mirrors"]) == 2  # type: ignore[arg-type]
    (m0,) = db.find("Mirror", "name", "m0")
    (veth1,) = db.find("Port", "name", "veth1")
    assert m0["select_src_port"] == m0["select_dst_port"] == [veth1.uuid]
    (int0,) = db.find("Interface", "name", "int0")
    assert int0["type"] == "internal" and int0["mac"] == ["02:00:00:00:01:01"]


def test_quote_keeps_plain_words_and_quotes_delimiters() -> None:
    assert quote("flow") == "flow"
    assert quote("192.168.1.2") == "192.168.1.2"
    assert quote("02:00:00:00:00:01") == '"02:00:00:00:00:01"'
    assert quote("a,b") == '"a,b"'
    assert quote("") == '""'


def test_real_ovs_vsctl_builds_the_same_bridge(server: RealOvsdb) -> None:
    db = Database()
    for argv in vsctl_commands("br0", bridge_spec(), "netdev"):
        real, ours = compare(server, db, argv)
        assert ours == real, argv
    for argv in (["show"], ["list", "Mirror"], ["list", "Interface"], ["list", "Bridge"]):
        real, ours = compare(server, db, argv)
        assert ours == real, argv


def test_startup_gives_show_its_ovs_version(server: RealOvsdb) -> None:
    db = Database()
    for argv in [*startup_commands(), *vsctl_commands("br0", bridge_spec(), "netdev")]:
        real, ours = compare(server, db, argv)
        assert ours == real, argv
    real, ours = compare(server, db, ["show"])
    assert ours == real
    assert '    ovs_version: "3.1.0"\n' in str(ours[0])
    assert 'options: {dst_port="4789", key=flow, remote_ip="192.168.1.2"}' in str(ours[0])


def test_a_loaded_lab_builds_in_our_database() -> None:
    lab = load_lab_text(LAB, "lab.yaml")
    db = Database()
    for argv in startup_commands():
        assert run_vsctl(db, argv).status == 0
    for name, spec in lab.nodes["host"].ovs.items():
        for argv in vsctl_commands(name, spec, "netdev"):
            res = run_vsctl(db, ["--no-wait", *argv])
            assert res.status == 0, (argv, res.stderr)
    (br,) = db.rows("Bridge")
    mac = lab.nodes["host"].ovs["br0"].mac
    assert br["other_config"] == {"hwaddr": str(mac)} and br["datapath_type"] == "netdev"
    show = run_vsctl(db, ["show"]).stdout
    assert "        Port vx0\n            Interface vx0\n                type: vxlan\n" in show
    assert ofctl_commands("br0", lab.nodes["host"].ovs["br0"])[-1] == \
        ["add-flow", "br0", "actions=drop"]


LAB = """
name: t
nodes:
  host:
    interfaces: {veth1: {}, veth2: {}}
    ovs:
      br0:
        addresses: 10.0.0.254/24
        ports:
          veth1: {ofport_request: 1}
          veth2: {tag: 10}
          int0: {type: internal, addresses: [10.0.1.1/24]}
          vx0: {type: vxlan, options: {remote_ip: 192.168.1.2, key: flow, dst_port: 4789}}
        mirrors:
          m0: {select_src_port: [veth1], select_dst_port: [veth1], output_port: veth2}
        flows: |
          priority=100,in_port=veth1,actions=NORMAL
          actions=drop
  ns1: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}
  ns2: {interfaces: {eth0: {addresses: [10.0.0.2/24]}}}
links:
  - endpoints: [host:veth1, ns1:eth0]
  - endpoints: [host:veth2, ns2:eth0]
"""
