"""nic on the linux engine: the host's SR-IOV physical function (``NicSpec.device``).

Design note
-----------
A lab's ``nic`` is not made: it names the host's real PF (``device: enp3s0f0``), which
stays in the host's namespace (``in_host``: never tagged, addressed, enslaved or brought
up by the lab). What the lab changes on it is SR-IOV state (``sriov_host``/``sriov_ops``):

1. ``echo N > /sys/class/net/PF/device/sriov_numvfs`` — through ``echo 0`` first when the
   PF has another number enabled (``sriov_numvfs_store``: nonzero to nonzero is EBUSY),
   and also when it has the same number: the lab's VFs start from the driver's defaults
   and no VF somebody else was using is handed to the lab. The first write takes the
   PF's claim, so teardown, rollback and ``vnetlab gc`` put the original number back;
2. ``ip link set PF vf N ...`` for each VF the lab configures (``do_setvfinfo``).

The VF netdevs are then moved into the lab by the ``vf`` kind. The plan refuses, naming
what is missing, a nic without ``device``, a device that is not on this host or has no
SR-IOV, more VFs than ``sriov_totalvfs``, and what only the emulator has (cables between
nic ports, addresses or a bridge on the PF).
"""

from __future__ import annotations

from vnetlab.kernel.kinds import sriov_host
from vnetlab.kernel.kinds.base import KernelKind, Where
from vnetlab.kernel.kinds.sriov_ops import SetVf, WriteNumvfs
from vnetlab.kernel.ops.base import Op
from vnetlab.kernel.probe import Prober
from vnetlab.model.kinds.nic import NicSpec, VfSettings

_DEFAULT = VfSettings()


def set_vf(pf: str, vf: int, s: VfSettings) -> SetVf | None:
    """``ip link set PF vf N ...`` with the words of the settings that differ from the
    driver's defaults (None when all are defaults)."""
    op = SetVf("", pf=pf, vf=vf,
               mac=str(s.mac) if s.mac is not None else None,
               vlan=s.vlan if (s.vlan, s.qos, s.proto) != (0, 0, "802.1Q") else None,
               qos=s.qos, proto=s.proto,
               spoofchk=s.spoofchk if s.spoofchk != _DEFAULT.spoofchk else None,
               trust=s.trust if s.trust != _DEFAULT.trust else None,
               state=s.state if s.state != _DEFAULT.state else None,
               max_tx_rate=s.max_tx_rate if s.max_tx_rate or s.min_tx_rate else None,
               min_tx_rate=s.min_tx_rate if s.min_tx_rate else None,
               query_rss=s.query_rss if s.query_rss != _DEFAULT.query_rss else None)
    return op if op.words() else None


def realize(where: Where, spec: NicSpec) -> list[Op]:
    if spec.sriov is None or spec.device is None:
        return []
    host = sriov_host.current_host()
    pf, n = spec.device, spec.sriov.numvfs
    original = host.numvfs(pf) or 0
    if n == 0 and original == 0:
        return []
    ops: list[Op] = []
    steps = [0, n] if original != 0 and n != 0 else [n]
    for k, count in enumerate(steps):
        ops.append(WriteNumvfs("", pf=pf, numvfs=count, original=original, target=n,
                               alias=where.alias, claim=k == 0))
    for vf in sorted(spec.sriov.vfs):
        op = set_vf(pf, vf, spec.sriov.vfs[vf])
        if op is not None:
            ops.append(op)
    return ops


def refuse(spec: NicSpec) -> str | None:
    """Why this host cannot realize the nic (read from its sysfs), or None: every
    reason, and what the host has."""
    host = sriov_host.current_host()
    why: list[str] = []
    if spec.wire is not None:
        why.append("with wire: cables between nic ports exist only in the emulator (on the "
                   "kernel, join namespaces with links: veth)")
    if spec.addresses or spec.master is not None:
        why.append("with addresses or a master: the PF stays in the host's namespace (the "
                   "linux engine never re-addresses or enslaves the machine's NIC); give "
                   "them to its VFs")
    dev = spec.device
    total = host.totalvfs(dev) if dev is not None else None
    if dev is None:
        why.append("without 'device': on the linux engine a nic names the host's SR-IOV "
                   "physical function (device: enp3s0f0)")
    elif not host.exists(dev):
        why.append(f"with device {dev}: no such network device on this host "
                   f"(/sys/class/net/{dev})")
    elif spec.sriov is not None and total is None:
        driver = host.driver(dev)
        by = f" (driver {driver})" if driver else ""
        why.append(f"with device {dev}: {dev}{by} has no SR-IOV (no /sys/class/net/{dev}/"
                   "device/sriov_totalvfs)")
    elif spec.sriov is not None and total is not None and spec.sriov.numvfs > total:
        why.append(f"with device {dev}: the lab asks for {spec.sriov.numvfs} VFs, {dev} "
                   f"offers {total} (sriov_totalvfs): echo {spec.sriov.numvfs} > "
                   f"/sys/class/net/{dev}/device/sriov_numvfs fails with ERANGE (Numerical "
                   "result out of range)")
    if not why:
        return None
    if dev is None or total is None:
        why[-1] += f"; {host.missing()}"
    return "; ".join(why)


def probe(p: Prober) -> str | None:
    """Nothing to try in a namespace: SR-IOV is the host's PCI device (``refuse`` reads
    its sysfs)."""
    return None


KIND: KernelKind[NicSpec] = KernelKind(info_kind="", realize=realize, probe=probe,
                                       refuse=refuse, in_host=True)
