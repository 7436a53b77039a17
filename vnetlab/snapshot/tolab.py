"""The host's state -> a lab (the plain data a lab file holds) plus what it leaves out.

Design note
-----------
Every namespace becomes a node, every device an interface spelled as the lab format
spells ``ip link add ... type KIND`` (the kernel's own names), veth pairs become
``links``. What the kernel made by itself and the lab would make again is left out:
``lo``, the ``local``/``broadcast`` routes of table local, connected routes (proto
kernel), the bridge's permanent local FDB entries and the all-zeros VXLAN entry its
``remote`` makes, learned FDB entries and neighbours (state, not configuration), IPv6
link-local addresses (autoconfiguration makes them again). A namespace with no IPv6
address at all, not even lo's ``::1``, had IPv6 disabled: its node says ``ipv6: off``
(the lab's, when every node does). What the lab format cannot carry, or what was not collected, goes
into ``notes``: the YAML header lists them, so nobody mistakes the lab for the host.
Static neighbours (``nud permanent``) have no lab key; they become ``setup`` lines
(``ip -n NODE neigh replace ...``) the emulator runs after building the lab.

Node names: the namespace's name, or with ``strip`` (``vnl-LAB.``, the linux engine's
prefix) removed; names the lab format refuses are made safe (and said).
"""

from __future__ import annotations

import re
from typing import Any

from vnetlab.snapshot.decode import host_route_dst
from vnetlab.snapshot.state import HostState, Link, Namespace

#: what a snapshot never carries, whatever was collected (the YAML header's first lines)
NEVER_CARRIED = (
    "processes and userspace programs (a TUN/TAP device's program, daemons, containers' apps)",
    "learned state: learned FDB entries, neighbour cache entries, the path-MTU cache, "
    "counters, STP port states (the lab recomputes them)",
    "IPv6 routes and sysctls (IPv6 addresses and whether a namespace has IPv6 at all are "
    "carried), policy routing (tables other than main, ip rule)",
    "filters other than ebtables' filter table: iptables and nft rules, tc classes and "
    "filters (root qdiscs netem/tbf/htb are carried); IPsec (ip xfrm) only when collected "
    "on purpose: its states hold keys",
    "netem's random state (the kernel seeds it itself): the lab's seed draws its own "
    "losses and delays, so per-frame outcomes differ, rates do not",
    "what is on a NIC's wire (a host cannot see the other end of its cables: no `wire`), "
    "a NIC's descriptor pool, rings and VF isolation mode (the driver's, not in sysfs), "
    "the state of the programs consuming a VF's queues",
    "Geneve TLV options (set per packet by whoever sends, not on the device)",
)
_NODE_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$")
_LAB_OK = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
#: devices an OVS datapath makes for itself
OVS_DATAPATH_DEVICES = frozenset({"ovs-system", "ovs-netdev"})


def node_names(host: HostState, strip: str | None) -> dict[str, str]:
    """namespace -> node name."""
    out: dict[str, str] = {}
    for name in host.namespaces:
        node = name[len(strip):] if strip and name.startswith(strip) else name
        if not _NODE_OK.match(node):
            safe = re.sub(r"[^A-Za-z0-9_.-]", "-", node).lstrip("_.-")[:31] or "ns"
            host.notes.append(f"namespace {name!r} is node {safe!r} (node names are "
                              "[A-Za-z0-9_.-], at most 31)")
            node = safe
        while node in out.values():
            node = f"{node[:28]}-{len(out)}"
        out[name] = node
    return out


def guess_strip(names: list[str]) -> tuple[str | None, str | None]:
    """The linux engine's namespaces ``vnl-LAB.NODE`` of one lab: (prefix, LAB)."""
    labs = {m[1] for n in names if (m := re.match(r"^vnl-([a-z0-9-]+)\.", n))}
    if len(labs) == 1 and all(n.startswith(f"vnl-{next(iter(labs))}.") for n in names):
        lab = next(iter(labs))
        return f"vnl-{lab}.", lab
    return None, None


def _cs(v: Any) -> float | None:
    """Bridge timers: ``ip -d`` prints centiseconds (``br_jiffies_to_clock_t``)."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        x = v / 100
        return int(x) if x == int(x) else round(x, 2)
    return None


class _Node:
    def __init__(self, tl: ToLab, ns: Namespace, node: str) -> None:
        self.tl, self.ns, self.node = tl, ns, node
        self.ovs_names: set[str] = set()
        for br in ns.ovs or []:
            self.ovs_names.add(br.name)
            self.ovs_names.update(p.name for p in br.ports.values() if p.type != "system")
        self.addrs: dict[str, list[str]] = {}
        for a in ns.addrs:
            # IPv4 ones, and IPv6 but link-locals (autoconfiguration makes them again)
            if a.ifname != "lo" and (a.family == "inet" or a.scope == "global"):
                self.addrs.setdefault(a.ifname, []).append(a.cidr)
            elif a.family == "inet" and a.ifname == "lo" and not a.local.startswith("127."):
                tl.note(f"{node}:lo: address {a.cidr} (lo is not a lab interface)")

    def note(self, text: str) -> None:
        self.tl.note(f"{self.node}:{text}")

    def skip(self, ln: Link) -> bool:
        if ln.kind == "loopback" or ln.name == "lo":
            return True
        if ln.name in OVS_DATAPATH_DEVICES or ln.kind == "openvswitch":
            return True
        if ln.name in self.ovs_names:
            return True
        if ln.kind in ("vxlan", "geneve") and (ln.info.get("external") or (
                self.ns.ovs is not None and ln.name.startswith(("vxlan_sys_", "genev_sys_")))):
            if self.ns.ovs is None:
                self.note(f"{ln.name}: {ln.kind} in external (collect_metadata) mode, made "
                          "by a flow-based switch that was not collected")
            return True
        return False

    def interfaces(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for ln in sorted(self.ns.links.values(), key=lambda x: x.ifindex):
            if self.skip(ln):
                continue
            spec = self.kind_spec(ln)
            if spec is None:
                continue
            self.common(ln, spec)
            out[ln.name] = spec
        return out

    def common(self, ln: Link, spec: dict[str, Any]) -> None:
        if self.addrs.get(ln.name):
            spec["addresses"] = self.addrs[ln.name]
        derived_mtu = spec.get("type") in ("vlan", "vxlan", "geneve", "macvlan", "ipvlan")
        if ln.mtu != 1500 or derived_mtu:
            spec["mtu"] = ln.mtu
        if (ln.mac and spec.get("type") not in ("tun",) and not self.shares_lower_mac(ln)
                and not self.port_mac(ln) and not self.vf_admin_mac(ln)):
            spec["mac"] = ln.mac
        if not ln.admin_up:
            spec["up"] = False
        master = self.ns.links.get(ln.master) if ln.master else None
        if master is not None and master.kind == "bridge":
            spec["master"] = ln.master
            port = self.bridge_port(ln, master)
            if port:
                spec["bridge_port"] = port

    def shares_lower_mac(self, ln: Link) -> bool:
        """A vlan (and an ipvlan, a passthru macvlan) takes its lower's MAC: the lab
        derives it, and two devices declaring one MAC is an error there."""
        if ln.lower is None or ln.kind not in ("vlan", "ipvlan", "macvlan"):
            return False
        ns = self.tl.host.namespaces.get(ln.lower[0])
        low = ns.links.get(ln.lower[1]) if ns is not None else None
        return low is not None and low.mac == ln.mac

    def vf_admin_mac(self, ln: Link) -> bool:
        """A VF whose MAC its PF set (``ip link set PF vf N mac``): the PF's ``vfs``
        carries it; the lab may not give one MAC twice."""
        if ln.pf is None or ln.vf is None:
            return False
        ns = self.tl.host.namespaces.get(ln.pf[0])
        pf = ns.links.get(ln.pf[1]) if ns is not None else None
        return pf is not None and any(v.get("vf") == ln.vf and v.get("address") == ln.mac
                                      for v in pf.vfinfo or [])

    def port_mac(self, ln: Link) -> bool:
        """A bridge without its own MAC takes its lowest port's
        (``br_stp_recalculate_bridge_id``); a lab may not give one MAC to two devices,
        so the bridge is written without it (and said: the lab's bridge gets its own)."""
        if ln.kind != "bridge":
            return False
        ports = [p.name for p in self.ns.links.values()
                 if p.master == ln.name and p.mac == ln.mac]
        if ports:
            self.note(f"{ln.name}: its MAC {ln.mac} is its port {ports[0]}'s (the kernel's "
                      "choice); the lab's bridge gets a MAC of its own")
        return bool(ports)

    def bridge_port(self, ln: Link, br: Link) -> dict[str, Any]:
        s, out = ln.slave, dict[str, Any]()
        for key, default in (("learning", True), ("flood", True), ("hairpin", False),
                             ("isolated", False), ("locked", False),
                             ("neigh_suppress", False)):
            if key in s and bool(s[key]) != default:
                out[key] = bool(s[key])
        if br.info.get("stp_state"):
            if isinstance(s.get("cost"), int):
                out["cost"] = s["cost"]
            if isinstance(s.get("priority"), int) and s["priority"] != 32:
                out["priority"] = s["priority"]
        if br.info.get("vlan_filtering"):
            out["vlans"] = self.vlans_of(ln.name)
        return out

    def vlans_of(self, ifname: str) -> list[dict[str, Any]]:
        out = []
        for v in self.ns.vlans:
            if v.ifname != ifname:
                continue
            e: dict[str, Any] = {"vid": v.vid if v.vid_end in (None, v.vid)
                                 else f"{v.vid}-{v.vid_end}"}
            if v.pvid:
                e["pvid"] = True
            if v.untagged:
                e["untagged"] = True
            out.append(e)
        return out

    def kind_spec(self, ln: Link) -> dict[str, Any] | None:  # noqa: C901 - one table
        k, i = ln.kind, ln.info
        if k == "veth":
            if ln.peer is None or ln.peer[0] not in self.tl.nodes:
                self.note(f"{ln.name}: a veth whose peer is outside the snapshot; kept as "
                          "a dummy (what it sends goes nowhere)")
                return {"type": "dummy"}
            self.tl.pair(self.node, ln.name, self.tl.nodes[ln.peer[0]], ln.peer[1])
            return {}
        if k == "bridge":
            spec: dict[str, Any] = {"type": "bridge"}
            if i.get("stp_state"):
                spec["stp"] = True
            if isinstance(i.get("priority"), int) and i["priority"] != 32768:
                spec["priority"] = i["priority"]
            for key, default in (("hello_time", 2.0), ("max_age", 20.0),
                                 ("forward_delay", 15.0), ("ageing_time", 300.0)):
                v = _cs(i.get(key))
                if v is not None and v != default:
                    spec[key] = v
            if i.get("vlan_filtering"):
                spec["vlan_filtering"] = True
                pvid = i.get("vlan_default_pvid")
                if isinstance(pvid, int) and pvid != 1:
                    spec["default_pvid"] = pvid
                spec["vlans"] = self.vlans_of(ln.name)
            fdb = self.static_fdb(ln.name)
            if fdb:
                spec["fdb"] = fdb
            return spec
        if k in ("macvlan", "ipvlan", "vlan"):
            lower = self.lower_ref(ln, cross_ok=k != "vlan")
            if lower is None:
                return {"type": "dummy"}
            if k == "vlan":
                if i.get("protocol", "802.1Q") != "802.1Q":
                    self.note(f"{ln.name}: VLAN protocol {i.get('protocol')} (the lab has "
                              "802.1Q only)")
                return {"type": "vlan", "link": lower, "id": i.get("id")}
            mode = str(i.get("mode", "vepa" if k == "macvlan" else "l3"))
            if k == "macvlan" and mode == "source":
                self.note(f"{ln.name}: macvlan mode source (not in the lab format); as vepa")
                mode = "vepa"
            if k == "ipvlan" and mode == "l3s":
                self.note(f"{ln.name}: ipvlan mode l3s taken as l3")
                mode = "l3"
            return {"type": k, "link": lower, "mode": mode}
        if k in ("vxlan", "geneve"):
            return self.tunnel(ln)
        if k == "tun":
            # ip -d prints the tun's type; without it, a TAP is an Ethernet device
            kind = str(i.get("type") or ("tap" if ln.link_type == "ether" else "tun"))
            self.note(f"{ln.name}: a {kind} device; the program behind it is not carried "
                      "(nothing answers on it)")
            spec = {"type": kind}
            if kind == "tap" and ln.mac:
                spec["mac"] = ln.mac
            return spec
        if k == "dummy":
            return {"type": "dummy"}
        if not k and ln.link_type == "ether":
            return self.physical(ln)
        what = f"a device of kind {k}" if k else "a device without a kind (a physical NIC)"
        self.note(f"{ln.name}: {what}; kept as a dummy (the lab format has no such kind, "
                  "and cannot know what is on its wire)")
        return {"type": "dummy"}

    def physical(self, ln: Link) -> dict[str, Any]:
        """A device without linkinfo: a VF netdev (sysfs named its PF), or a NIC port;
        a PF's VFs and their settings from its ``vfinfo_list`` (IFLA_VFINFO_LIST, which
        the kernel fills from the driver's ``ndo_get_vf_config``)."""
        if ln.physfn is not None:
            if ln.pf is None or ln.vf is None or ln.pf[0] not in self.tl.nodes:
                self.note(f"{ln.name}: a VF whose PF is not in the snapshot; kept as a dummy")
                return {"type": "dummy"}
            pf_node, pf = self.tl.nodes[ln.pf[0]], ln.pf[1]
            ref = pf if ln.pf[0] == self.ns.name else f"{pf_node}:{pf}"
            return {"type": "vf", "link": ref, "vf": ln.vf}
        spec: dict[str, Any] = {"type": "nic"}
        if ln.speed is not None and ln.speed != 10000:
            spec["speed"] = ln.speed
        if ln.vfinfo is not None or ln.totalvfs is not None:
            numvfs = ln.numvfs if ln.numvfs is not None else len(ln.vfinfo or [])
            sriov: dict[str, Any] = {"numvfs": numvfs}
            if ln.totalvfs is None:
                self.note(f"{ln.name}: sriov_totalvfs not collected; taken as "
                          f"{max(8, numvfs)}")
            total = ln.totalvfs if ln.totalvfs is not None else max(8, numvfs)
            if total != 8:
                sriov["totalvfs"] = total
            vfs = {n: s for v in ln.vfinfo or [] if (n := v.get("vf")) is not None
                   and isinstance(n, int) and n < numvfs and (s := vf_settings(v))}
            if vfs:
                sriov["vfs"] = vfs
            spec["sriov"] = sriov
        self.note(f"{ln.name}: a NIC; what is at the other end of its cable cannot be seen "
                  "from the host (no `wire`)")
        return spec

    def lower_ref(self, ln: Link, cross_ok: bool) -> str | None:
        if ln.lower is None:
            self.note(f"{ln.name}: its lower device is unknown; kept as a dummy")
            return None
        ns, ifname = ln.lower
        if ns == self.ns.name:
            return ifname
        node = self.tl.nodes.get(ns)
        if node is None or not cross_ok:
            self.note(f"{ln.name}: lower device {ns}:{ifname} cannot be referenced; kept as "
                      "a dummy")
            return None
        return f"{node}:{ifname}"

    def tunnel(self, ln: Link) -> dict[str, Any]:
        i = ln.info
        spec: dict[str, Any] = {"type": ln.kind, "id": i.get("id", 0)}
        port = i.get("port")
        if isinstance(port, int) and port != (8472 if ln.kind == "vxlan" else 6081):
            spec["dstport"] = port
        for key in ("local", "remote", "group") if ln.kind == "vxlan" else ("remote",):
            if isinstance(i.get(key), str) and ":" not in i[key]:
                spec[key] = i[key]
        if ln.kind == "vxlan" and isinstance(i.get("link"), str):
            spec["dev"] = i["link"]
        if isinstance(i.get("ttl"), int) and i["ttl"] > 0:
            spec["ttl"] = i["ttl"]
        if i.get("df") in ("set", "inherit"):
            spec["df"] = i["df"]
        if ln.kind == "vxlan":
            if i.get("learning") is False:
                spec["learning"] = False
            fdb = []
            for f in self.ns.fdb:
                if (f.ifname == ln.name and "self" in f.flags and f.dst
                        and f.state in ("permanent", "static") and ":" not in f.dst):
                    if f.mac == "00:00:00:00:00:00" and f.dst == spec.get("remote"):
                        continue  # made by `remote` itself (vxlan_dev_configure)
                    fdb.append({"mac": f.mac, "dst": f.dst})
            if fdb:
                spec["fdb"] = fdb
        elif ln.kind == "geneve":
            spec.setdefault("remote", "0.0.0.0")
        return spec

    def static_fdb(self, bridge: str) -> list[dict[str, str]]:
        out, seen = [], set()
        for f in self.ns.fdb:
            if f.master == bridge and f.state == "static" and "self" not in f.flags:
                if (f.mac, f.ifname) not in seen:
                    seen.add((f.mac, f.ifname))
                    out.append({"mac": f.mac, "dev": f.ifname})
        return out

    def routes(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        skipped: dict[str, int] = {}
        for r in self.ns.routes:
            if r.table == "local" or (r.family == "inet6"):
                continue  # kernel-made (local/broadcast) and IPv6: said in NEVER_CARRIED
            why = None
            if r.table != "main":
                why = f"table {r.table}"
            elif r.protocol == "kernel":
                continue  # connected routes: the lab's addresses make them again
            elif r.type != "unicast":
                why = f"type {r.type}"
            elif r.multipath:
                why = "multipath"
            if why:
                skipped[why] = skipped.get(why, 0) + 1
                continue
            spec: dict[str, Any] = {"dst": host_route_dst(r.dst)}
            if r.gateway:
                spec["via"] = r.gateway
            if r.dev:
                spec["dev"] = r.dev
            if r.metric:
                spec["metric"] = r.metric
            out.append(spec)
        for why, n in sorted(skipped.items()):
            self.note(f" {n} route(s) of {why} not carried")
        return out

    def ebtables(self) -> list[str]:
        """The filter table's rules, each as the lab's ``ebtables:`` line (the model's own
        check decides; a rule it refuses is said, not dropped silently)."""
        from vnetlab.model.filters import check_ebtables_line

        if self.ns.ebtables is None:
            return []
        for table, chain, policy in self.ns.ebtables_policies:
            self.note(f" ebtables -t {table} -P {chain} {policy}: chain policies are not "
                      "carried")
        for table in sorted(set(self.ns.ebtables) - {"filter"}):
            self.note(f" ebtables table {table}: {len(self.ns.ebtables[table])} rule(s) "
                      "not carried (the lab has the filter table)")
        out = []
        for line in self.ns.ebtables.get("filter", []):
            try:
                check_ebtables_line(line)
            except ValueError as e:
                self.note(f" {line}: not carried ({str(e).splitlines()[0]})")
                continue
            out.append(line)
        return out

    def xfrm(self) -> list[str]:
        """IPsec states and policies as the lab's ``xfrm:`` lines (the model's check
        decides; a refused one is said)."""
        from vnetlab.model.xfrm import check_xfrm_line

        out = []
        for line in self.ns.xfrm or []:
            try:
                check_xfrm_line(line)
            except ValueError as e:
                self.note(f" ip xfrm {line.split(' src ')[0]} ...: not carried "
                          f"({str(e).splitlines()[0].rpartition(': ')[2]})")
                continue
            out.append(line)
        if any(x.startswith("state ") for x in out):
            self.tl.secret = True
        return out

    def neigh_setup(self) -> list[str]:
        out = []
        for n in self.ns.neighs:
            if n.static and n.lladdr and ":" not in n.dst and n.dev in self.ns.links:
                nud = "permanent" if "PERMANENT" in n.state else "noarp"
                out.append(f"ip -n {self.node} neigh replace {n.dst} lladdr {n.lladdr} "
                           f"dev {n.dev} nud {nud}")
        return out

    def ovs(self) -> dict[str, Any]:
        from vnetlab.snapshot.tolab_ovs import ovs_bridge

        return {br.name: ovs_bridge(self, br) for br in self.ns.ovs or []}


def vf_settings(v: dict[str, Any]) -> dict[str, Any]:
    """One ``vfinfo_list`` entry (``print_vfinfo``) -> the VfSettings that differ from
    the defaults."""
    out: dict[str, Any] = {}
    mac = v.get("address")
    if isinstance(mac, str) and mac != "00:00:00:00:00:00":
        out["mac"] = mac
    vl = v.get("vlan_list")
    vlan = vl[0] if isinstance(vl, list) and vl and isinstance(vl[0], dict) else v
    if isinstance(vlan.get("vlan"), int) and vlan["vlan"]:
        out["vlan"] = vlan["vlan"]
    if isinstance(vlan.get("qos"), int) and vlan["qos"]:
        out["qos"] = vlan["qos"]
    if vlan.get("protocol") == "802.1ad":
        out["proto"] = "802.1ad"
    rate: dict[str, Any] = v["rate"] if isinstance(v.get("rate"), dict) else {}
    max_tx = rate.get("max_tx", v.get("tx_rate"))
    if isinstance(max_tx, int) and max_tx:
        out["max_tx_rate"] = max_tx
    if isinstance(rate.get("min_tx"), int) and rate["min_tx"]:
        out["min_tx_rate"] = rate["min_tx"]
    if v.get("spoofchk") is False:
        out["spoofchk"] = False
    if v.get("trust") is True:
        out["trust"] = True
    if v.get("link_state") in ("enable", "disable"):
        out["state"] = v["link_state"]
    if v.get("query_rss_en") is True:
        out["query_rss"] = True
    return out


class ToLab:
    """One translation: ``ToLab(host, name, strip).lab()``."""

    def __init__(self, host: HostState, name: str, strip: str | None = None) -> None:
        self.host = host
        self.name = name if _LAB_OK.match(name) else "snapshot"
        self.nodes = node_names(host, strip)
        self.notes: list[str] = []
        #: the lab holds IPsec keys (the header says so first)
        self.secret = False
        self._pairs: dict[frozenset[tuple[str, str]], tuple[str, str]] = {}

    def note(self, text: str) -> None:
        self.notes.append(text.replace(": ", ":", 1) if text.startswith(":") else text)

    def pair(self, node: str, ifname: str, peer_node: str, peer_if: str) -> None:
        key = frozenset({(node, ifname), (peer_node, peer_if)})
        ends = sorted([f"{node}:{ifname}", f"{peer_node}:{peer_if}"])  # one order, any input
        self._pairs.setdefault(key, (ends[0], ends[1]))

    def lab(self) -> dict[str, Any]:
        nodes: dict[str, Any] = {}
        setup: list[str] = []
        for ns_name, ns in self.host.namespaces.items():
            n = _Node(self, ns, self.nodes[ns_name])
            spec: dict[str, Any] = {}
            ifaces = n.interfaces()
            if ifaces:
                spec["interfaces"] = ifaces
            routes = n.routes()
            if routes:
                spec["routes"] = routes
            if ns.ip_forward:
                spec["sysctls"] = {"net.ipv4.ip_forward": 1}
            if ns.addrs and not any(a.family == "inet6" for a in ns.addrs):
                spec["ipv6"] = False  # not even ::1 on lo: disable_ipv6 (ipv6: off)
            if ns.tc:
                spec["tc"] = ns.tc
            for text in ns.tc_notes:
                n.note(text)
            ebt = n.ebtables()
            if ebt:
                spec["ebtables"] = ebt
            xfrm = n.xfrm()
            if xfrm:
                spec["xfrm"] = xfrm
            ovs = n.ovs()
            if ovs:
                spec["ovs"] = ovs
            setup += n.neigh_setup()
            for what in ("addrs", "routes", "fdb", "neighs", "ebtables", "qdiscs"):
                if what not in ns.collected:
                    self.note(f"{n.node}: {what} not collected")
            nodes[n.node] = spec
        links = [{"endpoints": list(v)} for v in self._pairs.values()]
        lab: dict[str, Any] = {"name": self.name}
        if nodes and all(spec.get("ipv6") is False for spec in nodes.values()):
            lab["ipv6"] = False  # said once for the lab
            for spec in nodes.values():
                del spec["ipv6"]
        lab["nodes"] = nodes
        if links:
            lab["links"] = sorted(links, key=lambda x: x["endpoints"])
        if setup:
            lab["setup"] = "\n".join(setup) + "\n"
        self.notes = self.host.notes + self.notes
        if self.secret:
            self.notes.insert(0, "IT HOLDS IPsec KEYS (the xfrm states' keys): keep this "
                                 "file as secret as the host's keys")
        return lab
