"""Decoders: the JSON ``ip``/``bridge`` print, per namespace -> ``vnetlab.snapshot.state``.

Design note
-----------
One function per command, reading the keys iproute2 prints (ip/ipaddress.c
``print_linkinfo``/``print_link_stats``, ip/iproute.c ``print_route``, ip/ipneigh.c
``print_neigh``, bridge/fdb.c ``print_fdb``, bridge/vlan.c ``print_vlan_info``) and
nothing else, so the same decoder reads files collected on another host and the dicts
``vnetlab.kernel.dump`` builds from netlink. iproute2 leaves defaults out of its JSON
(``protocol`` boot, ``scope`` global, ``table`` main, ``type`` unicast, ``metric`` 0):
a missing key means the default, as in the text output.

``decode()`` then resolves what crosses namespaces the way the kernel numbers it: a
veth's peer and a macvlan/ipvlan/vlan lower are ``link_index`` in the namespace that
``link_netnsid`` names (``rtnl_fill_link_netnsid``, ``veth_get_link_net``). The nsid ->
namespace map comes from ``ip -j netns list-id`` when collected; where it was not (or a
namespace has no name there, as the root namespace and container runtimes' have), a
veth pair is recognised by its two ends pointing at each other (each one's ``link_index``
is the other's ``ifindex``); a pairing that stays ambiguous is left unresolved and said.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from vnetlab.snapshot.dumps import DumpError, NamespaceDump
from vnetlab.snapshot.ovs import decode_ovs
from vnetlab.snapshot.qdisc import decode_qdiscs
from vnetlab.snapshot.state import (
    Addr,
    Fdb,
    HostState,
    Link,
    Namespace,
    Neigh,
    Route,
    VlanEntry,
)

#: kinds whose ``link`` is a lower device (not a peer)
LOWER_KINDS = frozenset({"macvlan", "macvtap", "ipvlan", "ipvtap", "vlan"})


def _int(v: Any, default: int = 0) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else default


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def decode_links(data: Iterable[Any], where: str) -> dict[str, Link]:
    """``ip -j -d link show``."""
    out: dict[str, Link] = {}
    for i, d in enumerate(data):
        if not isinstance(d, dict) or not isinstance(d.get("ifname"), str):
            raise DumpError(f"{where}: link.json[{i}] has no 'ifname' "
                            "(not the output of `ip -j -d link show`)")
        info: dict[str, Any] = d["linkinfo"] if isinstance(d.get("linkinfo"), dict) else {}
        kind = _str(info.get("info_kind")) or (
            "loopback" if d.get("link_type") == "loopback" else "")
        flags: list[Any] = d["flags"] if isinstance(d.get("flags"), list) else []
        out[d["ifname"]] = Link(
            ifindex=_int(d.get("ifindex")),
            name=d["ifname"],
            kind=kind,
            admin_up="UP" in flags,
            operstate=_str(d.get("operstate")) or "UNKNOWN",
            mtu=_int(d.get("mtu"), 1500),
            mac=_str(d.get("address")),
            master=_str(d.get("master")),
            link_type=_str(d.get("link_type")) or "ether",
            link_name=_str(d.get("link")),
            link_index=d.get("link_index") if isinstance(d.get("link_index"), int) else None,
            link_netnsid=(d.get("link_netnsid") if isinstance(d.get("link_netnsid"), int)
                          else None),
            info=dict(_dict(info.get("info_data"))),
            slave_kind=_str(info.get("info_slave_kind")),
            slave=dict(_dict(info.get("info_slave_data"))),
            vfinfo=([v for v in d["vfinfo_list"] if isinstance(v, dict)]
                    if isinstance(d.get("vfinfo_list"), list) else None),
        )
    return out


def decode_addrs(data: Iterable[Any]) -> list[Addr]:
    """``ip -j addr show``: every ``addr_info`` entry of every link."""
    out = []
    for d in data:
        if not isinstance(d, dict):
            continue
        for a in _list(d.get("addr_info")):
            if not isinstance(a, dict) or not isinstance(a.get("local"), str):
                continue
            out.append(Addr(ifname=_str(d.get("ifname")) or "",
                            family=_str(a.get("family")) or "inet",
                            local=a["local"], prefixlen=_int(a.get("prefixlen"), 32),
                            scope=_str(a.get("scope")) or "global"))
    return out


def _family(*values: str | None) -> str:
    return "inet6" if any(v and ":" in v for v in values) else "inet"


def decode_routes(data: Iterable[Any]) -> list[Route]:
    """``ip -j route show table all`` (a missing key is iproute2's default, not shown)."""
    out = []
    for d in data:
        if not isinstance(d, dict) or not isinstance(d.get("dst"), str):
            continue
        dst, gw = d["dst"], _str(d.get("gateway"))
        out.append(Route(
            table=str(d.get("table", "main")), type=str(d.get("type", "unicast")),
            family=_family(dst, gw), dst=dst, dev=_str(d.get("dev")), gateway=gw,
            protocol=str(d.get("protocol", "boot")), scope=str(d.get("scope", "global")),
            metric=_int(d.get("metric")), prefsrc=_str(d.get("prefsrc")),
            multipath="nexthops" in d))
    return out


def decode_neighs(data: Iterable[Any]) -> list[Neigh]:
    """``ip -j neigh show``."""
    out = []
    for d in data:
        if not isinstance(d, dict) or not isinstance(d.get("dst"), str):
            continue
        state: list[Any] = d["state"] if isinstance(d.get("state"), list) else []
        out.append(Neigh(dst=str(d["dst"]), dev=str(d.get("dev", "")),
                         lladdr=_str(d.get("lladdr")), state=tuple(map(str, state))))
    return out


def decode_fdb(data: Iterable[Any]) -> list[Fdb]:
    """``bridge -j fdb show``."""
    out = []
    for d in data:
        if not isinstance(d, dict) or not isinstance(d.get("mac"), str):
            continue
        flags: list[Any] = d["flags"] if isinstance(d.get("flags"), list) else []
        out.append(Fdb(mac=str(d["mac"]).lower(), ifname=str(d.get("ifname", "")),
                       master=_str(d.get("master")),
                       vlan=d.get("vlan") if isinstance(d.get("vlan"), int) else None,
                       dst=_str(d.get("dst")), flags=tuple(map(str, flags)),
                       state=str(d.get("state", ""))))
    return out


def decode_vlans(data: Iterable[Any]) -> list[VlanEntry]:
    """``bridge -j vlan show``: ``[{"ifname", "vlans": [{"vlan", "vlanEnd"?, "flags"}]}]``."""
    out = []
    for d in data:
        if not isinstance(d, dict):
            continue
        for v in _list(d.get("vlans")):
            if not isinstance(v, dict) or not isinstance(v.get("vlan"), int):
                continue
            flags = _list(v.get("flags"))
            out.append(VlanEntry(ifname=str(d.get("ifname", "")), vid=v["vlan"],
                                 vid_end=v.get("vlanEnd") if isinstance(v.get("vlanEnd"), int)
                                 else None,
                                 pvid="PVID" in flags, untagged="Egress Untagged" in flags))
    return out


def decode_nsids(data: Iterable[Any]) -> dict[int, str]:
    """``ip -j netns list-id``: nsid -> name (entries without a name are not in
    /var/run/netns: the root namespace, a container runtime's)."""
    out = {}
    for d in data:
        if isinstance(d, dict) and isinstance(d.get("nsid"), int) and isinstance(
                d.get("name"), str):
            out[d["nsid"]] = d["name"]
    return out


def decode_ebtables(text: str) -> tuple[dict[str, list[str]], list[tuple[str, str, str]]]:
    """``ebtables-save`` (``*TABLE``, ``:CHAIN POLICY``, ``-A CHAIN ...``) or ``ebtables
    [-t TABLE] -L`` (``Bridge table: T``, ``Bridge chain: C, entries: N, policy: P``, then
    the rules without ``-A C``): table -> ``-A CHAIN ...`` lines, and the policies that
    are not ACCEPT."""
    rules: dict[str, list[str]] = {}
    policies: list[tuple[str, str, str]] = []
    table, chain = "filter", ""
    for line in text.splitlines():
        line = line.strip()
        listed = re.match(r"^Bridge chain: (\S+), entries: \d+, policy: (\S+)$", line)
        if line.startswith("Bridge table: "):
            table = line.removeprefix("Bridge table: ").strip()
        elif listed:
            chain = listed[1]
            if listed[2] != "ACCEPT":
                policies.append((table, chain, listed[2]))
        elif line.startswith("*"):
            table = line[1:]
        elif line.startswith(":"):
            name, _, policy = line[1:].partition(" ")
            if policy.strip() not in ("", "ACCEPT"):
                policies.append((table, name, policy.strip()))
        elif line.startswith("-A "):
            rules.setdefault(table, []).append(line)
        elif line.startswith("-") and chain:  # a rule of `ebtables -L`
            rules.setdefault(table, []).append(f"-A {chain} {line}")
    return rules, policies


#: state block lines that are state, not configuration (xfrm_state_print)
_XFRM_STATE_SKIP = ("anti-replay context:", "lifetime ", "stats:", "replay ", "current:",
                    "add ", "use ", "expire ", "lastused ", "sel src 0.0.0.0/0 dst 0.0.0.0/0")
#: algorithm lines whose name may hold parentheses (``rfc4106(gcm(aes))``): quoted
_XFRM_ALGOS = ("aead", "enc", "auth", "auth-trunc", "comp")


def _xfrm_blocks(text: str) -> list[list[str]]:
    """``ip xfrm state|policy``: a block starts at column 0, its lines are indented."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            blocks.append([line.strip()])
        elif blocks:
            blocks[-1].append(line.strip())
    return blocks


def decode_xfrm(states: str, policies: str) -> list[str]:
    """``ip xfrm state`` and ``ip xfrm policy`` text -> ``state add ...`` / ``policy add
    ...`` lines (the lab's ``xfrm:`` words): every block becomes one command; counters,
    lifetimes and the replay context are state and go."""
    out = []
    for block in _xfrm_blocks(states):
        words = [block[0]]
        for line in block[1:]:
            if line.startswith(_XFRM_STATE_SKIP) or line.startswith("anti-replay"):
                continue
            if line.startswith("lifetime") or ":" in line.split(" ", 1)[0]:
                continue
            first, _, rest = line.partition(" ")
            if first in _XFRM_ALGOS and rest:
                name, _, tail = rest.partition(" ")
                line = f"{first} '{name}' {tail}".strip() if "(" in name else line
            words.append(line)
        out.append("state add " + " ".join(words))
    for block in _xfrm_blocks(policies):
        body = " ".join(block)
        if " socket " in f" {body} ":
            continue  # a socket's own policy (setsockopt), not the host's configuration
        body = " ".join(w for w in body.split() if w)
        out.append("policy add " + body)
    return [" ".join(x.split()) if "'" not in x else x for x in out]


def _merge_brlinks(links: dict[str, Link], brlinks: Iterable[Any]) -> None:
    """``bridge -j -d link show`` carries the port state and flags too; an older ``ip``
    without ``info_slave_data`` gets them from here."""
    for d in brlinks:
        if not isinstance(d, dict):
            continue
        ln = links.get(str(d.get("ifname", "")))
        if ln is None:
            continue
        for k in ("state", "priority", "cost", "hairpin", "learning", "flood", "isolated",
                  "locked", "neigh_suppress"):
            if k in d and k not in ln.slave:
                ln.slave[k] = d[k]


def decode_namespace(dump: NamespaceDump) -> Namespace:
    links = decode_links(dump.links, dump.name)
    if dump.brlinks:
        _merge_brlinks(links, dump.brlinks)
    collected = {"links"} | {k for k in ("addrs", "routes", "neighs", "fdb", "vlans",
                                          "brlinks", "nsids", "ip_forward", "ovs",
                                          "ebtables", "xfrm_state", "qdiscs",
                                          "sriov")
                             if getattr(dump, k) is not None}
    for s in dump.sriov or []:
        ln = links.get(str(s.get("ifname"))) if isinstance(s, dict) else None
        if ln is None:
            continue
        ln.pci = _str(s.get("pci"))
        ln.physfn = _str(s.get("physfn"))
        for key in ("totalvfs", "numvfs"):
            if isinstance(s.get(f"sriov_{key}"), int):
                setattr(ln, key, s[f"sriov_{key}"])
        if isinstance(s.get("vf"), int):
            ln.vf = s["vf"]
        if isinstance(s.get("speed"), int) and s["speed"] > 0:
            ln.speed = s["speed"]
    tc, tc_notes = decode_qdiscs(dump.qdiscs) if dump.qdiscs is not None else (None, [])
    ebt, policies = decode_ebtables(dump.ebtables) if dump.ebtables is not None else (
        None, [])
    return Namespace(
        name=dump.name, links=links,
        addrs=decode_addrs(dump.addrs or []), routes=decode_routes(dump.routes or []),
        neighs=decode_neighs(dump.neighs or []), fdb=decode_fdb(dump.fdb or []),
        vlans=decode_vlans(dump.vlans or []), nsids=decode_nsids(dump.nsids or []),
        ip_forward=dump.ip_forward, ebtables=ebt, ebtables_policies=policies,
        xfrm=decode_xfrm(dump.xfrm_state or "", dump.xfrm_policy or "")
        if dump.xfrm_state is not None or dump.xfrm_policy is not None else None,
        ovs=decode_ovs(dump.ovs, dump.name) if dump.ovs is not None else None,
        tc=tc, tc_notes=tc_notes,
        collected=frozenset(collected), is_host=dump.is_host)


def decode(dumps: Iterable[NamespaceDump]) -> HostState:
    """Every namespace, then the references between them."""
    host = HostState(namespaces={})
    for dump in dumps:
        ns = decode_namespace(dump)
        host.namespaces[ns.name] = ns
    _resolve_veths(host)
    _resolve_lowers(host)
    _resolve_vfs(host)
    return host


def _resolve_vfs(host: HostState) -> None:
    """A VF netdev's PF by PCI name (``device/physfn`` names the PF's function), in
    whichever namespace each of them now is."""
    pfs = {ln.pci: (ns.name, ln.name) for ns in host.namespaces.values()
           for ln in ns.links.values() if ln.pci and ln.physfn is None}
    for ns in host.namespaces.values():
        for ln in ns.links.values():
            if ln.physfn is None:
                continue
            ln.pf = pfs.get(ln.physfn)
            if ln.pf is None:
                host.notes.append(f"{ns.name}:{ln.name}: a VF of {ln.physfn}, whose PF is "
                                  "outside the snapshot")


def _named_nsid(ns: Namespace, nsid: int, host: HostState) -> str | None:
    name = ns.nsids.get(nsid)
    return name if name in host.namespaces else None


def _resolve_veths(host: HostState) -> None:
    # veths in one namespace name their peer ("link"); across namespaces each end's
    # link_index is the other's ifindex. Pairs found without a doubt teach which
    # namespace each nsid stands for (an nsid names one namespace, and one namespace has
    # one nsid), which settles others; what is still ambiguous at the fixpoint is said.
    pending = []
    for ns in host.namespaces.values():
        for ln in ns.links.values():
            if ln.kind != "veth" or ln.peer is not None:
                continue
            if ln.link_netnsid is None:
                p = (ns.links.get(ln.link_name) if ln.link_name else None) or (
                    ns.by_index(ln.link_index) if ln.link_index is not None else None)
                if p is not None:
                    ln.peer, p.peer = (ns.name, p.name), (ns.name, ln.name)
                continue
            if ln.link_index is not None:
                pending.append((ns, ln))
    progress = True
    while progress:
        progress = False
        for ns, ln in pending:
            if ln.peer is not None:
                continue
            cands = _veth_candidates(host, ns, ln)
            if len(cands) == 1:
                other, p = cands[0]
                ln.peer, p.peer = (other.name, p.name), (ns.name, ln.name)
                assert ln.link_netnsid is not None and p.link_netnsid is not None
                ns.nsids.setdefault(ln.link_netnsid, other.name)
                other.nsids.setdefault(p.link_netnsid, ns.name)
                progress = True
    for ns, ln in pending:
        if ln.peer is not None:
            continue
        cands = _veth_candidates(host, ns, ln)
        named = ns.nsids.get(ln.link_netnsid) if ln.link_netnsid is not None else None
        if named is not None and named not in host.namespaces:
            host.notes.append(f"{ns.name}:{ln.name}: veth peer in namespace {named}, "
                              "which is not in the snapshot")
        elif not cands:
            host.notes.append(f"{ns.name}:{ln.name}: veth peer (ifindex {ln.link_index}, "
                              f"netnsid {ln.link_netnsid}) is not in the snapshot")
        else:
            host.notes.append(
                f"{ns.name}:{ln.name}: veth peer is ambiguous without `ip -j netns "
                f"list-id` (ifindex {ln.link_index} in "
                f"{', '.join(sorted(o.name for o, _ in cands))})")


def _veth_candidates(host: HostState, ns: Namespace, ln: Link) -> list[tuple[Namespace, Link]]:
    assert ln.link_netnsid is not None and ln.link_index is not None
    named = ns.nsids.get(ln.link_netnsid)
    taken = {v for k, v in ns.nsids.items() if k != ln.link_netnsid}
    out = []
    for other in host.namespaces.values():
        if other is ns or (named is not None and other.name != named) or (
                named is None and other.name in taken):
            continue
        p = other.by_index(ln.link_index)
        if (p is None or p.kind != "veth" or p.peer is not None
                or p.link_index != ln.ifindex or p.link_netnsid is None):
            continue
        back = other.nsids.get(p.link_netnsid)
        back_taken = {v for k, v in other.nsids.items() if k != p.link_netnsid}
        if (back is not None and back != ns.name) or (back is None and ns.name in back_taken):
            continue
        out.append((other, p))
    return out


def _resolve_lowers(host: HostState) -> None:
    for ns in host.namespaces.values():
        for ln in ns.links.values():
            if ln.kind not in LOWER_KINDS:
                continue
            if ln.link_netnsid is None:
                if ln.link_name and ln.link_name in ns.links:
                    ln.lower = (ns.name, ln.link_name)
                elif ln.link_index is not None and (p := ns.by_index(ln.link_index)):
                    ln.lower = (ns.name, p.name)
                continue
            if ln.link_index is None:
                continue
            other_name = _named_nsid(ns, ln.link_netnsid, host)
            if other_name is None:
                host.notes.append(
                    f"{ns.name}:{ln.name}: {ln.kind} lower device (ifindex {ln.link_index}, "
                    f"netnsid {ln.link_netnsid}) is in a namespace not identified in the "
                    "snapshot")
                continue
            low = host.namespaces[other_name].by_index(ln.link_index)
            if low is not None:
                ln.lower = (other_name, low.name)


def host_route_dst(dst: str) -> str:
    """``ip`` prints a /32 route without its prefix length."""
    if dst == "default":
        return dst
    return str(ipaddress.ip_network(dst if "/" in dst else f"{dst}/32", strict=False))
