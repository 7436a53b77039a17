"""ovs-ofctl flow syntax: normalised text and OVS's error messages (pure; the oracle lines
were taken from ``ovs-ofctl add-flow`` + ``dump-flows --no-stats`` of OVS 3.1)."""

from __future__ import annotations

import pytest

from vnetlab.openflow.actions import format_actions, through_of10
from vnetlab.openflow.ofctl_parse import OfctlError, normalize, parse_flow

PORTS = {"p1": 2, "p2": 1}


def dumped(text: str) -> str:
    fm = parse_flow(text, "add", PORTS.get)
    normalize(fm)
    m = fm.match.format(None, fm.priority)
    return (m + " " if m else "") + "actions=" + format_actions(through_of10(fm.actions))


CASES = [
    ("in_port=1,actions=output:2", "in_port=1 actions=output:2"),
    ("priority=100,ip,nw_src=10.0.0.0/24,actions=normal",
     "priority=100,ip,nw_src=10.0.0.0/24 actions=NORMAL"),
    ("tcp,tp_dst=80,actions=drop", "tcp,tp_dst=80 actions=drop"),
    ("actions=set_field:0x100a->vlan_tci,set_field:5->vlan_pcp",
     "actions=mod_vlan_vid:10,mod_vlan_pcp:0,mod_vlan_pcp:5"),
    ("actions=set_field:10->reg0,set_field:0x5/0xf->reg1",
     "actions=load:0xa->NXM_NX_REG0[],load:0x5->NXM_NX_REG1[0..3]"),
    ("actions=goto_table:5", "actions=resubmit(,5)"),
    # OpenFlow 1.0's legacy actions set the whole field: the mask is lost (OVS 3.1 prints these)
    ("actions=set_field:00:00:00:00:01:01/00:00:00:00:00:ff->eth_dst",
     "actions=mod_dl_dst:00:00:00:00:01:01"),
    ("tcp,actions=set_field:0x101/0xff->tcp_dst", "tcp actions=mod_tp_dst:257"),
    ("actions=write_actions(output:1),goto_table:5", "actions=resubmit(,5)"),
    ("ip,actions=set_field:1.2.3.4->ip_dst,dec_ttl,set_field:5->ip_dscp",
     "ip actions=mod_nw_dst:1.2.3.4,dec_ttl,mod_nw_tos:20"),
    ("actions=note:0102abcd", "actions=note:01.02.ab.cd.00.00"),
    ("actions=controller,controller:100,controller(max_len=100)",
     "actions=CONTROLLER:65535,CONTROLLER:100,CONTROLLER:100"),
    ("ip,nw_src=1.2.3.4/255.255.0.255,actions=1",
     "ip,nw_src=1.2.0.4/255.255.0.255 actions=output:1"),
    ("reg0=5,reg1=6/0xff,metadata=0x5,actions=1",
     "reg0=0x5,reg1=0x6/0xff,metadata=0x5 actions=output:1"),
    ("vlan_tci=0x1005,actions=1", "dl_vlan=5,dl_vlan_pcp=0 actions=output:1"),
    ("arp,arp_op=1,arp_spa=1.1.1.1,arp_sha=00:11:22:33:44:55,actions=1",
     "arp,arp_spa=1.1.1.1,arp_op=1,arp_sha=00:11:22:33:44:55 actions=output:1"),
    ("actions=output:p1,output:LOCAL,output:IN_PORT", "actions=output:2,LOCAL,IN_PORT"),
    ("nw_src=1.2.3.4,actions=1", "actions=output:1"),
    ("dl_vlan=0xffff,actions=1", "vlan_tci=0x0000 actions=output:1"),
    ("actions=learn(table=1,eth_dst=eth_src,output:in_port)",
     "actions=learn(table=1,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])"),
]


@pytest.mark.parametrize(("flow", "expected"), CASES)
def test_flow_normalises_as_ovs_dumps_it(flow: str, expected: str) -> None:
    assert dumped(flow) == expected


ERRORS = [
    ("in_port=1", "must specify an action"),
    ("actions=output:foo", "foo: output to unknown port"),
    ("actions=bogus", "unknown action bogus"),
    ("priority=70000,actions=1", 'invalid priority "70000"'),
    ("dl_src=zz:00:00:00:00:00,actions=1", "zz:00:00:00:00:00: invalid Ethernet address"),
    ("in_port=foo,actions=1", "foo: invalid or unknown port for in_port"),
    ("bogus=1,actions=1", "unknown keyword bogus"),
    ("tcp,tp_dst=70000,actions=1", "70000: value too large for 2-byte field tcp_dst"),
    ("actions=drop,output:1",
     '"drop" must not be accompanied by any other action or instruction'),
    ("actions=goto_table:5,output:1", "invalid instruction ordering: apply_actions must "
     "appear before goto_table, for OpenFlow 1.1+ compatibility"),
    ("actions=set_field:1.2.3.4->nw_src",
     "actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)"),
    ("actions=load:256->NXM_NX_REG0[0..7]",
     "256->NXM_NX_REG0[0..7]: value 0x100 does not fit into 8 bits"),
    ("cookie=0x1/0xff,actions=1", "flow additions cannot use a cookie mask"),
]


@pytest.mark.parametrize(("flow", "message"), ERRORS)
def test_bad_flow_gives_ovs_message(flow: str, message: str) -> None:
    with pytest.raises(OfctlError) as err:
        parse_flow(flow, "add", PORTS.get)
    assert str(err.value) == message


def test_add_flows_reads_through_the_callers_file_reader() -> None:
    from tests.openflow.oflab import FakeBridge
    from vnetlab.openflow.ofctl import run_ofctl
    bridge = FakeBridge()

    def missing(path: str) -> str:
        raise FileNotFoundError(2, "No such file or directory")

    ok = run_ofctl(["add-flows", "br0", "f.txt"], lambda n: bridge, 0.0,
                   read_file=lambda p: "# c\npriority=3,actions=1\n")
    assert ok.status == 0
    assert run_ofctl(["--no-stats", "dump-flows", "br0"], lambda n: bridge, 0.0).stdout == \
        " priority=3 actions=output:1\n"
    bad = run_ofctl(["add-flows", "br0", "g.txt"], lambda n: bridge, 0.0, read_file=missing)
    assert (bad.status, bad.stderr) == (1, "ovs-ofctl: g.txt: open failed (No such file or "
                                           "directory)\n")
