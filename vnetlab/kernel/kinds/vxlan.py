"""vxlan on the linux engine: ``ip link add NAME type vxlan id VNI ...`` (drivers/net/vxlan).

Design note
-----------
The device's own forwarding table (remote VTEPs by MAC) is filled by ``configure`` with
``bridge fdb append`` once the device exists, and read back by ``decode_self_fdb``: the
entries ``bridge fdb show dev vx0`` lists as ``MAC dst IP self``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyroute2.netlink import NLM_F_CREATE

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds.base import KernelKind, Where
from vnetlab.kernel.ops.base import NewLink, NsHandle, Op, Realized
from vnetlab.kernel.probe import Prober
from vnetlab.model.kinds.vxlan import VxlanSpec
from vnetlab.model.netdev import NetdevSpec
from vnetlab.model.state import FdbState


@dataclass(frozen=True, slots=True)
class AddVxlan(NewLink[VxlanSpec]):
    """The attributes ``iproute2 ip/iplink_vxlan.c`` sends (``vxlan_nl2conf`` reads them);
    the underlay ``dev`` is ``IFLA_VXLAN_LINK``, not ``IFLA_LINK``."""

    def info_kind(self) -> str:
        return "vxlan"

    def info_data(self, h: NsHandle) -> bytes:
        s = self.spec
        data = M.u32(M.IFLA_VXLAN_ID, s.id) + M.be16(M.IFLA_VXLAN_PORT, s.dstport)
        dst = s.remote or s.group
        if dst is not None:
            data += M.ipv4(M.IFLA_VXLAN_GROUP, str(dst))
        if s.local is not None:
            data += M.ipv4(M.IFLA_VXLAN_LOCAL, str(s.local))
        if s.dev:
            data += M.u32(M.IFLA_VXLAN_LINK, self.ifindex(h, s.dev))
        if s.ttl is not None:
            data += M.u8(M.IFLA_VXLAN_TTL, s.ttl)
        data += M.u8(M.IFLA_VXLAN_DF, M.TUNNEL_DF[s.df])
        data += M.u8(M.IFLA_VXLAN_LEARNING, int(s.learning))
        return data


@dataclass(frozen=True, slots=True)
class AddVxlanFdb(Op):
    """``bridge fdb append MAC dev VXLAN dst IP``: ``NTF_SELF``, ``NUD_NOARP|NUD_PERMANENT``
    (bridge/fdb.c's defaults), ``NLM_F_APPEND`` (``vxlan_fdb_add`` adds a further remote to
    the same MAC: head-end replication for the all-zeros entry)."""

    dev: str = ""
    mac: str = ""
    dst: str = ""

    def shell(self) -> str:
        return f"bridge -n {self.ns} fdb append {self.mac} dev {self.dev} dst {self.dst}"

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        body = M.ndmsg(M.AF_BRIDGE, self.ifindex(h, self.dev), M.NUD_NOARP | M.NUD_PERMANENT,
                       M.NTF_SELF)
        body += M.mac(M.NDA_LLADDR, self.mac) + M.ipv4(M.NDA_DST, self.dst)
        h.sock.send_raw(M.RTM_NEWNEIGH, body, NLM_F_CREATE | M.NLM_F_APPEND, tag=self)


def realize(where: Where, spec: VxlanSpec) -> list[Op]:
    return [AddVxlan(where.ns, ifname=where.ifname, index=where.take_index(), mac=spec.mac,
                     mtu=spec.mtu or 1500, spec=spec)]


def configure(ns: str, ifname: str, spec: VxlanSpec,
              ifaces: Mapping[str, NetdevSpec]) -> list[Op]:
    return [AddVxlanFdb(ns, dev=ifname, mac=e.mac, dst=str(e.dst)) for e in spec.fdb]


def decode_self_fdb(e: Any, dev: str) -> FdbState | None:
    """One entry of the device's own table (``vxlan_fdb_info``): MAC -> remote VTEP."""
    dst = e.get_attr("NDA_DST")
    if not dst:
        return None
    flags: tuple[str, ...] = ("self",)
    if e["state"] & M.NUD_PERMANENT:
        flags += ("permanent",)
    elif e["state"] & M.NUD_NOARP:
        flags += ("static",)
    return FdbState(bridge=dev, port=dev, mac=str(e.get_attr("NDA_LLADDR")), vlan=None,
                    flags=flags, dst=dst)


def probe(p: Prober) -> str | None:
    return p.newlink("vxlan", [["IFLA_VXLAN_ID", 10], ["IFLA_VXLAN_PORT", 4789]])


KIND: KernelKind[VxlanSpec] = KernelKind(
    info_kind="vxlan", realize=realize, probe=probe, configure=configure,
    decode_self_fdb=decode_self_fdb)
