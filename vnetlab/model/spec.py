"""The lab model: frozen, typed specs for everything a lab declares.

Design note
-----------
A lab is a set of *nodes* (each one network namespace), *links* (veth pairs between two
node interfaces) and *checks*. Every interface a node owns is described by one spec per
device kind (``VethSpec``, ``BridgeSpec`` ...), discriminated by ``type`` exactly as
``ip link add ... type KIND`` would name it. The words follow iproute2/netlink: ``master``,
``mtu``, ``address``-less ``mac``, ``ageing_time``, ``learning``, ``flood``, ``hairpin``,
route ``dst``/``via``/``dev``.

These classes are the *raw* shape (what YAML may say; the JSON Schema is generated from
them). ``vnetlab.model.resolver`` checks cross references and returns the same types with
every default made explicit (MACs assigned deterministically), so engines never guess.

Invariants after resolve(): every interface has a MAC; every veth end exists on both
sides; every ``master`` names a bridge in the same node; names are unique per node.
"""

from __future__ import annotations

import difflib
import ipaddress
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    JsonValue,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from vnetlab.model.base import (  # re-exported: the model's one namespace (__all__)
    _ENDPOINT_PATTERN,
    _LAB_NAME_RE,
    _MAC_RE,
    IFNAMSIZ,
    IPV6_CONF_SYSCTLS,
    IPV6_OTHER_SYSCTLS,
    IPV6_SYSCTL_PATTERN,
    KNOWN_SYSCTLS,
    Endpoint,
    IfName,
    IPCidr,
    IPv4Cidr,
    Mac,
    Model,
    NodeName,
    SpecValueError,
    check_cidr,
    check_ifname,
    check_mac,
    check_node_name,
    ipv6_sysctl_range,
    parse_endpoint,
)
from vnetlab.model.checks import (
    Check,
    FdbCheck,
    FrameMatch,
    FramesCheck,
    IperfCheck,
    PingCheck,
    TraceCheck,
    parse_arrow,
)
from vnetlab.model.filters import check_ebtables_line
from vnetlab.model.kinds import DEVICE_KINDS, SPEC_BY_KIND, InterfaceSpec
from vnetlab.model.kinds.bridge import BridgeSpec, FdbEntrySpec
from vnetlab.model.kinds.geneve import GeneveOptionSpec, GeneveSpec
from vnetlab.model.kinds.ipvlan import IpvlanSpec
from vnetlab.model.kinds.lowerdev import LowerDevSpec, LowerRef, check_lower_ref
from vnetlab.model.kinds.macvlan import MacvlanSpec
from vnetlab.model.kinds.tunnel import TunnelSpec
from vnetlab.model.kinds.tuntap import ProgramSpec, TapSpec, TunSpec, TuntapSpec
from vnetlab.model.kinds.veth import VethSpec
from vnetlab.model.kinds.vlan import VlanSpec
from vnetlab.model.kinds.vxlan import VxlanFdbSpec, VxlanSpec
from vnetlab.model.netdev import (
    VLAN_VID_MAX,
    BridgePortOptions,
    BridgeVlan,
    NetdevSpec,
    Vid,
    check_vid,
    check_vid_or_range,
)
from vnetlab.model.nft import check_nft_line
from vnetlab.model.ovs import OvsBridgeSpec, OvsMirrorSpec, OvsPortSpec
from vnetlab.model.tc import check_tc_line
from vnetlab.model.xfrm import check_xfrm_line

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class RouteSpec(Model):
    """``ip [-6] route add DST [via GW] [dev DEV] [metric N]``.

    The family follows the addresses, as ``ip route`` infers it: ``dst`` an IPv6 prefix or
    ``default`` with an IPv6 ``via`` is an IPv6 route (``default`` is then ``::/0``).
    """

    dst: str = "default"
    via: IPAddress | None = None
    dev: IfName | None = None
    metric: int = Field(0, ge=0, le=2**32 - 1)  # RTA_PRIORITY is a u32

    @field_validator("dst")
    @classmethod
    def _dst(cls, v: str) -> str:
        if v == "default":
            return v
        try:
            net: IPNetwork = (ipaddress.IPv6Network(v, strict=True) if ":" in v
                              else ipaddress.IPv4Network(v, strict=True))
        except ValueError as e:
            example = "2001:db8::/64" if ":" in v else "10.0.0.0/24"
            raise ValueError(
                f"route destination {v!r} is not 'default' or a network like {example} ({e})"
            ) from None
        return str(net)

    @field_validator("via", mode="before")
    @classmethod
    def _via(cls, v: Any) -> Any:
        if isinstance(v, str) and "%" in v:
            raise SpecValueError(f"gateway {v!r}: a route names its device with 'dev', "
                                 "not with %scope", f"write via: {v.partition('%')[0]} and dev: "
                                 f"{v.partition('%')[2]}")
        return v

    @model_validator(mode="after")
    def _needs_nexthop(self) -> RouteSpec:
        if self.via is None and self.dev is None:
            raise ValueError("a route needs 'via' (a gateway) or 'dev' (an interface) or both")
        if self.via is not None and self.dst != "default" \
                and (":" in self.dst) != (self.via.version == 6):
            raise SpecValueError(
                f"route {self.dst} and its gateway {self.via} are of different address "
                "families; the kernel says: Error: Invalid gateway address",
                "an IPv4 route needs an IPv4 gateway, an IPv6 route an IPv6 one")
        if self.via is not None and self.via.version == 6 and self.via.is_link_local \
                and self.dev is None:
            raise SpecValueError(
                f"gateway {self.via} is link-local, which means nothing without its device",
                f"add dev: IFNAME (the interface on {self.via}'s link)")
        return self

    @property
    def family(self) -> str:
        """"inet" or "inet6" (``ip route``'s ``family`` word)."""
        v6 = ":" in self.dst if self.dst != "default" else (
            self.via is not None and self.via.version == 6)
        return "inet6" if v6 else "inet"

    @property
    def via4(self) -> ipaddress.IPv4Address | None:
        """``via`` of an IPv4 route (IPv4-only reasoning iterates ``NodeSpec.routes4``)."""
        if self.via is not None and not isinstance(self.via, ipaddress.IPv4Address):
            raise ValueError(f"route {self.dst} via {self.via} is an IPv6 route")
        return self.via

    @property
    def network4(self) -> ipaddress.IPv4Network:
        """``network`` of an IPv4 route."""
        net = self.network
        if not isinstance(net, ipaddress.IPv4Network):
            raise ValueError(f"route {self.dst} is an IPv6 route")
        return net

    @property
    def network(self) -> IPNetwork:
        if self.dst == "default":
            return ipaddress.IPv6Network("::/0") if self.family == "inet6" \
                else ipaddress.IPv4Network("0.0.0.0/0")
        return ipaddress.ip_network(self.dst)


def check_sysctl_name(name: str) -> str:
    if name not in KNOWN_SYSCTLS and ipv6_sysctl_range(name) is None:
        close = difflib.get_close_matches(name, list(KNOWN_SYSCTLS), n=1)
        known = ", ".join(sorted(KNOWN_SYSCTLS))
        v6keys = ", ".join(IPV6_CONF_SYSCTLS)
        raise SpecValueError(
            f"sysctl {name!r} is not one vnetlab models (known: {known}; "
            f"net.ipv6.conf.{{all,default,IFNAME}}.{{{v6keys}}}; "
            f"{', '.join(IPV6_OTHER_SYSCTLS)})",
            f"did you mean {close[0]!r}?" if close else None,
        )
    return name


def sysctl_value_range(name: str) -> tuple[int, int]:
    """The values ``name`` takes: (0, 1) for the IPv4 switches, the kernel's range for IPv6."""
    v6 = ipv6_sysctl_range(name)
    return (0, 1) if v6 is None else v6[1]


def check_sysctl_value(value: int) -> int:
    if isinstance(value, bool):
        raise ValueError(f"a sysctl value is an integer, not {value!r}")
    return value


SysctlName = Annotated[str, AfterValidator(check_sysctl_name)]
SysctlValue = Annotated[int, AfterValidator(check_sysctl_value)]


def _on_off(v: Any) -> Any:
    """``on``/``off`` (YAML 1.1 reads them as booleans already; JSON and YAML 1.2 as text)."""
    if isinstance(v, str) and v.strip().lower() in ("on", "off"):
        return v.strip().lower() == "on"
    return v


#: ``ipv6: on|off`` (also true/false)
OnOff = Annotated[bool, BeforeValidator(_on_off), WithJsonSchema(
    {"oneOf": [{"type": "boolean"}, {"enum": ["on", "off"]}]})]


EbtablesLine = Annotated[str, AfterValidator(check_ebtables_line)]
NftLine = Annotated[str, AfterValidator(check_nft_line)]
XfrmLine = Annotated[str, AfterValidator(check_xfrm_line)]
TcLine = Annotated[str, AfterValidator(check_tc_line)]

_SYSCTL_NAMES: list[JsonValue] = list(sorted(KNOWN_SYSCTLS))
_SYSCTL_NAME_SCHEMA: dict[str, JsonValue] = {"anyOf": [
    {"enum": _SYSCTL_NAMES}, {"enum": list(IPV6_OTHER_SYSCTLS)},
    {"pattern": IPV6_SYSCTL_PATTERN}]}


class NodeSpec(Model):
    """A network namespace with its interfaces, routes and sysctls."""

    interfaces: dict[IfName, InterfaceSpec] = Field(
        default={}, json_schema_extra={"additionalProperties": False}
    )
    routes: list[RouteSpec] = []
    sysctls: dict[SysctlName, SysctlValue] = Field(
        default={},
        json_schema_extra={"propertyNames": _SYSCTL_NAME_SCHEMA},
    )
    #: IPv6 in this namespace (``on``/``off``); None: the lab's ``ipv6``. ``off`` is
    #: ``net.ipv6.conf.{all,default}.disable_ipv6=1`` before any device exists: nothing
    #: IPv6 ever happens on the node's devices
    ipv6: OnOff | None = None
    #: bridge-family filter rules: the words after ``ebtables`` (``-A FORWARD -p ARP ...``),
    #: applied in order after the lab is built (vnetlab.model.filters)
    ebtables: list[EbtablesLine] = []
    #: nftables bridge-family commands: the words after ``nft`` (``add table bridge
    #: filter``, ``add chain ...``, ``add rule ...``), applied after ``ebtables``
    nft: list[NftLine] = []
    #: IPsec states and policies: the words after ``ip xfrm`` (``state add ...``,
    #: ``policy add ...``; vnetlab.model.xfrm), applied after the routes
    xfrm: list[XfrmLine] = []
    #: queueing disciplines: the words after ``tc`` (``qdisc add dev eth0 root netem delay
    #: 40ms 5ms loss 1%``; vnetlab.model.tc), applied in order once the lab is up
    tc: list[TcLine] = []
    #: the node's Open vSwitch bridges (its own ovsdb-server + ovs-vswitchd)
    ovs: dict[IfName, OvsBridgeSpec] = Field(
        default={}, json_schema_extra={"additionalProperties": False}
    )

    @field_validator("sysctls")
    @classmethod
    def _sysctl_values(cls, v: dict[str, int]) -> dict[str, int]:
        for name, value in v.items():
            lo, hi = sysctl_value_range(name)
            if not lo <= value <= hi:
                allowed = "0 or 1" if (lo, hi) == (0, 1) else f"{lo}..{hi}"
                raise SpecValueError(
                    f"sysctl {name} = {value}: the kernel takes {allowed} here "
                    "(sysctl: setting key: Invalid argument)", None)
        return v

    @property
    def routes4(self) -> list[RouteSpec]:
        """The IPv4 routes (``ip route``), for IPv4-only reasoning."""
        return [r for r in self.routes if r.family == "inet"]

    @property
    def routes6(self) -> list[RouteSpec]:
        """The IPv6 routes (``ip -6 route``)."""
        return [r for r in self.routes if r.family == "inet6"]

    @property
    def ip_forward(self) -> bool:
        return bool(
            self.sysctls.get("net.ipv4.ip_forward", 0)
            or self.sysctls.get("net.ipv4.conf.all.forwarding", 0)
        )



class LinkSpec(Model):
    """A veth pair between two node interfaces: ``ip link add A type veth peer name B``."""

    endpoints: Annotated[
        tuple[Endpoint, Endpoint],
        WithJsonSchema(
            {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "string", "pattern": _ENDPOINT_PATTERN},
            }
        ),
    ]

    @field_validator("endpoints", mode="before")
    @classmethod
    def _endpoints(cls, v: Any) -> Any:
        if isinstance(v, list | tuple):
            if len(v) != 2:
                raise ValueError(f"a link has exactly 2 endpoints, not {len(v)}")
            return tuple(parse_endpoint(x) for x in v)
        return v


_RULE_ID_RE = r"^[A-Z][A-Z0-9]*[0-9]{3}$"


class LintSpec(Model):
    """``lint: {expect: [MTU001, ...]}``: the ``vnetlab lint`` findings this lab is meant
    to demonstrate (a failure-mode or security example). Declared findings do not fail
    ``vnetlab lint``; one that does not fire is reported. The ids are checked by lint
    itself (the model does not know the rule table)."""

    expect: list[Annotated[str, Field(pattern=_RULE_ID_RE)]] = []


class LabSpec(Model):
    """A whole lab: ``name``, ``nodes``, ``links`` and ``checks``."""

    name: str = Field(json_schema_extra={"pattern": _LAB_NAME_RE.pattern})
    description: str = ""
    nodes: dict[NodeName, NodeSpec] = Field(json_schema_extra={"additionalProperties": False})
    links: list[LinkSpec] = []
    checks: list[Check] = []
    #: a script of ``ip``/``bridge``/``sysctl``... commands run after the lab is built, on
    #: its nodes (``ip netns exec NODE ...``; a node named ``host`` is the root namespace)
    setup: str = ""
    #: what ``vnetlab lint`` is expected to find in this lab (vnetlab.lint)
    lint: LintSpec = LintSpec()
    #: the seed of every random choice the lab's qdiscs make (netem loss, jitter ...):
    #: the same seed, the same frames, byte for byte
    seed: int = Field(1, ge=0, le=2**32 - 1)
    #: IPv6 in every node (``on``, the kernel's default, or ``off``); a node's own ``ipv6``
    #: overrides it. With IPv6 on a freshly upped interface talks at once (MLD reports, DAD,
    #: router solicitations): bridges learn MACs and devices join multicast groups
    ipv6: OnOff = True

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _LAB_NAME_RE.match(v):
            raise ValueError(
                f"lab name {v!r} must be 1-24 characters of a-z, 0-9 and '-', starting with "
                "a letter or digit (engines put it into device and namespace names)"
            )
        return v

    @field_validator("nodes")
    @classmethod
    def _some_nodes(cls, v: dict[str, NodeSpec]) -> dict[str, NodeSpec]:
        if not v:
            raise ValueError("a lab needs at least one node")
        return v

    def node_ipv6(self, node: str) -> bool:
        """Whether IPv6 is on in ``node``: its own ``ipv6``, else the lab's."""
        own = self.nodes[node].ipv6
        return self.ipv6 if own is None else own

    def iface(self, node: str, ifname: str) -> NetdevSpec:
        return self.nodes[node].interfaces[ifname]

__all__ = [
    "BridgePortOptions",
    "BridgeSpec",
    "BridgeVlan",
    "Check",
    "DEVICE_KINDS",
    "Endpoint",
    "FdbCheck",
    "FdbEntrySpec",
    "FrameMatch",
    "FramesCheck",
    "GeneveOptionSpec",
    "GeneveSpec",
    "IFNAMSIZ",
    "IPAddress",
    "IPCidr",
    "IPNetwork",
    "IPv4Cidr",
    "IfName",
    "InterfaceSpec",
    "IpvlanSpec",
    "KNOWN_SYSCTLS",
    "LabSpec",
    "LinkSpec",
    "LintSpec",
    "LowerDevSpec",
    "LowerRef",
    "Mac",
    "MacvlanSpec",
    "Model",
    "NetdevSpec",
    "NodeName",
    "NodeSpec",
    "OnOff",
    "OvsBridgeSpec",
    "OvsMirrorSpec",
    "OvsPortSpec",
    "IperfCheck",
    "PingCheck",
    "ProgramSpec",
    "RouteSpec",
    "SPEC_BY_KIND",
    "SpecValueError",
    "SysctlName",
    "SysctlValue",
    "TapSpec",
    "TraceCheck",
    "TunSpec",
    "TunnelSpec",
    "TuntapSpec",
    "VLAN_VID_MAX",
    "VethSpec",
    "Vid",
    "VlanSpec",
    "VxlanFdbSpec",
    "VxlanSpec",
    "_ENDPOINT_PATTERN",
    "_LAB_NAME_RE",
    "_MAC_RE",
    "check_cidr",
    "check_ifname",
    "check_lower_ref",
    "check_mac",
    "check_node_name",
    "check_sysctl_name",
    "check_sysctl_value",
    "sysctl_value_range",
    "check_vid",
    "check_vid_or_range",
    "parse_arrow",
    "parse_endpoint",
]
