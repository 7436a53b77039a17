"""Select groups pick buckets as OVS 3.1 does on the userspace datapath: the datapath's
``hash(sym_l4(0))`` (flow_hash_symmetric_l3l4) indexes the group's Webster-spread dp_hash
table (dp_hash_map). Frames go into a real switch; which port's tx counter moves must be
the bucket we predict."""

from __future__ import annotations

import re
import time

import pytest

from tests.openflow.oflab import Oracle
from vnetlab.openflow.actions import Local, Output
from vnetlab.openflow.flow import extract, flow_hash_symmetric_l3l4, hash_add, hash_finish
from vnetlab.openflow.ofctl_parse import parse_group
from vnetlab.openflow.ofproto_tables import dp_hash_map

scapy = pytest.importorskip("scapy.all")

GROUPS = [
    "group_id=1,type=select,bucket=output:1,bucket=output:2",
    "group_id=1,type=select,bucket=weight:30,output:1,bucket=weight:70,output:2",
    "group_id=1,type=select,bucket=output:1,bucket=output:2,bucket=output:LOCAL",
]


def frames() -> list[bytes]:
    out = []
    for i in range(12):
        e = scapy.Ether(src="00:00:00:00:00:01", dst=f"00:00:00:00:00:{i + 2:02x}")
        out.append(bytes(e / scapy.IP(src=f"10.0.{i}.1", dst="10.1.0.2")
                         / scapy.TCP(sport=1000 + i, dport=80)))
        out.append(bytes(scapy.Ether(src=f"00:00:00:00:01:{i:02x}", dst="00:00:00:00:00:02")
                         / scapy.ARP()))
        out.append(bytes(e / scapy.IP(src="10.0.0.1", dst=f"10.2.{i}.2")
                         / scapy.UDP(sport=5, dport=6)))
    return out


def _tx(oracle: Oracle) -> dict[str, int]:
    out = oracle.ofctl("dump-ports", "br0").stdout
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"port +(\w+): rx.*\n +tx pkts=(\d+)", out)}


def test_hash_primitives_are_murmur3() -> None:
    # mhash_add/mhash_finish on known inputs (values computed from lib/hash.h's steps)
    assert hash_add(0, 0) == 0xE6546B64
    assert hash_finish(0, 0) == 0
    assert dp_hash_map(parse_group(GROUPS[0], "add", None).buckets) == [0, 1] * 8


@pytest.mark.parametrize("group", GROUPS)
def test_select_bucket_equals_real_ovs(oracle: Oracle, group: str) -> None:
    ovs = oracle
    ovs.ofctl("del-groups", "br0")
    ovs.ofctl("del-flows", "br0")
    assert ovs.ofctl("add-group", "br0", group).status == 0
    assert ovs.ofctl("add-flow", "br0", "in_port=3,actions=group:1").status == 0
    buckets = parse_group(group, "add", None).buckets
    hmap = dp_hash_map(buckets)
    for data in frames():
        before = _tx(ovs)
        ovs.receive("p3", data)
        deadline = time.monotonic() + 2
        moved: list[str] = []
        while time.monotonic() < deadline:
            after = _tx(ovs)
            moved = [p for p in after if after[p] != before.get(p)]
            if moved:
                break
            time.sleep(0.02)
        h = flow_hash_symmetric_l3l4(extract(data, 3), 0)
        act = buckets[hmap[h & (len(hmap) - 1)]].actions[0]
        want = "LOCAL" if isinstance(act, Local) else str(act.port if isinstance(
            act, Output) else act)
        assert moved == [want], data.hex()
