"""vlan on the linux engine: an 802.1Q subinterface (net/8021q ``vlan_newlink``)."""

from __future__ import annotations

from dataclasses import dataclass

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds.base import KernelKind, Where
from vnetlab.kernel.ops.base import NewLink, NsHandle, Op
from vnetlab.kernel.probe import Prober
from vnetlab.model.kinds.vlan import VlanSpec


@dataclass(frozen=True, slots=True)
class AddVlan(NewLink[VlanSpec]):
    """``ip link add link LOWER name NAME type vlan id VID``: ``IFLA_LINK`` +
    ``IFLA_VLAN_ID``."""

    def info_kind(self) -> str:
        return "vlan"

    def info_data(self, h: NsHandle) -> bytes:
        return M.u16(M.IFLA_VLAN_ID, self.spec.id)


def realize(where: Where, spec: VlanSpec) -> list[Op]:
    return [AddVlan(where.ns, ifname=where.ifname, index=where.take_index(), mac=spec.mac,
                    mtu=spec.mtu or 1500, spec=spec)]


def probe(p: Prober) -> str | None:
    return p.newlink("vlan", [["IFLA_VLAN_ID", 10]], on_lower=True)


KIND: KernelKind[VlanSpec] = KernelKind(
    info_kind="vlan", realize=realize, probe=probe, follows_lower=True)
