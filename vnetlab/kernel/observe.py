"""Read a lab's namespaces back into ``vnetlab.model.state`` snapshots, from netlink dumps.

Design note
-----------
One ``RTM_GETLINK``/``RTM_GETADDR``/``RTM_GETROUTE``/``RTM_GETNEIGH`` dump per namespace on
the lab's own socket (no ``ip`` parsing). Spellings follow what ``ip -j``/``bridge -j``
print for the same kernel data:

* links: ``IFLA_INFO_KIND`` (``"loopback"`` for ``lo``, which has none), ``IFF_UP``,
  ``IFLA_OPERSTATE`` (``UP``/``DOWN``/``LOWERLAYERDOWN``/``UNKNOWN`` ...), ``IFLA_MTU``,
  ``IFLA_ADDRESS``, ``IFLA_MASTER`` by name, ``IFLA_STATS64``; a link's peer comes from its
  kind's ``decode_peer`` (a veth's: ``NODE:IFNAME`` when the model says which end it is
  *and* the kernel confirms it), else ``None``;
* routes: table main only, ``dst`` "default" or CIDR, ``proto`` from ``rtm_protocol``
  (``kernel`` for connected routes, ``static`` for the lab's), scope ``global``/``link``/
  ``host``, ``RTA_PREFSRC``, ``RTA_PRIORITY``;
* neighbours: ``AF_INET`` entries, ``NUD_NOARP`` ones hidden as ``ip neigh show`` does;
  the state is the name of the highest ``NUD_*`` bit set;
* FDB: ``AF_BRIDGE`` neighbours that belong to a bridge (``NDA_MASTER``), as
  ``bridge fdb show`` lists with ``master``; the device's own ``self`` multicast entries are
  left out. Flags: ``permanent`` (the kernel's local entries, ``NUD_PERMANENT``),
  ``static`` (``NUD_NOARP``), none for learned entries. A device's own table (``bridge
  fdb show dev vx0``: ``MAC dst IP self``) is listed as its kind's ``decode_self_fdb``
  decodes it (a VXLAN's remote VTEPs);
* linkwatch: which kinds' operstate lags behind their carrier is the kinds' own knowledge
  (``KernelKind.carrier``/``follows_lower``).
"""

from __future__ import annotations

import errno
import ipaddress
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyroute2.netlink.rtnl import RTM_GETADDR, RTM_GETLINK, RTM_GETNEIGH, RTM_GETROUTE
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.ndmsg import ndmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from vnetlab.kernel import nl
from vnetlab.kernel.kinds import KINDS, by_info_kind
from vnetlab.model.spec import LabSpec
from vnetlab.model.state import (
    AddrState,
    Counters,
    FdbState,
    LabState,
    LinkState,
    NeighState,
    NodeState,
    RouteState,
)

AF_INET = 2
AF_BRIDGE = 7
IFF_UP = 0x1
RT_TABLE_MAIN = 254
RTM_F_CLONED = 0x200  # a dumped fib_nh_exception (learned PMTU), rtnetlink.h
RTN_UNICAST = 1
NUD_PERMANENT = 0x80
NUD_NOARP = 0x40

PROTOS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 16: "dhcp"}
SCOPES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
#: NUD_* bits as ``ip neigh`` names them, highest first (include/uapi/linux/neighbour.h)
NUD_NAMES = (
    (0x80, "PERMANENT"),
    (0x40, "NOARP"),
    (0x20, "FAILED"),
    (0x10, "PROBE"),
    (0x08, "DELAY"),
    (0x04, "STALE"),
    (0x02, "REACHABLE"),
    (0x01, "INCOMPLETE"),
)
SYSCTLS_READ = ("net.ipv4.ip_forward",)


def nud_name(state: int) -> str:
    for bit, name in NUD_NAMES:
        if state & bit:
            return name
    return "NONE"


@dataclass(frozen=True, slots=True)
class RawNs:
    """What one namespace's dumps returned, before peers are resolved across namespaces."""

    node: str
    links: list[Any]
    addrs: list[Any]
    routes: list[Any]
    neighs: list[Any]
    fdb: list[Any]
    sysctls: dict[str, int]


def dump_ns(node: str, sock: nl.NlSocket, fd: int) -> RawNs:
    def msg(cls: type, family: int) -> Any:
        m = cls()
        m["family"] = family
        return m

    sysctls: dict[str, int] = {}
    for key in SYSCTLS_READ:
        try:
            sysctls[key] = nl.read_sysctl(fd, key)
        except OSError as e:  # pragma: no cover - every kernel has ip_forward
            if e.errno != errno.ENOENT:
                raise
    return RawNs(
        node=node,
        links=sock.dump(msg(ifinfmsg, 0), RTM_GETLINK),
        addrs=sock.dump(msg(ifaddrmsg, AF_INET), RTM_GETADDR),
        routes=sock.dump(msg(rtmsg, AF_INET), RTM_GETROUTE),
        neighs=sock.dump(msg(ndmsg, AF_INET), RTM_GETNEIGH),
        fdb=sock.dump(msg(ndmsg, AF_BRIDGE), RTM_GETNEIGH),
        sysctls=sysctls,
    )


def _expected_peers(lab: LabSpec | None) -> dict[tuple[str, str], tuple[str, str]]:
    peers: dict[tuple[str, str], tuple[str, str]] = {}
    if lab is None:
        return peers
    for link in lab.links:
        a, b = link.endpoints
        peers[(a.node, a.ifname)] = (b.node, b.ifname)
        peers[(b.node, b.ifname)] = (a.node, a.ifname)
    return peers


def _physical_kind(lab: LabSpec | None, node: str, ifname: str) -> str | None:
    """The lab's kind of a link the kernel reports without IFLA_INFO_KIND, when the
    lab's kind is one of those (a driver's netdev: no ``rtnl_link_ops``)."""
    n = lab.nodes.get(node) if lab is not None else None
    spec = n.interfaces.get(ifname) if n is not None else None
    if spec is not None and spec.type in KINDS and not KINDS[spec.type].info_kind:
        return spec.type
    return None


def build_state(lab_name: str, raws: Mapping[str, RawNs], lab: LabSpec | None) -> LabState:
    """Turn raw dumps into a ``LabState`` (pure: testable on canned messages)."""
    by_index: dict[str, dict[int, Any]] = {
        node: {m["index"]: m for m in raw.links} for node, raw in raws.items()
    }
    names: dict[str, dict[int, str]] = {
        node: {i: m.get_attr("IFLA_IFNAME") for i, m in idx.items()}
        for node, idx in by_index.items()
    }
    expected = _expected_peers(lab)
    nodes: dict[str, NodeState] = {}
    for node, raw in raws.items():
        nm = names[node]
        links: list[LinkState] = []
        for m in sorted(raw.links, key=lambda m: m["index"]):
            ifname = m.get_attr("IFLA_IFNAME")
            kind = m.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND")
            if kind is None and ifname == "lo":
                kind = "loopback"
            elif kind is None:  # a physical device (a VF): the lab says what it is
                kind = _physical_kind(lab, node, ifname)
            master = m.get_attr("IFLA_MASTER")
            known = by_info_kind(kind)
            peer = None
            if known is not None and known.decode_peer is not None:
                peer = known.decode_peer(node, m, by_index, expected.get((node, ifname)))
            st = m.get_attr("IFLA_STATS64") or {}
            links.append(
                LinkState(
                    ifname=ifname,
                    kind=kind or "unknown",
                    admin_up=bool(m["flags"] & IFF_UP),
                    operstate=str(m.get_attr("IFLA_OPERSTATE") or "UNKNOWN"),
                    mtu=int(m.get_attr("IFLA_MTU") or 0),
                    mac=str(m.get_attr("IFLA_ADDRESS") or ""),
                    master=nm.get(master) if master else None,
                    peer=peer,
                    stats=Counters(
                        rx_packets=st.get("rx_packets", 0),
                        rx_bytes=st.get("rx_bytes", 0),
                        rx_dropped=st.get("rx_dropped", 0),
                        tx_packets=st.get("tx_packets", 0),
                        tx_bytes=st.get("tx_bytes", 0),
                        tx_dropped=st.get("tx_dropped", 0),
                    ),
                )
            )
        addrs = tuple(
            AddrState(
                ifname=nm.get(a["index"], str(a["index"])),
                cidr=f"{a.get_attr('IFA_LOCAL') or a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}",
            )
            for a in raw.addrs
        )
        routes: list[RouteState] = []
        for r in raw.routes:
            table = r.get_attr("RTA_TABLE") or r["table"]
            if table != RT_TABLE_MAIN or r["type"] != RTN_UNICAST or r["flags"] & RTM_F_CLONED:
                continue  # cached next-hop exceptions (PMTU) are not routes: ``ip route``
            dst = r.get_attr("RTA_DST")
            oif = r.get_attr("RTA_OIF")
            routes.append(
                RouteState(
                    dst="default" if r["dst_len"] == 0 else
                    str(ipaddress.IPv4Network(f"{dst}/{r['dst_len']}", strict=False)),
                    dev=nm.get(oif, str(oif)),
                    via=r.get_attr("RTA_GATEWAY"),
                    proto=PROTOS.get(r["proto"], str(r["proto"])),
                    scope=SCOPES.get(r["scope"], str(r["scope"])),
                    prefsrc=r.get_attr("RTA_PREFSRC"),
                    metric=r.get_attr("RTA_PRIORITY") or 0,
                )
            )
        neighs = tuple(
            NeighState(
                dst=n.get_attr("NDA_DST"),
                dev=nm.get(n["ifindex"], str(n["ifindex"])),
                lladdr=n.get_attr("NDA_LLADDR"),
                state=nud_name(n["state"]),
            )
            for n in raw.neighs
            if not n["state"] & NUD_NOARP
        )
        kinds = {m["index"]: m.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND")
                 for m in raw.links}
        fdb: list[FdbState] = []
        for e in raw.fdb:
            master = e.get_attr("NDA_MASTER")
            if not master:
                known = by_info_kind(kinds.get(e["ifindex"]))
                if known is not None and known.decode_self_fdb is not None:
                    own = known.decode_self_fdb(e, nm.get(e["ifindex"], str(e["ifindex"])))
                    if own is not None:
                        fdb.append(own)
                continue
            flags: tuple[str, ...] = ()
            if e["state"] & NUD_PERMANENT:
                flags = ("permanent",)
            elif e["state"] & NUD_NOARP:
                flags = ("static",)
            fdb.append(
                FdbState(
                    bridge=nm.get(master, str(master)),
                    port=nm.get(e["ifindex"], str(e["ifindex"])),
                    mac=str(e.get_attr("NDA_LLADDR")),
                    vlan=e.get_attr("NDA_VLAN"),
                    flags=flags,
                )
            )
        nodes[node] = NodeState(
            name=node,
            links=tuple(links),
            addrs=addrs,
            routes=tuple(routes),
            neighs=neighs,
            fdb=tuple(fdb),
            sysctls=dict(raw.sysctls),
        )
    return LabState(lab=lab_name, engine="linux", nodes=nodes)


def observe(
    lab_name: str,
    socks: Mapping[str, tuple[nl.NlSocket, int]],
    lab: LabSpec | None = None,
) -> LabState:
    """``socks`` maps node name -> (its namespace's socket, an fd on the namespace).

    The kernel publishes operstate through linkwatch, which batches non-urgent events for
    up to a second (``linkwatch_schedule_work``): a veth or bridge that is up with carrier
    can still read UNKNOWN shortly after a change. Observe re-reads (bounded) until those
    have settled, so a snapshot shows the state the kernel is about to report anyway.
    """
    deadline = time.monotonic() + LINKWATCH_SETTLE_S
    while True:
        raws = {node: dump_ns(node, sock, fd) for node, (sock, fd) in socks.items()}
        if not _linkwatch_pending(raws) or time.monotonic() >= deadline:
            return build_state(lab_name, raws, lab)
        time.sleep(0.05)


LINKWATCH_SETTLE_S = 1.5


def _linkwatch_pending(raws: Mapping[str, RawNs]) -> bool:
    for raw in raws.values():
        for m in raw.links:
            if not m["flags"] & IFF_UP:
                continue
            known = by_info_kind(m.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND"))
            if known is None or not (known.carrier or known.follows_lower):
                continue
            carrier = m.get_attr("IFLA_CARRIER")
            oper = m.get_attr("IFLA_OPERSTATE") or "UNKNOWN"
            if carrier and oper in ("UNKNOWN", "DOWN"):
                return True  # carrier is there, the operstate it implies not yet
            if known.follows_lower and not carrier:
                return True  # bounded: a stacked device whose lower is really down waits
    return False
