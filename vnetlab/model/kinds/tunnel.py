"""What the UDP tunnels (VXLAN, Geneve) share: a VNI, a remote, outer TTL and DF."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field

from vnetlab.model.netdev import NetdevSpec


class TunnelSpec(NetdevSpec):
    """What VXLAN and Geneve share: a VNI, an underlay, outer TTL and DF."""

    id: int = Field(ge=0, le=0xFFFFFF, description="VNI (24 bit)")
    #: None until resolve(): the largest MTU the underlay allows (Linux's default)
    mtu: int | None = Field(None, ge=68, le=65535)  # type: ignore[assignment]
    remote: ipaddress.IPv4Address | None = None
    ttl: int | None = Field(None, ge=1, le=255)
    df: Literal["unset", "set", "inherit"] = "unset"
