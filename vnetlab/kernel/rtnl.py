"""Byte-exact rtnetlink request bodies for the few requests ``apply`` sends (hot path).

Design note
-----------
Builds the same bytes iproute2 builds with ``addattr_l``/``addattr_nest`` (``lib/libnetlink.c``):
a fixed header (``struct ifinfomsg``, ``ifaddrmsg``, ``rtmsg``, ``ndmsg`` from
``include/uapi/linux/rtnetlink.h``) followed by 4-byte aligned TLV attributes; nests carry
``NLA_F_NESTED`` only where iproute2 sets it (``IFLA_PROTINFO`` for ``bridge link set``,
which ``br_setlink`` requires). Encoding by hand is about 20x cheaper than pyroute2's
generic encoder, which dominated bring-up time; decoding (observe, gc) stays with pyroute2,
and a unit test decodes these bytes with pyroute2 to prove they mean what we say.
"""

from __future__ import annotations

import socket
import struct

NLA_F_NESTED = 1 << 15

# message types (rtnetlink.h)
RTM_NEWLINK = 16
RTM_DELLINK = 17
RTM_SETLINK = 19
RTM_NEWADDR = 20
RTM_NEWROUTE = 24
RTM_NEWNEIGH = 28
RTM_GETNEIGH = 30
RTM_DELNEIGH = 29

# IFLA_* (if_link.h)
IFLA_ADDRESS = 1
IFLA_IFNAME = 3
IFLA_MTU = 4
IFLA_MASTER = 10
IFLA_PROTINFO = 12
IFLA_LINKINFO = 18
IFLA_IFALIAS = 20
IFLA_GROUP = 27
IFLA_NET_NS_FD = 28
IFLA_LINK = 5
IFLA_AF_SPEC = 26
IFLA_INFO_KIND = 1
IFLA_INFO_DATA = 2
VETH_INFO_PEER = 1
IFLA_BR_AGEING_TIME = 4
IFLA_BR_STP_STATE = 5
IFLA_BR_VLAN_FILTERING = 7
IFLA_BR_VLAN_DEFAULT_PVID = 39
IFLA_BRPORT_MODE = 4  # hairpin
IFLA_BRPORT_LEARNING = 8
IFLA_BRPORT_UNICAST_FLOOD = 9
IFLA_VLAN_ID = 1  # u16
# IFLA_VXLAN_* (if_link.h)
IFLA_VXLAN_ID = 1
IFLA_VXLAN_GROUP = 2  # remote or multicast group (in_addr)
IFLA_VXLAN_LINK = 3
IFLA_VXLAN_LOCAL = 4
IFLA_VXLAN_TTL = 5
IFLA_VXLAN_LEARNING = 7
IFLA_VXLAN_PORT = 15  # be16
IFLA_VXLAN_DF = 29
# IFLA_GENEVE_* (if_link.h)
IFLA_GENEVE_ID = 1
IFLA_GENEVE_REMOTE = 2
IFLA_GENEVE_TTL = 3
IFLA_GENEVE_PORT = 5  # be16
IFLA_GENEVE_DF = 13
#: enum ifla_vxlan_df / ifla_geneve_df
TUNNEL_DF = {"unset": 0, "set": 1, "inherit": 2}
# IFLA_BRIDGE_* inside IFLA_AF_SPEC (if_bridge.h)
IFLA_BRIDGE_FLAGS = 0
IFLA_BRIDGE_VLAN_INFO = 2
BRIDGE_FLAGS_SELF = 2
BRIDGE_VLAN_INFO_PVID = 0x2
BRIDGE_VLAN_INFO_UNTAGGED = 0x4
BRIDGE_VLAN_INFO_RANGE_BEGIN = 0x8
BRIDGE_VLAN_INFO_RANGE_END = 0x10
# IFA_*, RTA_*, NDA_*
IFA_ADDRESS = 1
IFA_LOCAL = 2
RTA_DST = 1
RTA_OIF = 4
RTA_GATEWAY = 5
RTA_PRIORITY = 6
RTA_TABLE = 15
NDA_DST = 1
NDA_LLADDR = 2

_HDR = struct.Struct("HH")


def nla(t: int, payload: bytes) -> bytes:
    n = 4 + len(payload)
    return _HDR.pack(n, t) + payload + b"\0" * (-n % 4)


def u8(t: int, v: int) -> bytes:
    return nla(t, struct.pack("B", v))


def u16(t: int, v: int) -> bytes:
    return nla(t, struct.pack("H", v))


def be16(t: int, v: int) -> bytes:
    return nla(t, struct.pack("!H", v))


def u32(t: int, v: int) -> bytes:
    return nla(t, struct.pack("I", v))


def s32(t: int, v: int) -> bytes:
    return nla(t, struct.pack("i", v))


def string(t: int, s: str) -> bytes:
    return nla(t, s.encode() + b"\0")


def mac(t: int, m: str) -> bytes:
    return nla(t, bytes.fromhex(m.replace(":", "")))


def ipv4(t: int, a: str) -> bytes:
    return nla(t, socket.inet_aton(a))


def nest(t: int, *parts: bytes) -> bytes:
    return nla(t, b"".join(parts))


def ifinfomsg(index: int = 0, flags: int = 0, change: int = 0, family: int = 0) -> bytes:
    """struct ifinfomsg: family, pad, type, index, flags, change."""
    return struct.pack("BxHiII", family, 0, index, flags, change)


def ifaddrmsg(family: int, prefixlen: int, index: int, flags: int = 0, scope: int = 0) -> bytes:
    return struct.pack("BBBBI", family, prefixlen, flags, scope, index)


def rtmsg(family: int, dst_len: int, table: int, proto: int, scope: int, rtype: int) -> bytes:
    """struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags."""
    return struct.pack("BBBBBBBBI", family, dst_len, 0, 0, table, proto, scope, rtype, 0)


def ndmsg(family: int, ifindex: int, state: int, flags: int, ntype: int = 0) -> bytes:
    """struct ndmsg: family, pad1, pad2, ifindex, state, flags, type."""
    return struct.pack("BxxxiHBB", family, ifindex, state, flags, ntype)


def bridge_vlan_info(flags: int, vid: int) -> bytes:
    """struct bridge_vlan_info {__u16 flags; __u16 vid;} as ``IFLA_BRIDGE_VLAN_INFO``."""
    return nla(IFLA_BRIDGE_VLAN_INFO, struct.pack("HH", flags, vid))


# ifinfomsg flags, address families, neighbour and route constants the ops send
IFF_UP = 0x1
AF_INET = 2
AF_BRIDGE = 7
NTF_SELF = 0x02
NTF_MASTER = 0x04
NLM_F_APPEND = 0x800
NUD_PERMANENT = 0x80
NUD_NOARP = 0x40
NUD_REACHABLE = 0x02
RT_TABLE_MAIN = 254
RTPROT_BOOT = 3
RTN_UNICAST = 1
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_LINK = 253
