"""Observed state: what an engine reports back, in one shape for the emulator and the kernel.

Design note
-----------
These are the snapshot types of ``Engine.observe()``. The emulator fills them from its own
objects; the linux engine fills them from netlink dumps. Field names and value spellings
follow ``ip -j`` / ``bridge -j`` (``operstate`` "UP"/"DOWN"/"LOWERLAYERDOWN", neighbour states
"REACHABLE"/"STALE"/..., route ``dst`` "default" or a CIDR, fdb flags), so differential tests
compare like with like and ``--json`` output is familiar.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Counters:
    """``ip -s link``: rtnl_link_stats64 subset."""

    rx_packets: int = 0
    rx_bytes: int = 0
    rx_dropped: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0
    tx_dropped: int = 0


@dataclass(frozen=True, slots=True)
class LinkState:
    ifname: str
    kind: str  # "veth", "bridge", "loopback" ...
    admin_up: bool
    operstate: str  # "UP", "DOWN", "LOWERLAYERDOWN", "UNKNOWN"
    mtu: int
    mac: str
    master: str | None = None
    peer: str | None = None  # "NODE:IFNAME" of a veth peer when known
    stats: Counters = field(default_factory=Counters)


@dataclass(frozen=True, slots=True)
class AddrState:
    """One ``ip -j addr`` entry (``addr_info``): ``cidr`` is ``local/prefixlen``.

    ``flags`` are exactly the flag words iproute2 prints for the address
    (``print_ifa_flags``: "tentative", "dadfailed", "nodad", "dynamic", "noprefixroute",
    ...), sorted; IPv4 addresses keep ``()``. ``scope`` as ``ip addr`` shows it
    ("global", "link", "host").
    """

    ifname: str
    cidr: str  # "192.168.1.2/24", "fe80::ff:fe00:1/64"
    family: str = "inet"  # "inet" | "inet6"
    scope: str = "global"
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RouteState:
    dst: str  # "default" or "192.168.1.0/24"
    dev: str
    via: str | None = None
    proto: str = "boot"  # `ip route add` (RTPROT_BOOT, not shown); "kernel" when connected
    scope: str = "global"  # "link" for connected routes
    prefsrc: str | None = None
    metric: int = 0
    family: str = "inet"  # "inet" | "inet6" (``ip -6 route``: dst "fe80::/64", "default")
    pref: str | None = None  # RTA_PREF of an IPv6 route ("medium"); None for IPv4


@dataclass(frozen=True, slots=True)
class NeighState:
    dst: str
    dev: str
    lladdr: str | None
    state: str  # "REACHABLE", "STALE", "DELAY", "PROBE", "INCOMPLETE", "FAILED", "PERMANENT"
    router: bool = False  # NTF_ROUTER: an IPv6 neighbour that said it routes (``ip -6 neigh``)


@dataclass(frozen=True, slots=True)
class FdbState:
    """One ``bridge fdb show`` entry: learned or configured on a bridge port, or a
    device's own ("self") entry.

    Self entries of a device's address lists (``dev.mc``/``dev.uc``: the multicast groups it
    joined, e.g. 33:33:00:00:00:01) are ``bridge=""`` (or the master's name when the device is
    a bridge port), ``port=DEV``, ``flags=("self", "permanent")``, one per address, as
    ``bridge -j fdb show`` lists them per namespace.
    """

    bridge: str
    port: str
    mac: str
    vlan: int | None = None
    #: "static", "permanent" (local), learned entries have none; ("self", "permanent") for
    #: a device's own address-list entries
    flags: tuple[str, ...] = ()
    #: a VXLAN device's own ("self") entry: the remote VTEP behind ``mac`` (``bridge fdb
    #: show dev vx0``: ``MAC dst IP self``); None for bridge entries
    dst: str | None = None


@dataclass(frozen=True, slots=True)
class BridgeVlanState:
    """One ``bridge -j vlan show`` entry: VLAN ``vid`` on ``port`` of ``bridge``.

    ``port`` is the bridge's own name for its "self" membership. ``flags`` as iproute2
    prints them: "PVID", "Egress Untagged". Reported for bridges with vlan_filtering on.
    """

    bridge: str
    port: str
    vid: int
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NodeState:
    name: str
    links: tuple[LinkState, ...] = ()
    addrs: tuple[AddrState, ...] = ()
    routes: tuple[RouteState, ...] = ()
    neighs: tuple[NeighState, ...] = ()
    fdb: tuple[FdbState, ...] = ()
    sysctls: dict[str, int] = field(default_factory=dict)
    vlans: tuple[BridgeVlanState, ...] = ()  # bridge VLAN membership (``bridge vlan show``)

    def link(self, ifname: str) -> LinkState:
        for ln in self.links:
            if ln.ifname == ifname:
                return ln
        raise KeyError(ifname)


@dataclass(frozen=True, slots=True)
class LabState:
    lab: str
    engine: str  # "sim" or "linux"
    nodes: dict[str, NodeState]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
