"""Cross-reference checks and defaults: a validated ``LabSpec`` → a resolved ``LabSpec``.

Design note
-----------
Pydantic checks each value on its own; ``resolve()`` checks what refers to what, the way
the kernel would refuse the matching ``ip``/``bridge`` command:

- ``lo`` is neither declared nor a link end (every namespace has it: "File exists");
- links: endpoints name existing nodes, each endpoint is in one link only, the two ends
  differ, and a link end is not also declared as a bridge;
- a declared veth end (an interface without ``type``) is created by some link; link ends
  not listed under a node are added as ``VethSpec()``;
- ``master`` names a bridge of the same node, never itself, and a bridge is never a port
  (br_add_if(): "Can not enslave a bridge to a bridge"); a bridge has at most
  BR_MAX_PORTS - 1 = 1023 ports (find_portno(): "Exchange full");
- static ``fdb`` entries name a port of their bridge;
- routes: ``dev`` exists; ``via`` lies in a connected subnet (fib_check_nh(): "Nexthop has
  invalid gateway"); no two routes with the same dst and metric (fib_table_insert():
  "File exists"), counting the connected routes of up interfaces;
- addresses and MACs are unique in the whole lab;
- every device's MTU is computed once, in build order (``vnetlab.model.mtus``), and the
  per-kind checks (tunnels, vlans, lowerdevs) read it;
- SR-IOV (``vnetlab.model.sriov_check``): nics, their VFs and cables; VFs no node
  places are added next to their PF as ``{pf}v{N}``;
- checks refer to existing nodes, bridges, ports and interfaces.

Every problem found is collected and raised together as one ``LabError``. Afterwards every
interface has a MAC: a given one, or ``02:`` + the first 5 bytes of
``sha256(f"{lab}/{node}/{ifname}")`` (locally administered, unicast, stable across runs and
machines); should that collide, the next round hashes ``f"{lab}/{node}/{ifname}#{round}"``.
Interfaces get MACs in sorted (node, ifname) order, so reordering the YAML changes nothing.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping

from vnetlab.model.checks import CounterCheck, InjectStep, LinkStep, StormCheck, StpCheck
from vnetlab.model.errors import LabError, ProblemList, did_you_mean
from vnetlab.model.lowerdevs import check_lowerdevs, fill_lowerdevs
from vnetlab.model.mtus import stacked_mtus
from vnetlab.model.order import stack_cycle
from vnetlab.model.ovs_check import (
    check_ovs,
    fill_ovs,
    ovs_bridge_ports,
    ovs_netdev_addresses,
    ovs_netdev_path,
    ovs_netdevs,
)
from vnetlab.model.spec import (
    _MAC_RE,
    BridgeSpec,
    Endpoint,
    FdbCheck,
    FramesCheck,
    LabSpec,
    NetdevSpec,
    PingCheck,
    TraceCheck,
    VethSpec,
)
from vnetlab.model.sriov_check import check_sriov
from vnetlab.model.tunnels import check_tunnels, fill_tunnel_mtus
from vnetlab.model.vlans import check_vlans, fill_vlans

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
#: net/bridge/br_private.h: port numbers are 10 bits and port 0 is not used
BR_MAX_PORTS = 1 << 10
#: every network namespace is born with its loopback device (``loopback_net_init``)
LOOPBACK = "lo"

__all__ = [
    "BROADCAST_MAC",
    "LabError",
    "endpoint_peer",
    "generated_mac",
    "iface_mac",
    "mac_of_ref",
    "resolve",
]


def generated_mac(lab_name: str, node: str, ifname: str, round_: int = 0) -> str:
    """The deterministic MAC of ``node:ifname``: ``02:`` + 5 bytes of a sha256."""
    key = f"{lab_name}/{node}/{ifname}" + (f"#{round_}" if round_ else "")
    digest = hashlib.sha256(key.encode()).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest[:5])


def _nodes_text(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


class _Resolver:
    def __init__(self, lab: LabSpec, lines: Mapping[str, int] | None) -> None:
        self.lab = lab
        self.p = ProblemList(lines)
        # node -> ifname -> spec, including link ends not declared (filled by _links)
        self.full: dict[str, dict[str, NetdevSpec]] = {
            n: dict(node.interfaces) for n, node in lab.nodes.items()
        }
        self.link_of: dict[tuple[str, str], int] = {}

    # -- helpers -------------------------------------------------------------------------

    def _iface_path(self, node: str, ifname: str) -> tuple[object, ...]:
        return ("nodes", node, "interfaces", ifname)

    def _ports(self, node: str, bridge: str) -> list[str]:
        return [i for i, s in self.full.get(node, {}).items() if s.master == bridge]

    def _bridges(self, node: str) -> list[str]:
        return [i for i, s in self.full.get(node, {}).items() if s.type == "bridge"]

    def _node_missing(self, seg: tuple[object, ...], node: str, what: str) -> bool:
        if node in self.lab.nodes:
            return False
        names = list(self.lab.nodes)
        self.p.add(
            seg,
            f"{what} names node {node!r}, which is not in nodes (nodes: {_nodes_text(names)})",
            did_you_mean(node, names),
        )
        return True

    # -- steps -----------------------------------------------------------------------------

    def loopback(self) -> None:
        """``lo`` exists in every namespace: ``ip link add lo ...`` says "File exists"."""
        for n, node in self.lab.nodes.items():
            if LOOPBACK in node.interfaces:
                self.p.add(
                    self._iface_path(n, LOOPBACK),
                    f"node {n} already has the loopback device lo (every network namespace "
                    "does); the kernel says: RTNETLINK answers: File exists",
                    "give the interface another name; lo is always there and always up",
                )

    def links(self) -> None:
        for k, link in enumerate(self.lab.links):
            a, b = link.endpoints
            if (a.node, a.ifname) == (b.node, b.ifname):
                self.p.add(
                    ("links", k, "endpoints", 1),
                    f"both ends of the link are {a}; a veth pair joins two different interfaces",
                )
            for j, ep in enumerate(link.endpoints):
                seg = ("links", k, "endpoints", j)
                if self._node_missing(seg, ep.node, f"link endpoint {ep}"):
                    continue
                if ep.ifname == LOOPBACK:
                    self.p.add(
                        seg,
                        f"link end {ep} is the loopback device of node {ep.node}, which every "
                        "namespace has and which cannot be a veth end",
                        f"name the veth end something else, e.g. {ep.node}:eth0",
                    )
                    continue
                key = (ep.node, ep.ifname)
                if key in self.link_of:
                    if self.link_of[key] != k:
                        first = self.p.where(("links", self.link_of[key]))
                        self.p.add(
                            seg,
                            f"endpoint {ep} is already an end of {first}; an interface can be "
                            "the end of one veth pair only",
                            "give this end another interface name",
                        )
                    continue
                self.link_of[key] = k
                spec = self.full[ep.node].get(ep.ifname)
                if spec is None:
                    self.full[ep.node][ep.ifname] = VethSpec()
                elif spec.type != "veth":
                    self.p.add(
                        self._iface_path(ep.node, ep.ifname),
                        f"interface {ep.ifname} of node {ep.node} has type {spec.type}, but "
                        f"links[{k}] makes it a veth end",
                        f"a {spec.type} cannot be a link end; link a veth to it instead "
                        f"(e.g. a port with 'master: {ep.ifname}')",
                    )

    def unlinked_veths(self) -> None:
        for n, node in self.lab.nodes.items():
            for i, spec in node.interfaces.items():
                if spec.type != "veth" or (n, i) in self.link_of or i == "lo":
                    continue  # lo: reported once, as the namespace's own loopback
                what = (
                    "is a veth end but no link creates it"
                    if "type" in spec.model_fields_set
                    else "is not created by any link and has no type"
                )
                ends = [
                    f"{n}:{ifn}"
                    for (nn, ifn) in self.link_of
                    if nn == n and ifn not in node.interfaces
                ]
                all_ends = [f"{n}:{ifn}" for (nn, ifn) in self.link_of if nn == n]
                hint = did_you_mean(f"{n}:{i}", ends) if ends else None
                if hint is None:
                    listed = (
                        f"the links of node {n} create {', '.join(all_ends)}"
                        if all_ends
                        else f"no link has an end on node {n}"
                    )
                    hint = (
                        f"{listed}; add a link '- endpoints: [{n}:{i}, OTHER:IFNAME]' "
                        "or give the interface a type, e.g. 'type: bridge'"
                    )
                self.p.add(self._iface_path(n, i), f"interface {i} of node {n} {what}", hint)

    def masters(self) -> None:
        for n, ifaces in self.full.items():
            bridges = self._bridges(n)
            for i, spec in ifaces.items():
                m = spec.master
                if m is None:
                    continue
                seg = (*self._iface_path(n, i), "master")
                if m == i:
                    self.p.add(seg, f"interface {i} of node {n} cannot be its own master")
                elif m not in ifaces:
                    self.p.add(
                        seg,
                        f"master {m!r} of {n}:{i} is not an interface of node {n} "
                        f"(bridges of {n}: {_nodes_text(bridges)})",
                        did_you_mean(m, bridges)
                        or f"declare it: '{m}: {{type: bridge}}' under nodes.{n}.interfaces",
                    )
                elif ifaces[m].type != "bridge":
                    self.p.add(
                        seg,
                        f"master {m!r} of {n}:{i} is a {ifaces[m].type}, not a bridge",
                        f"bridges of {n}: {_nodes_text(bridges)}",
                    )
                elif spec.type == "bridge":
                    self.p.add(
                        seg,
                        f"bridge {i} cannot be a port of bridge {m}; Linux refuses to nest "
                        "bridges (Error: Can not enslave a bridge to a bridge.)",
                        f"join the two bridges with a link: a veth end with 'master: {m}' and "
                        f"its peer with 'master: {i}'",
                    )

    def port_counts(self) -> None:
        """br_add_if() finds no free port number past BR_MAX_PORTS - 1: "Exchange full"."""
        for n in self.full:
            for br in self._bridges(n):
                ports = self._ports(n, br)
                if len(ports) < BR_MAX_PORTS:
                    continue
                extra = ports[BR_MAX_PORTS - 1]
                self.p.add(
                    (*self._iface_path(n, extra), "master"),
                    f"bridge {n}:{br} has {len(ports)} ports; a Linux bridge takes at most "
                    f"{BR_MAX_PORTS - 1} (BR_MAX_PORTS); the kernel says: RTNETLINK answers: "
                    "Exchange full",
                    "spread the ports over several bridges joined by a veth pair",
                )

    def fdbs(self) -> None:
        for n, ifaces in self.full.items():
            for i, spec in ifaces.items():
                if not isinstance(spec, BridgeSpec):
                    continue
                ports = self._ports(n, i)
                seen: dict[str, int] = {}
                for k, entry in enumerate(spec.fdb):
                    seg = (*self._iface_path(n, i), "fdb", k)
                    if entry.dev not in ports:
                        where = (
                            f"is an interface of {n} but not a port of {i}"
                            if entry.dev in ifaces
                            else f"is not an interface of node {n}"
                        )
                        self.p.add(
                            (*seg, "dev"),
                            f"fdb entry dev {entry.dev!r} {where} (ports of {i}: "
                            f"{_nodes_text(ports)})",
                            did_you_mean(entry.dev, ports)
                            or f"set 'master: {i}' on the port the entry should point to",
                        )
                    if entry.mac in seen:
                        self.p.add(
                            (*seg, "mac"),
                            f"static fdb entry for {entry.mac} is already given as "
                            f"fdb[{seen[entry.mac]}] (bridge fdb add: File exists)",
                        )
                    seen.setdefault(entry.mac, k)

    def routes(self) -> None:
        for n, node in self.lab.nodes.items():
            ifaces = self.full[n]
            devs = {i: (spec.up, spec.addresses) for i, spec in ifaces.items()}
            devs.update(ovs_netdev_addresses(self.lab, n))  # bridges, internal ports
            connected: list[tuple[str, ipaddress.IPv4Interface]] = [
                (i, addr)
                for i, (up, addresses) in devs.items()
                if up
                for addr in addresses
                if addr.network.prefixlen < 32  # fib_add_ifaddr(): no prefix route for /32
            ]
            seen: dict[tuple[str, int], int] = {}
            for k, route in enumerate(node.routes):
                seg = ("nodes", n, "routes", k)
                dev_ok = True
                if route.dev is not None:
                    if route.dev not in devs:
                        dev_ok = False
                        self.p.add(
                            (*seg, "dev"),
                            f"route dev {route.dev!r} is not an interface of node {n} "
                            f"(interfaces: {_nodes_text(list(devs))}); the kernel says: "
                            "Cannot find device",
                            did_you_mean(route.dev, devs),
                        )
                    elif not devs[route.dev][0] and route.via is None:
                        dev_ok = False
                        self.p.add(
                            (*seg, "dev"),
                            f"route dev {route.dev} is down ('up: false'); the kernel says: "
                            "Error: Device for nexthop is not up.",
                        )
                if route.via is not None and dev_ok:
                    cands = [(i, a) for i, a in connected if route.dev in (None, i)]
                    if not any(route.via in a.network for _, a in cands):
                        on = f"dev {route.dev}" if route.dev else f"node {n}"
                        subnets = ", ".join(f"{a.network} ({i})" for i, a in cands) or "none"
                        self.p.add(
                            (*seg, "via"),
                            f"gateway {route.via} is not in a connected subnet of {on} "
                            f"(connected: {subnets}); the kernel says: "
                            "Error: Nexthop has invalid gateway.",
                            "the gateway must be a neighbour on a directly connected subnet; "
                            "add an address in its subnet or fix the gateway",
                        )
                key = (route.dst if route.dst != "default" else "0.0.0.0/0", route.metric)
                if key in seen:
                    self.p.add(
                        seg,
                        f"route {route.dst} metric {route.metric} is already given as "
                        f"{self.p.where(('nodes', n, 'routes', seen[key]))}; the kernel says: "
                        "RTNETLINK answers: File exists",
                        "remove one of them or give it a different metric",
                    )
                    continue
                seen[key] = k
                clash = [(i, a) for i, a in connected if str(a.network) == key[0]]
                if route.metric == 0 and clash:
                    i, a = clash[0]
                    self.p.add(
                        seg,
                        f"route {route.dst} metric 0 duplicates the connected route of "
                        f"{n}:{i} ({a}); the kernel says: RTNETLINK answers: File exists",
                        "connected subnets are routed already; remove this route or give it "
                        "a metric above 0",
                    )

    def unique_addresses(self) -> None:
        seen: dict[ipaddress.IPv4Address, tuple[str, str, tuple[object, ...]]] = {}
        for n, ifaces in self.full.items():
            owned = [(i, spec.addresses, self._iface_path(n, i)) for i, spec in ifaces.items()]
            owned += [(i, addrs, ovs_netdev_path(self.lab, n, i))
                      for i, (_, addrs) in ovs_netdev_addresses(self.lab, n).items()]
            for i, addresses, path in owned:
                for k, addr in enumerate(addresses):
                    seg = (*path, "addresses", k)
                    first = seen.get(addr.ip)
                    if first is None:
                        seen[addr.ip] = (n, i, seg)
                        continue
                    fn, fi, fseg = first
                    self.p.add(
                        seg,
                        f"address {addr.ip} is on both {fn}:{fi} and {n}:{i} "
                        f"(first at {self.p.where(fseg)}); every address must be unique in "
                        "the lab",
                        "the kernel would accept it, but ARP and routing become a lottery",
                    )

    def unique_macs(self) -> None:
        seen: dict[str, tuple[str, str]] = {}
        for n, ifaces in self.full.items():
            for i, spec in ifaces.items():
                if spec.mac is None:
                    continue
                first = seen.get(spec.mac)
                if first is None:
                    seen[spec.mac] = (n, i)
                    continue
                fn, fi = first
                self.p.add(
                    (*self._iface_path(n, i), "mac"),
                    f"MAC {spec.mac} is on both {fn}:{fi} and {n}:{i} (first at "
                    f"{self.p.where((*self._iface_path(fn, fi), 'mac'))}); every MAC must be "
                    "unique in the lab",
                    "remove 'mac:' from one of them; vnetlab assigns unique ones",
                )

    def _ref(self, seg: tuple[object, ...], ref: str, *, broadcast: bool) -> None:
        """``ref`` is a MAC, an existing ``NODE:IFNAME`` or (if allowed) ``broadcast``."""
        if _MAC_RE.match(ref) or (broadcast and ref == "broadcast"):
            return
        node, sep, ifname = ref.partition(":")
        if not sep or not node or not ifname:
            extra = ", or 'broadcast'" if broadcast else ""
            self.p.add(seg, f"{ref!r} is not a MAC address or NODE:IFNAME{extra}")
            return
        self._endpoint(seg, node, ifname, f"{ref!r}")

    def _endpoint(self, seg: tuple[object, ...], node: str, ifname: str, what: str) -> bool:
        if self._node_missing(seg, node, what):
            return False
        ifaces = [*self.full[node], *ovs_netdevs(self.lab, node)]
        if ifname not in ifaces:
            self.p.add(
                seg,
                f"{what} names interface {ifname!r}, which node {node} does not have "
                f"(interfaces: {_nodes_text(list(ifaces))})",
                did_you_mean(ifname, ifaces),
            )
            return False
        return True

    def checks(self) -> None:
        for k, check in enumerate(self.lab.checks):
            if isinstance(check, PingCheck | TraceCheck):
                kind = "ping" if isinstance(check, PingCheck) else "trace"
                self._node_missing(("checks", k, kind), check.src, f"{kind} source")
            elif isinstance(check, FdbCheck):
                node, _, br = check.fdb.partition(":")
                seg = ("checks", k, "fdb")
                if not self._endpoint(seg, node, br, f"fdb check {check.fdb!r}"):
                    pass
                elif br in self.lab.nodes[node].ovs:
                    ports = ovs_bridge_ports(self.lab.nodes[node].ovs[br], br)
                    if check.port is not None and check.port not in ports:
                        self.p.add(
                            ("checks", k, "port"),
                            f"{check.port!r} is not a port of Open vSwitch bridge {node}:{br} "
                            f"(ports: {_nodes_text(ports)})",
                            did_you_mean(check.port, ports),
                        )
                elif br not in self.full[node]:
                    self.p.add(seg, f"fdb check {check.fdb!r}: {br} is an Open vSwitch "
                               "internal port, not a bridge")
                elif self.full[node][br].type != "bridge":
                    self.p.add(
                        seg,
                        f"fdb check {check.fdb!r}: {br} is a {self.full[node][br].type}, "
                        "not a bridge",
                        f"bridges of {node}: {_nodes_text(self._bridges(node))}",
                    )
                elif check.port is not None and check.port not in self._ports(node, br):
                    ports = self._ports(node, br)
                    self.p.add(
                        ("checks", k, "port"),
                        f"{check.port!r} is not a port of bridge {node}:{br} "
                        f"(ports: {_nodes_text(ports)})",
                        did_you_mean(check.port, ports),
                    )
                self._ref(("checks", k, "mac"), check.mac, broadcast=False)
            elif isinstance(check, StpCheck | StormCheck | LinkStep):
                self._stp_check(k, check)
            elif isinstance(check, CounterCheck):
                node, _, ifname = check.counter.partition(":")
                self._endpoint(("checks", k, "counter"), node, ifname,
                               f"counter check {check.counter!r}")
            elif isinstance(check, InjectStep):
                node, _, ifname = check.inject.partition(":")
                self._endpoint(("checks", k, "inject"), node, ifname,
                               f"inject step {check.inject!r}")
                self._ref(("checks", k, "dst"), check.dst, broadcast=True)
                if check.src is not None:
                    self._ref(("checks", k, "src"), check.src, broadcast=False)
            elif isinstance(check, FramesCheck):
                node, _, ifname = check.frames.partition(":")
                self._endpoint(
                    ("checks", k, "frames"), node, ifname, f"frames check {check.frames!r}"
                )
                for field in ("src", "dst"):
                    ref = getattr(check.match, field)
                    if ref is not None:
                        self._ref(("checks", k, "match", field), ref, broadcast=field == "dst")

    def _stp_check(self, k: int, check: StpCheck | StormCheck | LinkStep) -> None:
        """stp/storm checks name a Linux bridge (and its ports); a link step an interface."""
        if isinstance(check, LinkStep):
            node, _, ifname = check.link.partition(":")
            self._endpoint(("checks", k, "link"), node, ifname, f"link step {check.link!r}")
            return
        key = "stp" if isinstance(check, StpCheck) else "storm"
        ref = check.stp if isinstance(check, StpCheck) else check.storm
        node, _, br = ref.partition(":")
        seg = ("checks", k, key)
        if not self._endpoint(seg, node, br, f"{key} check {ref!r}"):
            return
        if br not in self._bridges(node):
            self.p.add(seg, f"{key} check {ref!r}: {br} is not a Linux bridge",
                       f"bridges of {node}: {_nodes_text(self._bridges(node))}")
            return
        ports = self._ports(node, br)
        for field in ("port", "root_port"):
            name = getattr(check, field, None)
            if name is not None and name not in ports:
                self.p.add(("checks", k, field),
                           f"{name!r} is not a port of bridge {node}:{br} "
                           f"(ports: {_nodes_text(ports)})", did_you_mean(name, ports))

    def stack_loop(self) -> None:
        """Devices stacked on each other in a circle (a vlan on a macvlan on that vlan):
        no creation order exists, as ``register_netdevice`` needs the lower first."""
        cycle = stack_cycle(self.full)
        if cycle is None:
            return
        node, ifname = cycle[0]
        spec = self.full[node][ifname]
        ref = "dev" if "dev" in type(spec).model_fields else "link"
        chain = " -> ".join(f"{n}:{i}" for n, i in cycle)
        self.p.add((*self._iface_path(node, ifname), ref),
                   f"devices are stacked on each other in a loop: {chain}; none of them can be "
                   "created first (the kernel needs a device's lower to exist)",
                   "stack each device on a real device (a veth, bridge or tap)")

    def assign_macs(self) -> LabSpec:
        taken = {s.mac for ifaces in self.full.values() for s in ifaces.values() if s.mac}
        macs: dict[tuple[str, str], str] = {}
        for n in sorted(self.full):
            for i in sorted(self.full[n]):
                if self.full[n][i].mac is not None:
                    continue
                round_ = 0
                mac = generated_mac(self.lab.name, n, i)
                while mac in taken:
                    round_ += 1
                    mac = generated_mac(self.lab.name, n, i, round_)
                taken.add(mac)
                macs[(n, i)] = mac
        nodes = {}
        for n, node in self.lab.nodes.items():
            ifaces = {
                i: spec.model_copy(update={"mac": macs[(n, i)]}) if (n, i) in macs else spec
                for i, spec in self.full[n].items()
            }
            nodes[n] = node.model_copy(update={"interfaces": ifaces})
        return self.lab.model_copy(update={"nodes": nodes})


def resolve(
    lab: LabSpec, lines: Mapping[str, int] | None = None, *, source: str = "<lab>"
) -> LabSpec:
    """Check every cross reference of ``lab`` and return it with all defaults explicit.

    ``lines`` maps YAML paths (``nodes.a.interfaces.eth0``) to 1-based lines, as the loader
    records them; ``source`` names the file in errors. Raises ``LabError`` listing every
    problem found.
    """
    r = _Resolver(lab, lines)
    r.loopback()
    r.links()
    r.unlinked_veths()
    check_sriov(r.full, r.p)  # adds the VFs no node places ({pf}v{N}) to r.full
    r.masters()
    r.port_counts()
    r.fdbs()
    r.routes()
    r.unique_addresses()
    r.unique_macs()
    r.checks()
    check_ovs(lab, r.full, r.p)
    stacked = stacked_mtus(r.full)  # in build order: a lower's MTU before its uppers'
    mtus = check_tunnels(lab, r.full, r.p, stacked)
    vlan_mtus = check_vlans(lab, r.full, r.p, stacked)
    lower_mtus = check_lowerdevs(lab, r.full, r.p, stacked)
    if not r.p.problems:  # a loop the per-kind checks above did not name already
        r.stack_loop()
    r.p.raise_if_any(source)
    resolved = fill_vlans(fill_tunnel_mtus(r.assign_macs(), mtus), lab, vlan_mtus)
    return fill_ovs(fill_lowerdevs(resolved, lower_mtus), generated_mac)


def endpoint_peer(lab: LabSpec, node: str, ifname: str) -> Endpoint | None:
    """The other end of the veth pair whose one end is ``node:ifname`` (None if no link)."""
    for link in lab.links:
        a, b = link.endpoints
        if (a.node, a.ifname) == (node, ifname):
            return b
        if (b.node, b.ifname) == (node, ifname):
            return a
    return None


def iface_mac(lab: LabSpec, ref: str) -> str:
    """The MAC of interface ``"NODE:IFNAME"`` (resolving ``lab`` first if it has none)."""
    node, _, ifname = ref.partition(":")
    try:
        spec = lab.nodes[node].interfaces.get(ifname)
    except KeyError:
        raise KeyError(f"{ref!r}: no node {node!r} in lab {lab.name}") from None
    if spec is None or spec.mac is None:
        lab = resolve(lab)
        spec = lab.nodes[node].interfaces.get(ifname)
    if spec is None:
        raise KeyError(f"{ref!r}: node {node} has no interface {ifname!r}")
    assert spec.mac is not None
    return spec.mac


def mac_of_ref(lab: LabSpec, ref: str) -> str:
    """A MAC literal (normalised to lower case), ``broadcast``, or ``NODE:IFNAME``'s MAC."""
    if _MAC_RE.match(ref):
        return ref.lower()
    if ref == "broadcast":
        return BROADCAST_MAC
    if ":" not in ref:
        raise ValueError(f"{ref!r} is not a MAC address, 'broadcast' or NODE:IFNAME")
    return iface_mac(lab, ref)
