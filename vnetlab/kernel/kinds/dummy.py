"""dummy on the linux engine: ``ip link add NAME type dummy`` (drivers/net/dummy.c).

No ``IFLA_INFO_DATA``: the kind has no options. The probe tells kernels built without
``CONFIG_DUMMY`` (or without the module loaded) apart, and the plan refuses the lab there.
"""

from __future__ import annotations

from dataclasses import dataclass

from vnetlab.kernel.kinds.base import KernelKind, Where
from vnetlab.kernel.ops.base import NewLink, NsHandle, Op
from vnetlab.kernel.probe import Prober
from vnetlab.model.kinds.dummy import DummySpec


@dataclass(frozen=True, slots=True)
class AddDummy(NewLink[DummySpec]):
    """``ip link add NAME type dummy``: ``IFLA_INFO_KIND`` "dummy" and nothing else."""

    def info_kind(self) -> str:
        return "dummy"

    def info_data(self, h: NsHandle) -> bytes:
        return b""


def realize(where: Where, spec: DummySpec) -> list[Op]:
    return [AddDummy(where.ns, ifname=where.ifname, index=where.take_index(), mac=spec.mac,
                     mtu=spec.mtu, spec=spec)]


def probe(p: Prober) -> str | None:
    return p.newlink("dummy", [])


KIND: KernelKind[DummySpec] = KernelKind(info_kind="dummy", realize=realize, probe=probe)
