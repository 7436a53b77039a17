"""Every device's MTU, computed once in build order, for the per-kind checks of resolve().

Design note
-----------
A stacked device that the lab gives no ``mtu`` gets one from its lower device *at creation*,
so the lower's own (possibly inherited) MTU must be known first: the devices are walked in
``vnetlab.model.order.build_order``, the order every engine creates them in. The rules are
the kernel's, by kind:

* vlan (``vlan_newlink``): the ``link``'s MTU;
* macvlan/ipvlan (``macvlan_common_newlink``, ``ipvlan_link_new``): the MTU of the *real*
  lower device (a macvlan on a macvlan stacks on that one's lower);
* vxlan bound to ``dev`` (``vxlan_config_apply``): the dev's MTU minus 50 bytes of IPv4
  headroom; unbound, 1500;
* geneve (``geneve_link_config``): the MTU of the device routing to ``remote`` minus the
  headroom and options; 1500 when there is none (that device is no ``lower_refs`` of the
  geneve, so it may come later in build order: it is computed on demand);
* anything else: 1500 (``ether_setup``).

A device in a stacking loop (resolve() reports the loop) gets 1500, so this never recurses
without end.
"""

from __future__ import annotations

from collections.abc import Mapping

from vnetlab.model.lowerdevs import real_lower
from vnetlab.model.order import Key, build_order, split_ref
from vnetlab.model.spec import GeneveSpec, LowerDevSpec, NetdevSpec, VlanSpec, VxlanSpec
from vnetlab.model.tunnels import VXLAN_HEADROOM, geneve_headroom, underlay_for

ETH_DATA_LEN = 1500
IPV4_MIN_MTU = 68


def stacked_mtus(full: Mapping[str, Mapping[str, NetdevSpec]]) -> dict[Key, int]:
    """(node, ifname) -> the MTU the device has once created."""
    mtus: dict[Key, int] = {}
    busy: set[Key] = set()

    def mtu(key: Key) -> int:
        if key in mtus:
            return mtus[key]
        spec = full.get(key[0], {}).get(key[1])
        if spec is None or key in busy:
            return ETH_DATA_LEN
        busy.add(key)
        try:
            value = spec.mtu if spec.mtu is not None else _inherited(key, spec)
        finally:
            busy.discard(key)
        mtus[key] = value
        return value

    def _inherited(key: Key, spec: NetdevSpec) -> int:
        node = key[0]
        if isinstance(spec, VlanSpec):
            return mtu(split_ref(node, spec.link))
        if isinstance(spec, LowerDevSpec):
            return mtu(real_lower(full, split_ref(node, spec.link), spec.type))
        if isinstance(spec, VxlanSpec):
            if spec.dev is None:
                return ETH_DATA_LEN
            return max(mtu((node, spec.dev)) - VXLAN_HEADROOM, IPV4_MIN_MTU)
        if isinstance(spec, GeneveSpec) and spec.remote is not None:
            under = underlay_for(full.get(node, {}), spec.remote)
            if under is None:
                return ETH_DATA_LEN
            return max(mtu((node, under)) - geneve_headroom(spec), IPV4_MIN_MTU)
        return ETH_DATA_LEN

    for key in build_order(full):
        mtu(key)
    return mtus
