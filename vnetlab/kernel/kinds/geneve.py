"""geneve on the linux engine: ``ip link add NAME type geneve id VNI remote IP ...``
(drivers/net/geneve.c ``geneve_nl2info``)."""

from __future__ import annotations

from dataclasses import dataclass

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds.base import KernelKind, Where
from vnetlab.kernel.ops.base import NewLink, NsHandle, Op
from vnetlab.kernel.probe import Prober
from vnetlab.model.kinds.geneve import GeneveSpec

#: why a Geneve ``options`` list cannot be built on a Linux geneve netdev
OPTIONS_REASON = (
    "Linux's geneve device takes no option TLVs: IFLA_GENEVE_* has no options attribute "
    "(drivers/net/geneve.c geneve_nl2info); options are set per packet only through "
    "collect_metadata tunnels (tc tunnel_key, Open vSwitch)"
)


@dataclass(frozen=True, slots=True)
class AddGeneve(NewLink[GeneveSpec]):
    """``IFLA_GENEVE_ID``, ``_REMOTE``, ``_PORT`` (always sent), ``_TTL``, ``_DF``."""

    def info_kind(self) -> str:
        return "geneve"

    def info_data(self, h: NsHandle) -> bytes:
        s = self.spec
        data = M.u32(M.IFLA_GENEVE_ID, s.id) + M.ipv4(M.IFLA_GENEVE_REMOTE, str(s.remote))
        data += M.be16(M.IFLA_GENEVE_PORT, s.dstport)
        if s.ttl is not None:
            data += M.u8(M.IFLA_GENEVE_TTL, s.ttl)
        return data + M.u8(M.IFLA_GENEVE_DF, M.TUNNEL_DF[s.df])


def realize(where: Where, spec: GeneveSpec) -> list[Op]:
    return [AddGeneve(where.ns, ifname=where.ifname, index=where.take_index(), mac=spec.mac,
                      mtu=spec.mtu or 1500, spec=spec)]


def refuse(spec: GeneveSpec) -> str | None:
    return "with options: " + OPTIONS_REASON if spec.options else None


def probe(p: Prober) -> str | None:
    return p.newlink("geneve", [["IFLA_GENEVE_ID", 10], ["IFLA_GENEVE_REMOTE", "10.0.0.1"]])


KIND: KernelKind[GeneveSpec] = KernelKind(
    info_kind="geneve", realize=realize, probe=probe, refuse=refuse)
