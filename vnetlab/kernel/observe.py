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
* addresses: both families; ``scope`` as ``ip`` names ``ifa_scope``; for IPv6 the flag
  words ``ip -j addr`` prints (``kernel.ipv6.ifa_flag_words``: ``tentative``,
  ``dadfailed``, ``nodad`` ...), IPv4 addresses with none;
* routes: table main only, both families, ``dst`` "default" or CIDR, ``proto`` from
  ``rtm_protocol`` (``kernel`` for connected routes, ``static`` for the lab's), scope
  ``global``/``link``/``host``, ``RTA_PREFSRC``, ``RTA_PRIORITY``; an IPv6 route's ``pref``
  from ``RTA_PREF`` (``medium`` unless an RA said otherwise);
* neighbours: ``AF_INET`` and ``AF_INET6`` entries, ``NUD_NOARP`` ones hidden as ``ip neigh
  show`` does (the IPv6 multicast entries); the state is the name of the highest
  ``NUD_*`` bit set; ``router`` is ``NTF_ROUTER`` (an NA with the R flag);
* FDB: ``AF_BRIDGE`` neighbours that belong to a bridge (``NDA_MASTER``), as
  ``bridge fdb show`` lists with ``master``. Flags: ``permanent`` (the kernel's local
  entries, ``NUD_PERMANENT``), ``static`` (``NUD_NOARP``), none for learned entries. A
  device's own table (``bridge fdb show dev vx0``: ``MAC dst IP self``) is listed as its
  kind's ``decode_self_fdb`` decodes it (a VXLAN's remote VTEPs); every other ``self``
  entry is a device's unicast/multicast address list (``ndo_dflt_fdb_dump``: ``dev->uc``
  then ``dev->mc``, ``NUD_PERMANENT``): ``bridge`` is the device's master ("" if none),
  ``port`` the device, flags ``("self", "permanent")``;
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

from vnetlab.kernel import ipv6, nl
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

AF_UNSPEC = 0
AF_INET = 2
AF_BRIDGE = 7
AF_INET6 = 10
NTF_SELF = 0x02
NTF_ROUTER = 0x80
#: RTA_PREF (ICMPV6_ROUTER_PREF_*) as ``ip -6 route`` prints it
ROUTE_PREFS = {0: "medium", 1: "high", 3: "low"}
IFF_UP = 0x1
RT_TABLE_MAIN = 254
RTM_F_CLONED = 0x200  # a dumped fib_nh_exception (learned PMTU), rtnetlink.h
RTN_UNICAST = 1
NUD_PERMANENT = 0x80
NUD_NOARP = 0x40

PROTOS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 9: "ra",
          16: "dhcp"}
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
        addrs=sock.dump(msg(ifaddrmsg, AF_UNSPEC), RTM_GETADDR),
        routes=[*sock.dump(msg(rtmsg, AF_INET), RTM_GETROUTE),
                *sock.dump(msg(rtmsg, AF_INET6), RTM_GETROUTE)],
        neighs=[*sock.dump(msg(ndmsg, AF_INET), RTM_GETNEIGH),
                *sock.dump(msg(ndmsg, AF_INET6), RTM_GETNEIGH)],
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
        addrs = tuple(_addr(a, nm) for a in raw.addrs if a["family"] in (AF_INET, AF_INET6))
        routes: list[RouteState] = []
        for r in raw.routes:
            table = r.get_attr("RTA_TABLE") or r["table"]
            if table != RT_TABLE_MAIN or r["type"] != RTN_UNICAST or r["flags"] & RTM_F_CLONED:
                continue  # cached next-hop exceptions (PMTU) are not routes: ``ip route``
            routes.append(_route(r, nm))
        neighs = tuple(
            NeighState(
                dst=n.get_attr("NDA_DST"),
                dev=nm.get(n["ifindex"], str(n["ifindex"])),
                lladdr=n.get_attr("NDA_LLADDR"),
                state=nud_name(n["state"]),
                router=bool(n["flags"] & NTF_ROUTER),
            )
            for n in raw.neighs
            if not n["state"] & NUD_NOARP
        )
        kinds = {m["index"]: m.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND")
                 for m in raw.links}
        fdb: list[FdbState] = []
        masters = {m["index"]: m.get_attr("IFLA_MASTER") for m in raw.links}
        for e in raw.fdb:
            master = e.get_attr("NDA_MASTER")
            if not master:
                dev = nm.get(e["ifindex"], str(e["ifindex"]))
                known = by_info_kind(kinds.get(e["ifindex"]))
                own = None
                if known is not None and known.decode_self_fdb is not None:
                    own = known.decode_self_fdb(e, dev)
                if own is None and e["flags"] & NTF_SELF and not e.get_attr("NDA_DST"):
                    up = masters.get(e["ifindex"])
                    own = FdbState(bridge=nm.get(up, str(up)) if up else "", port=dev,
                                   mac=str(e.get_attr("NDA_LLADDR")),
                                   vlan=e.get_attr("NDA_VLAN"), flags=("self", "permanent"))
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


def _addr(a: Any, nm: Mapping[int, str]) -> AddrState:
    """One ``ip -j addr`` entry: family, scope and (IPv6) flag words."""
    v6 = a["family"] == AF_INET6
    local = a.get_attr("IFA_LOCAL") or a.get_attr("IFA_ADDRESS")
    return AddrState(
        ifname=nm.get(a["index"], str(a["index"])),
        cidr=f"{local}/{a['prefixlen']}",
        family="inet6" if v6 else "inet",
        scope=SCOPES.get(a["scope"], str(a["scope"])),
        flags=tuple(sorted(ipv6.ifa_flag_words(ipv6.ifa_flags(a), AF_INET6))) if v6 else (),
    )


def _route(r: Any, nm: Mapping[int, str]) -> RouteState:
    """One main-table unicast route as ``ip -j route`` / ``ip -j -6 route`` shows it."""
    v6 = r["family"] == AF_INET6
    dst = r.get_attr("RTA_DST")
    oif = r.get_attr("RTA_OIF")
    net = ipaddress.IPv6Network if v6 else ipaddress.IPv4Network
    return RouteState(
        dst="default" if r["dst_len"] == 0 else
        str(net(f"{dst}/{r['dst_len']}", strict=False)),
        dev=nm.get(oif, str(oif)),
        via=r.get_attr("RTA_GATEWAY"),
        proto=PROTOS.get(r["proto"], str(r["proto"])),
        scope=SCOPES.get(r["scope"], str(r["scope"])),
        prefsrc=r.get_attr("RTA_PREFSRC"),
        metric=r.get_attr("RTA_PRIORITY") or 0,
        family="inet6" if v6 else "inet",
        pref=ROUTE_PREFS.get(r.get_attr("RTA_PREF") or 0, "medium") if v6 else None,
    )


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
