"""The kernel operations a plan is made of: one iproute2 command and one request each.

Design note: an ``Op`` is a frozen value naming the namespace it acts in; ``.shell()``
prints the exact ``ip``/``bridge``/``sysctl`` command a user would type for it, and
``vnetlab.kernel.apply`` turns the same value into rtnetlink requests. Ops know nothing
of the model: ``plan`` translates specs into them.
"""


from __future__ import annotations

import shlex
from dataclasses import dataclass

DEFAULT_PREFIX = "vnl-"
#: device group of every link a lab creates (``ip link del group N`` removes them at once)
VNL_GROUP = 30318
NETNS_NAME_MAX = 255  # a file name under /run/netns
#: The model is IPv4 only: IPv6 is switched off for every link of a lab namespace (the
#: ``all`` covers lo, which exists already; ``default`` every link made later) so router
#: solicitations, MLD and DAD do not add frames, FDB entries and counters the emulator
#: never makes. A deliberate, documented difference from a default kernel.
IPV6_OFF = ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6")


def netns_name(prefix: str, lab: str, node: str) -> str:
    name = f"{prefix}{lab}.{node}"
    if len(name) > NETNS_NAME_MAX or "/" in name:
        raise ValueError(f"namespace name {name!r} is not a valid file name under /run/netns")
    return name


def alias_for(lab: str, run_id: str) -> str:
    return f"vnetlab:{lab}:{run_id}"


def _q(s: str) -> str:
    return shlex.quote(s)


@dataclass(frozen=True, slots=True)
class Op:
    """One step: ``ns`` is the namespace it acts in."""

    ns: str

    def shell(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class AddNetns(Op):
    node: str = ""

    def shell(self) -> str:
        return f"ip netns add {self.ns}"


@dataclass(frozen=True, slots=True)
class AddBridge(Op):
    ifname: str = ""
    index: int = 0  # ifindex we ask for (netlink only; the shell lets the kernel choose)
    mac: str | None = None
    mtu: int = 1500
    stp: bool = False
    ageing_time_cs: int = 30000
    vlan_filtering: bool = False
    default_pvid: int = 1

    def shell(self) -> str:
        addr = f" address {self.mac}" if self.mac else ""
        vf = (f" vlan_filtering 1 vlan_default_pvid {self.default_pvid}"
              if self.vlan_filtering else "")
        return (
            f"ip -n {self.ns} link add {self.ifname}{addr} mtu {self.mtu} group {VNL_GROUP} "
            f"type bridge stp_state {int(self.stp)} ageing_time {self.ageing_time_cs}{vf}"
        )


@dataclass(frozen=True, slots=True)
class AddVlan(Op):
    """``ip link add link LOWER name NAME type vlan id VID`` (net/8021q ``vlan_newlink``)."""

    ifname: str = ""
    index: int = 0
    link: str = ""
    vid: int = 1
    mac: str | None = None
    mtu: int = 1500

    def shell(self) -> str:
        addr = f" address {self.mac}" if self.mac else ""
        return (
            f"ip -n {self.ns} link add link {self.link} name {self.ifname}{addr} mtu {self.mtu} "
            f"group {VNL_GROUP} type vlan id {self.vid}"
        )


@dataclass(frozen=True, slots=True)
class AddVxlan(Op):
    """``ip link add NAME type vxlan id VNI ...`` (drivers/net/vxlan ``vxlan_newlink``)."""

    ifname: str = ""
    index: int = 0
    vni: int = 0
    dstport: int = 8472
    local: str | None = None
    remote: str | None = None
    group: str | None = None
    dev: str | None = None
    ttl: int | None = None
    df: str = "unset"
    learning: bool = True
    mac: str | None = None
    mtu: int = 1500

    def shell(self) -> str:
        addr = f" address {self.mac}" if self.mac else ""
        parts = [
            f"ip -n {self.ns} link add {self.ifname}{addr} mtu {self.mtu} group {VNL_GROUP} "
            f"type vxlan id {self.vni} dstport {self.dstport}"
        ]
        if self.local:
            parts.append(f"local {self.local}")
        if self.remote:
            parts.append(f"remote {self.remote}")
        if self.group:
            parts.append(f"group {self.group}")
        if self.dev:
            parts.append(f"dev {self.dev}")
        if self.ttl is not None:
            parts.append(f"ttl {self.ttl}")
        if self.df != "unset":
            parts.append(f"df {self.df}")
        if not self.learning:
            parts.append("nolearning")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class AddGeneve(Op):
    """``ip link add NAME type geneve id VNI remote IP`` (drivers/net/geneve.c)."""

    ifname: str = ""
    index: int = 0
    vni: int = 0
    remote: str = ""
    dstport: int = 6081
    ttl: int | None = None
    df: str = "unset"
    mac: str | None = None
    mtu: int = 1500

    def shell(self) -> str:
        addr = f" address {self.mac}" if self.mac else ""
        parts = [
            f"ip -n {self.ns} link add {self.ifname}{addr} mtu {self.mtu} group {VNL_GROUP} "
            f"type geneve id {self.vni} remote {self.remote}"
        ]
        if self.dstport != 6081:
            parts.append(f"dstport {self.dstport}")
        if self.ttl is not None:
            parts.append(f"ttl {self.ttl}")
        if self.df != "unset":
            parts.append(f"df {self.df}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class AddVxlanFdb(Op):
    """``bridge fdb append MAC dev VXLAN dst IP`` (``vxlan_fdb_add``; NLM_F_APPEND adds a
    further remote to the same MAC: head-end replication for the all-zeros entry)."""

    dev: str = ""
    mac: str = ""
    dst: str = ""

    def shell(self) -> str:
        return f"bridge -n {self.ns} fdb append {self.mac} dev {self.dev} dst {self.dst}"


@dataclass(frozen=True, slots=True)
class BridgeVlanOp(Op):
    """``bridge vlan add|del vid V[-E] dev DEV [pvid] [untagged] [self]`` (``br_setlink``
    / ``br_dellink`` with ``IFLA_AF_SPEC``/``IFLA_BRIDGE_VLAN_INFO``)."""

    dev: str = ""
    vid: int = 1
    vid_end: int | None = None
    pvid: bool = False
    untagged: bool = False
    self_: bool = False  # the bridge device's own VLANs
    delete: bool = False

    def shell(self) -> str:
        vid = f"{self.vid}-{self.vid_end}" if self.vid_end else str(self.vid)
        parts = [f"bridge -n {self.ns} vlan {'del' if self.delete else 'add'} vid {vid} "
                 f"dev {self.dev}"]
        if self.pvid:
            parts.append("pvid")
        if self.untagged:
            parts.append("untagged")
        if self.self_:
            parts.append("self")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class AddLowerDev(Op):
    """``ip -n LOWER_NS link add link LOWER name NAME [netns NS] type macvlan|ipvlan mode M``
    (``macvlan_common_newlink``/``ipvlan_link_new``). The request goes to the lower device's
    namespace (``IFLA_LINK`` is looked up there) and ``IFLA_NET_NS_FD`` puts the new device
    into ``ns`` — the container's macvlan on the host's eth0."""

    ifname: str = ""
    index: int = 0  # in ``ns``
    kind: str = "macvlan"  # or "ipvlan"
    mode: str = "vepa"
    link: str = ""  # the lower device's name
    link_node: str = ""  # the lower device's node when not this one
    link_ns: str = ""  # its namespace (plan() fills it in from link_node)
    mac: str | None = None
    mtu: int = 1500

    def shell(self) -> str:
        lns = self.link_ns or self.ns
        netns = f" netns {self.ns}" if lns != self.ns else ""
        addr = f" address {self.mac}" if self.mac else ""
        return (
            f"ip -n {lns} link add link {self.link} name {self.ifname}{netns}{addr} "
            f"mtu {self.mtu} group {VNL_GROUP} type {self.kind} mode {self.mode}"
        )


@dataclass(frozen=True, slots=True)
class AddTuntap(Op):
    """``ip tuntap add dev NAME mode tun|tap user U group G``: open /dev/net/tun in the
    namespace, ``TUNSETIFF`` (``IFF_NO_PI``), ``TUNSETOWNER``/``TUNSETGROUP``,
    ``TUNSETPERSIST`` 1, close (drivers/net/tun.c ``tun_set_iff``); then MTU, MAC and the
    lab's device group over rtnetlink (a tun cannot be made by ``RTM_NEWLINK``:
    ``tun_validate`` answers EOPNOTSUPP). The kernel picks the ifindex."""

    ifname: str = ""
    index: int = 0  # expected; apply uses the one the kernel gave
    mode: str = "tun"
    user: int | str | None = None
    group: int | str | None = None
    mac: str | None = None
    mtu: int = 1500

    def shell(self) -> str:
        owner = (f" user {self.user}" if self.user is not None else "") + (
            f" group {self.group}" if self.group is not None else "")
        addr = f" address {self.mac}" if self.mac else ""
        return (
            f"ip -n {self.ns} tuntap add dev {self.ifname} mode {self.mode}{owner}\n"
            f"ip -n {self.ns} link set {self.ifname}{addr} mtu {self.mtu} group {VNL_GROUP}"
        )


@dataclass(frozen=True, slots=True)
class AddVeth(Op):
    ifname: str = ""
    index: int = 0
    mac: str | None = None
    mtu: int = 1500
    peer_ns: str = ""
    peer_ifname: str = ""
    peer_index: int = 0
    peer_mac: str | None = None
    peer_mtu: int = 1500

    def shell(self) -> str:
        addr = f" address {self.mac}" if self.mac else ""
        paddr = f" address {self.peer_mac}" if self.peer_mac else ""
        return (
            f"ip -n {self.ns} link add {self.ifname}{addr} mtu {self.mtu} group {VNL_GROUP} "
            f"type veth peer name {self.peer_ifname} netns {self.peer_ns}{paddr} "
            f"mtu {self.peer_mtu} group {VNL_GROUP}"
        )


@dataclass(frozen=True, slots=True)
class SetAlias(Op):
    ifname: str = ""
    alias: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} link set {self.ifname} alias {_q(self.alias)}"


@dataclass(frozen=True, slots=True)
class SetMaster(Op):
    ifname: str = ""
    master: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} link set {self.ifname} master {self.master}"


@dataclass(frozen=True, slots=True)
class SetMtu(Op):
    ifname: str = ""
    mtu: int = 1500

    def shell(self) -> str:
        return f"ip -n {self.ns} link set {self.ifname} mtu {self.mtu}"


@dataclass(frozen=True, slots=True)
class SetBrportFlags(Op):
    ifname: str = ""
    learning: bool = True
    flood: bool = True
    hairpin: bool = False

    def shell(self) -> str:
        def onoff(b: bool) -> str:
            return "on" if b else "off"

        return (
            f"bridge -n {self.ns} link set dev {self.ifname} learning {onoff(self.learning)} "
            f"flood {onoff(self.flood)} hairpin {onoff(self.hairpin)}"
        )


@dataclass(frozen=True, slots=True)
class AddFdb(Op):
    bridge: str = ""
    dev: str = ""
    mac: str = ""

    def shell(self) -> str:
        return f"bridge -n {self.ns} fdb add {self.mac} dev {self.dev} master static"


@dataclass(frozen=True, slots=True)
class AddAddr(Op):
    ifname: str = ""
    cidr: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} addr add {self.cidr} dev {self.ifname}"


@dataclass(frozen=True, slots=True)
class SetSysctl(Op):
    key: str = ""
    value: int = 0

    def shell(self) -> str:
        return f"ip netns exec {self.ns} sysctl -qw {self.key}={self.value}"


@dataclass(frozen=True, slots=True)
class SetUp(Op):
    ifname: str = ""

    def shell(self) -> str:
        return f"ip -n {self.ns} link set {self.ifname} up"


@dataclass(frozen=True, slots=True)
class AddRoute(Op):
    dst: str = "default"
    via: str | None = None
    dev: str | None = None
    metric: int = 0

    def shell(self) -> str:
        parts = [f"ip -n {self.ns} route add {self.dst}"]
        if self.via:
            parts.append(f"via {self.via}")
        if self.dev:
            parts.append(f"dev {self.dev}")
        if self.metric:
            parts.append(f"metric {self.metric}")
        return " ".join(parts)
