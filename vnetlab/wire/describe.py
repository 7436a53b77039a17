"""One-line, tcpdump-like summaries of Ethernet frames for traces.

Design note: mirrors the wording of ``tcpdump -e -n`` closely enough to be familiar
(``Request who-has 10.0.0.2 tell 10.0.0.1``, ``ICMP echo request, id 1, seq 1, length 64``)
but is not a byte-for-byte copy of it. ARP and other non-IP frames are prefixed with the MAC
addresses; IPv4 lines show the IP addresses; IPv6 lines are ``tcpdump -n``'s own
(``IP6 a > b: ICMP6, ...``; compared with tcpdump in a namespace, tests/sim_ipv6).
``describe`` never raises: anything it cannot decode is rendered as
``malformed <format>: <reason>``.
"""

from __future__ import annotations

from ipaddress import IPv6Address

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
from vnetlab.wire.icmpv6 import (
    ICMPV6_DEST_UNREACH,
    ICMPV6_ECHO_REPLY,
    ICMPV6_ECHO_REQUEST,
    ICMPV6_MLD2_REPORT,
    ICMPV6_PARAMPROB,
    ICMPV6_PKT_TOOBIG,
    ICMPV6_TIME_EXCEED,
    NDISC_NEIGHBOUR_ADVERTISEMENT,
    NDISC_NEIGHBOUR_SOLICITATION,
    NDISC_ROUTER_ADVERTISEMENT,
    NDISC_ROUTER_SOLICITATION,
    Icmpv6Message,
)
from vnetlab.wire.ipv4 import IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ipv4Header
from vnetlab.wire.ipv6 import IPPROTO_HOPOPTS, IPPROTO_ICMPV6, Ipv6Header, walk_ext_headers
from vnetlab.wire.mac import mac_to_str
from vnetlab.wire.udp import UdpHeader

__all__ = ["describe", "describe_ipv6"]

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
        if not payload or payload[0] >> 4 != 6:
            return f"{macs}, {vlans}IPv6, length {len(payload)}"
        line = describe_ipv6(payload)
        return f"{macs}, {vlans}{line}" if vlans else line
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


def describe_ipv6(payload: bytes) -> str:
    """``tcpdump -n``'s line for an IPv6 packet (print-ip6.c, print-icmp6.c), as measured
    on this machine: ``IP6 fe80::ff:fe00:1 > ff02::2: ICMP6, router solicitation, length
    16``, ``HBH`` before an MLD report, ``frag (OFFSET|LEN)`` for fragments."""
    ip, data = Ipv6Header.parse(payload)
    head = f"IP6 {ip.src} > {ip.dst}:"
    nh, off, frag, _ra = walk_ext_headers(ip.next_header, data)
    hbh = " HBH" if ip.next_header == IPPROTO_HOPOPTS else ""
    fr = ""
    if frag is not None:
        fr = f" frag ({frag.offset * 8}|{len(data) - off})"
        if frag.offset:
            return f"{head}{fr}"
    body = data[off:]
    if nh == IPPROTO_ICMPV6:
        return f"{head}{hbh}{fr} ICMP6, {_icmp6(body, ip.src, ip.dst, frag is not None)}"
    if nh == IPPROTO_UDP and frag is None:
        udp, ubody = UdpHeader.parse(body)
        return f"IP6 {ip.src}.{udp.sport} > {ip.dst}.{udp.dport}: UDP, length {len(ubody)}"
    proto = _PROTO.get(nh, f"ip-proto-{nh}")
    return f"{head}{hbh}{fr} {proto} {len(body)}"


#: print-icmp6.c's words per code; code 1 keeps tcpdump's doubled space (measured:
#: "destination unreachable,  unreachable prohibited 2001:db8:5::1"); code 2 not measured
_UNREACH6 = {0: "unreachable route", 1: " unreachable prohibited", 2: "beyond scope",
             3: "unreachable address"}
_L4 = {IPPROTO_UDP: "udp", IPPROTO_TCP: "tcp"}


def _icmp6(data: bytes, src: IPv6Address, dst: IPv6Address, partial: bool) -> str:
    n = len(data)
    # a first fragment: the checksum covers bytes not here; tcpdump still names id/seq
    msg = Icmpv6Message.parse(data) if partial else Icmpv6Message.parse(data, src, dst)
    t = msg.type
    if t in (ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY):
        kind = "request" if t == ICMPV6_ECHO_REQUEST else "reply"
        return f"echo {kind}, id {msg.ident}, seq {msg.seq}, length {n}"
    if t in (NDISC_NEIGHBOUR_SOLICITATION, NDISC_NEIGHBOUR_ADVERTISEMENT) and n >= 24:
        target = IPv6Address(msg.payload[:16])
        if t == NDISC_NEIGHBOUR_SOLICITATION:
            return f"neighbor solicitation, who has {target}, length {n}"
        return f"neighbor advertisement, tgt is {target}, length {n}"
    if t == NDISC_ROUTER_SOLICITATION:
        return f"router solicitation, length {n}"
    if t == NDISC_ROUTER_ADVERTISEMENT:
        return f"router advertisement, length {n}"
    if t == ICMPV6_MLD2_REPORT:
        return f"multicast listener report v2, {msg.rest & 0xFFFF} group record(s), length {n}"
    quoted = IPv6Address(msg.payload[24:40]) if len(msg.payload) >= 40 else "?"
    if t == ICMPV6_DEST_UNREACH:
        q = msg.payload
        if msg.code == 4 and len(q) >= 44 and q[6] in _L4:
            # "unreachable port, 2001:db8:1::2 udp port 9999" (measured)
            port = int.from_bytes(q[42:44], "big")
            return (f"destination unreachable, unreachable port, {quoted} {_L4[q[6]]} port "
                    f"{port}, length {n}")
        what = _UNREACH6.get(msg.code, f"unreachable code {msg.code}")
        return f"destination unreachable, {what} {quoted}, length {n}"
    if t == ICMPV6_PKT_TOOBIG:
        return f"packet too big, mtu {msg.mtu}, length {n}"
    if t == ICMPV6_TIME_EXCEED:
        kind = "in-transit" if msg.code == 0 else "reassembly"
        return f"time exceeded {kind} for {quoted}, length {n}"
    if t == ICMPV6_PARAMPROB:
        return f"parameter problem, code {msg.code}, pointer {msg.rest}, length {n}"
    return f"type-#{t}, length {n}"


def _quoted_dst(quote: bytes) -> str:
    if len(quote) >= 20 and quote[0] >> 4 == 4:
        return ".".join(str(b) for b in quote[16:20])
    return "?"
