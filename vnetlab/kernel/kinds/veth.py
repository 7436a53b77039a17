"""veth on the linux engine: pairs made straight across two namespaces (drivers/net/veth.c).

Design note
-----------
A veth end is nothing on its own: the plan makes each pair of ``links:`` with one
``AddVeth`` (``realize_pair``), ``... type veth peer name P netns NS`` -> ``RTM_NEWLINK``
with ``IFLA_LINKINFO/IFLA_INFO_DATA/VETH_INFO_PEER`` carrying the peer's ``ifinfomsg`` and
``IFLA_NET_NS_FD`` (``veth_newlink``), the MAC and MTU of both ends from the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyroute2.netlink import NLM_F_CREATE, NLM_F_EXCL

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds.base import Indexer, KernelKind, Where
from vnetlab.kernel.ops.base import VNL_GROUP, Op, Realized, link_add_head, link_attrs
from vnetlab.kernel.probe import Prober
from vnetlab.model.kinds.veth import VethSpec
from vnetlab.model.netdev import NetdevSpec
from vnetlab.model.spec import LinkSpec


@dataclass(frozen=True, slots=True)
class AddVeth(Op):
    """``ip link add NAME type veth peer name P netns NS``, both ends' MAC, MTU, group."""

    ifname: str = ""
    index: int = 0
    mac: str | None = None
    mtu: int = 1500
    peer_ns: str = ""
    peer_ifname: str = ""
    peer_index: int = 0
    peer_mac: str | None = None
    peer_mtu: int = 1500

    def shell(self) -> str:
        paddr = f" address {self.peer_mac}" if self.peer_mac else ""
        return (
            f"{link_add_head(self.ns, self.ifname, self.mac, self.mtu)} "
            f"type veth peer name {self.peer_ifname} netns {self.peer_ns}{paddr} "
            f"mtu {self.peer_mtu} group {VNL_GROUP}"
        )

    def apply(self, r: Realized) -> None:
        h = r.ns[self.ns]
        p = r.ns[self.peer_ns]
        peer = (
            M.ifinfomsg(self.peer_index)
            + link_attrs(self.peer_ifname, self.peer_mtu, self.peer_mac)
            + M.s32(M.IFLA_NET_NS_FD, p.fd)
        )
        body = M.ifinfomsg(self.index) + link_attrs(self.ifname, self.mtu, self.mac) + M.nest(
            M.IFLA_LINKINFO,
            M.string(M.IFLA_INFO_KIND, "veth"),
            M.nest(M.IFLA_INFO_DATA, M.nla(M.VETH_INFO_PEER, peer)),
        )
        h.sock.send_raw(M.RTM_NEWLINK, body, NLM_F_CREATE | NLM_F_EXCL, tag=self)
        h.index[self.ifname] = self.index
        p.index[self.peer_ifname] = self.peer_index
        r.peers[(self.ns, self.ifname)] = (self.peer_ns, self.peer_ifname)
        r.peers[(self.peer_ns, self.peer_ifname)] = (self.ns, self.ifname)


def realize(where: Where, spec: VethSpec) -> list[Op]:
    """Nothing on its own: both ends of a pair are made by one ``AddVeth`` from ``links:``."""
    return []


def _end(ifaces: Mapping[str, NetdevSpec], ifname: str) -> NetdevSpec:
    spec = ifaces.get(ifname)
    return spec if spec is not None else VethSpec()


def realize_pair(link: LinkSpec, nodes: Mapping[str, Mapping[str, NetdevSpec]],
                 namespaces: Mapping[str, str], idx: Indexer) -> AddVeth:
    """One pair of ``links:``; an end the node does not list is a plain veth end."""
    a, b = link.endpoints
    sa = _end(nodes[a.node], a.ifname)
    sb = _end(nodes[b.node], b.ifname)
    return AddVeth(namespaces[a.node], ifname=a.ifname, index=idx.take(namespaces[a.node]),
                   mac=sa.mac, mtu=sa.mtu, peer_ns=namespaces[b.node], peer_ifname=b.ifname,
                   peer_index=idx.take(namespaces[b.node]), peer_mac=sb.mac, peer_mtu=sb.mtu)


def decode_peer(node: str, m: Any, links: Mapping[str, Mapping[int, Any]],
                want: tuple[str, str] | None) -> str | None:
    """``NODE:IFNAME`` when the model says which end is the peer *and* the kernel confirms
    it (the peer's ``IFLA_LINK`` points back at us), else None."""
    if want is None or want[0] not in links:
        return None
    pm = links[want[0]].get(m.get_attr("IFLA_LINK"))
    if pm is not None and pm.get_attr("IFLA_IFNAME") == want[1] and \
            pm.get_attr("IFLA_LINK") == m["index"]:
        return f"{want[0]}:{want[1]}"
    return None


def probe(p: Prober) -> str | None:
    return p.newlink("veth", [["VETH_INFO_PEER", {"attrs": [["IFLA_IFNAME", p.fresh_name()]]}]])


KIND: KernelKind[VethSpec] = KernelKind(
    info_kind="veth", realize=realize, probe=probe, carrier=True, decode_peer=decode_peer)
