"""Classifier un-wildcarding against real OVS: with ``actions=drop`` rules nothing but the
classifier (and xlate's always-examined fields) shapes the ``Megaflow:`` line of
``ofproto/trace``, so it must equal our lookup's wildcards."""

from __future__ import annotations

import pytest

from tests.openflow.oflab import Emulated, Oracle
from vnetlab.openflow.match import Match
from vnetlab.openflow.ofctl_parse import parse_flow

TABLES = {
    "prefixes": [
        "priority=50,ip,nw_src=10.0.0.1,actions=drop",
        "priority=45,ip,nw_dst=192.168.0.0/16,actions=drop",
        "priority=40,tcp,tp_dst=80,actions=drop",
        "priority=30,udp,tp_src=53,tp_dst=53,actions=drop",
    ],
    "stages": [
        "priority=60,in_port=2,actions=drop",
        "priority=55,dl_dst=00:00:00:00:00:09,ip,nw_dst=10.1.1.1,actions=drop",
        "priority=20,dl_vlan=10,actions=drop",
        "priority=10,arp,arp_tpa=10.0.0.254,actions=drop",
        "priority=5,reg0=1,actions=drop",
    ],
    "ports": [
        "priority=70,tcp,tp_src=5,tp_dst=80,actions=drop",
        "priority=60,udp,udp_dst=53,actions=drop",
        "priority=50,dl_src=00:00:00:00:00:01,tcp,tp_dst=22,actions=drop",
        "priority=40,tcp,tp_dst=0x1000/0xf000,actions=drop",
        "priority=30,ip,nw_dst=10.0.0.0/8,nw_src=192.168.0.0/24,actions=drop",
    ],
    "ties": [
        "priority=10,in_port=1,actions=drop",
        "priority=10,ip,nw_dst=10.9.9.9,actions=drop",
        "priority=10,dl_vlan=11,actions=drop",
        "priority=5,tcp,actions=drop",
    ],
    "priorities": [
        "priority=100,ip,actions=drop",
        "priority=90,tcp,tp_dst=22,actions=drop",
        "priority=200,icmp,actions=drop",
        "priority=1,actions=drop",
    ],
}

PACKETS = [
    "in_port=1,tcp,nw_src=0.0.0.2,tp_dst=22",
    "in_port=1,tcp,nw_src=10.0.0.1,nw_dst=192.168.3.4,tp_dst=80",
    "in_port=1,tcp,nw_src=10.0.0.3,nw_dst=192.169.3.4,tp_dst=81",
    "in_port=1,udp,nw_src=10.0.0.3,udp_src=53,udp_dst=54",
    "in_port=1,udp,nw_src=1.2.3.4,udp_src=53,udp_dst=53",
    "in_port=2,icmp,nw_src=10.0.0.1",
    "in_port=1,arp,arp_tpa=10.0.0.254",
    "in_port=1,arp,arp_tpa=10.0.0.1",
    "in_port=1,dl_dst=00:00:00:00:00:09,ip,nw_dst=10.1.1.1",
    "in_port=1,dl_dst=00:00:00:00:00:09,ip,nw_dst=10.1.1.2",
    "in_port=1,dl_vlan=10,ip",
    "in_port=1,dl_vlan=11,tcp,tp_dst=22",
    "in_port=3,dl_type=0x88cc",
    "in_port=1,dl_src=00:00:00:00:00:01,tcp,tcp_src=5,tcp_dst=80",
    "in_port=2,dl_src=00:00:00:00:00:01,tcp,tcp_src=6,tcp_dst=22",
    "in_port=2,tcp,tcp_src=6,tcp_dst=0x1234",
    "in_port=2,tcp,tcp_src=6,tcp_dst=0x2234",
    "in_port=2,udp,udp_src=6,udp_dst=53",
    "in_port=2,udp,udp_src=6,udp_dst=54",
    "in_port=2,ip,nw_src=192.168.0.7,nw_dst=10.1.2.3",
    "in_port=2,ip,nw_src=192.168.1.7,nw_dst=10.1.2.3",
    "in_port=2,ip,nw_src=192.168.0.7,nw_dst=11.1.2.3",
]


def _our_megaflow(emu: Emulated, packet: str) -> str:
    values = parse_flow(packet + ",actions=drop", "add", None).match.values
    key = dict(values)
    wc: dict[str, int] = {}
    emu.bridge.tables.lookup(0, key, wc)
    # xlate_wc_init: in_port and dl_type always, nw_frag for IP
    wc["in_port"] = wc.get("in_port", 0) | 0xFFFF
    wc["dl_type"] = 0xFFFF
    if key.get("dl_type") in (0x0800, 0x86DD):
        wc["nw_frag"] = wc.get("nw_frag", 0) | 3
    # the Megaflow: line is the datapath flow: registers and metadata do not exist there,
    # and "no VLAN" is implied by the ethertype
    for member in list(wc):
        if member.startswith("reg") or member == "metadata":
            del wc[member]
    if not key.get("vlan_tci", 0) & 0x1000:
        wc.pop("vlan_tci", None)
    return Match(key, wc).format()


@pytest.mark.parametrize("table", sorted(TABLES))
def test_megaflow_masks_equal_real_ovs(oracle: Oracle, table: str) -> None:
    ovs = oracle
    emu = Emulated()
    ovs.ofctl("del-flows", "br0")
    for f in TABLES[table]:
        assert emu.ofctl("add-flow", "br0", f).status == 0
        assert ovs.ofctl("add-flow", "br0", f).status == 0
    for packet in PACKETS:
        out = ovs.appctl("ofproto/trace", "br0", packet)
        line = next(x for x in out.splitlines() if x.startswith("Megaflow: "))
        real = line.removeprefix("Megaflow: ").replace("recirc_id=0,eth,", "")
        assert _our_megaflow(emu, packet) == real, packet
