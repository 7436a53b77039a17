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
IFLA_INFO_KIND = 1
IFLA_INFO_DATA = 2
VETH_INFO_PEER = 1
IFLA_BR_AGEING_TIME = 4
IFLA_BR_STP_STATE = 5
IFLA_BRPORT_MODE = 4  # hairpin
IFLA_BRPORT_LEARNING = 8
IFLA_BRPORT_UNICAST_FLOOD = 9
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
