"""``run_vsctl`` against a real ``ovs-vsctl`` + ``ovsdb-server``: the same command
sequences on both, stdout (UUIDs as placeholders), stderr and exit status compared
command by command. Skipped with the reason when Open vSwitch is not installed."""

from __future__ import annotations

import pytest

from tests.ovsdb.oracle import RealOvsdb, compare
from vnetlab.ovsdb.db import Database

SEQUENCES: dict[str, list[list[str]]] = {
    "bridges_and_ports": [
        ["init"],
        ["add-br", "br0"], ["add-br", "br0"], ["--may-exist", "add-br", "br0"],
        ["add-port", "br0", "p1"], ["add-port", "br0", "p1"], ["add-port", "br9", "p2"],
        ["--may-exist", "add-port", "br0", "p1"], ["add-br", "p1"],
        ["add-br", "br1"], ["--may-exist", "add-port", "br1", "p1"],
        ["add-port", "br1", "p3", "tag=7"], ["list-br"], ["list-ports", "br0"],
        ["list-ports", "br1"], ["list-ports", "nope"], ["list-ifaces", "br0"],
        ["port-to-br", "p1"], ["port-to-br", "br0"], ["iface-to-br", "p3"],
        ["iface-to-br", "nope"], ["br-exists", "br0"], ["br-exists", "nope"],
        ["show"],
        ["del-port", "br0", "br0"], ["del-port", "nope"], ["--if-exists", "del-port", "nope"],
        ["del-port", "br1", "p1"], ["del-port", "br0", "p1"], ["list-ports", "br0"],
        ["del-br", "nope"], ["--if-exists", "del-br", "nope"], ["del-br", "br1"],
        ["list", "Port"], ["list", "Interface"], ["show"],
    ],
    "set_get_types": [
        ["add-br", "br0"], ["add-port", "br0", "p1"],
        ["set", "Bridge", "br0", "badcol=1"], ["set", "Bridge", "br0", "stp_enable=maybe"],
        ["set", "Port", "p1", "tag=abc"], ["set", "Port", "p1", "tag=5000"],
        ["set", "Port", "p1", "tag=10", "trunks=10,20"], ["get", "Port", "p1", "tag", "trunks"],
        ["set", "Bridge", "br0", "fail_mode=bogus"], ["set", "Bridge", "nope", "fail_mode=secure"],
        ["set", "Nope", "x", "y=1"], ["set", "Port", "p1", "name=p9"],
        ["set", "Interface", "p1", "type=patch", "options:peer=p2"],
        ["get", "Interface", "p1", "options"], ["get", "Interface", "p1", "options:peer"],
        ["get", "Interface", "p1", "options:nope"],
        ["--if-exists", "get", "Interface", "p1", "options:nope"],
        ["set", "Bridge", "br0", 'other_config:hwaddr="00:11:22:33:44:55"'],
        ["get", "Bridge", "br0", "other_config"], ["get", "Bridge", "br0", "other_config:hwaddr"],
        ["set", "Port", "p1", "trunks=3,3"], ["set", "Port", "p1", "tag=1,2"],
        ["set", "Port", "p1", "tag=[]"], ["set", "Port", "p1", "tag="],
        ["set", "Port", "p1", "trunks=[1,2"], ["set", "Port", "p1", "trunks=1]"],
        ["set", "Bridge", "br0", "flood_vlans=1-3,7"], ["get", "Bridge", "br0", "flood_vlans"],
        ["set", "Bridge", "br0", "flood_vlans=3-1"],
        ["set", "Interface", "p1", "ofport_request=0"],
        ["set", "Interface", "p1", "ofport_request=5"], ["get", "Int", "p1", "ofport_request"],
        ["set", "Port", "p1", "vlan_mode=native-untagged"], ["get", "Port", "p1", "vlan_mode"],
        ["add", "Port", "p1", "trunks", "30", "40"], ["remove", "Port", "p1", "trunks", "10"],
        ["get", "Port", "p1", "trunks"], ["clear", "Port", "p1", "trunks", "tag"],
        ["clear", "Port", "p1", "interfaces"],
        ["add", "Bridge", "br0", "other_config", "a=b", "c=d"],
        ["remove", "Bridge", "br0", "other_config", "a"],
        ["remove", "Bridge", "br0", "other_config", "c=x"],
        ["get", "Bridge", "br0", "other_config"],
        ["set", "Bridge", "br0", "other_config={x=y}"], ["get", "Bridge", "br0", "other_config"],
        ["get", "Port", "p1", "_uuid"], ["get", "Bridge", "br0", "name", "--", "get", "Port",
                                          "p1", "trunks"],
        ["set", "Open_vSwitch", ".", "external_ids:k=v"],
        ["get", "Open_vSwitch", ".", "external_ids"],
        ["get", "Port", "p1", "tag:x"], ["set", "Port", "p1", "tag:x=1"],
        ["set", "b", "br0", "stp_enable=true"], ["set", "F", "x", "y=1"],
        ["set", "Bridge", "br0", "s=1"], ["get", "Bridge", "br0", "stp"],
    ],
    "list_find_formats": [
        ["add-br", "br0"], ["add-port", "br0", "p1", "tag=10"], ["add-port", "br0", "p2"],
        ["list", "Bridge"], ["list", "Port", "p1"], ["list", "Port", "nope"],
        ["--if-exists", "list", "Port", "nope"],
        ["--columns=name,tag", "list", "Port"],
        ["--bare", "--columns=name,tag", "list", "Port", "p1", "p2"],
        ["--format=table", "--columns=name,tag,trunks", "list", "Port", "p1", "br0"],
        ["--format=csv", "--columns=name,tag", "list", "Port", "p2", "p1"],
        ["--format=json", "--columns=name,tag,trunks", "list", "Port", "p1"],
        ["--data=json", "--columns=name,tag", "list", "Port", "p1"],
        ["find", "Port", "tag=10"], ["find", "Port", "name=p1", "tag=11"],
        ["--columns=name", "find", "Port", "tag!=10"],
        ["--columns=name", "find", "Port", "tag{>=}[]"],
        ["--columns=name", "find", "Interface", "type=internal"],
        ["--columns=nope", "list", "Port"], ["--columns=", "list", "Port"],
        ["find", "Port", "tag"], ["find", "Port", "tag>x"],
        ["--oneline", "list-br", "--", "list-ports", "br0"],
        ["list", "Port", "p1", "--", "list", "Bridge", "br0"],
    ],
    "ids_and_chains": [
        ["add-br", "br0"], ["add-port", "br0", "p1"], ["add-port", "br0", "p2"],
        ["--", "--id=@m", "create", "Mirror", "name=m0", "select_all=true", "--",
         "set", "Bridge", "br0", "mirrors=@m"],
        ["list", "Mirror"], ["create", "Mirror", "name=m1"],
        ["--id=@x", "create", "Mirror", "name=m2"], ["set", "Bridge", "br0", "mirrors=@nope"],
        ["set", "Bridge", "br0", "mirrors=nope"],
        ["set", "Bridge", "br0", "mirrors=11111111-2222-3333-4444-555555555555"],
        ["--", "--id=@p", "get", "Port", "p1", "--", "--id=@q", "get", "Port", "p2", "--",
         "--id=@m", "create", "Mirror", "name=m3", "select_src_port=@p", "select_dst_port=@p",
         "output_port=@q", "--", "add", "Bridge", "br0", "mirrors", "@m"],
        ["list", "Mirror", "m3"], ["del-port", "br0", "p2"], ["list", "Mirror", "m3"],
        ["destroy", "Mirror", "m3"], ["list", "Mirror", "m3"],
        ["clear", "Bridge", "br0", "mirrors"], ["list", "Mirror"],
        # (a duplicate name is refused too, but which row OVS calls "First" depends on
        # its random UUIDs: test_db.py holds that message)
        ["--", "--id=@i", "create", "Interface", "name=py", "--", "--id=@p", "create", "Port",
         "name=py", "interfaces=@i", "--", "add", "Bridge", "br0", "ports", "@p"],
        ["list-ports", "br0"], ["--id=foo", "create", "Mirror", "name=m"],
        ["--", "--id=@a", "create", "Mirror", "name=a", "--", "--id=@a", "create", "Mirror",
         "name=b"],
        ["--id=@p", "get", "Port", "p1"],
        ["add-br", "br1", "--", "set", "Bridge", "br1", "fail_mode=secure", "--", "add-port",
         "br1", "p9"],
        ["show"], ["add-br", "br2", "--", "add-port", "br2", "p1"], ["list-br"],
    ],
    "option_errors": [
        ["--foo", "list-br"], ["--db"], ["-t", "0", "list-br"],
        ["--may-exist", "--if-exists", "add-br", "br0"], ["add-br"], ["list-br", "extra"],
        ["list-br", "--x"], ["bogus"], ["--"], ["--id=@x", "--", "list-br"],
        ["--columns=name", "list-br"], ["--id", "list", "Port"], ["--no-w", "list-br"],
        ["add-br", "br0", "br9", "5"], ["add-br", "br0", "x"], ["add-br", ""],
        ["--if-exists", "--if-exists", "del-br", "x"], ["del-br", "--if-exists", "x"],
        ["set", "Bridge"], ["destroy", "Bridge"], ["destroy", "Nope", "x"],
    ],
    "fake_bridges": [
        ["add-br", "br0"], ["add-br", "vlan10", "br0", "10"], ["add-br", "vlan11", "br0", "10"],
        ["add-br", "v", "nope", "10"], ["add-br", "x", "vlan10", "5"],
        ["add-br", "y", "br0", "5000"], ["list-br"], ["--fake", "list-br"],
        ["--real", "list-br"], ["br-to-vlan", "vlan10"], ["br-to-parent", "vlan10"],
        ["br-to-vlan", "br0"], ["br-to-parent", "br0"],
        ["add-port", "vlan10", "p1"], ["list-ports", "vlan10"], ["list-ports", "br0"],
        ["get", "Port", "p1", "tag"], ["port-to-br", "p1"], ["del-port", "br0", "p1"],
        ["--may-exist", "add-br", "vlan10"], ["--may-exist", "add-br", "vlan10", "br0", "11"],
        ["--may-exist", "add-br", "br0", "br0", "1"], ["set-fail-mode", "vlan10", "secure"],
        ["set-fail-mode", "br0", "bogus"], ["set-fail-mode", "br0", "secure"],
        ["get-fail-mode", "vlan10"], ["del-fail-mode", "br0"], ["get-fail-mode", "br0"],
        ["br-set-external-id", "br0", "k", "v"], ["br-get-external-id", "br0"],
        ["br-set-external-id", "vlan10", "k", "w"], ["br-get-external-id", "vlan10", "k"],
        ["show"], ["del-br", "br0"], ["list-br"], ["list", "Port"],
    ],
}


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_sequence_matches_real_ovs_vsctl(server: RealOvsdb, name: str) -> None:
    db = Database()
    for argv in SEQUENCES[name]:
        real, ours = compare(server, db, argv)
        assert ours == real, argv
