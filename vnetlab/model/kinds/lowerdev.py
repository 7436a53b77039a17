"""What MACVLAN and IPVLAN share: a lower device, possibly in another node."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from vnetlab.model.base import check_ifname
from vnetlab.model.netdev import NetdevSpec


def check_lower_ref(value: str) -> str:
    """``IFNAME`` (a device of the same node) or ``NODE:IFNAME`` (a device of another node:
    ``ip -n NODE link add link IFNAME name NAME netns THIS type macvlan``)."""
    node, sep, ifname = value.rpartition(":")
    if sep and not node:
        raise ValueError(f"{value!r} is not IFNAME or NODE:IFNAME")
    check_ifname(ifname)
    return value


#: The lower device of a macvlan/ipvlan: ``eth0`` or ``host:eth0``.
LowerRef = Annotated[
    str,
    AfterValidator(check_lower_ref),
    Field(json_schema_extra={"pattern": r"^([^:\s]+:)?[^\s/:]{1,15}$"}),
]


class LowerDevSpec(NetdevSpec):
    """What MACVLAN and IPVLAN share: a lower device (``link``), possibly in another node."""

    link: LowerRef
    #: None until resolve(): the lower device's MTU (``macvlan_common_newlink``)
    mtu: int | None = Field(None, ge=68, le=65535)  # type: ignore[assignment]

    def lower_refs(self) -> tuple[str, ...]:
        return (self.link,)

    def ip_link_lower(self) -> str:
        """The lower's name; ``NODE:`` (another namespace) is the command's ``-n``."""
        return self.link.rpartition(":")[2]

