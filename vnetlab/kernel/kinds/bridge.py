"""bridge on the linux engine: ``ip link add NAME type bridge ...`` (net/bridge).

Design note
-----------
The bridge is made with the devices of their own (before the veth pairs that become its
ports); what needs its ports — an explicit MTU given back after they joined (the bridge
auto-adjusts to its smallest port, ``br_mtu_auto_adjust``), static FDB entries, VLANs —
is ``configure``, run after every port joined. VLAN filtering needs
``CONFIG_BRIDGE_VLAN_FILTERING``, probed as a feature of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds.base import Feature, KernelKind, Where
from vnetlab.kernel.ops.base import NewLink, NsHandle, Op
from vnetlab.kernel.ops.brport import AddFdb, BridgeVlanOp
from vnetlab.kernel.ops.link import SetMtu
from vnetlab.kernel.probe import MODULE_MISSING, Prober
from vnetlab.model.kinds.bridge import BridgeSpec
from vnetlab.model.netdev import BridgeVlan, NetdevSpec

#: feature key of a bridge with ``vlan_filtering: true``
BRIDGE_VLAN_FILTERING = "bridge-vlan-filtering"
VLAN_FILTERING_MISSING = (
    "this kernel's bridge has no VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING off: "
    "`ip link add BR type bridge vlan_filtering 1` answers EOPNOTSUPP)"
)


@dataclass(frozen=True, slots=True)
class AddBridge(NewLink[BridgeSpec]):
    """``ip link add BR type bridge stp_state S ageing_time CS [vlan_filtering 1]
    [vlan_default_pvid N]`` (``br_dev_newlink``; ``IFLA_BR_AGEING_TIME`` is in
    centiseconds, as ``ip`` prints it)."""

    def info_kind(self) -> str:
        return "bridge"

    def info_data(self, h: NsHandle) -> bytes:
        s = self.spec
        data = M.u32(M.IFLA_BR_STP_STATE, int(s.stp))
        data += M.u32(M.IFLA_BR_AGEING_TIME, round(s.ageing_time * 100))
        if s.vlan_filtering:
            data += M.u8(M.IFLA_BR_VLAN_FILTERING, 1)
        if s.vlan_filtering or s.default_pvid != 1:  # the words ip_link_type() prints
            data += M.u16(M.IFLA_BR_VLAN_DEFAULT_PVID, s.default_pvid)
        return data


def realize(where: Where, spec: BridgeSpec) -> list[Op]:
    return [AddBridge(where.ns, ifname=where.ifname, index=where.take_index(), mac=spec.mac,
                      mtu=spec.mtu, spec=spec)]


def _vlan_ops(ns: str, dev: str, vlans: list[BridgeVlan], self_: bool) -> list[Op]:
    ops: list[Op] = []
    for v in vlans:
        r = v.vids
        ops.append(BridgeVlanOp(ns, dev=dev, vid=r.start,
                                vid_end=r.stop - 1 if len(r) > 1 else None, pvid=v.pvid,
                                untagged=v.untagged, self_=self_))
    return ops


def _vlans(ns: str, br: str, spec: BridgeSpec, ifaces: Mapping[str, NetdevSpec]) -> list[Op]:
    """Per-port and bridge-self VLANs. A new port (and the bridge itself) gets
    ``default_pvid`` pvid untagged from the kernel (``nbp_vlan_init``); a port with its own
    list loses that first, as ``bridge vlan del vid 1 dev PORT`` does by hand."""
    ops: list[Op] = []
    for ifname, p in ifaces.items():
        if p.master != br or p.bridge_port is None or p.bridge_port.vlans is None:
            continue
        if spec.default_pvid:
            ops.append(BridgeVlanOp(ns, dev=ifname, vid=spec.default_pvid, delete=True))
        ops.extend(_vlan_ops(ns, ifname, p.bridge_port.vlans, False))
    if spec.vlans is not None:
        if spec.default_pvid:
            ops.append(BridgeVlanOp(ns, dev=br, vid=spec.default_pvid, self_=True, delete=True))
        ops.extend(_vlan_ops(ns, br, spec.vlans, True))
    return ops


def configure(ns: str, ifname: str, spec: BridgeSpec,
              ifaces: Mapping[str, NetdevSpec]) -> list[Op]:
    """After the ports joined: the bridge's own MTU back, static FDB entries, VLANs."""
    ops: list[Op] = []
    mtus = [p.mtu for p in ifaces.values() if p.master == ifname]
    if mtus and min(mtus) != spec.mtu:
        ops.append(SetMtu(ns, ifname=ifname, mtu=spec.mtu))
    ops.extend(AddFdb(ns, bridge=ifname, dev=e.dev, mac=e.mac) for e in spec.fdb)
    if spec.vlan_filtering:
        ops.extend(_vlans(ns, ifname, spec, ifaces))
    return ops


def probe(p: Prober) -> str | None:
    return p.newlink("bridge", [])


def probe_vlan_filtering(p: Prober) -> str | None:
    """Without CONFIG_BRIDGE_VLAN_FILTERING ``br_changelink`` answers EOPNOTSUPP."""
    reason = p.newlink("bridge", [["IFLA_BR_VLAN_FILTERING", 1]])
    return VLAN_FILTERING_MISSING if reason is not None and MODULE_MISSING in reason \
        else reason


def _wants_vlan_filtering(spec: BridgeSpec) -> bool:
    return spec.vlan_filtering


KIND: KernelKind[BridgeSpec] = KernelKind(
    info_kind="bridge",
    realize=realize,
    probe=probe,
    configure=configure,
    features=(Feature(BRIDGE_VLAN_FILTERING, "vlan_filtering", _wants_vlan_filtering,
                      probe_vlan_filtering),),
    enslaves=True,
    carrier=True,
)
