"""Counters, learned flows and timeouts: the tables after traffic.

Against real OVS, frames are injected with ``netdev-dummy/receive``; on our side a tiny
one-table pipeline (lookup, credit, learn) stands in for the emulated vswitchd, which is
enough to hold counters and learned flows to the real ``dump-flows``."""

from __future__ import annotations

import time

import pytest

from tests.openflow.oflab import PORTS, Emulated, Oracle, strip_ages
from vnetlab.openflow.actions import Learn
from vnetlab.openflow.flow import extract

scapy = pytest.importorskip("scapy.all")


def frame(src: str, vlan: int | None = None, dport: int = 2) -> bytes:
    e = scapy.Ether(src=src, dst="00:00:00:00:00:06")
    if vlan is not None:
        e = e / scapy.Dot1Q(vlan=vlan)
    return bytes(e / scapy.IP(src="1.2.3.4", dst="5.6.7.8") / scapy.UDP(sport=1, dport=dport))


def emu_receive(emu: Emulated, ofport: int, data: bytes) -> None:
    key = extract(data, ofport)
    rule = emu.bridge.tables.lookup(0, key)
    if rule is None:
        return
    rule.credit(len(data), emu.now)
    for a in rule.actions:
        if isinstance(a, Learn):
            emu.bridge.tables.learn(a, key, emu.now)


FLOWS = [
    "table=0,priority=10,udp,tp_dst=2,actions=learn(table=1,idle_timeout=10,"
    "hard_timeout=20,priority=7,cookie=0x9,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
    "NXM_OF_VLAN_TCI[0..11],load:NXM_OF_IN_PORT[]->NXM_NX_REG0[0..15],"
    "output:NXM_OF_IN_PORT[]),resubmit(,1)",
    "table=0,priority=5,ip,actions=drop",
    "table=0,priority=1,actions=drop",
]


def test_counters_and_learned_flows_equal_real_ovs(oracle: Oracle) -> None:
    ovs = oracle
    emu = Emulated()
    ovs.ofctl("del-flows", "br0")
    for f in FLOWS:
        assert emu.ofctl("add-flow", "br0", f).status == 0
        assert ovs.ofctl("add-flow", "br0", f).status == 0
    sends = [(1, frame("00:00:00:00:00:05", vlan=7)), (2, frame("00:00:00:00:00:05", vlan=7)),
             (3, frame("00:00:00:00:00:08")), (1, frame("00:00:00:00:00:09", dport=9)),
             (2, bytes(scapy.Ether(src="00:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff")
                       / scapy.ARP(psrc="1.1.1.1", pdst="1.1.1.2")))]
    for ofport, data in sends:
        emu_receive(emu, ofport, data)
        ovs.receive(PORTS[ofport], data)
    deadline = time.monotonic() + 5
    want = ""
    while time.monotonic() < deadline:
        want = strip_ages(ovs.ofctl("dump-flows", "br0").stdout)
        counted = sum(int(x.split("n_packets=")[1].split(",")[0])
                      for x in want.splitlines() if "table=0," in x)
        if counted == len(sends):
            break
        time.sleep(0.1)
    got = strip_ages(emu.ofctl("dump-flows", "br0").stdout)
    assert sorted(got.splitlines()) == sorted(want.splitlines())


def test_timeouts_on_virtual_time() -> None:
    emu = Emulated()
    for f in ("idle_timeout=10,priority=3,actions=1", "hard_timeout=5,priority=4,actions=2",
              "priority=5,actions=3"):
        emu.ofctl("add-flow", "br0", f)
    rules = {r.priority: r for r in emu.bridge.tables.rules()}
    emu.now += 4
    rules[3].credit(60, emu.now)         # used at +4: idle until +14
    emu.now += 2                          # +6: hard timeout of the priority-4 flow is over
    assert sorted(r.priority for r in emu.bridge.tables.rules()) == [3, 4, 5]
    emu.bridge.tables.expire(emu.now)
    assert sorted(r.priority for r in emu.bridge.tables.rules()) == [3, 5]
    emu.now += 7.9
    assert "idle_timeout=10" in emu.ofctl("dump-flows", "br0").stdout
    emu.now += 0.2                        # +14.1
    out = emu.ofctl("dump-flows", "br0").stdout    # ovs-ofctl expires first, as OVS would
    assert "idle_timeout" not in out and "priority=5" in out


def test_dump_flows_ages_follow_the_clock() -> None:
    emu = Emulated()
    emu.ofctl("add-flow", "br0", "priority=5,in_port=1,actions=2")
    emu.now += 3.25
    out = emu.ofctl("dump-flows", "br0").stdout
    assert "duration=3.25s" in out and "idle_age=3," in out and "hard_age" not in out
    emu.ofctl("mod-flows", "br0", "in_port=1,actions=3")
    emu.now += 1
    out = emu.ofctl("dump-flows", "br0").stdout
    assert "duration=4.25s, table=0, n_packets=0, n_bytes=0, idle_age=4, hard_age=1, " in out
