"""The linux engine's table of device kinds: one ``KernelKind`` per model kind.

Design note
-----------
``KINDS`` is the linux engine's entry of the per-layer kind tables (the model's
``SPEC_BY_KIND``, the emulator's ``DEVICE_BUILDERS``): every model kind is here or in
``UNSUPPORTED_KINDS`` with the reason (tests/layers asserts it). Kinds the model knows but
this host's kernel lacks are found by each kind's probe (``vnetlab.kernel.features``) and
refused at plan time. A new kind is one module next to this one plus one line below.
"""

from __future__ import annotations

from typing import Any

from vnetlab.kernel.kinds import bridge, dummy, geneve, ipvlan, macvlan, tuntap, veth, vlan, vxlan
from vnetlab.kernel.kinds.base import KernelKind

#: model kind -> what the linux engine does with it
KINDS: dict[str, KernelKind[Any]] = {
    "veth": veth.KIND,
    "bridge": bridge.KIND,
    "vlan": vlan.KIND,
    "vxlan": vxlan.KIND,
    "geneve": geneve.KIND,
    "macvlan": macvlan.KIND,
    "ipvlan": ipvlan.KIND,
    "tun": tuntap.KIND,
    "tap": tuntap.KIND,
    "dummy": dummy.KIND,
}

#: kinds the model knows but this engine does not build at all, with the reason
UNSUPPORTED_KINDS: dict[str, str] = {
    # sriov/script-kernel replaces these with realizers (sysfs sriov_numvfs + IFLA_VFINFO_LIST)
    "nic": "SR-IOV is not realized by the linux engine yet: it needs an SR-IOV capable NIC "
           "(/sys/class/net/PF/device/sriov_totalvfs) and the sysfs/IFLA_VFINFO_LIST realizer",
    "vf": "SR-IOV is not realized by the linux engine yet: a VF needs an SR-IOV capable NIC "
          "(/sys/class/net/PF/device/sriov_totalvfs) and the sysfs/IFLA_VFINFO_LIST realizer",
}


_BY_INFO_KIND: dict[str, KernelKind[Any]] = {k.info_kind: k for k in KINDS.values()}


def by_info_kind(info_kind: str | None) -> KernelKind[Any] | None:
    """The kind of a link the kernel reports with this ``IFLA_INFO_KIND``, if we know it."""
    return _BY_INFO_KIND.get(info_kind) if info_kind is not None else None
