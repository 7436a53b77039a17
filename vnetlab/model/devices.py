"""One spec per device kind, discriminated by ``type`` as ``ip link add ... type KIND`` names it.

Design note: ``NetdevSpec`` is what every net_device has; each kind adds its own
attributes with iproute2/netlink's words (``master``, ``link``, ``id``, ``dstport``,
``mode`` ...). ``SPEC_BY_KIND`` is the model's entry of the per-layer kind tables: the
emulator's ``DEVICE_BUILDERS`` and the kernel's ``REALIZERS`` must cover each kind (or
say why not), which tests/layers asserts.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from vnetlab.model.base import (
    _MAC_RE,
    IfName,
    IPv4Cidr,
    Mac,
    Model,
    SpecValueError,
    check_ifname,
)

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
    #: the port's VLANs when the bridge filters (``vlan_filtering: true``); None: the
    #: bridge's ``default_pvid`` as PVID and egress untagged, as Linux gives every new port
    vlans: list[BridgeVlan] | None = None


class FdbEntrySpec(Model):
    """A static entry: ``bridge fdb add MAC dev PORT master static``."""

    mac: Mac
    dev: IfName


class NetdevSpec(Model):
    """What every net_device has, whatever its kind."""

    addresses: list[IPv4Cidr] = []
    mtu: int = Field(1500, ge=68, le=65535)
    mac: Mac | None = None
    up: bool = True
    master: IfName | None = None
    bridge_port: BridgePortOptions | None = None

    @field_validator("addresses", mode="before")
    @classmethod
    def _addresses(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v  # one address may be written without a list

    @model_validator(mode="after")
    def _port_opts_need_master(self) -> NetdevSpec:
        if self.bridge_port is not None and self.master is None:
            raise ValueError("bridge_port options need 'master: BRIDGE' on the same interface")
        return self


class VethSpec(NetdevSpec):
    """One end of a veth pair (drivers/net/veth.c). The pair comes from ``links:``."""

    type: Literal["veth"] = "veth"


class BridgeSpec(NetdevSpec):
    """A Linux bridge (net/bridge): ``ip link add NAME type bridge``."""

    type: Literal["bridge"]
    stp: bool = False  # IFLA_BR_STP_STATE; the emulator has no STP yet and says so
    ageing_time: float = Field(300.0, ge=0, le=1_000_000)  # seconds (kernel default 300)
    fdb: list[FdbEntrySpec] = []
    #: IFLA_BR_VLAN_FILTERING: ports admit, tag and untag frames by their VLAN lists
    vlan_filtering: bool = False
    #: IFLA_BR_VLAN_DEFAULT_PVID: the PVID (egress untagged) every port and the bridge
    #: itself get unless the lab lists VLANs for them; 0 = none
    default_pvid: int = Field(1, ge=0, le=VLAN_VID_MAX)
    #: the bridge device's own VLANs (``bridge vlan add vid V dev BR self``); None: the
    #: default_pvid, as Linux gives the bridge itself
    vlans: list[BridgeVlan] | None = None

    @field_validator("default_pvid")
    @classmethod
    def _default_pvid(cls, v: int) -> int:
        return v if v == 0 else check_vid(v)


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


class TunnelSpec(NetdevSpec):
    """What VXLAN and Geneve share: a VNI, an underlay, outer TTL and DF."""

    id: int = Field(ge=0, le=0xFFFFFF, description="VNI (24 bit)")
    #: None until resolve(): the largest MTU the underlay allows (Linux's default)
    mtu: int | None = Field(None, ge=68, le=65535)  # type: ignore[assignment]
    remote: ipaddress.IPv4Address | None = None
    ttl: int | None = Field(None, ge=1, le=255)
    df: Literal["unset", "set", "inherit"] = "unset"


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


class GeneveOptionSpec(Model):
    """One Geneve option TLV (RFC 8926 3.5): class, type (0x80 bit = critical), data."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    opt_class: int = Field(alias="class", ge=0, le=0xFFFF)
    type: int = Field(ge=0, le=0xFF)
    data: str = Field("", description="hex bytes, a multiple of 4 bytes, e.g. '00000007'")

    @field_validator("data")
    @classmethod
    def _data(cls, v: str) -> str:
        h = v.replace(":", "").replace(" ", "").lower()
        try:
            raw = bytes.fromhex(h)
        except ValueError:
            raise ValueError(f"option data {v!r} is not hex bytes like '00000007'") from None
        if len(raw) % 4 or len(raw) > 124:
            raise ValueError(
                f"option data is {len(raw)} bytes; Geneve needs a multiple of 4, at most 124"
            )
        return h


class GeneveSpec(TunnelSpec):
    """Geneve (drivers/net/geneve.c, RFC 8926): ``ip link add NAME type geneve id VNI remote IP``.

    ``options`` are added to every packet the device sends (the emulator's stand-in for
    the metadata OVN sets through OVS; Linux's geneve netdev itself takes none).
    """

    type: Literal["geneve"]
    dstport: int = Field(6081, ge=1, le=65535)
    options: list[GeneveOptionSpec] = []

    @model_validator(mode="after")
    def _needs_remote(self) -> GeneveSpec:
        if self.remote is None:
            raise ValueError("geneve needs 'remote' (the peer's underlay address)")
        return self


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


class MacvlanSpec(LowerDevSpec):
    """MACVLAN (drivers/net/macvlan.c): ``ip link add link LOWER name NAME type macvlan mode M``.

    Its own MAC on the lower device. ``mode``: ``bridge`` (children reach each other
    directly), ``vepa`` (child-to-child goes out and back through an external hairpinning
    switch; Linux's default when no mode is given), ``private`` (never each other), ``passthru``
    (the only child; it takes the lower device's MAC and all its traffic).
    """

    type: Literal["macvlan"]
    mode: Literal["bridge", "vepa", "private", "passthru"] = "vepa"


class IpvlanSpec(LowerDevSpec):
    """IPVLAN (drivers/net/ipvlan): ``ip link add link LOWER name NAME type ipvlan mode M``.

    Children share the lower device's MAC and are told apart by IP address. ``l2``: ARP and
    broadcast reach the children; ``l3``: the children are NOARP and routed through the
    lower device's namespace, no broadcast or multicast reaches them. The mode belongs to the
    lower device (``ipvlan_set_port_mode``): every ipvlan on one lower has the same mode.
    """

    type: Literal["ipvlan"]
    mode: Literal["l2", "l3"] = "l3"


_PROGRAM_RE = re.compile(
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
)


class ProgramSpec(Model):
    """The userspace program on the other side of a TUN/TAP device.

    ``run`` names a Python function ``package.module:function`` that takes one
    ``vnetlab.tuntap.Context`` (the device, sockets, timers, ``args``); it is imported only
    when the lab is realized, never at load time. The same function runs in the emulator
    (callbacks on virtual time) and on the kernel (the real /dev/net/tun file descriptor).
    """

    run: str = Field(json_schema_extra={"pattern": _PROGRAM_RE.pattern})
    args: dict[str, Any] = {}

    @field_validator("run")
    @classmethod
    def _run(cls, v: str) -> str:
        if not _PROGRAM_RE.match(v):
            raise ValueError(
                f"program {v!r} is not 'package.module:function', e.g. "
                "'vnetlab.tuntap.examples.vpn:main'"
            )
        return v


class TuntapSpec(NetdevSpec):
    """What TUN and TAP share (drivers/net/tun.c): ``ip tuntap add dev NAME mode tun|tap
    user U group G`` makes a persistent device owned by U; ``program`` is the process that
    opens it (``TUNSETIFF``) and reads/writes its packets."""

    user: int | str | None = None  # TUNSETOWNER (uid or user name)
    group: int | str | None = None  # TUNSETGROUP (gid or group name)
    program: ProgramSpec | None = None


class TunSpec(TuntapSpec):
    """TUN: layer 3, the program reads and writes IP packets; no MAC, no ARP."""

    type: Literal["tun"]


class TapSpec(TuntapSpec):
    """TAP: layer 2, the program reads and writes Ethernet frames (a VM's NIC)."""

    type: Literal["tap"]


def _iface_kind(v: Any) -> str:
    kind = v.get("type", "veth") if isinstance(v, dict) else getattr(v, "type", "veth")
    return kind if isinstance(kind, str) else repr(kind)


#: One spec per device kind, chosen by ``type`` (a missing type means a veth end).
InterfaceSpec = Annotated[
    Annotated[VethSpec, Tag("veth")]
    | Annotated[BridgeSpec, Tag("bridge")]
    | Annotated[VlanSpec, Tag("vlan")]
    | Annotated[VxlanSpec, Tag("vxlan")]
    | Annotated[GeneveSpec, Tag("geneve")]
    | Annotated[MacvlanSpec, Tag("macvlan")]
    | Annotated[IpvlanSpec, Tag("ipvlan")]
    | Annotated[TunSpec, Tag("tun")]
    | Annotated[TapSpec, Tag("tap")],
    Discriminator(_iface_kind),
]

#: The spec class of each device kind: the model's entry of the per-layer kind tables.
SPEC_BY_KIND: dict[str, type[NetdevSpec]] = {
    "veth": VethSpec,
    "bridge": BridgeSpec,
    "vlan": VlanSpec,
    "vxlan": VxlanSpec,
    "geneve": GeneveSpec,
    "macvlan": MacvlanSpec,
    "ipvlan": IpvlanSpec,
    "tun": TunSpec,
    "tap": TapSpec,
}

#: The device kinds the model knows, for the per-layer tables (engines must cover each).
DEVICE_KINDS: tuple[str, ...] = tuple(SPEC_BY_KIND)

