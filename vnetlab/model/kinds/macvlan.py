"""macvlan: MACVLAN (drivers/net/macvlan.c)."""

from __future__ import annotations

from typing import Literal

from vnetlab.model.kinds.lowerdev import LowerDevSpec


class MacvlanSpec(LowerDevSpec):
    """MACVLAN (drivers/net/macvlan.c): ``ip link add link LOWER name NAME type macvlan mode M``.

    Its own MAC on the lower device. ``mode``: ``bridge`` (children reach each other
    directly), ``vepa`` (child-to-child goes out and back through an external hairpinning
    switch; Linux's default when no mode is given), ``private`` (never each other), ``passthru``
    (the only child; it takes the lower device's MAC and all its traffic).
    """

    type: Literal["macvlan"]
    mode: Literal["bridge", "vepa", "private", "passthru"] = "vepa"

    def ip_link_type(self) -> list[str]:
        return ["type", "macvlan", "mode", self.mode]
