"""Apply a plan through rtnetlink in-process, all or nothing; delete a lab's links in batches.

Design note
-----------
Each ``Op`` becomes one rtnetlink request on the socket of its namespace (opened once, in
``vnetlab.kernel.nl``) or one sysctl write from inside the namespace. The messages are the
ones iproute2 sends for the same command:

* ``ip link add ... type veth peer name P netns NS`` -> ``RTM_NEWLINK`` with
  ``IFLA_LINKINFO/IFLA_INFO_DATA/VETH_INFO_PEER`` carrying the peer's ``ifinfomsg`` and
  ``IFLA_NET_NS_FD`` (``drivers/net/veth.c`` ``veth_newlink``), so the pair is created
  straight across the two namespaces;
* ``ip link add BR type bridge`` -> ``IFLA_BR_STP_STATE``/``IFLA_BR_AGEING_TIME`` (clock_t);
* ``ip link set ... master/alias/mtu/up`` -> ``RTM_NEWLINK`` on the existing index;
* ``bridge link set ... learning/flood/hairpin`` -> ``RTM_SETLINK`` with ``AF_BRIDGE`` and
  ``IFLA_PROTINFO`` (``br_setport``);
* ``bridge fdb add ... master static`` -> ``RTM_NEWNEIGH`` ``AF_BRIDGE``, ``NTF_MASTER``,
  state ``NUD_NOARP | NUD_REACHABLE`` exactly as ``bridge/fdb.c`` sends it;
* ``ip route add`` -> ``RTM_NEWROUTE`` in ``RT_TABLE_MAIN`` with ``RTPROT_BOOT``, exactly as
  iproute2 sends it (so ``ip route`` shows no ``proto`` for lab routes).

We choose every ifindex ourselves (``ifi_index`` in ``RTM_NEWLINK``, also for the veth peer),
so no request waits for a lookup and all of them are pipelined. If any request fails, the
whole lab is rolled back: its links are deleted and its namespaces removed.

Teardown mirrors ``ip -n NS link del group G`` (``rtnl_group_dellink``): all of a namespace's
lab links go in one ``unregister_netdevice_many`` batch (one RCU grace period instead of one
per link), and the request returns only once the kernel has really unregistered them; then
the namespace mounts are detached (``ip netns del``).
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pyroute2.netlink import NLM_F_CREATE, NLM_F_EXCL

from vnetlab.engine import EngineError
from vnetlab.kernel import nl, tuntap
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.ops import (
    IPV6_OFF,
    VNL_GROUP,
    AddAddr,
    AddBridge,
    AddFdb,
    AddGeneve,
    AddLowerDev,
    AddNetns,
    AddRoute,
    AddTuntap,
    AddVeth,
    AddVlan,
    AddVxlan,
    AddVxlanFdb,
    BridgeVlanOp,
    Op,
    SetAlias,
    SetBrportFlags,
    SetMaster,
    SetMtu,
    SetSysctl,
    SetUp,
)

IFF_UP = 0x1
AF_INET = 2
AF_BRIDGE = 7
NTF_SELF = 0x02
NTF_MASTER = 0x04
NLM_F_APPEND = 0x800
NUD_PERMANENT = 0x80
NUD_NOARP = 0x40
NUD_REACHABLE = 0x02
RT_TABLE_MAIN = 254
RTPROT_BOOT = 3
RTN_UNICAST = 1
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_LINK = 253


@dataclass
class NsHandle:
    """One namespace of a lab: its name, an fd on it and its netlink socket."""

    name: str
    fd: int
    sock: nl.NlSocket
    index: dict[str, int] = field(default_factory=lambda: {"lo": 1})

    def close(self) -> None:
        self.sock.close()
        os.close(self.fd)


@dataclass
class Realized:
    """The live handles of an applied plan, by namespace name."""

    ns: dict[str, NsHandle] = field(default_factory=dict)
    #: veth ends by (namespace, ifname) -> the other end: deleting one deletes both
    peers: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def remaining_links(self) -> dict[str, set[str]]:
        """Lab links per namespace (``lo`` excluded), as made so far."""
        return {n: {i for i in h.index if i != "lo"} for n, h in self.ns.items()}

    def close(self) -> None:
        for h in self.ns.values():
            h.close()
        self.ns.clear()



def _idx(h: NsHandle, ifname: str, op: Op) -> int:
    try:
        return h.index[ifname]
    except KeyError:
        raise EngineError(f"{op.shell()}: no interface {ifname!r} in {h.name}") from None


def _add_netns(r: Realized, op: AddNetns) -> None:
    if op.ns in r.ns:
        raise EngineError(f"namespace {op.ns} is made twice by the plan")
    fd, sock = nl.create_netns(op.ns)
    r.ns[op.ns] = NsHandle(op.ns, fd, sock)


def _common(ifname: str, mtu: int, mac: str | None) -> bytes:
    b = M.string(M.IFLA_IFNAME, ifname) + M.u32(M.IFLA_MTU, mtu) + M.u32(M.IFLA_GROUP, VNL_GROUP)
    return b + M.mac(M.IFLA_ADDRESS, mac) if mac else b


def _add_bridge(r: Realized, op: AddBridge) -> None:
    h = r.ns[op.ns]
    vf = b""
    if op.vlan_filtering:
        vf = M.u8(M.IFLA_BR_VLAN_FILTERING, 1) + M.u16(M.IFLA_BR_VLAN_DEFAULT_PVID,
                                                        op.default_pvid)
    body = M.ifinfomsg(op.index) + _common(op.ifname, op.mtu, op.mac) + M.nest(
        M.IFLA_LINKINFO,
        M.string(M.IFLA_INFO_KIND, "bridge"),
        M.nest(
            M.IFLA_INFO_DATA,
            M.u32(M.IFLA_BR_STP_STATE, int(op.stp)),
            M.u32(M.IFLA_BR_AGEING_TIME, op.ageing_time_cs),
            vf,
        ),
    )
    h.sock.send_raw(M.RTM_NEWLINK, body, NLM_F_CREATE | NLM_F_EXCL, tag=op)
    h.index[op.ifname] = op.index


def _new_link(r: Realized, op: AddVlan | AddVxlan | AddGeneve, kind: str, data: bytes,
              extra: bytes = b"") -> None:
    h = r.ns[op.ns]
    body = M.ifinfomsg(op.index) + _common(op.ifname, op.mtu, op.mac) + extra + M.nest(
        M.IFLA_LINKINFO,
        M.string(M.IFLA_INFO_KIND, kind),
        M.nest(M.IFLA_INFO_DATA, data),
    )
    h.sock.send_raw(M.RTM_NEWLINK, body, NLM_F_CREATE | NLM_F_EXCL, tag=op)
    h.index[op.ifname] = op.index


def _add_vlan(r: Realized, op: AddVlan) -> None:
    """``ip link add link LOWER name N type vlan id V``: IFLA_LINK + IFLA_VLAN_ID."""
    lower = _idx(r.ns[op.ns], op.link, op)
    _new_link(r, op, "vlan", M.u16(M.IFLA_VLAN_ID, op.vid), M.u32(M.IFLA_LINK, lower))


def _add_vxlan(r: Realized, op: AddVxlan) -> None:
    """The attributes ``iproute2 ip/iplink_vxlan.c`` sends (``vxlan_nl2conf`` reads them)."""
    h = r.ns[op.ns]
    data = M.u32(M.IFLA_VXLAN_ID, op.vni) + M.be16(M.IFLA_VXLAN_PORT, op.dstport)
    if op.remote or op.group:
        data += M.ipv4(M.IFLA_VXLAN_GROUP, op.remote or op.group or "")
    if op.local:
        data += M.ipv4(M.IFLA_VXLAN_LOCAL, op.local)
    if op.dev:
        data += M.u32(M.IFLA_VXLAN_LINK, _idx(h, op.dev, op))
    if op.ttl is not None:
        data += M.u8(M.IFLA_VXLAN_TTL, op.ttl)
    data += M.u8(M.IFLA_VXLAN_DF, M.TUNNEL_DF[op.df])
    data += M.u8(M.IFLA_VXLAN_LEARNING, int(op.learning))
    _new_link(r, op, "vxlan", data)


def _add_geneve(r: Realized, op: AddGeneve) -> None:
    """``ip link add N type geneve id V remote IP ...`` (``geneve_nl2info``)."""
    data = M.u32(M.IFLA_GENEVE_ID, op.vni) + M.ipv4(M.IFLA_GENEVE_REMOTE, op.remote)
    data += M.be16(M.IFLA_GENEVE_PORT, op.dstport)
    if op.ttl is not None:
        data += M.u8(M.IFLA_GENEVE_TTL, op.ttl)
    data += M.u8(M.IFLA_GENEVE_DF, M.TUNNEL_DF[op.df])
    _new_link(r, op, "geneve", data)


def _add_vxlan_fdb(r: Realized, op: AddVxlanFdb) -> None:
    """``bridge fdb append MAC dev VX dst IP``: ``NTF_SELF``, ``NUD_NOARP|NUD_PERMANENT``
    (bridge/fdb.c's defaults), ``NLM_F_APPEND`` (``vxlan_fdb_add`` adds a remote)."""
    h = r.ns[op.ns]
    body = M.ndmsg(AF_BRIDGE, _idx(h, op.dev, op), NUD_NOARP | NUD_PERMANENT, NTF_SELF)
    body += M.mac(M.NDA_LLADDR, op.mac) + M.ipv4(M.NDA_DST, op.dst)
    h.sock.send_raw(M.RTM_NEWNEIGH, body, NLM_F_CREATE | NLM_F_APPEND, tag=op)


def _bridge_vlan(r: Realized, op: BridgeVlanOp) -> None:
    """``bridge vlan add|del``: ``RTM_SETLINK``/``RTM_DELLINK`` ``AF_BRIDGE`` with
    ``IFLA_AF_SPEC`` {``IFLA_BRIDGE_FLAGS`` (self), ``IFLA_BRIDGE_VLAN_INFO``...}."""
    h = r.ns[op.ns]
    flags = (M.BRIDGE_VLAN_INFO_PVID if op.pvid else 0) | (
        M.BRIDGE_VLAN_INFO_UNTAGGED if op.untagged else 0)
    spec = M.u16(M.IFLA_BRIDGE_FLAGS, M.BRIDGE_FLAGS_SELF) if op.self_ else b""
    if op.vid_end:
        spec += M.bridge_vlan_info(flags | M.BRIDGE_VLAN_INFO_RANGE_BEGIN, op.vid)
        spec += M.bridge_vlan_info(flags | M.BRIDGE_VLAN_INFO_RANGE_END, op.vid_end)
    else:
        spec += M.bridge_vlan_info(flags, op.vid)
    body = M.ifinfomsg(_idx(h, op.dev, op), family=AF_BRIDGE) + M.nest(M.IFLA_AF_SPEC, spec)
    h.sock.send_raw(M.RTM_DELLINK if op.delete else M.RTM_SETLINK, body, tag=op)


def _add_veth(r: Realized, op: AddVeth) -> None:
    h = r.ns[op.ns]
    p = r.ns[op.peer_ns]
    peer = (
        M.ifinfomsg(op.peer_index)
        + _common(op.peer_ifname, op.peer_mtu, op.peer_mac)
        + M.s32(M.IFLA_NET_NS_FD, p.fd)
    )
    body = M.ifinfomsg(op.index) + _common(op.ifname, op.mtu, op.mac) + M.nest(
        M.IFLA_LINKINFO,
        M.string(M.IFLA_INFO_KIND, "veth"),
        M.nest(M.IFLA_INFO_DATA, M.nla(M.VETH_INFO_PEER, peer)),
    )
    h.sock.send_raw(M.RTM_NEWLINK, body, NLM_F_CREATE | NLM_F_EXCL, tag=op)
    h.index[op.ifname] = op.index
    p.index[op.peer_ifname] = op.peer_index
    r.peers[(op.ns, op.ifname)] = (op.peer_ns, op.peer_ifname)
    r.peers[(op.peer_ns, op.peer_ifname)] = (op.ns, op.ifname)


def _set_alias(r: Realized, op: SetAlias) -> None:
    h = r.ns[op.ns]
    body = M.ifinfomsg(_idx(h, op.ifname, op)) + M.string(M.IFLA_IFALIAS, op.alias)
    h.sock.send_raw(M.RTM_NEWLINK, body, tag=op)


def _set_master(r: Realized, op: SetMaster) -> None:
    h = r.ns[op.ns]
    body = M.ifinfomsg(_idx(h, op.ifname, op)) + M.u32(M.IFLA_MASTER, _idx(h, op.master, op))
    h.sock.send_raw(M.RTM_NEWLINK, body, tag=op)


def _set_mtu(r: Realized, op: SetMtu) -> None:
    h = r.ns[op.ns]
    body = M.ifinfomsg(_idx(h, op.ifname, op)) + M.u32(M.IFLA_MTU, op.mtu)
    h.sock.send_raw(M.RTM_NEWLINK, body, tag=op)


def _set_up(r: Realized, op: SetUp) -> None:
    h = r.ns[op.ns]
    body = M.ifinfomsg(_idx(h, op.ifname, op), flags=IFF_UP, change=IFF_UP)
    h.sock.send_raw(M.RTM_NEWLINK, body, tag=op)


def _set_brport(r: Realized, op: SetBrportFlags) -> None:
    """``bridge link set``: ``RTM_SETLINK`` ``AF_BRIDGE`` with a nested ``IFLA_PROTINFO``."""
    h = r.ns[op.ns]
    body = M.ifinfomsg(_idx(h, op.ifname, op), family=AF_BRIDGE) + M.nest(
        M.IFLA_PROTINFO | M.NLA_F_NESTED,
        M.u8(M.IFLA_BRPORT_LEARNING, int(op.learning)),
        M.u8(M.IFLA_BRPORT_UNICAST_FLOOD, int(op.flood)),
        M.u8(M.IFLA_BRPORT_MODE, int(op.hairpin)),
    )
    h.sock.send_raw(M.RTM_SETLINK, body, tag=op)


def _add_fdb(r: Realized, op: AddFdb) -> None:
    h = r.ns[op.ns]
    body = M.ndmsg(AF_BRIDGE, _idx(h, op.dev, op), NUD_NOARP | NUD_REACHABLE, NTF_MASTER)
    body += M.mac(M.NDA_LLADDR, op.mac)
    h.sock.send_raw(M.RTM_NEWNEIGH, body, NLM_F_CREATE | NLM_F_EXCL, tag=op)


def _add_addr(r: Realized, op: AddAddr) -> None:
    h = r.ns[op.ns]
    ip, _, plen = op.cidr.partition("/")
    body = M.ifaddrmsg(AF_INET, int(plen), _idx(h, op.ifname, op))
    body += M.ipv4(M.IFA_LOCAL, ip) + M.ipv4(M.IFA_ADDRESS, ip)
    h.sock.send_raw(M.RTM_NEWADDR, body, NLM_F_CREATE | NLM_F_EXCL, tag=op)


def _set_sysctl(r: Realized, op: SetSysctl) -> None:
    h = r.ns[op.ns]
    try:
        nl.write_sysctl(h.fd, op.key, op.value)
    except FileNotFoundError:
        if op.key not in IPV6_OFF:  # a kernel without IPv6 has nothing to switch off
            raise


def _add_route(r: Realized, op: AddRoute) -> None:
    h = r.ns[op.ns]
    scope = RT_SCOPE_UNIVERSE if op.via else RT_SCOPE_LINK
    if op.dst == "default":
        body = M.rtmsg(AF_INET, 0, RT_TABLE_MAIN, RTPROT_BOOT, scope, RTN_UNICAST)
    else:
        net, _, plen = op.dst.partition("/")
        body = M.rtmsg(AF_INET, int(plen), RT_TABLE_MAIN, RTPROT_BOOT, scope, RTN_UNICAST)
        body += M.ipv4(M.RTA_DST, net)
    if op.via:
        body += M.ipv4(M.RTA_GATEWAY, op.via)
    if op.dev:
        body += M.u32(M.RTA_OIF, _idx(h, op.dev, op))
    if op.metric:
        body += M.u32(M.RTA_PRIORITY, op.metric)
    h.sock.send_raw(M.RTM_NEWROUTE, body, NLM_F_CREATE | NLM_F_EXCL, tag=op)


IFLA_MACVLAN_MODE = 1  # u32 (if_link.h)
IFLA_IPVLAN_MODE = 1  # u16
MACVLAN_MODES = {"private": 1, "vepa": 2, "bridge": 4, "passthru": 8}
IPVLAN_MODES = {"l2": 0, "l3": 1, "l3s": 2}


def _add_lowerdev(r: Realized, op: AddLowerDev) -> None:
    """``ip -n LOWER_NS link add link LOWER name N netns NS type macvlan|ipvlan mode M``:
    sent in the lower's namespace (IFLA_LINK resolves there), created in ``op.ns``."""
    h = r.ns[op.ns]
    low = r.ns[op.link_ns or op.ns]
    data = (M.u32(IFLA_MACVLAN_MODE, MACVLAN_MODES[op.mode]) if op.kind == "macvlan"
            else M.u16(IFLA_IPVLAN_MODE, IPVLAN_MODES[op.mode]))
    extra = M.u32(M.IFLA_LINK, _idx(low, op.link, op))
    if low is not h:
        extra += M.s32(M.IFLA_NET_NS_FD, h.fd)
    body = M.ifinfomsg(op.index) + _common(op.ifname, op.mtu, op.mac) + extra + M.nest(
        M.IFLA_LINKINFO, M.string(M.IFLA_INFO_KIND, op.kind), M.nest(M.IFLA_INFO_DATA, data))
    low.sock.send_raw(M.RTM_NEWLINK, body, NLM_F_CREATE | NLM_F_EXCL, tag=op)
    h.index[op.ifname] = op.index


def _add_tuntap(r: Realized, op: AddTuntap) -> None:
    """``ip tuntap add``: the ioctls inside the namespace, then MTU/MAC/group by netlink."""
    h = r.ns[op.ns]
    with nl.entered(h.fd):
        tuntap.create_persistent(op.ifname, op.mode, op.user, op.group)
        index = socket.if_nametoindex(op.ifname)
    h.index[op.ifname] = index
    body = M.ifinfomsg(index) + _common(op.ifname, op.mtu, op.mac)
    h.sock.send_raw(M.RTM_NEWLINK, body, tag=op)


#: Op type -> how it is applied (explicit table; no registration by import side effect)
APPLIERS: dict[type[Op], Callable[[Realized, Any], None]] = {
    AddNetns: _add_netns,
    AddBridge: _add_bridge,
    AddVeth: _add_veth,
    SetAlias: _set_alias,
    SetMaster: _set_master,
    SetMtu: _set_mtu,
    SetUp: _set_up,
    SetBrportFlags: _set_brport,
    AddFdb: _add_fdb,
    AddAddr: _add_addr,
    SetSysctl: _set_sysctl,
    AddRoute: _add_route,
    AddVlan: _add_vlan,
    AddVxlan: _add_vxlan,
    AddGeneve: _add_geneve,
    AddVxlanFdb: _add_vxlan_fdb,
    BridgeVlanOp: _bridge_vlan,
    AddLowerDev: _add_lowerdev,
    AddTuntap: _add_tuntap,
}


def _failed(op: object, exc: BaseException) -> EngineError:
    where = op.shell() if isinstance(op, Op) else str(op)
    return EngineError(
        f"the kernel refused `{where}`: {exc}; everything this lab had made was removed",
        hint="check the lab for conflicting addresses/routes; `vnetlab lint` explains most",
    )


def apply(
    ops: Iterable[Op],
    *,
    fail_at: int | None = None,
    on_progress: Callable[[int, Op], None] | None = None,
) -> Realized:
    """Apply ``ops`` in order; on any failure remove everything made and raise EngineError.

    ``fail_at`` (tests only) injects a failure before the op with that index.
    """
    r = Realized()
    try:
        for i, op in enumerate(ops):
            if fail_at is not None and i == fail_at:
                raise EngineError(f"injected failure before `{op.shell()}`")
            if on_progress is not None:
                on_progress(i, op)
            try:
                APPLIERS[type(op)](r, op)
            except nl.NetlinkRequestError as e:
                raise _failed(e.tag if e.tag is not None else op, e) from None
            except OSError as e:
                raise _failed(op, e) from None
        for h in r.ns.values():
            try:
                h.sock.flush()
            except nl.NetlinkRequestError as e:
                raise _failed(e.tag, e) from None
    except BaseException:
        names = list(r.ns)
        destroy(r, names)
        raise
    return r


def delete_lab_links(sock: nl.NlSocket) -> None:
    """``ip link del group VNL_GROUP`` in the socket's namespace (ENODEV: none left)."""
    try:
        sock.send_raw(M.RTM_DELLINK, M.ifinfomsg(0) + M.u32(M.IFLA_GROUP, VNL_GROUP))
        sock.flush()
    except nl.NetlinkRequestError as e:
        if e.errno != errno.ENODEV:
            raise


def destroy(r: Realized | None, names: Iterable[str]) -> list[str]:
    """Delete the lab links in every namespace, then remove the namespaces.

    Works from handles when we have them (``r``), else opens each namespace by name. Returns
    the namespaces removed. The links are really gone when this returns.
    """
    names = list(names)
    handles = dict(r.ns) if r is not None else {}
    left = r.remaining_links() if r is not None else {}
    # the namespace with most links first: its veth deletions take the peers along, so
    # namespaces left with no lab link need no request at all
    order = sorted(names, key=lambda n: -len(left.get(n, ())) if n in handles else 0)
    for name in order:
        h = handles.get(name)
        try:
            if h is not None:
                if not left.get(name):
                    continue
                h.sock.failures.clear()
                h.sock.pending.clear()
                delete_lab_links(h.sock)
                assert r is not None
                for ifname in left.pop(name):
                    peer = r.peers.get((name, ifname))
                    if peer is not None and peer[0] in left:
                        left[peer[0]].discard(peer[1])
            elif os.path.exists(nl.netns_path(name)):
                fd = nl.open_netns(name)
                try:
                    sock = nl.socket_in(fd)
                finally:
                    os.close(fd)
                try:
                    delete_lab_links(sock)
                finally:
                    sock.close()
        except Exception:  # noqa: BLE001 - the namespace goes below anyway, links with it
            pass
    if r is not None:
        r.close()
    removed = [n for n in names if nl.remove_netns(n)]
    return removed
