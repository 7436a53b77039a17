"""vxlan: VXLAN (drivers/net/vxlan, RFC 7348)."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from vnetlab.model.base import _MAC_RE, IfName, Model, SpecValueError
from vnetlab.model.kinds.tunnel import TunnelSpec


class VxlanFdbSpec(Model):
    """``bridge fdb append MAC dev VXLAN dst IP``: the remote VTEP behind MAC.

    The all-zeros MAC is the default entry: broadcast, unknown unicast and multicast go to
    every all-zeros destination (head-end replication).
    """

    mac: str = Field(pattern=_MAC_RE.pattern)
    dst: ipaddress.IPv4Address

    @field_validator("mac")
    @classmethod
    def _mac(cls, v: str) -> str:
        return v.lower()


class VxlanSpec(TunnelSpec):
    """VXLAN (drivers/net/vxlan, RFC 7348): ``ip link add NAME type vxlan id VNI ...``."""

    type: Literal["vxlan"]
    #: iproute2 leaves the port to the kernel when not given: 8472, not IANA's 4789
    dstport: int = Field(8472, ge=1, le=65535)
    local: ipaddress.IPv4Address | None = None
    group: ipaddress.IPv4Address | None = None
    dev: IfName | None = None
    learning: bool = True
    fdb: list[VxlanFdbSpec] = []

    @model_validator(mode="after")
    def _remote_or_group(self) -> VxlanSpec:
        if self.remote is not None and self.group is not None:
            raise ValueError(
                "vxlan takes either 'remote' (unicast) or 'group' (multicast), not both"
            )
        if self.group is not None and not self.group.is_multicast:
            raise ValueError(f"group {self.group} is not a multicast address (224.0.0.0/4)")
        if self.remote is not None and self.remote.is_multicast:
            raise ValueError(f"remote {self.remote} is multicast; write it as 'group'")
        if self.group is not None and self.dev is None:
            raise SpecValueError(
                "Local interface required for multicast remote destination",
                hint="add 'dev: eth0' (the underlay interface that joins the group)",
            )
        return self

    def lower_refs(self) -> tuple[str, ...]:
        return (self.dev,) if self.dev else ()

    def ip_link_type(self) -> list[str]:
        """In the order ``ip -d link show`` lists them (iproute2 ip/iplink_vxlan.c)."""
        args = ["type", "vxlan", "id", str(self.id), "dstport", str(self.dstport)]
        for key, value in (("local", self.local), ("remote", self.remote),
                           ("group", self.group), ("dev", self.dev), ("ttl", self.ttl)):
            if value is not None:
                args += [key, str(value)]
        if self.df != "unset":
            args += ["df", self.df]
        if not self.learning:
            args.append("nolearning")
        return args

