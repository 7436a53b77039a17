"""macvlan on the linux engine (drivers/net/macvlan.c): ``IFLA_MACVLAN_MODE``."""

from __future__ import annotations

from dataclasses import dataclass

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds.base import KernelKind, Where
from vnetlab.kernel.kinds.lowerdev import AddLowerDev, where_lower
from vnetlab.kernel.ops.base import NsHandle, Op
from vnetlab.kernel.probe import Prober
from vnetlab.model.kinds.macvlan import MacvlanSpec

IFLA_MACVLAN_MODE = 1  # u32 (if_link.h)
MACVLAN_MODES = {"private": 1, "vepa": 2, "bridge": 4, "passthru": 8}


@dataclass(frozen=True, slots=True)
class AddMacvlan(AddLowerDev[MacvlanSpec]):
    """``... type macvlan mode M``."""

    @property
    def mode(self) -> str:
        return self.spec.mode

    def info_kind(self) -> str:
        return "macvlan"

    def info_data(self, h: NsHandle) -> bytes:
        return M.u32(IFLA_MACVLAN_MODE, MACVLAN_MODES[self.spec.mode])


def realize(where: Where, spec: MacvlanSpec) -> list[Op]:
    """Its own MAC, unless passthru (which takes the lower's)."""
    node, ns = where_lower(where, spec)
    return [AddMacvlan(where.ns, ifname=where.ifname, index=where.take_index(),
                       mac=spec.mac if spec.mode != "passthru" else None, mtu=spec.mtu or 1500,
                       spec=spec, link_node=node, link_ns=ns)]


def probe(p: Prober) -> str | None:
    return p.newlink("macvlan", [], on_lower=True)


KIND: KernelKind[MacvlanSpec] = KernelKind(
    info_kind="macvlan", realize=realize, probe=probe, follows_lower=True)
