"""The typed intermediate state: what a host's namespaces hold, decoded from the dumps.

Design note
-----------
Between the tools' JSON (``vnetlab.snapshot.dumps``) and a lab file stands one typed
picture of the host, in the kernel's own vocabulary: links with their kind and kind data
(``IFLA_INFO_KIND``/``IFLA_INFO_DATA``, as ``ip -d`` prints them), bridge-port options
(``IFLA_BRPORT_*``), addresses, routes, neighbours, FDB entries, bridge VLANs, Open vSwitch
bridges. Cross-namespace references (a veth's peer, a macvlan's lower) are resolved here,
once, to ``(namespace, ifname)``; ``vnetlab.snapshot.tolab`` then only translates.
Nothing is dropped at this stage: the decision what a lab carries is tolab's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Link:
    ifindex: int
    name: str
    #: IFLA_INFO_KIND ("veth", "bridge", ...); "loopback" for lo, "" for a device without
    #: linkinfo (a physical NIC)
    kind: str
    admin_up: bool
    operstate: str
    mtu: int
    mac: str | None
    master: str | None = None
    #: ``link_type``: "ether", "none" (a tun), "loopback" ...
    link_type: str = "ether"
    #: ``ip -j`` "link" (a same-namespace peer/lower by name) or "link_index" + "link_netnsid"
    link_name: str | None = None
    link_index: int | None = None
    link_netnsid: int | None = None
    info: dict[str, Any] = field(default_factory=dict)
    slave_kind: str | None = None
    slave: dict[str, Any] = field(default_factory=dict)
    #: resolved: the veth peer / lower device as (namespace, ifname); None: outside the
    #: snapshot (or unknown)
    peer: tuple[str, str] | None = None
    lower: tuple[str, str] | None = None
    #: ``ip -d link``'s ``vfinfo_list`` (the PF's per-VF settings, IFLA_VFINFO_LIST);
    #: None: the device printed none (no SR-IOV, or not a PF)
    vfinfo: list[dict[str, Any]] | None = None
    #: sysfs (sriov.json): the PCI function, a PF's sriov_totalvfs/sriov_numvfs, the
    #: line rate in Mb/s
    pci: str | None = None
    totalvfs: int | None = None
    numvfs: int | None = None
    speed: int | None = None
    #: a VF netdev: its PF's PCI name and its number there; resolved: the PF as
    #: (namespace, ifname)
    physfn: str | None = None
    vf: int | None = None
    pf: tuple[str, str] | None = None


@dataclass(frozen=True)
class Addr:
    ifname: str
    family: str  # "inet" | "inet6"
    local: str
    prefixlen: int
    scope: str

    @property
    def cidr(self) -> str:
        return f"{self.local}/{self.prefixlen}"


@dataclass(frozen=True)
class Route:
    table: str  # "main", "local", a number ...
    type: str  # "unicast", "local", "broadcast", "blackhole" ...
    family: str  # "inet" | "inet6"
    dst: str  # "default" or CIDR (as ip prints; a host route without /32)
    dev: str | None
    gateway: str | None
    protocol: str
    scope: str
    metric: int
    prefsrc: str | None
    multipath: bool = False


@dataclass(frozen=True)
class Neigh:
    dst: str
    dev: str
    lladdr: str | None
    state: tuple[str, ...]

    @property
    def static(self) -> bool:
        """Configured (``ip neigh add ... nud permanent|noarp``), not learned."""
        return "PERMANENT" in self.state or "NOARP" in self.state


@dataclass(frozen=True)
class Fdb:
    mac: str
    ifname: str
    master: str | None
    vlan: int | None
    dst: str | None
    flags: tuple[str, ...]
    state: str  # "" (learned), "permanent", "static"


@dataclass(frozen=True)
class VlanEntry:
    ifname: str
    vid: int
    vid_end: int | None
    pvid: bool
    untagged: bool


@dataclass
class OvsPort:
    name: str
    type: str  # "system", "internal", "patch", "vxlan", "geneve", ...
    options: dict[str, str]
    ofport: int | None
    tag: int | None
    trunks: list[int]
    vlan_mode: str | None
    mac: str | None = None


@dataclass
class OvsMirror:
    name: str
    select_all: bool
    select_src_port: list[str]
    select_dst_port: list[str]
    select_vlan: list[int]
    output_port: str | None
    output_vlan: int | None


@dataclass
class OvsBridge:
    name: str
    fail_mode: str | None
    datapath_type: str | None
    other_config: dict[str, str]
    ports: dict[str, OvsPort]
    mirrors: list[OvsMirror]
    flows: list[str]
    groups: list[str]


@dataclass
class Namespace:
    name: str
    links: dict[str, Link]
    addrs: list[Addr] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    neighs: list[Neigh] = field(default_factory=list)
    fdb: list[Fdb] = field(default_factory=list)
    vlans: list[VlanEntry] = field(default_factory=list)
    #: nsid (as this namespace numbers the others) -> namespace name
    nsids: dict[int, str] = field(default_factory=dict)
    ip_forward: int | None = None
    #: ``ebtables-save``: table -> its ``-A CHAIN ...`` lines; chain policies other than
    #: ACCEPT as (table, chain, policy)
    ebtables: dict[str, list[str]] | None = None
    ebtables_policies: list[tuple[str, str, str]] = field(default_factory=list)
    #: ``state add ...`` / ``policy add ...`` lines (None: not collected)
    xfrm: list[str] | None = None
    ovs: list[OvsBridge] | None = None
    #: root qdiscs as the lab's ``tc:`` lines (None: ``tc -j qdisc show`` not collected)
    tc: list[str] | None = None
    tc_notes: list[str] = field(default_factory=list)
    #: which dumps were collected ("links", "addrs", ...): the rest are unknown, not empty
    collected: frozenset[str] = frozenset()
    is_host: bool = False

    def by_index(self, ifindex: int) -> Link | None:
        for ln in self.links.values():
            if ln.ifindex == ifindex:
                return ln
        return None


@dataclass
class HostState:
    namespaces: dict[str, Namespace]
    #: what could not be decoded or resolved, one line each (goes into the lab's header)
    notes: list[str] = field(default_factory=list)
