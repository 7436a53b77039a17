"""Open vSwitch in the lab model: a node's bridges, ports, mirrors, flows and groups.

Design note
-----------
A node's ``ovs:`` section is the configuration its ovs-vswitchd would read from OVSDB, in
OVSDB's own words (vswitch.ovsschema): a Bridge has ``fail_mode``, ``datapath_type``,
``other_config`` and ``mirrors``; a Port has ``tag``, ``trunks`` and ``vlan_mode``; an
Interface has ``type``, ``options`` and ``ofport_request``. vnetlab folds Port and Interface
into one ``OvsPortSpec`` (no bonds), and adds what a lab needs beside the database: the IPv4
addresses and MAC of the bridge's own internal port and of ``internal`` ports, and the flows
and groups in ``ovs-ofctl add-flow`` / ``add-group`` syntax (port names allowed).

``type: system`` is OVSDB's empty type: the port is an existing interface of the node (a
veth end, a tap). ``internal``, ``patch``, ``vxlan`` and ``geneve`` ports are made by
ovs-vswitchd itself, so they must not also be declared under ``interfaces``. Only the
bridge's own port and ``internal`` ports are network devices that carry addresses.

Cross references (ports exist, patch peers pair up, mirrors name ports of their bridge,
names do not collide with interfaces) are checked by ``vnetlab.model.ovs_check`` during
``resolve()``; values are checked here.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from vnetlab.model.base import IfName, IPv4Cidr, Mac, Model, SpecValueError
from vnetlab.model.errors import did_you_mean
from vnetlab.model.netdev import Vid

OFPP_MAX = 0xFF00  # OpenFlow port numbers above this are reserved (OFPP_IN_PORT ...)
#: the largest ofport_request ovs-vswitchd honours (vswitch.ovsschema: 1..65279)
OFPORT_REQUEST_MAX = 65279

OvsPortType = Literal["system", "internal", "patch", "vxlan", "geneve"]
VlanMode = Literal["access", "trunk", "native-tagged", "native-untagged"]

#: Interface options each port type takes (lib/netdev-vport.c ``set_tunnel_config`` and
#: ``set_patch_config``); anything else is a typo in a lab file.
PORT_OPTIONS: dict[str, frozenset[str]] = {
    "system": frozenset(),
    "internal": frozenset(),
    "patch": frozenset({"peer"}),
    "vxlan": frozenset({"remote_ip", "local_ip", "key", "in_key", "out_key", "dst_port",
                        "tos", "ttl", "df_default", "csum", "exts"}),
    "geneve": frozenset({"remote_ip", "local_ip", "key", "in_key", "out_key", "dst_port",
                         "tos", "ttl", "df_default", "csum"}),
}
TUNNEL_TYPES = frozenset({"vxlan", "geneve"})
#: ports that are network devices of the node (they carry addresses, tcpdump sees them)
NETDEV_PORT_TYPES = frozenset({"internal"})

#: Bridge other_config keys vnetlab models (ofproto/bridge.c), with what their value is.
BRIDGE_OTHER_CONFIG: dict[str, str] = {
    "mac-aging-time": "seconds a learned MAC lives (default 300)",
    "mac-table-size": "entries the MAC learning table holds (default 2048)",
    "forward-bpdu": "'true' to forward 802.1D reserved multicast (default 'false')",
    "datapath-id": "16 hex digits, the OpenFlow datapath ID",
    "disable-in-band": "'true' or 'false'",
}


def _option_value(v: Any) -> Any:
    """OVSDB option values are strings; YAML's ``dst_port: 4789`` means ``"4789"``."""
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is not an option value; write 'true' or 'false' in quotes")
    if isinstance(v, int):
        return str(v)
    return v


#: an OVSDB option value: a string, and YAML's numbers are taken for their digits
OptionValue = Annotated[
    str,
    BeforeValidator(_option_value),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
]


def _ip_or_flow(name: str, value: str) -> None:
    if value == "flow":
        return
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise SpecValueError(
            f"options:{name}={value!r} is not an IPv4 address or 'flow'",
            "write an address such as 192.168.1.2, or 'flow' to take it from set_field",
        ) from None


def _key(name: str, value: str) -> None:
    if value == "flow":
        return
    try:
        key = int(value, 0)
    except ValueError:
        key = -1
    if not 0 <= key < 2**64:
        raise SpecValueError(
            f"options:{name}={value!r} is not a tunnel key (a number or 'flow')",
            "VXLAN and Geneve carry a 24-bit VNI: use 0-16777215, or 'flow'",
        )


def _port_number(name: str, value: str) -> None:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SpecValueError(f"options:{name}={value!r} is not a UDP port (1-65535)")


_OPTION_CHECKS = {
    "remote_ip": _ip_or_flow,
    "local_ip": _ip_or_flow,
    "key": _key,
    "in_key": _key,
    "out_key": _key,
    "dst_port": _port_number,
}


class OvsPortSpec(Model):
    """A Port with its one Interface: ``ovs-vsctl add-port BR NAME -- set Interface NAME
    type=TYPE options:K=V ofport_request=N`` plus the Port's VLAN columns."""

    type: OvsPortType = "system"
    options: dict[str, OptionValue] = {}
    ofport_request: int | None = Field(None, ge=1, le=OFPORT_REQUEST_MAX)
    #: access VLAN (Port ``tag``)
    tag: Vid | None = None
    #: the VLANs a trunk port carries (Port ``trunks``; empty: all VLANs)
    trunks: list[Vid] = []
    vlan_mode: VlanMode | None = None
    addresses: list[IPv4Cidr] = []
    mac: Mac | None = None
    up: bool = True

    @field_validator("addresses", mode="before")
    @classmethod
    def _addresses(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _options(self) -> OvsPortSpec:
        known = PORT_OPTIONS[self.type]
        for name, value in self.options.items():
            if name not in known:
                if not known:
                    raise SpecValueError(
                        f"a {self.type} port takes no options (got {name!r})",
                        "options belong to patch, vxlan and geneve ports",
                    )
                raise SpecValueError(
                    f"{self.type} ports have no option {name!r} (known: "
                    f"{', '.join(sorted(known))})",
                    did_you_mean(name, known),
                )
            check = _OPTION_CHECKS.get(name)
            if check is not None:
                check(name, value)
        if self.type in TUNNEL_TYPES and "remote_ip" not in self.options:
            raise SpecValueError(
                f"{self.type} type requires valid 'remote_ip' argument",
                "add options: {remote_ip: 192.168.1.2} (or remote_ip: flow)",
            )
        if self.type == "patch" and not self.options.get("peer"):
            raise SpecValueError(
                "patch type requires valid 'peer' argument",
                "add options: {peer: NAME} naming the patch port on the other bridge",
            )
        if (self.addresses or self.mac is not None) and self.type not in NETDEV_PORT_TYPES:
            raise SpecValueError(
                f"a {self.type} port is not a network device of its own and has no "
                "addresses or MAC here",
                "put addresses on an internal port (type: internal) or on the bridge itself"
                if self.type != "system"
                else "give the addresses to the interface under 'interfaces'",
            )
        return self

    @property
    def is_netdev(self) -> bool:
        """The port is a network device ovs-vswitchd makes in the node (internal)."""
        return self.type in NETDEV_PORT_TYPES


class OvsMirrorSpec(Model):
    """A Mirror row (``--id=@m create Mirror name=NAME select_src_port=... output_port=...``)."""

    select_all: bool = False
    select_src_port: list[IfName] = []
    select_dst_port: list[IfName] = []
    select_vlan: list[Vid] = []
    output_port: IfName | None = None
    output_vlan: Vid | None = None

    @model_validator(mode="after")
    def _one_output(self) -> OvsMirrorSpec:
        if (self.output_port is None) == (self.output_vlan is None):
            raise SpecValueError(
                "a mirror needs exactly one of 'output_port' (a port that gets the copies) "
                "and 'output_vlan' (a VLAN that carries them)",
            )
        if not (self.select_all or self.select_src_port or self.select_dst_port
                or self.select_vlan):
            raise SpecValueError(
                "this mirror selects nothing, so it would never copy a packet",
                "add select_all: true, or select_src_port/select_dst_port/select_vlan",
            )
        return self


class OvsBridgeSpec(Model):
    """A Bridge row with its ports, mirrors, flows and groups (``ovs-vsctl add-br NAME``)."""

    fail_mode: Literal["standalone", "secure"] | None = None
    datapath_type: Literal["system", "netdev"] | None = None
    #: the bridge's own internal port (OpenFlow LOCAL), a network device named like the bridge
    addresses: list[IPv4Cidr] = []
    mac: Mac | None = None
    up: bool = True
    other_config: dict[str, OptionValue] = {}
    ports: dict[IfName, OvsPortSpec] = Field(
        default={}, json_schema_extra={"additionalProperties": False}
    )
    mirrors: dict[str, OvsMirrorSpec] = {}
    flows: list[str] = []
    groups: list[str] = []

    @field_validator("addresses", mode="before")
    @classmethod
    def _addresses(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("ports", mode="before")
    @classmethod
    def _ports(cls, v: Any) -> Any:
        # ``veth1:`` with nothing after it (YAML null) is a plain system port
        return {k: ({} if p is None else p) for k, p in v.items()} if isinstance(v, dict) else v

    @field_validator("flows", "groups", mode="before")
    @classmethod
    def _lines(cls, v: Any) -> Any:
        # a YAML block of one flow per line reads as well as a list
        if isinstance(v, str):
            return [ln.strip() for ln in v.splitlines()
                    if ln.strip() and not ln.strip().startswith("#")]
        return v

    @field_validator("other_config")
    @classmethod
    def _other_config(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if key not in BRIDGE_OTHER_CONFIG:
                raise SpecValueError(
                    f"other_config key {key!r} is not one vnetlab models (known: "
                    f"{', '.join(sorted(BRIDGE_OTHER_CONFIG))})",
                    did_you_mean(key, BRIDGE_OTHER_CONFIG),
                )
            if key in ("mac-aging-time", "mac-table-size") and not (
                value.isdigit() and int(value) > 0
            ):
                raise SpecValueError(
                    f"other_config:{key}={value!r} is not a positive number",
                    f"{key}: {BRIDGE_OTHER_CONFIG[key]}",
                )
            if key in ("forward-bpdu", "disable-in-band") and value not in ("true", "false"):
                raise SpecValueError(f"other_config:{key}={value!r} is not 'true' or 'false'")
            if key == "datapath-id" and not (
                len(value) == 16 and all(c in "0123456789abcdefABCDEF" for c in value)
            ):
                raise SpecValueError(
                    f"other_config:datapath-id={value!r} is not 16 hex digits"
                )
        return v

    def netdev_names(self, bridge: str) -> list[str]:
        """The network devices this bridge puts into the node: itself and internal ports."""
        return [bridge, *(p for p, spec in self.ports.items() if spec.is_netdev)]


__all__ = [
    "BRIDGE_OTHER_CONFIG",
    "NETDEV_PORT_TYPES",
    "OFPORT_REQUEST_MAX",
    "OFPP_MAX",
    "PORT_OPTIONS",
    "TUNNEL_TYPES",
    "OvsBridgeSpec",
    "OvsMirrorSpec",
    "OvsPortSpec",
    "OvsPortType",
    "VlanMode",
]
