"""vlan: an 802.1Q subinterface (net/8021q)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from vnetlab.model.base import IfName
from vnetlab.model.netdev import NetdevSpec, Vid


class VlanSpec(NetdevSpec):
    """An 802.1Q subinterface (net/8021q): ``ip link add link LINK name NAME type vlan id ID``.

    It tags what it sends with ``id`` and transmits on ``link`` (the parent device in the
    same node); tagged frames for ``id`` arriving on the parent are handed to it untagged.
    Its MAC is the parent's and its MTU the parent's unless given (never larger).
    """

    type: Literal["vlan"]
    link: IfName
    id: Vid
    #: None until resolve(): the parent's MTU (Linux's default for a new vlan device)
    mtu: int | None = Field(None, ge=68, le=65535)  # type: ignore[assignment]

    def lower_refs(self) -> tuple[str, ...]:
        return (self.link,)

    def ip_link_type(self) -> list[str]:
        return ["type", "vlan", "id", str(self.id)]

    def ip_link_lower(self) -> str:
        return self.link

