"""vf on the linux engine: a VF's netdev moved from the host into its lab namespace.

Design note
-----------
The VF's netdev exists once ``sriov_numvfs`` was written (the ``nic`` kind) and its VF
driver has bound; the kernel names it (``enp3s0f0v0``, ``eth5``...). The op finds it
through the PF's ``device/virtfnN/net/`` and moves and renames it in one request
(``ip link set $(ls .../virtfnN/net) netns NS name NAME``). A VF without an
administrative MAC gets the lab's MAC on its own netdev, as a container's VF would; one
with an administrative MAC keeps it (the PF set it). Deleting the namespace would hand
a physical netdev back to the host (``default_device_exit``); the PF's restore removes
the VFs before that.
"""

from __future__ import annotations

from vnetlab.kernel.kinds.base import KernelKind, Where
from vnetlab.kernel.kinds.sriov_ops import MoveVf, SetVfAddress
from vnetlab.kernel.ops.base import Op
from vnetlab.kernel.ops.link import SetMtu
from vnetlab.kernel.probe import Prober
from vnetlab.model.kinds.nic import NicSpec
from vnetlab.model.kinds.vf import VfSpec


def _pf(where: Where, spec: VfSpec) -> NicSpec | None:
    node, _, ifname = spec.link.rpartition(":")
    pf = where.nodes.get(node or where.node, {}).get(ifname)
    return pf if isinstance(pf, NicSpec) else None


def realize(where: Where, spec: VfSpec) -> list[Op]:
    pf = _pf(where, spec)
    if pf is None or pf.device is None:
        return []  # the PF's refusal names what is missing
    ops: list[Op] = [MoveVf(where.ns, pf=pf.device, vf=spec.vf, ifname=where.ifname,
                            index=where.take_index())]
    settings = pf.sriov.vfs.get(spec.vf) if pf.sriov is not None else None
    if spec.mac is not None and (settings is None or settings.mac is None):
        ops.append(SetVfAddress(where.ns, ifname=where.ifname, mac=str(spec.mac)))
    if spec.mtu != 1500:
        ops.append(SetMtu(where.ns, ifname=where.ifname, mtu=spec.mtu))
    return ops


def probe(p: Prober) -> str | None:
    """A VF is its PF's: the nic's refusal reads the host's sysfs."""
    return None


KIND: KernelKind[VfSpec] = KernelKind(info_kind="", realize=realize, probe=probe)
