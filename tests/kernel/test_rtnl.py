"""The hand-built rtnetlink bodies decode (with pyroute2) to what we meant."""

from __future__ import annotations

import struct

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from vnetlab.kernel import rtnl as M


def wrap(mtype: int, body: bytes) -> bytes:
    return struct.pack("IHHII", 16 + len(body), mtype, 5, 1, 0) + body


def test_veth_request_decodes() -> None:
    peer = M.ifinfomsg(7) + M.string(M.IFLA_IFNAME, "eth0") + M.u32(M.IFLA_MTU, 1400)
    body = (
        M.ifinfomsg(3)
        + M.string(M.IFLA_IFNAME, "veth0a")
        + M.mac(M.IFLA_ADDRESS, "02:00:00:00:01:0a")
        + M.u32(M.IFLA_GROUP, 30318)
        + M.nest(M.IFLA_LINKINFO, M.string(M.IFLA_INFO_KIND, "veth"),
                 M.nest(M.IFLA_INFO_DATA, M.nla(M.VETH_INFO_PEER, peer)))
    )
    m = ifinfmsg(wrap(M.RTM_NEWLINK, body))
    m.decode()
    assert m["index"] == 3
    assert m.get_attr("IFLA_IFNAME") == "veth0a"
    assert m.get_attr("IFLA_ADDRESS") == "02:00:00:00:01:0a"
    assert m.get_attr("IFLA_GROUP") == 30318
    assert m.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND") == "veth"
    p = m.get_nested("IFLA_LINKINFO", "IFLA_INFO_DATA", "VETH_INFO_PEER")
    assert p["index"] == 7 and p.get_attr("IFLA_IFNAME") == "eth0"
    assert p.get_attr("IFLA_MTU") == 1400


def test_route_request_decodes() -> None:
    body = M.rtmsg(2, 8, 254, 4, 0, 1) + M.ipv4(M.RTA_DST, "10.0.0.0") + M.ipv4(
        M.RTA_GATEWAY, "192.168.1.1") + M.u32(M.RTA_PRIORITY, 5)
    m = rtmsg(wrap(M.RTM_NEWROUTE, body))
    m.decode()
    assert (m["family"], m["dst_len"], m["table"], m["proto"], m["type"]) == (2, 8, 254, 4, 1)
    assert m.get_attr("RTA_DST") == "10.0.0.0"
    assert m.get_attr("RTA_GATEWAY") == "192.168.1.1"
    assert m.get_attr("RTA_PRIORITY") == 5


def test_attributes_are_aligned() -> None:
    assert len(M.string(M.IFLA_IFNAME, "abc")) == 8  # 4 header + "abc\0"
    assert len(M.string(M.IFLA_IFNAME, "abcd")) == 12  # 4 + 5 -> padded to 12
    assert len(M.mac(M.IFLA_ADDRESS, "02:00:00:00:00:01")) == 12
