"""Read-only netlink dumps of network namespaces, in the shapes ``ip -j``/``bridge -j`` print.

Design note
-----------
``vnetlab snapshot --netns/--all-netns/--host`` reads a live host through this module;
``vnetlab.snapshot`` decodes the result with the same decoders it uses for files a user
collected with iproute2. So every dict here has the keys and value spellings iproute2
prints for the same kernel data (ip/ipaddress.c ``print_linkinfo``, ip/iproute.c
``print_route``, ip/ipneigh.c ``print_neigh``, bridge/fdb.c ``print_fdb``, ip/ipnetns.c
``print_nsid``) — the subset of keys the decoders read, not every key iproute2 prints.
tests/snapshot/test_kernel_dump.py holds each shape to the real tool on the same
namespaces.

Read only: only ``RTM_GET*`` requests (dumps, and ``RTM_GETNSID``, which like ``ip netns
list-id`` may make the kernel allocate an nsid: bookkeeping, as iproute2 triggers too)
and reads of /proc/sys. The root namespace is read the same way; nothing is ever set.
Open vSwitch: ``ovs-vsctl``/``ovs-ofctl`` read the database and bridges of a running
ovsdb-server (``OVS_RUNDIR`` as for the tools) when one answers.

Kernel layering: this module returns plain dicts; it does not import vnetlab.snapshot.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from pyroute2.netlink import NLM_F_REQUEST
from pyroute2.netlink.rtnl import RTM_GETADDR, RTM_GETLINK, RTM_GETNEIGH, RTM_GETNSID, RTM_GETROUTE
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.ndmsg import ndmsg
from pyroute2.netlink.rtnl.nsidmsg import nsidmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from vnetlab.kernel import ipv6, nl

AF_UNSPEC, AF_INET, AF_BRIDGE, AF_INET6 = 0, 2, 7, 10
#: net_device flags as iproute2 names them (print_link_flags), in its order
IFF_NAMES = ((0x8, "LOOPBACK"), (0x2, "BROADCAST"), (0x10, "POINTOPOINT"),
             (0x1000, "MULTICAST"), (0x80, "NOARP"), (0x100, "PROMISC"), (0x1, "UP"),
             (0x10000, "LOWER_UP"))
ARPHRD = {1: "ether", 772: "loopback", 65534: "none"}
NUD_NAMES = ((0x01, "INCOMPLETE"), (0x02, "REACHABLE"), (0x04, "STALE"), (0x08, "DELAY"),
             (0x10, "PROBE"), (0x20, "FAILED"), (0x40, "NOARP"), (0x80, "PERMANENT"))
NUD_NOARP, NUD_PERMANENT = 0x40, 0x80
NTF_ROUTER = 0x80
NTF_FLAGS = ((0x02, "self"), (0x80, "router"), (0x10, "extern_learn"), (0x20, "offload"),
             (0x40, "sticky"))
RT_TABLES = {253: "default", 254: "main", 255: "local"}
RT_PROTOS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 16: "dhcp"}
RT_SCOPES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
RT_TYPES = {1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast",
            6: "blackhole", 7: "unreachable", 8: "prohibit", 9: "throw", 10: "nat"}
RTM_F_CLONED = 0x200
RT_PREFS = {0: "medium", 1: "high", 3: "low"}  # ICMPV6_ROUTER_PREF_*
BR_STATES = {0: "disabled", 1: "listening", 2: "learning", 3: "forwarding", 4: "blocking"}
VXLAN_DF = {0: "unset", 1: "set", 2: "inherit"}
IPVLAN_MODES = {0: "l2", 1: "l3", 2: "l3s"}
ROOT = "host"  # the root namespace's name in a snapshot (vnetlab.snapshot.dumps.HOST_DIR)


def _attrs(nested: Any) -> dict[str, Any]:
    if not isinstance(nested, dict):
        return {}
    return {k: v for k, v in nested.get("attrs", []) if k != "UNKNOWN"}


def _info_data(kind: str, a: dict[str, Any], names: Mapping[int, str]) -> dict[str, Any]:
    """``IFLA_INFO_DATA`` as ``ip -d -j`` prints it (the kinds' print_opt)."""
    if kind == "bridge":
        out = {"forward_delay": a.get("IFLA_BR_FORWARD_DELAY"),
               "hello_time": a.get("IFLA_BR_HELLO_TIME"), "max_age": a.get("IFLA_BR_MAX_AGE"),
               "ageing_time": a.get("IFLA_BR_AGEING_TIME"),
               "stp_state": a.get("IFLA_BR_STP_STATE"), "priority": a.get("IFLA_BR_PRIORITY"),
               "vlan_filtering": a.get("IFLA_BR_VLAN_FILTERING")}
        if "IFLA_BR_VLAN_DEFAULT_PVID" in a:
            out["vlan_default_pvid"] = a["IFLA_BR_VLAN_DEFAULT_PVID"]
        return {k: v for k, v in out.items() if v is not None}
    if kind == "vxlan":
        out = {"id": a.get("IFLA_VXLAN_ID")}
        if a.get("IFLA_VXLAN_COLLECT_METADATA"):
            out["external"] = True
        group = a.get("IFLA_VXLAN_GROUP")
        if group:
            out["group" if ipaddress.IPv4Address(group).is_multicast else "remote"] = group
        if a.get("IFLA_VXLAN_LOCAL"):
            out["local"] = a["IFLA_VXLAN_LOCAL"]
        if a.get("IFLA_VXLAN_LINK"):
            out["link"] = names.get(a["IFLA_VXLAN_LINK"], a["IFLA_VXLAN_LINK"])
        out["port"] = a.get("IFLA_VXLAN_PORT")
        out["learning"] = bool(a.get("IFLA_VXLAN_LEARNING"))
        out["ttl"] = a.get("IFLA_VXLAN_TTL", 0)
        out["df"] = VXLAN_DF.get(a.get("IFLA_VXLAN_DF", 0), "unset")
        return out
    if kind == "geneve":
        out = {"id": a.get("IFLA_GENEVE_ID")}
        if a.get("IFLA_GENEVE_REMOTE"):
            out["remote"] = a["IFLA_GENEVE_REMOTE"]
        if a.get("IFLA_GENEVE_COLLECT_METADATA"):
            out["external"] = True
        out["ttl"] = a.get("IFLA_GENEVE_TTL", 0)
        out["df"] = VXLAN_DF.get(a.get("IFLA_GENEVE_DF", 0), "unset")
        out["port"] = a.get("IFLA_GENEVE_PORT")
        return out
    if kind in ("macvlan", "macvtap"):
        return {"mode": a.get("IFLA_MACVLAN_MODE")}
    if kind in ("ipvlan", "ipvtap"):
        return {"mode": IPVLAN_MODES.get(a.get("IFLA_IPVLAN_MODE", 0), "l2")}
    if kind == "vlan":
        proto = a.get("IFLA_VLAN_PROTOCOL")
        return {"protocol": "802.1ad" if proto in (0x88A8, "802.1ad") else "802.1Q",
                "id": a.get("IFLA_VLAN_ID")}
    if kind == "tun":
        return {"type": "tap" if a.get("IFLA_TUN_TYPE") == 2 else "tun"}
    return {}


def _slave_data(kind: str, a: dict[str, Any]) -> dict[str, Any]:
    """``IFLA_INFO_SLAVE_DATA`` of a bridge port (iplink_bridge_slave.c)."""
    if kind != "bridge":
        return {}
    return {"state": BR_STATES.get(a.get("IFLA_BRPORT_STATE", 0), "disabled"),
            "priority": a.get("IFLA_BRPORT_PRIORITY"), "cost": a.get("IFLA_BRPORT_COST"),
            "hairpin": bool(a.get("IFLA_BRPORT_MODE")),
            "learning": bool(a.get("IFLA_BRPORT_LEARNING")),
            "flood": bool(a.get("IFLA_BRPORT_UNICAST_FLOOD")),
            "neigh_suppress": bool(a.get("IFLA_BRPORT_NEIGH_SUPPRESS")),
            "isolated": bool(a.get("IFLA_BRPORT_ISOLATED")),
            "locked": bool(a.get("IFLA_BRPORT_LOCKED"))}


def links_json(msgs: Sequence[Any]) -> list[dict[str, Any]]:
    """``ip -j -d link show``."""
    names = {m["index"]: m.get_attr("IFLA_IFNAME") for m in msgs}
    out = []
    for m in sorted(msgs, key=lambda m: m["index"]):
        d: dict[str, Any] = {"ifindex": m["index"]}
        link, nsid = m.get_attr("IFLA_LINK"), m.get_attr("IFLA_LINK_NETNSID")
        if link and nsid is not None:
            d["link_index"] = link
        elif link and link != m["index"]:
            d["link"] = names.get(link)
        d["ifname"] = m.get_attr("IFLA_IFNAME")
        d["flags"] = [n for bit, n in IFF_NAMES if m["flags"] & bit]
        d["mtu"] = m.get_attr("IFLA_MTU")
        master = m.get_attr("IFLA_MASTER")
        if master:
            d["master"] = names.get(master, str(master))
        d["operstate"] = str(m.get_attr("IFLA_OPERSTATE") or "UNKNOWN")
        d["link_type"] = ARPHRD.get(m["ifi_type"], str(m["ifi_type"]))
        if m.get_attr("IFLA_ADDRESS"):
            d["address"] = m.get_attr("IFLA_ADDRESS")
        if nsid is not None:
            d["link_netnsid"] = nsid
        li = _attrs(m.get_attr("IFLA_LINKINFO"))
        if li:
            kind = str(li.get("IFLA_INFO_KIND") or "")
            info: dict[str, Any] = {"info_kind": kind} if kind else {}
            data = _info_data(kind, _attrs(li.get("IFLA_INFO_DATA")), names)
            if data:
                info["info_data"] = data
            skind = li.get("IFLA_INFO_SLAVE_KIND")
            if skind:
                info["info_slave_kind"] = skind
                sdata = _slave_data(skind, _attrs(li.get("IFLA_INFO_SLAVE_DATA")))
                if sdata:
                    info["info_slave_data"] = sdata
            if info:
                d["linkinfo"] = info
        out.append(d)
    return out


def addrs_json(links: Sequence[Any], msgs: Sequence[Any]) -> list[dict[str, Any]]:
    """``ip -j addr show``: each link with its ``addr_info`` (both families, with the flag
    keys ``print_ifa_flags`` prints: ``"tentative": true`` ...)."""
    by_if: dict[int, list[dict[str, Any]]] = {}
    for a in msgs:
        fam = {AF_INET: "inet", AF_INET6: "inet6"}.get(a["family"])
        local = a.get_attr("IFA_LOCAL") or a.get_attr("IFA_ADDRESS")
        if fam is None or local is None:
            continue
        by_if.setdefault(a["index"], []).append(
            {"family": fam, "local": local, "prefixlen": a["prefixlen"],
             "scope": RT_SCOPES.get(a["scope"], str(a["scope"])),
             **{w: True for w in ipv6.ifa_flag_words(ipv6.ifa_flags(a), a["family"])},
             **({"label": a.get_attr("IFA_LABEL")} if a.get_attr("IFA_LABEL") else {})})
    return [{"ifindex": m["index"], "ifname": m.get_attr("IFLA_IFNAME"),
             "addr_info": by_if.get(m["index"], [])}
            for m in sorted(links, key=lambda m: m["index"])]


def routes_json(links: Sequence[Any], msgs: Sequence[Any]) -> list[dict[str, Any]]:
    """``ip -j route show table all`` (IPv4 and IPv6; defaults left out as ip does)."""
    names = {m["index"]: m.get_attr("IFLA_IFNAME") for m in links}
    out = []
    for r in msgs:
        if r["flags"] & RTM_F_CLONED:
            continue
        d: dict[str, Any] = {}
        if r["type"] != 1:
            d["type"] = RT_TYPES.get(r["type"], str(r["type"]))
        dst = r.get_attr("RTA_DST")
        full = 32 if r["family"] == AF_INET else 128
        d["dst"] = ("default" if r["dst_len"] == 0 else
                    dst if r["dst_len"] == full else f"{dst}/{r['dst_len']}")
        if r.get_attr("RTA_GATEWAY"):
            d["gateway"] = r.get_attr("RTA_GATEWAY")
        if r.get_attr("RTA_OIF"):
            d["dev"] = names.get(r.get_attr("RTA_OIF"), str(r.get_attr("RTA_OIF")))
        table = r.get_attr("RTA_TABLE") or r["table"]
        if table != 254:
            d["table"] = RT_TABLES.get(table, str(table))
        if r["proto"] != 3:
            d["protocol"] = RT_PROTOS.get(r["proto"], str(r["proto"]))
        if r["scope"] != 0:
            d["scope"] = RT_SCOPES.get(r["scope"], str(r["scope"]))
        if r.get_attr("RTA_PRIORITY") is not None:  # IPv6 sends it even when 0 (local)
            d["metric"] = r.get_attr("RTA_PRIORITY")
        if r.get_attr("RTA_PREFSRC"):
            d["prefsrc"] = r.get_attr("RTA_PREFSRC")
        if r.get_attr("RTA_MULTIPATH"):
            d["nexthops"] = []
        if r.get_attr("RTA_PREF") is not None:  # IPv6 routes: print_rt_pref
            d["pref"] = RT_PREFS.get(r.get_attr("RTA_PREF"), str(r.get_attr("RTA_PREF")))
        d["flags"] = []
        out.append(d)
    return out


def neighs_json(links: Sequence[Any], msgs: Sequence[Any]) -> list[dict[str, Any]]:
    """``ip -j neigh show``: NOARP entries hidden as ``ip neigh show`` hides them."""
    names = {m["index"]: m.get_attr("IFLA_IFNAME") for m in links}
    out = []
    for n in msgs:
        if n["state"] & NUD_NOARP and not n["state"] & NUD_PERMANENT:
            continue
        d: dict[str, Any] = {"dst": n.get_attr("NDA_DST"), "dev": names.get(n["ifindex"])}
        if n.get_attr("NDA_LLADDR"):
            d["lladdr"] = n.get_attr("NDA_LLADDR")
        if n["flags"] & NTF_ROUTER:  # ipneigh.c: print_null "router"
            d["router"] = None
        d["state"] = [name for bit, name in NUD_NAMES if n["state"] & bit]
        out.append(d)
    return out


def fdb_json(links: Sequence[Any], msgs: Sequence[Any]) -> list[dict[str, Any]]:
    """``bridge -j fdb show``."""
    names = {m["index"]: m.get_attr("IFLA_IFNAME") for m in links}
    out = []
    for n in msgs:
        d: dict[str, Any] = {"mac": n.get_attr("NDA_LLADDR"), "ifname": names.get(n["ifindex"])}
        if n.get_attr("NDA_VLAN"):
            d["vlan"] = n.get_attr("NDA_VLAN")
        if n.get_attr("NDA_DST"):
            d["dst"] = n.get_attr("NDA_DST")
        d["flags"] = [name for bit, name in NTF_FLAGS if n["flags"] & bit]
        if n.get_attr("NDA_MASTER"):
            d["master"] = names.get(n.get_attr("NDA_MASTER"))
        st = n["state"]
        d["state"] = ("permanent" if st & NUD_PERMANENT else "static" if st & NUD_NOARP
                      else "stale" if st & 0x04 else "")
        out.append(d)
    return out


def _nsid_of(sock: nl.NlSocket, target_fd: int) -> int | None:
    """``RTM_GETNSID`` with ``NETNSA_FD``: the id SOCK's namespace knows TARGET by."""
    m = nsidmsg()
    m["attrs"] = [("NETNSA_FD", target_fd)]
    _seq, data = sock._encode(m, RTM_GETNSID, NLM_F_REQUEST)
    sock.sock.send(data)
    for reply in sock.marshal.parse(sock.sock.recv(65536)):
        nsid = reply.get_attr("NETNSA_NSID")
        if isinstance(nsid, int) and nsid >= 0:
            return nsid
    return None


def _fd(name: str) -> int:
    if name == ROOT:
        return os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    return nl.open_netns(name)


def dump_namespaces(names: Sequence[str], ovs_rundirs: Mapping[str, str] | None = None,
                    *, xfrm: bool = False) -> dict[str, dict[str, Any]]:
    """NAMES (``host`` is the root namespace) -> namespace -> the dumps, keyed like
    ``vnetlab.snapshot.dumps.NamespaceDump``'s fields. XFRM: read the IPsec states (their
keys) and policies too, only when asked. A name that is gone by the time it
    is opened is left out (the caller sees it missing)."""
    fds: dict[str, int] = {}
    for n in names:
        try:
            fds[n] = _fd(n)
        except FileNotFoundError:
            continue  # removed since it was listed: namespaces come and go; an open fd stays
    socks: dict[str, nl.NlSocket] = {}
    try:
        out: dict[str, dict[str, Any]] = {}
        for name, fd in fds.items():
            s = socks[name] = nl.socket_in(fd)

            def msg(cls: type, family: int) -> Any:
                m = cls()
                m["family"] = family
                return m

            links = s.dump(msg(ifinfmsg, AF_UNSPEC), RTM_GETLINK)
            addrs = s.dump(msg(ifaddrmsg, AF_UNSPEC), RTM_GETADDR)
            # `table all` and `ip neigh show` list both families
            routes = [*s.dump(msg(rtmsg, AF_INET), RTM_GETROUTE),
                      *s.dump(msg(rtmsg, AF_INET6), RTM_GETROUTE)]
            neighs = [*s.dump(msg(ndmsg, AF_INET), RTM_GETNEIGH),
                      *s.dump(msg(ndmsg, AF_INET6), RTM_GETNEIGH)]
            fdb = s.dump(msg(ndmsg, AF_BRIDGE), RTM_GETNEIGH)
            nsids = []
            for other, ofd in fds.items():
                if other != name and (nsid := _nsid_of(s, ofd)) is not None:
                    nsids.append({"nsid": nsid, "name": other})
            d: dict[str, Any] = {
                "links": links_json(links), "addrs": addrs_json(links, addrs),
                "routes": routes_json(links, routes), "neighs": neighs_json(links, neighs),
                "fdb": fdb_json(links, fdb), "nsids": sorted(nsids, key=lambda x: x["nsid"]),
                "ip_forward": nl.read_sysctl(fd, "net.ipv4.ip_forward"),
            }
            if xfrm:
                d["xfrm_state"] = _tool(name, ["ip", "xfrm", "state"])
                d["xfrm_policy"] = _tool(name, ["ip", "xfrm", "policy"])
            for key, value in (("qdiscs", dump_qdiscs(name)), ("sriov", dump_sriov(name))):
                if value is not None:
                    d[key] = value
            ebt = dump_ebtables(name)
            if ebt is not None:
                d["ebtables"] = ebt
            rundir = (ovs_rundirs or {}).get(name)
            if rundir is not None:
                d["ovs"] = dump_ovs(rundir)
            out[name] = d
        return out
    finally:
        for s in socks.values():
            s.close()
        for fd in fds.values():
            os.close(fd)


#: scripts/collect-snapshot.sh's ``sriov_json`` (the same text: tests/snapshot hold them
#: equal): sysfs facts about the namespace's PCI network functions -> ``sriov.json``
SRIOV_SH = r'''sriov_json() {  # PCI network functions from sysfs (SYSFS: another root)
    sep=""; printf '['
    for d in "${SYSFS:-/sys}"/class/net/*; do
        [ -e "$d/device" ] || continue
        pci=$(basename "$(readlink "$d/device")")
        printf '%s{"ifname":"%s","pci":"%s"' "$sep" "${d##*/}" "$pci"; sep=","
        s=$(cat "$d/speed" 2>/dev/null) && [ -n "$s" ] && printf ',"speed":%s' "$s"
        if [ -r "$d/device/sriov_totalvfs" ]; then
            printf ',"sriov_totalvfs":%s,"sriov_numvfs":%s' \
                "$(cat "$d/device/sriov_totalvfs")" "$(cat "$d/device/sriov_numvfs")"
        fi
        if [ -e "$d/device/physfn" ]; then
            printf ',"physfn":"%s"' "$(basename "$(readlink "$d/device/physfn")")"
            for v in "$d"/device/physfn/virtfn*; do
                if [ "$(basename "$(readlink "$v")")" = "$pci" ]; then
                    printf ',"vf":%s' "${v##*virtfn}"
                fi
            done
        fi
        printf '}'
    done
    printf ']\n'
}
'''


def dump_sriov(name: str, timeout_s: float = 10.0) -> list[Any] | None:
    """``sriov.json`` of namespace NAME: ``ip netns exec`` mounts the namespace's own
    sysfs, whose class/net lists its devices (None: it failed). Read only."""
    text = _tool(name, ["sh", "-c", SRIOV_SH + "sriov_json"], timeout_s)
    value = json.loads(text) if text else None
    return value if isinstance(value, list) else None


def dump_qdiscs(name: str, timeout_s: float = 10.0) -> list[Any] | None:
    """``tc -j qdisc show`` in namespace NAME (None: tc is missing or fails). The tool,
    not pyroute2's tc dump: its JSON is the shape the decoder reads, options and all."""
    if shutil.which("tc") is None:
        return None
    text = _tool(name, ["tc", "-j", "qdisc", "show"], timeout_s)
    if text is None:
        return None
    value = json.loads(text) if text.strip() else []
    return value if isinstance(value, list) else None


def all_netns() -> list[str]:
    """Every named namespace (``ip netns list``: /run/netns)."""
    return nl.list_netns()


def _tool(name: str, argv: list[str], timeout_s: float = 10.0) -> str | None:
    """A read-only tool's output inside namespace NAME (None: it failed)."""
    full = argv if name == ROOT else ["ip", "netns", "exec", name, *argv]
    r = subprocess.run(full, capture_output=True, text=True, timeout=timeout_s, check=False)
    return r.stdout if r.returncode == 0 else None


def dump_ebtables(name: str, timeout_s: float = 10.0) -> str | None:
    """``ebtables-save`` in namespace NAME (None: the tool is missing or fails). Read only;
    the tool, not netlink, because ebtables-nft keeps its rules in nftables' encoding."""
    tool = shutil.which("ebtables-save")
    if tool is None:
        return None
    argv = [tool] if name == ROOT else ["ip", "netns", "exec", name, tool]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    return r.stdout if r.returncode == 0 else None


OVS_TABLES = ("Bridge", "Port", "Interface", "Mirror")


def dump_ovs(rundir: str, timeout_s: float = 10.0) -> dict[str, Any] | None:
    """The OVSDB tables and flows of the ovs-vswitchd whose sockets are in RUNDIR (None:
    the tools are missing or nothing answers there). Read only: ``list`` and
    ``dump-flows``/``dump-groups``."""
    vsctl, ofctl = shutil.which("ovs-vsctl"), shutil.which("ovs-ofctl")
    if vsctl is None or ofctl is None or not os.path.exists(os.path.join(rundir, "db.sock")):
        return None
    env = dict(os.environ, OVS_RUNDIR=rundir)

    def run(argv: list[str]) -> str:
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout_s,
                           check=False)
        return r.stdout if r.returncode == 0 else ""

    db = f"--db=unix:{rundir}/db.sock"
    tables = {}
    for t in OVS_TABLES:
        text = run([vsctl, db, "--format=json", "list", t])
        if not text:
            return None
        tables[t] = json.loads(text)
    flows, groups = {}, {}
    for row in tables["Bridge"].get("data", []):
        br = str(row[tables["Bridge"]["headings"].index("name")])
        flows[br] = run([ofctl, "--names", "dump-flows", br])
        groups[br] = run([ofctl, "-O", "OpenFlow15", "--names", "dump-groups", br])
    return {"tables": tables, "flows": flows, "groups": groups,
            "show": run([vsctl, db, "show"])}
