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
- routes of both families: ``dev`` exists; ``via`` lies in a connected subnet
  (fib_check_nh(): "Nexthop has invalid gateway"; ip6_route_check_nh(): "No route to
  host"); no two routes with the same dst and metric (fib_table_insert(): "File exists"),
  counting the connected routes of up interfaces;
- addresses and MACs are unique in the whole lab (link-local IPv6 addresses aside);
- IPv6 is used only where the node (``ipv6: on``, the default) and device have it
  (``vnetlab.model.resolve_addr``); a ping to an IPv6 destination only from such a node;
- every device's MTU is computed once, in build order (``vnetlab.model.mtus``), and the
  per-kind checks (tunnels, vlans, lowerdevs) read it;
- SR-IOV (``vnetlab.model.sriov_check``): nics, their VFs and cables; VFs no node
  places are added next to their PF as ``{pf}v{N}``;
- checks refer to existing nodes, bridges, ports and interfaces.

The steps live by concern in ``resolve_addr`` (addresses, routes, IPv6) and
``resolve_checks`` (the ``checks:`` section), sharing one ``ResolveCtx``.

Every problem found is collected and raised together as one ``LabError``. Afterwards every
interface has a MAC: a given one, or ``02:`` + the first 5 bytes of
``sha256(f"{lab}/{node}/{ifname}")`` (locally administered, unicast, stable across runs and
machines); should that collide, the next round hashes ``f"{lab}/{node}/{ifname}#{round}"``.
Interfaces get MACs in sorted (node, ifname) order, so reordering the YAML changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from vnetlab.model.errors import LabError, did_you_mean
from vnetlab.model.lowerdevs import check_lowerdevs, fill_lowerdevs
from vnetlab.model.mtus import stacked_mtus
from vnetlab.model.order import stack_cycle
from vnetlab.model.ovs_check import check_ovs, fill_ovs
from vnetlab.model.resolve_addr import check_ipv6_use, check_routes, check_unique_addresses
from vnetlab.model.resolve_checks import check_checks, check_tc_devices
from vnetlab.model.resolve_ctx import LOOPBACK, ResolveCtx, nodes_text
from vnetlab.model.spec import _MAC_RE, BridgeSpec, Endpoint, LabSpec, VethSpec
from vnetlab.model.sriov_check import check_sriov
from vnetlab.model.tunnels import check_tunnels, fill_tunnel_mtus
from vnetlab.model.vlans import check_vlans, fill_vlans

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
#: net/bridge/br_private.h: port numbers are 10 bits and port 0 is not used
BR_MAX_PORTS = 1 << 10

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


class _Resolver(ResolveCtx):
    """The topology steps: loopback, links, masters, ports, FDB entries, MACs."""

    # -- steps -----------------------------------------------------------------------------

    def loopback(self) -> None:
        """``lo`` exists in every namespace: ``ip link add lo ...`` says "File exists"."""
        for n, node in self.lab.nodes.items():
            if LOOPBACK in node.interfaces:
                self.p.add(
                    self.iface_path(n, LOOPBACK),
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
                if self.node_missing(seg, ep.node, f"link endpoint {ep}"):
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
                        self.iface_path(ep.node, ep.ifname),
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
                self.p.add(self.iface_path(n, i), f"interface {i} of node {n} {what}", hint)

    def masters(self) -> None:
        for n, ifaces in self.full.items():
            bridges = self.bridges(n)
            for i, spec in ifaces.items():
                m = spec.master
                if m is None:
                    continue
                seg = (*self.iface_path(n, i), "master")
                if m == i:
                    self.p.add(seg, f"interface {i} of node {n} cannot be its own master")
                elif m not in ifaces:
                    self.p.add(
                        seg,
                        f"master {m!r} of {n}:{i} is not an interface of node {n} "
                        f"(bridges of {n}: {nodes_text(bridges)})",
                        did_you_mean(m, bridges)
                        or f"declare it: '{m}: {{type: bridge}}' under nodes.{n}.interfaces",
                    )
                elif ifaces[m].type != "bridge":
                    self.p.add(
                        seg,
                        f"master {m!r} of {n}:{i} is a {ifaces[m].type}, not a bridge",
                        f"bridges of {n}: {nodes_text(bridges)}",
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
            for br in self.bridges(n):
                ports = self.ports(n, br)
                if len(ports) < BR_MAX_PORTS:
                    continue
                extra = ports[BR_MAX_PORTS - 1]
                self.p.add(
                    (*self.iface_path(n, extra), "master"),
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
                ports = self.ports(n, i)
                seen: dict[str, int] = {}
                for k, entry in enumerate(spec.fdb):
                    seg = (*self.iface_path(n, i), "fdb", k)
                    if entry.dev not in ports:
                        where = (
                            f"is an interface of {n} but not a port of {i}"
                            if entry.dev in ifaces
                            else f"is not an interface of node {n}"
                        )
                        self.p.add(
                            (*seg, "dev"),
                            f"fdb entry dev {entry.dev!r} {where} (ports of {i}: "
                            f"{nodes_text(ports)})",
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
                    (*self.iface_path(n, i), "mac"),
                    f"MAC {spec.mac} is on both {fn}:{fi} and {n}:{i} (first at "
                    f"{self.p.where((*self.iface_path(fn, fi), 'mac'))}); every MAC must be "
                    "unique in the lab",
                    "remove 'mac:' from one of them; vnetlab assigns unique ones",
                )

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
        self.p.add((*self.iface_path(node, ifname), ref),
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
    check_routes(r)
    check_unique_addresses(r)
    check_ipv6_use(r)
    r.unique_macs()
    check_checks(r)
    check_tc_devices(r)
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
