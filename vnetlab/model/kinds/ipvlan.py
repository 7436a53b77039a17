"""ipvlan: IPVLAN (drivers/net/ipvlan)."""

from __future__ import annotations

from typing import Literal

from vnetlab.model.kinds.lowerdev import LowerDevSpec


class IpvlanSpec(LowerDevSpec):
    """IPVLAN (drivers/net/ipvlan): ``ip link add link LOWER name NAME type ipvlan mode M``.

    Children share the lower device's MAC and are told apart by IP address. ``l2``: ARP and
    broadcast reach the children; ``l3``: the children are NOARP and routed through the
    lower device's namespace, no broadcast or multicast reaches them. The mode belongs to the
    lower device (``ipvlan_set_port_mode``): every ipvlan on one lower has the same mode.
    """

    type: Literal["ipvlan"]
    mode: Literal["l2", "l3"] = "l3"

    def ip_link_type(self) -> list[str]:
        return ["type", "ipvlan", "mode", self.mode]
