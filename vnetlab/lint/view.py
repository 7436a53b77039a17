"""What the rules ask of a lab: every device, its MTU, its L2 neighbours, routes, paths.

Design note
-----------
One ``LabView`` per lint run, built from the lab model only (resolved or not: a lab that
does not resolve is still linted, so nothing here assumes a reference holds — a dangling
``master`` or ``link`` is simply no edge). Devices are ``(node, ifname)`` keys, as
``vnetlab.model.order`` has them; Open vSwitch bridges and internal ports are devices too
(they carry addresses).

L2 domains are the connected components of one graph whose edges are the wires and joins
a frame crosses without routing: veth pairs (``links:``), port ↔ its Linux bridge,
port ↔ its OVS bridge (and patch port pairs), MACVLAN/IPVLAN ↔ its real lower device,
and VXLAN/Geneve devices that carry the same segment (same kind, VNI and UDP port, each
``remote`` an address of the other's node — or in its ``fdb`` — or the same ``group``).
A VLAN subinterface is not joined to its link: it joins the other subinterfaces with the
same VID whose links are in one domain (802.1Q: a VID splits a domain), computed to a
fixed point so 802.1Q-in-802.1Q works. Approximations, said here: a VLAN-filtering
bridge is one domain (its VLANs are not split), an OVS bridge joins all its ports
whatever its flows, and a TUN device is a domain of its own (layer 3).

Routing follows the kernel's ``fib_lookup`` on the model: longest prefix over the
connected subnets of up devices and the node's static routes (``via`` resolved to the
device whose subnet holds it). ``walk`` follows a packet node by node the way
``vnetlab.kernel.limits`` does for its neighbour estimate.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface

from vnetlab.model.mtus import stacked_mtus
from vnetlab.model.order import Key, split_ref
from vnetlab.model.spec import (
    BridgeSpec,
    GeneveSpec,
    LabSpec,
    LowerDevSpec,
    NetdevSpec,
    TunnelSpec,
    VethSpec,
    VlanSpec,
    VxlanSpec,
)

MAX_HOPS = 32


@dataclass(frozen=True, slots=True)
class Addr:
    node: str
    ifname: str
    iface: IPv4Interface


@dataclass(frozen=True, slots=True)
class Hop:
    """Leaving ``node`` by ``dev`` toward ``nexthop`` (owned by ``to``, None: nobody)."""

    node: str
    dev: str
    nexthop: IPv4Address
    to: Key | None


@dataclass(slots=True)
class Walk:
    """A packet's path: the hops, and how it ended."""

    hops: list[Hop] = field(default_factory=list)
    #: delivered | no-route | no-neighbour | not-forwarding | too-long
    end: str = "too-long"
    #: the node where it ended (the owner when delivered)
    at: str = ""


class LabView:
    def __init__(self, lab: LabSpec) -> None:
        self.lab = lab
        self.full: dict[str, dict[str, NetdevSpec]] = {
            n: dict(node.interfaces) for n, node in lab.nodes.items()}
        self.peer: dict[Key, Key] = {}
        for link in lab.links:
            a, b = link.endpoints
            ka, kb = (a.node, a.ifname), (b.node, b.ifname)
            self.peer.setdefault(ka, kb)
            self.peer.setdefault(kb, ka)
            for ep in (a, b):  # link ends a raw lab does not list
                if ep.node in self.full and ep.ifname not in self.full[ep.node]:
                    self.full[ep.node][ep.ifname] = VethSpec()
        self._mtus = stacked_mtus(self.full)
        # OVS devices: (node, name) -> (bridge, up, addresses, mac)
        self.ovs_dev: dict[Key, tuple[str, bool, list[IPv4Interface], str | None]] = {}
        for n, node in lab.nodes.items():
            for br, brs in node.ovs.items():
                self.ovs_dev[(n, br)] = (br, brs.up, list(brs.addresses), brs.mac)
                for pname, port in brs.ports.items():
                    if port.is_netdev:
                        self.ovs_dev[(n, pname)] = (br, port.up, list(port.addresses),
                                                    port.mac)
        self.addrs: list[Addr] = []
        for n, ifaces in self.full.items():
            for i, spec in ifaces.items():
                self.addrs += [Addr(n, i, a) for a in spec.addresses4]  # IPv4 reasoning
        for (n, i), (_, _, addresses, _) in self.ovs_dev.items():
            self.addrs += [Addr(n, i, a) for a in addresses]
        self.by_ip: dict[IPv4Address, Addr] = {}
        for addr in self.addrs:
            self.by_ip.setdefault(addr.iface.ip, addr)
        self.adj: dict[Key, set[Key]] = {}
        self._parent: dict[Key, Key] = {}
        self._build_l2()

    # -- devices ---------------------------------------------------------------------------

    def spec(self, key: Key) -> NetdevSpec | None:
        return self.full.get(key[0], {}).get(key[1])

    def devices(self) -> Iterator[tuple[Key, NetdevSpec]]:
        for n, ifaces in self.full.items():
            for i, spec in ifaces.items():
                yield (n, i), spec

    def mtu(self, key: Key) -> int:
        spec = self.spec(key)
        if spec is not None and spec.mtu is not None:
            return spec.mtu
        return self._mtus.get(key, 1500)

    def up(self, key: Key) -> bool:
        spec = self.spec(key)
        if spec is not None:
            return spec.up
        ovs = self.ovs_dev.get(key)
        return ovs[1] if ovs is not None else False

    def seg(self, key: Key) -> tuple[object, ...]:
        """The YAML path of a device: under interfaces, or under ovs for OVS devices."""
        n, i = key
        node = self.lab.nodes.get(n)
        if node is not None and i in node.interfaces:
            return ("nodes", n, "interfaces", i)
        ovs = self.ovs_dev.get(key)
        if ovs is not None:
            br = ovs[0]
            return ("nodes", n, "ovs", br) if br == i else ("nodes", n, "ovs", br, "ports", i)
        for k, link in enumerate(self.lab.links):
            for j, ep in enumerate(link.endpoints):
                if (ep.node, ep.ifname) == key:
                    return ("links", k, "endpoints", j)
        return ("nodes", n)

    def ports(self, key: Key) -> list[str]:
        """The ports of Linux bridge ``key``."""
        n, br = key
        return [i for i, s in self.full.get(n, {}).items() if s.master == br]

    def real_lower(self, key: Key) -> Key:
        seen = 0
        spec = self.spec(key)
        while isinstance(spec, LowerDevSpec) and seen < 16:
            key = split_ref(key[0], spec.link)
            nxt = self.spec(key)
            if not isinstance(nxt, type(spec)):
                return key
            spec, seen = nxt, seen + 1
        return key

    # -- L2 domains ------------------------------------------------------------------------

    def _edge(self, a: Key, b: Key) -> None:
        self.adj.setdefault(a, set()).add(b)
        self.adj.setdefault(b, set()).add(a)
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[ra] = rb

    def find(self, x: Key) -> Key:
        parent = self._parent
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def _build_l2(self) -> None:
        for end, far in self.peer.items():
            self._edge(end, far)
        for (n, i), spec in self.devices():
            self.find((n, i))
            if spec.master is not None and spec.master in self.full[n]:
                self._edge((n, i), (n, spec.master))
            wire = getattr(spec, "wire", None)  # a nic's cable to another nic
            if isinstance(wire, str) and ":" in wire:
                far = split_ref(n, wire)
                if self.spec(far) is not None:
                    self._edge((n, i), far)
            if isinstance(spec, LowerDevSpec):
                lower = self.real_lower((n, i))
                if self.spec(lower) is not None:
                    self._edge((n, i), lower)
        for n, node in self.lab.nodes.items():
            for br, brs in node.ovs.items():
                for pname, port in brs.ports.items():
                    if port.type in ("system", "internal"):
                        self._edge((n, pname), (n, br))
                    elif port.type == "patch":
                        peer = port.options.get("peer", "")
                        for br2, b2 in node.ovs.items():
                            if peer in b2.ports and br2 != br:
                                self._edge((n, br), (n, br2))
        for a, b in self.tunnel_pairs():
            self._edge(a, b)
        vlans = [(k, s) for k, s in self.devices() if isinstance(s, VlanSpec)]
        for _ in range(8):  # 802.1Q in 802.1Q: to a fixed point
            groups: dict[tuple[Key, int], Key] = {}
            changed = False
            for key, spec in vlans:
                gk = (self.find((key[0], spec.link)), spec.id)
                first = groups.setdefault(gk, key)
                if self.find(first) != self.find(key):
                    self._edge(first, key)
                    changed = True
            if not changed:
                break

    def domain(self, key: Key) -> Key:
        return self.find(key)

    def domains(self) -> dict[Key, list[Key]]:
        out: dict[Key, list[Key]] = {}
        keys = [k for k, _ in self.devices()] + list(self.ovs_dev)
        for k in dict.fromkeys(keys):
            out.setdefault(self.find(k), []).append(k)
        return out

    def l2_path(self, a: Key, b: Key) -> list[Key] | None:
        """The devices from ``a`` to ``b`` in the L2 graph (fewest wires), or None."""
        if a == b:
            return [a]
        prev: dict[Key, Key] = {a: a}
        todo = deque([a])
        while todo:
            cur = todo.popleft()
            for nxt in sorted(self.adj.get(cur, ())):
                if nxt in prev:
                    continue
                prev[nxt] = cur
                if nxt == b:
                    path = [b]
                    while path[-1] != a:
                        path.append(prev[path[-1]])
                    return path[::-1]
                todo.append(nxt)
        return None

    def is_switch(self, key: Key) -> bool:
        spec = self.spec(key)
        if isinstance(spec, BridgeSpec):
            return True
        ovs = self.ovs_dev.get(key)
        return ovs is not None and ovs[0] == key[1]

    # -- tunnels ---------------------------------------------------------------------------

    def tunnels(self) -> list[tuple[Key, TunnelSpec]]:
        return [(k, s) for k, s in self.devices() if isinstance(s, TunnelSpec)]

    def node_ips(self, node: str) -> set[IPv4Address]:
        return {a.iface.ip for a in self.addrs if a.node == node}

    def remotes(self, spec: TunnelSpec) -> list[IPv4Address]:
        out = [spec.remote] if spec.remote is not None else []
        if isinstance(spec, VxlanSpec):
            out += [f.dst for f in spec.fdb if f.dst not in out]
        return out

    def points_at(self, a: tuple[Key, TunnelSpec], node: str) -> bool:
        ips = self.node_ips(node)
        return any(r in ips for r in self.remotes(a[1]))

    def tunnel_pairs(self) -> list[tuple[Key, Key]]:
        tun = self.tunnels()
        out = []
        for i, a in enumerate(tun):
            for b in tun[i + 1:]:
                if a[0][0] == b[0][0] or not same_segment(a[1], b[1]):
                    continue
                ga = getattr(a[1], "group", None)
                gb = getattr(b[1], "group", None)
                if (ga is not None and ga == gb) or (
                        self.points_at(a, b[0][0]) and self.points_at(b, a[0][0])):
                    out.append((a[0], b[0]))
        return out

    # -- routing ---------------------------------------------------------------------------

    def connected(self, node: str) -> list[Addr]:
        return [a for a in self.addrs if a.node == node and self.up((a.node, a.ifname))]

    def route(self, node: str, dst: IPv4Address) -> tuple[str, IPv4Address] | None:
        """(egress device, next hop) as ``fib_lookup`` would pick them, or None."""
        best: tuple[int, int, str, IPv4Address] | None = None
        for a in self.connected(node):
            if dst in a.iface.network:
                cand = (a.iface.network.prefixlen, 1, a.ifname, dst)
                best = cand if best is None or cand[:2] > best[:2] else best
        spec = self.lab.nodes.get(node)
        for r in spec.routes4 if spec is not None else []:
            if dst not in r.network4:
                continue
            hop = r.via4 if r.via4 is not None else dst
            dev = r.dev
            if dev is None:
                out = next((a for a in self.connected(node) if hop in a.iface.network), None)
                if out is None:
                    continue
                dev = out.ifname
            cand = (r.network.prefixlen, 0, dev, hop)
            best = cand if best is None or cand[:2] > best[:2] else best
        return None if best is None else (best[2], best[3])

    def source_for(self, node: str, dst: IPv4Address) -> IPv4Address | None:
        """The source address the node picks toward ``dst`` (its egress device's)."""
        r = self.route(node, dst)
        if r is None:
            return None
        mine = [a for a in self.addrs if (a.node, a.ifname) == (node, r[0])]
        for a in mine:
            if r[1] in a.iface.network:
                return a.iface.ip
        return mine[0].iface.ip if mine else None

    def owner_reachable(self, frm: Key, ip: IPv4Address) -> Key | None:
        """The device answering ARP for ``ip`` in ``frm``'s L2 domain."""
        dom = self.find(frm)
        for a in self.addrs:
            if a.iface.ip == ip and self.find((a.node, a.ifname)) == dom:
                return (a.node, a.ifname)
        return None

    def walk(self, src: str, dst: IPv4Address) -> Walk:
        w = Walk()
        node = src
        for _ in range(MAX_HOPS):
            if dst in self.node_ips(node):
                w.end, w.at = "delivered", node
                return w
            if node != src and not self.lab.nodes[node].ip_forward:
                w.end, w.at = "not-forwarding", node
                return w
            r = self.route(node, dst)
            if r is None:
                w.end, w.at = "no-route", node
                return w
            dev, hop = r
            to = self.owner_reachable((node, dev), hop)
            w.hops.append(Hop(node, dev, hop, to))
            if to is None:
                w.end, w.at = "no-neighbour", node
                return w
            node = to[0]
        w.at = node
        return w


def same_segment(a: TunnelSpec, b: TunnelSpec) -> bool:
    return a.type == b.type and a.id == b.id and _dstport(a) == _dstport(b)


def _dstport(spec: TunnelSpec) -> int:
    if isinstance(spec, VxlanSpec | GeneveSpec):
        return spec.dstport
    return 0


def ip(text: str) -> IPv4Address:
    return ipaddress.IPv4Address(text)


__all__ = ["Addr", "Hop", "LabView", "Walk", "ip", "same_segment"]
