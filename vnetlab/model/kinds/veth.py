"""veth: one end of a pair (drivers/net/veth.c); the pair itself comes from ``links:``."""

from __future__ import annotations

from typing import Literal

from vnetlab.model.netdev import NetdevSpec


class VethSpec(NetdevSpec):
    """One end of a veth pair (drivers/net/veth.c). The pair comes from ``links:``."""

    type: Literal["veth"] = "veth"
