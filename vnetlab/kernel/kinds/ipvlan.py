"""ipvlan on the linux engine (drivers/net/ipvlan): ``IFLA_IPVLAN_MODE``."""

from __future__ import annotations

from dataclasses import dataclass

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds.base import KernelKind, Where
from vnetlab.kernel.kinds.lowerdev import AddLowerDev, where_lower
from vnetlab.kernel.ops.base import NsHandle, Op
from vnetlab.kernel.probe import Prober
from vnetlab.model.kinds.ipvlan import IpvlanSpec

IFLA_IPVLAN_MODE = 1  # u16 (if_link.h)
IPVLAN_MODES = {"l2": 0, "l3": 1, "l3s": 2}


@dataclass(frozen=True, slots=True)
class AddIpvlan(AddLowerDev[IpvlanSpec]):
    """``... type ipvlan mode l2|l3``."""

    @property
    def mode(self) -> str:
        return self.spec.mode

    def info_kind(self) -> str:
        return "ipvlan"

    def info_data(self, h: NsHandle) -> bytes:
        return M.u16(IFLA_IPVLAN_MODE, IPVLAN_MODES[self.spec.mode])


def realize(where: Where, spec: IpvlanSpec) -> list[Op]:
    """The ipvlan takes its lower's MAC, so none is sent."""
    node, ns = where_lower(where, spec)
    return [AddIpvlan(where.ns, ifname=where.ifname, index=where.take_index(), mac=None,
                      mtu=spec.mtu or 1500, spec=spec, link_node=node, link_ns=ns)]


def probe(p: Prober) -> str | None:
    return p.newlink("ipvlan", [], on_lower=True)


KIND: KernelKind[IpvlanSpec] = KernelKind(
    info_kind="ipvlan", realize=realize, probe=probe, follows_lower=True)
