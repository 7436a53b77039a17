"""One-line, tcpdump-like summaries of Ethernet frames for traces.

Design note: mirrors the wording of ``tcpdump -e -n`` closely enough to be familiar
(``Request who-has 10.0.0.2 tell 10.0.0.1``, ``ICMP echo request, id 1, seq 1, length 64``)
but is not a byte-for-byte copy of it. ARP and other non-IP frames are prefixed with the MAC
addresses; IPv4 lines show the IP addresses. ``describe`` never raises: anything it cannot
decode is rendered as ``malformed <format>: <reason>``.
"""

from __future__ import annotations

from vnetlab.wire.arp import ARPOP_REPLY, ARPOP_REQUEST, ArpPacket
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ethernet import (
    ETH_P_8021AD,
    ETH_P_8021Q,
    ETH_P_ARP,
    ETH_P_IP,
    ETH_P_IPV6,
    EthernetHeader,
    parse_vlan,
)
from vnetlab.wire.icmp import (
    ICMP_DEST_UNREACH,
    ICMP_ECHO,
    ICMP_ECHOREPLY,
    ICMP_FRAG_NEEDED,
    ICMP_TIME_EXCEEDED,
    IcmpMessage,
)
from vnetlab.wire.ipv4 import IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ipv4Header
from vnetlab.wire.mac import mac_to_str
from vnetlab.wire.udp import UdpHeader

__all__ = ["describe"]

_UNREACH = {0: "net", 1: "host", 2: "protocol", 3: "port", 4: "need to frag"}
_PROTO = {IPPROTO_ICMP: "icmp", IPPROTO_TCP: "tcp", IPPROTO_UDP: "udp"}


def describe(frame: bytes) -> str:
    """Summarise ``frame`` in one line; never raises."""
    try:
        return _describe(frame)
    except ParseError as exc:
        return f"malformed {exc}"
    except Exception as exc:  # a trace line must never crash the emulator
        return f"malformed frame ({type(exc).__name__}: {exc})"


def _describe(frame: bytes) -> str:
    eth, payload = EthernetHeader.parse(frame)
    macs = f"{mac_to_str(eth.src)} > {mac_to_str(eth.dst)}"
    ethertype, vlans = eth.ethertype, ""
    while ethertype in (ETH_P_8021Q, ETH_P_8021AD):
        tag, payload = parse_vlan(payload)
        vlans += f"vlan {tag.vid}, p {tag.pcp}, "
        ethertype = tag.ethertype
    if ethertype == ETH_P_ARP:
        return f"{macs}, {vlans}ARP, {_arp(payload)}"
    if ethertype == ETH_P_IP:
        line = _ipv4(payload)
        return f"{macs}, {vlans}{line}" if vlans else line
    if ethertype == ETH_P_IPV6:
        return f"{macs}, {vlans}IPv6, length {len(payload)}"
    return f"{macs}, {vlans}ethertype {ethertype:#06x}, length {len(payload)}"


def _arp(payload: bytes) -> str:
    arp = ArpPacket.parse(payload)
    if arp.op == ARPOP_REQUEST:
        return f"Request who-has {arp.tpa} tell {arp.spa}, length {len(payload)}"
    if arp.op == ARPOP_REPLY:
        return f"Reply {arp.spa} is-at {mac_to_str(arp.sha)}, length {len(payload)}"
    return f"op {arp.op} {arp.spa} > {arp.tpa}, length {len(payload)}"


def _ipv4(payload: bytes) -> str:
    ip, data = Ipv4Header.parse(payload)
    head = f"{ip.src} > {ip.dst}:"
    if ip.frag_offset:
        proto = _PROTO.get(ip.proto, f"ip-proto-{ip.proto}")
        return (
            f"{head} {proto} fragment id {ip.ident}, offset {ip.frag_offset * 8}, "
            f"length {len(data)}{', more' if ip.mf else ''}"
        )
    frag = f" (frag id {ip.ident}, more)" if ip.mf else ""
    if ip.proto == IPPROTO_ICMP:
        return f"{head} ICMP {_icmp(data, ip.mf)}{frag}"
    if ip.proto == IPPROTO_UDP and not ip.mf:
        udp, body = UdpHeader.parse(data)
        return f"{ip.src}.{udp.sport} > {ip.dst}.{udp.dport}: UDP, length {len(body)}"
    return f"{head} {_PROTO.get(ip.proto, f'ip-proto-{ip.proto}')}, length {len(data)}{frag}"


def _icmp(data: bytes, partial: bool) -> str:
    if partial:  # first fragment: the checksum covers bytes we do not have
        return f"type {data[0]}, length {len(data)}" if data else "empty"
    msg = IcmpMessage.parse(data)
    n = len(data)
    if msg.type in (ICMP_ECHO, ICMP_ECHOREPLY):
        kind = "request" if msg.type == ICMP_ECHO else "reply"
        return f"echo {kind}, id {msg.ident}, seq {msg.seq}, length {n}"
    if msg.type == ICMP_DEST_UNREACH:
        orig = _quoted_dst(msg.payload)
        what = _UNREACH.get(msg.code, f"code {msg.code}")
        if msg.code == ICMP_FRAG_NEEDED:
            return f"{orig} unreachable - need to frag (mtu {msg.mtu}), length {n}"
        return f"{orig} {what} unreachable, length {n}"
    if msg.type == ICMP_TIME_EXCEEDED:
        kind = "in-transit" if msg.code == 0 else "reassembly"
        return f"time exceeded {kind}, length {n}"
    return f"type {msg.type}, code {msg.code}, length {n}"


def _quoted_dst(quote: bytes) -> str:
    if len(quote) >= 20 and quote[0] >> 4 == 4:
        return ".".join(str(b) for b in quote[16:20])
    return "?"
