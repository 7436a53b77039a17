"""The emulator's table of device kinds: model kind -> the ``newlink`` that builds it.

Design note
-----------
As the kernel's ``rtnl_link_ops`` table maps ``IFLA_INFO_KIND`` to a driver's ``newlink``,
``DEVICE_BUILDERS`` maps every model kind to a function living beside its device class
(``vnetlab/sim/devices/KIND.py``): ``newlink(ns, name, spec, lower) -> NetDevice``.
``lower`` resolves the references a spec stacks on (``eth0`` in the same node or
``node:eth0`` in another), already built because devices are created in
``vnetlab.model.order`` order. No registration by import side effect: one line per kind.
``UNSUPPORTED`` names lab features the emulator cannot honour yet, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vnetlab.sim.devices import dummy, geneve, ipvlan, macvlan, tuntap, veth, vlan, vxlan
from vnetlab.sim.devices.bridge import device as bridge
from vnetlab.sim.devices.sriov import pf as sriov_pf
from vnetlab.sim.devices.sriov import vf as sriov_vf
from vnetlab.sim.netdev import Lower, NetDevice

#: ``newlink(ns, name, spec, lower)``; typed loosely because each takes its own Spec class
Builder = Callable[[Any, str, Any, Lower], NetDevice]

#: model kind -> builder (tests/layers asserts every model kind is here or in UNSUPPORTED)
DEVICE_BUILDERS: dict[str, Builder] = {
    "veth": veth.newlink,
    "bridge": bridge.newlink,
    "vlan": vlan.newlink,
    "vxlan": vxlan.newlink,
    "geneve": geneve.newlink,
    "macvlan": macvlan.newlink,
    "ipvlan": ipvlan.newlink,
    "tun": tuntap.newlink_tun,
    "tap": tuntap.newlink_tap,
    "dummy": dummy.newlink,
    "nic": sriov_pf.newlink,
    "vf": sriov_vf.newlink,
}

#: features of the model the emulator does not implement yet, with the reason
UNSUPPORTED: dict[str, str] = {}
