"""flow.extract: the flow key of a frame, against hand-made frames and against the
``Flow:`` line of a real ``ofproto/trace``."""

from __future__ import annotations

import re

import pytest

from tests.openflow.oflab import Oracle
from vnetlab.openflow.flow import extract
from vnetlab.openflow.match import TCP_FLAG_NAMES
from vnetlab.openflow.ofctl_parse import parse_flow

scapy = pytest.importorskip("scapy.all")
Ether, Dot1Q, IP, TCP, UDP, ICMP, ARP = (scapy.Ether, scapy.Dot1Q, scapy.IP, scapy.TCP,
                                         scapy.UDP, scapy.ICMP, scapy.ARP)
A, B = "00:00:00:00:00:01", "00:00:00:00:00:02"


def frames() -> list[bytes]:
    e = Ether(src=A, dst=B)
    return [bytes(f) for f in (
        e / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=8, code=0),
        e / Dot1Q(vlan=5, prio=3) / IP(src="1.2.3.4", dst="5.6.7.8", tos=0x2B, flags="MF")
        / TCP(sport=1, dport=2, flags="SA"),
        e / IP(src="1.2.3.4", dst="5.6.7.8", frag=10, ttl=3) / UDP(sport=1, dport=2),
        e / IP(src="1.2.3.4", dst="5.6.7.8") / UDP(sport=68, dport=67),
        e / ARP(op=2, hwsrc=A, psrc="10.0.0.1", hwdst=B, pdst="10.0.0.2"),
        Ether(src=A, dst="ff:ff:ff:ff:ff:ff", type=0x88CC) / (b"\x00" * 46),
        Ether(src=A, dst=B, type=60) / (b"\x00" * 60),
        e / IP(src="1.2.3.4", dst="5.6.7.8", proto=89) / (b"\x00" * 20),
    )]


def test_tagged_tcp_fragment_key() -> None:
    key = extract(frames()[1], 7)
    assert key == {"in_port": 7, "dl_src": 1, "dl_dst": 2, "vlan_tci": 0x7005,
                   "dl_type": 0x800, "nw_src": 0x01020304, "nw_dst": 0x05060708,
                   "nw_proto": 6, "nw_tos": 0x2B, "nw_ttl": 64, "nw_frag": 1,
                   "tp_src": 1, "tp_dst": 2, "tcp_flags": 0x12}


def test_later_fragment_has_no_ports_and_arp_fills_nw_fields() -> None:
    later = extract(frames()[2], 1)
    assert later["nw_frag"] == 3 and "tp_src" not in later
    arp = extract(frames()[4], 1, {"tun_id": 5})
    assert (arp["tun_id"], arp["nw_proto"], arp["nw_src"], arp["arp_tha"]) == (5, 2,
                                                                              0x0A000001, 2)
    assert extract(frames()[6], 1)["dl_type"] == 0x05FF


def _flow_line_key(line: str) -> dict[str, int]:
    """The real Flow: line, read back through our own flow parser."""
    text = line.removeprefix("Flow: ")
    text = re.sub(r",?vlan_tci1=0x[0-9a-f]+", "", text)

    def flags(m: re.Match[str]) -> str:
        bits = 0
        for name in m.group(1).split("|"):
            if name != "0":
                bits |= 1 << TCP_FLAG_NAMES.index(name)
        return f"tcp_flags={bits:#x}"
    text = re.sub(r"tcp_flags=([a-z|0]+)", flags, text)
    fm = parse_flow(text + ",actions=drop", "add", None)
    return {k: v for k, v in fm.match.values.items() if v}


@pytest.mark.parametrize("index", range(len(frames())))
def test_extract_matches_ofproto_trace(oracle: Oracle, index: int) -> None:
    ovs = oracle
    frame = frames()[index]
    out = ovs.appctl("ofproto/trace", "br0", "in_port=1", frame.hex())
    expected = _flow_line_key(out.splitlines()[0])
    got = {k: v for k, v in extract(frame, 1).items() if v}
    assert got == expected
