"""Packet formats as small immutable header values that parse from and emit real wire bytes.

Design note: every format is a frozen, slotted dataclass with ``parse`` (bytes in; ParseError on
any truncated or malformed input, never another exception) and ``emit`` (bytes out, with
lengths and checksums computed). Multi-byte fields are network byte order via precompiled
``struct.Struct`` formats. Used by the emulator (``vnetlab.sim``), which passes real frames
around, so the bytes must decode identically in tshark and scapy.
"""

from vnetlab.wire.arp import ARPOP_REPLY, ARPOP_REQUEST, ArpPacket
from vnetlab.wire.checksum import internet_checksum
from vnetlab.wire.describe import describe
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ethernet import (
    ETH_HLEN,
    ETH_P_8021AD,
    ETH_P_8021Q,
    ETH_P_ARP,
    ETH_P_IP,
    ETH_P_IPV6,
    ETH_ZLEN,
    VLAN_HLEN,
    EthernetHeader,
    VlanTag,
    parse_vlan,
)
from vnetlab.wire.icmp import (
    ICMP_DEST_UNREACH,
    ICMP_ECHO,
    ICMP_ECHOREPLY,
    ICMP_EXC_FRAGTIME,
    ICMP_EXC_TTL,
    ICMP_FRAG_NEEDED,
    ICMP_HOST_UNREACH,
    ICMP_MAX_QUOTE,
    ICMP_NET_UNREACH,
    ICMP_PORT_UNREACH,
    ICMP_PROT_UNREACH,
    ICMP_TIME_EXCEEDED,
    IcmpMessage,
)
from vnetlab.wire.ipv4 import (
    IP_DF,
    IP_MF,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Ipv4Header,
    fragment,
    pseudo_header,
)
from vnetlab.wire.mac import (
    BROADCAST,
    ZERO,
    is_broadcast,
    is_multicast,
    mac_to_bytes,
    mac_to_str,
)
from vnetlab.wire.pcap import LINKTYPE_ETHERNET, PcapWriter, read_pcap
from vnetlab.wire.udp import UdpHeader, verify_checksum

__all__ = [
    "ARPOP_REPLY",
    "ARPOP_REQUEST",
    "BROADCAST",
    "ETH_HLEN",
    "ETH_P_8021AD",
    "ETH_P_8021Q",
    "ETH_P_ARP",
    "ETH_P_IP",
    "ETH_P_IPV6",
    "ETH_ZLEN",
    "ICMP_DEST_UNREACH",
    "ICMP_ECHO",
    "ICMP_ECHOREPLY",
    "ICMP_EXC_FRAGTIME",
    "ICMP_EXC_TTL",
    "ICMP_FRAG_NEEDED",
    "ICMP_HOST_UNREACH",
    "ICMP_MAX_QUOTE",
    "ICMP_NET_UNREACH",
    "ICMP_PORT_UNREACH",
    "ICMP_PROT_UNREACH",
    "ICMP_TIME_EXCEEDED",
    "IPPROTO_ICMP",
    "IPPROTO_TCP",
    "IPPROTO_UDP",
    "IP_DF",
    "IP_MF",
    "LINKTYPE_ETHERNET",
    "VLAN_HLEN",
    "ZERO",
    "ArpPacket",
    "EthernetHeader",
    "IcmpMessage",
    "Ipv4Header",
    "ParseError",
    "PcapWriter",
    "UdpHeader",
    "VlanTag",
    "describe",
    "fragment",
    "internet_checksum",
    "is_broadcast",
    "is_multicast",
    "mac_to_bytes",
    "mac_to_str",
    "parse_vlan",
    "pseudo_header",
    "read_pcap",
    "verify_checksum",
]
