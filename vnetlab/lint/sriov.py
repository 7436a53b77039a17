"""SRIOV001 VFs above totalvfs, SRIOV002 rings oversubscribing the pool, SRIOV003 spoof
checking off on a VF.

Design note: the PF (``nic`` with ``sriov``) keeps the per-VF settings, as the kernel
does (``IFLA_VFINFO_LIST``). ``resolve()`` (``vnetlab.model.sriov_check``) refuses
``numvfs > totalvfs`` (ERANGE) and per-vf rings that do not fit the pool; lint reports
those at the same YAML path under its own ids, and also the oversubscription a
``shared-pool`` NIC accepts — the seed's VF queue exhaustion, which happens at run time
only when a VF stops draining — and ``spoofchk off`` (the seed's MAC spoofing through the
embedded switch; worse with ``trust``). Only enabled VFs (index < numvfs) count.
"""

from __future__ import annotations

from vnetlab.lint.context import Context
from vnetlab.model.kinds.nic import NicSpec


def check(ctx: Context) -> None:
    v = ctx.view
    for key, spec in v.devices():
        if not isinstance(spec, NicSpec) or spec.sriov is None:
            continue
        sr = spec.sriov
        seg = (*v.seg(key), "sriov")
        name = f"{key[0]}:{key[1]}"
        if sr.numvfs > sr.totalvfs:
            ctx.add("SRIOV001", (*seg, "numvfs"),
                    f"numvfs {sr.numvfs} of {name} is more than its sriov_totalvfs "
                    f"{sr.totalvfs}: the write to sriov_numvfs fails with ERANGE and no VF "
                    "is created", f"set numvfs to at most {sr.totalvfs}")
            continue
        rings = sr.effective_rings()
        if sum(rings) > sr.descriptors:
            how = ("reserves them up front, so enabling the VFs fails"
                   if sr.isolation == "per-vf" else
                   "lets them draw on demand, so one VF that stops draining starves the rest")
            ctx.add("SRIOV002", (*seg, "descriptors"),
                    f"the {sr.numvfs} VFs of {name} have rx rings of {sum(rings)} "
                    f"descriptors together, but the pool holds {sr.descriptors}; "
                    f"isolation {sr.isolation} {how}")
        for k, vf in sorted(sr.vfs.items()):
            if k < sr.numvfs and not vf.spoofchk:
                worse = (" — and trust on also lets it change its MAC and go promiscuous"
                         if vf.trust else "")
                ctx.add("SRIOV003", (*seg, "vfs", k, "spoofchk"),
                        f"VF {k} of {name} has spoofchk off: it can send frames with any "
                        f"source MAC through the NIC's embedded switch{worse}")
