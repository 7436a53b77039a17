"""Big dumps: ovs-vswitchd splits an NXST_FLOW reply where the next flow would take the
message past 64 kB, and ovs-ofctl prints a header per message (``flags=[more]`` on all but
the last). Where that happens depends on each flow's wire length, ``nx_flow_stats_len``."""

from __future__ import annotations

import pytest

from tests.openflow.oflab import Emulated, RealOvs, strip_ages

#: flow shape -> its NXST_FLOW entry length, as measured on OVS 3.1 (how many flows fit in
#: one 64 kB reply)
SHAPES = {
    "actions=1": 56, "in_port=1,actions=1": 64, "ip,nw_src=10.0.0.0/8,actions=1": 80,
    "tcp,tp_dst=80,actions=1": 80, "actions=resubmit(,1)": 64,
    "actions=load:1->NXM_NX_REG0[]": 72, "actions=mod_dl_src:00:00:00:00:00:01": 64,
    "actions=1,2,3": 72, "dl_vlan=5,actions=1": 64, "reg0=1,actions=1": 64,
    "actions=note:01": 64, "actions=group:1": 64,
    "actions=learn(table=1,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])": 104,
    "actions=move:NXM_NX_REG0[]->NXM_NX_REG1[]": 72, "actions=set_tunnel:5": 64,
    "actions=dec_ttl": 64, "actions=mod_vlan_vid:5": 56,
    "dl_src=00:00:00:00:00:01/ff:ff:ff:00:00:00,actions=1": 72,
    "actions=controller(reason=no_match)": 64, "actions=enqueue:1:2": 64,
    "actions=output:NXM_NX_REG0[0..15]": 72, "actions=write_metadata:5": 80,
    "actions=set_tunnel64:5": 72, "actions=dec_ttl(1,2,3)": 72,
    "arp,arp_sha=00:00:00:00:00:01,actions=1": 72,
    "ip,nw_frag=yes,nw_tos=4,nw_ecn=1,nw_ttl=3,actions=1": 88,
    "tun_id=5,metadata=3,pkt_mark=1,actions=1": 88, "icmp,icmp_type=3,actions=1": 72,
    "tcp,tcp_flags=+syn,actions=1": 80,
    "actions=learn(table=1,NXM_OF_VLAN_TCI[0..11]=10,load:0x5->NXM_NX_REG1[0..3],"
    "output:NXM_OF_IN_PORT[])": 112,
    "actions=load:1->NXM_NX_REG0[0..3],load:1->NXM_NX_REG0[8..9]": 96,
    "actions=set_field:0x5/0x5->reg0": 96, "actions=strip_vlan,mod_tp_src:5": 64,
}


def _emu_with(shape: str, n: int) -> Emulated:
    emu = Emulated()
    emu.ofctl("add-group", "br0", "group_id=1,type=all,bucket=output:1")
    for i in range(n):
        assert emu.ofctl("add-flow", "br0", f"priority={i + 1},{shape}").status == 0
    return emu


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_entry_length_is_ovs(shape: str) -> None:
    from vnetlab.openflow.ofctl_print import nx_flow_stats_len
    rule = next(_emu_with(shape, 1).bridge.tables.rules())
    assert nx_flow_stats_len(rule) == SHAPES[shape]


def test_headers_where_ovs_splits() -> None:
    out = _emu_with("ip,nw_src=10.0.0.0/8,actions=1", 1500).ofctl("dump-flows", "br0").stdout
    lines = out.splitlines()
    heads = [i for i, line in enumerate(lines) if "reply" in line]
    # (65535 - 24) // 80 = 818 flows in the first message
    assert heads == [0, 819]
    assert lines[0] == "NXST_FLOW reply (xid=0x4): flags=[more]"
    assert lines[819] == "NXST_FLOW reply (xid=0x4):"


@pytest.mark.parametrize("shape", ["actions=1", "tcp,tp_dst=80,actions=1",
                                   "actions=learn(table=1,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
                                   "output:NXM_OF_IN_PORT[])"])
def test_big_dump_equals_real_ovs(ovs: RealOvs, shape: str, tmp_path: object) -> None:
    from pathlib import Path
    ovs.ofctl("del-flows", "br0")
    ovs.ofctl("add-group", "br0", "group_id=1,type=all,bucket=output:1")
    flows = Path(str(tmp_path)) / "flows.txt"
    flows.write_text("".join(f"priority={i + 1},{shape}\n" for i in range(1300)))
    assert ovs.ofctl("add-flows", "br0", str(flows)).status == 0
    emu = _emu_with(shape, 1300)
    assert strip_ages(emu.ofctl("dump-flows", "br0").stdout) == \
        strip_ages(ovs.ofctl("dump-flows", "br0").stdout)
