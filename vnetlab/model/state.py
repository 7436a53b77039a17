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
    ifname: str
    cidr: str  # "192.168.1.2/24"


@dataclass(frozen=True, slots=True)
class RouteState:
    dst: str  # "default" or "192.168.1.0/24"
    dev: str
    via: str | None = None
    proto: str = "boot"  # `ip route add` (RTPROT_BOOT, not shown); "kernel" when connected
    scope: str = "global"  # "link" for connected routes
    prefsrc: str | None = None
    metric: int = 0


@dataclass(frozen=True, slots=True)
class NeighState:
    dst: str
    dev: str
    lladdr: str | None
    state: str  # "REACHABLE", "STALE", "DELAY", "PROBE", "INCOMPLETE", "FAILED", "PERMANENT"


@dataclass(frozen=True, slots=True)
class FdbState:
    """One ``bridge fdb show br BR`` entry learned or configured on a bridge port."""

    bridge: str
    port: str
    mac: str
    vlan: int | None = None
    flags: tuple[str, ...] = ()  # "static", "permanent" (local), learned entries have none
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
