"""What every net_device spec has, and the VLAN vocabulary bridges and vlans share.

Design note
-----------
``NetdevSpec`` is what every net_device has, whatever its kind (addresses, MTU, MAC, admin
state, ``master`` and its bridge-port options); each kind in ``vnetlab.model.kinds`` adds its
own attributes with iproute2/netlink's words. Three hooks let the layers treat every kind
alike without naming it: ``lower_refs()`` (the devices this one stacks on, which fixes the
build order: ``vnetlab.model.order``), ``ip_link_type()`` and ``ip_link_lower()`` (how
``ip link add [link LOWER] NAME type KIND ...`` spells the kind, shared by the linux
engine's plan and ``vnetlab export``).
"""

from __future__ import annotations

import re
from ipaddress import IPv4Interface, IPv6Interface
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from vnetlab.model.base import IfName, IPCidr, Mac, Model

VLAN_VID_MAX = 4094  # 4095 (0xFFF) is reserved by IEEE 802.1Q, 0 means "priority tag only"
_VID_RANGE_RE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


def check_vid(vid: int) -> int:
    """An 802.1Q VLAN ID a device may use: 1..4094 (``vlan_valid_id``, ``br_vlan_valid_id``)."""
    if isinstance(vid, bool):
        raise ValueError(f"{vid!r} is not a VLAN ID; use an integer 1-{VLAN_VID_MAX}")
    if vid == 0:
        raise ValueError(
            f"VLAN ID 0 is reserved (it marks a priority-only tag); use 1-{VLAN_VID_MAX}"
        )
    if vid == 4095:
        raise ValueError(f"VLAN ID 4095 is reserved; use 1-{VLAN_VID_MAX}")
    if not 1 <= vid <= VLAN_VID_MAX:
        raise ValueError(
            f"VLAN ID {vid} is out of range; an 802.1Q VID is 12 bits, use 1-{VLAN_VID_MAX}"
        )
    return vid


#: An 802.1Q VLAN ID, 1..4094.
Vid = Annotated[
    int,
    AfterValidator(check_vid),
    Field(json_schema_extra={"minimum": 1, "maximum": VLAN_VID_MAX}),
]


def check_vid_or_range(v: Any) -> Any:
    """``100`` or ``"100-200"`` (``bridge vlan add vid 100-200``)."""
    if isinstance(v, str):
        m = _VID_RANGE_RE.match(v)
        if m is None:
            if v.strip().isdigit():
                return check_vid(int(v))
            raise ValueError(f"{v!r} is not a VLAN ID or a range like '100-200'")
        lo, hi = check_vid(int(m[1])), check_vid(int(m[2]))
        if lo > hi:
            raise ValueError(f"VLAN range {v!r} runs backwards; write it as '{hi}-{lo}'")
        return v.replace(" ", "") if lo != hi else lo
    if isinstance(v, int):
        return check_vid(v)
    return v


class BridgeVlan(Model):
    """One ``bridge vlan add vid VID[-VIDEND] dev PORT [pvid] [untagged]`` entry.

    ``pvid``: untagged (and priority-tagged) frames arriving on the port belong to this VLAN.
    ``untagged``: frames of this VLAN leave the port without a tag ("Egress Untagged").
    """

    vid: Annotated[
        int | str,
        BeforeValidator(check_vid_or_range),
        WithJsonSchema(
            {
                "oneOf": [
                    {"type": "integer", "minimum": 1, "maximum": VLAN_VID_MAX},
                    {"type": "string", "pattern": r"^\d+-\d+$"},
                ]
            }
        ),
    ]
    pvid: bool = False
    untagged: bool = False

    @model_validator(mode="after")
    def _pvid_single(self) -> BridgeVlan:
        if self.pvid and isinstance(self.vid, str):
            raise ValueError(
                f"pvid cannot be set on the VLAN range {self.vid} (a port has one PVID); "
                "list the PVID on its own, e.g. '{vid: 100, pvid: true}'"
            )
        return self

    @property
    def vids(self) -> range:
        """The VLAN IDs this entry covers."""
        if isinstance(self.vid, int):
            return range(self.vid, self.vid + 1)
        lo, _, hi = self.vid.partition("-")
        return range(int(lo), int(hi) + 1)


class BridgePortOptions(Model):
    """Per-port flags of ``bridge link set dev PORT ...`` (IFLA_BRPORT_*)."""

    learning: bool = True
    flood: bool = True  # unicast flooding of unknown destinations (BR_FLOOD)
    hairpin: bool = False
    #: IFLA_BRPORT_ISOLATED: an isolated port reaches only non-isolated ones
    isolated: bool = False
    #: IFLA_BRPORT_LOCKED: only sources with an FDB entry on this port (static) get in
    locked: bool = False
    #: IFLA_BRPORT_NEIGH_SUPPRESS: the bridge answers ARP for hosts behind this port
    neigh_suppress: bool = False
    #: IFLA_BRPORT_COST: the STP path cost; None: from the link speed (``port_cost``:
    #: 2 for a veth's 10 Gb/s, 100 when the device reports no speed)
    cost: int | None = Field(None, ge=1, le=65535)
    #: IFLA_BRPORT_PRIORITY: the STP port priority (high 6 bits of the port id)
    priority: int = Field(32, ge=0, le=63)
    #: the port's VLANs when the bridge filters (``vlan_filtering: true``); None: the
    #: bridge's ``default_pvid`` as PVID and egress untagged, as Linux gives every new port
    vlans: list[BridgeVlan] | None = None


class NetdevSpec(Model):
    """What every net_device has, whatever its kind."""

    addresses: list[IPCidr] = []  # either family, as ``ip addr add``
    mtu: int = Field(1500, ge=68, le=65535)
    mac: Mac | None = None
    up: bool = True
    master: IfName | None = None
    bridge_port: BridgePortOptions | None = None
    #: the kind, as ``ip link add ... type KIND`` names it (each kind narrows it to a Literal)
    type: str

    @field_validator("addresses", mode="before")
    @classmethod
    def _addresses(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v  # one address may be written without a list

    @model_validator(mode="after")
    def _port_opts_need_master(self) -> NetdevSpec:
        if self.bridge_port is not None and self.master is None:
            raise ValueError("bridge_port options need 'master: BRIDGE' on the same interface")
        return self

    @property
    def addresses4(self) -> list[IPv4Interface]:
        """The IPv4 addresses (what IPv4-only reasoning looks at)."""
        return [a for a in self.addresses if isinstance(a, IPv4Interface)]

    @property
    def addresses6(self) -> list[IPv6Interface]:
        """The IPv6 addresses given in the lab (not the link-local ones autoconf adds)."""
        return [a for a in self.addresses if isinstance(a, IPv6Interface)]

    def lower_refs(self) -> tuple[str, ...]:
        """The devices this one is stacked on and so created after: ``IFNAME`` of the same
        node or ``NODE:IFNAME``. A plain device stacks on nothing."""
        return ()

    def ip_link_type(self) -> list[str] | None:
        """``type KIND [options]`` as ``ip link add`` spells this device's own options, or
        None for kinds that ``ip link add`` does not make on its own (a veth end needs its
        peer; TUN/TAP are made by ``ip tuntap add``)."""
        return None

    def ip_link_lower(self) -> str | None:
        """The ``link IFNAME`` of ``ip link add link IFNAME name NAME ...``, if any."""
        return None
