"""A lab as a script of ``ip``/``bridge``/``sysctl`` commands (``vnetlab export --script``).

Design note
-----------
The script does what ``vnetlab.sim.build`` does, in the same order, as commands a person
would type: namespaces (``lo`` up, as the emulator's nodes have it), devices (each with its
MAC, so the result is the lab's state byte for byte), veth pairs, masters and bridge port
flags, bridge VLANs and ``vlan_filtering``, addresses, sysctls, links up (bridges first),
routes, static FDB entries, then the lab's own ``setup:``. A node named ``host`` is the
root namespace; every other node is ``ip netns add``-ed. The script starts with the
``# vnetlab: bare`` pragma: its root namespace has no emulated ``eth0`` of its own (the lab
says what ``host`` has). What no command can say (Geneve option TLVs, TUN/TAP programs)
raises ``ExportError``, never a silently different lab.
"""

from __future__ import annotations

import shlex

from vnetlab.model.order import build_order
from vnetlab.model.spec import (
    BridgeSpec,
    GeneveSpec,
    LabSpec,
    TunnelSpec,
    VlanSpec,
    VxlanSpec,
)


class ExportError(ValueError):
    """The lab uses something that has no command form."""


def _n(node: str) -> str:
    return "" if node == "host" else f"-n {node} "


def _exec(node: str) -> str:
    return "" if node == "host" else f"ip netns exec {node} "


def _fields(spec: object, *names: str) -> dict[str, object]:
    return {n: getattr(spec, n) for n in names if getattr(spec, n, None) is not None}


def export_script(lab: LabSpec) -> str:  # noqa: C901 - one step per build stage, in order
    out: list[str] = [
        f"# lab {lab.name}" + (f": {lab.description.strip()}" if lab.description else ""),
        "# written by `vnetlab export --script`; run it with `vnetlab script FILE`",
        "# vnetlab: bare",
        "set -e",
    ]
    peers: dict[tuple[str, str], tuple[str, str]] = {}
    for link in lab.links:
        a, b = link.endpoints
        peers[(a.node, a.ifname)] = (b.node, b.ifname)
        peers[(b.node, b.ifname)] = (a.node, a.ifname)
    for node in lab.nodes:
        if node != "host":
            out.append(f"ip netns add {node}")
    for node in lab.nodes:
        out.append(f"ip {_n(node)}link set lo up")
    # devices, in the emulator's build order; a veth pair once, from its first end
    done: set[tuple[str, str]] = set()
    nodes = {n: nspec.interfaces for n, nspec in lab.nodes.items()}
    order = build_order(nodes)
    rank = {key: i for i, key in enumerate(order)}
    items = [(node, ifname, nodes[node][ifname]) for node, ifname in order]
    for node, ifname, spec in items:
        key = (node, ifname)
        mtu = f" mtu {spec.mtu}" if spec.mtu not in (None, 1500) else ""
        addr = f" address {spec.mac}" if spec.mac else ""
        kind = spec.type
        if kind == "veth":
            if key in done or key not in peers:
                if key not in peers:
                    raise ExportError(f"{node}:{ifname} is a veth without a link")
                continue
            pn, pi = peers[key]
            pspec = lab.nodes[pn].interfaces[pi]
            pmtu = f" mtu {pspec.mtu}" if pspec.mtu not in (None, 1500) else ""
            paddr = f" address {pspec.mac}" if pspec.mac else ""
            netns = f" netns {pn}" if pn != node else ""
            out.append(f"ip {_n(node)}link add {ifname}{addr}{mtu} type veth peer name "
                       f"{pi}{paddr}{pmtu}{netns}")
            done.update({key, (pn, pi)})
        elif isinstance(spec, BridgeSpec):
            if spec.stp:
                raise ExportError(f"{node}:{ifname}: stp has no emulator support yet")
            opts = f" ageing_time {round(spec.ageing_time * 100)}"
            if spec.default_pvid != 1:
                opts += f" vlan_default_pvid {spec.default_pvid}"
            out.append(f"ip {_n(node)}link add {ifname}{addr}{mtu} type bridge{opts}")
        elif isinstance(spec, VlanSpec):
            out.append(f"ip {_n(node)}link add link {spec.link} name {ifname}{addr}{mtu} "
                       f"type vlan id {spec.id}")
        elif isinstance(spec, TunnelSpec):
            if isinstance(spec, GeneveSpec) and spec.options:
                raise ExportError(f"{node}:{ifname}: Geneve option TLVs have no ip "
                                  "command form")
            args = f"id {spec.id}"
            if spec.remote is not None:
                args += f" remote {spec.remote}"
            if isinstance(spec, VxlanSpec):
                if spec.group is not None:
                    args += f" group {spec.group}"
                if spec.local is not None:
                    args += f" local {spec.local}"
                if spec.dev is not None:
                    args += f" dev {spec.dev}"
                if not spec.learning:
                    args += " nolearning"
            args += f" dstport {spec.dstport}"  # type: ignore[attr-defined]
            if spec.ttl is not None:
                args += f" ttl {spec.ttl}"
            if spec.df != "unset":
                args += f" df {spec.df}"
            out.append(f"ip {_n(node)}link add {ifname}{addr}{mtu} type {kind} {args}")
            if isinstance(spec, VxlanSpec):
                for e in spec.fdb:
                    if e.mac == "00:00:00:00:00:00" and spec.remote is not None and str(
                            e.dst) == str(spec.remote):
                        continue
                    out.append(f"bridge {_n(node)}fdb append {e.mac} dev {ifname} "
                               f"dst {e.dst}")
        elif kind in ("tun", "tap"):
            if getattr(spec, "program", None):
                raise ExportError(f"{node}:{ifname}: a TUN/TAP program has no command "
                                  "form")
            out.append(f"ip {_n(node)}tuntap add dev {ifname} mode {kind}")
            if kind == "tap" and spec.mac:
                out.append(f"ip {_n(node)}link set {ifname} address {spec.mac}")
            if mtu:
                out.append(f"ip {_n(node)}link set {ifname}{mtu}")
        else:
            link = getattr(spec, "link", None)
            mode = getattr(spec, "mode", None)
            extra = f" mode {mode}" if mode else ""
            where, lk = node, ""
            if isinstance(link, str):
                lnode, _, lname = link.rpartition(":")
                where = lnode or node
                lk = f" link {lname}" + (f" netns {node}" if where != node else "")
            out.append(f"ip {_n(where)}link add {ifname}{lk}{addr}{mtu} type {kind}{extra}")
    for node, nspec in lab.nodes.items():
        ifaces = nspec.interfaces
        for ifname, spec in ifaces.items():
            if spec.master:
                out.append(f"ip {_n(node)}link set {ifname} master {spec.master}")
                bp = spec.bridge_port
                if bp is not None:
                    flags = [f"{k} {'on' if getattr(bp, k) else 'off'}"
                             for k, dflt in (("learning", True), ("flood", True),
                                             ("hairpin", False)) if getattr(bp, k) != dflt]
                    if flags:
                        out.append(f"bridge {_n(node)}link set dev {ifname} {' '.join(flags)}")
        for ifname, spec in ifaces.items():
            if not isinstance(spec, BridgeSpec):
                continue
            if spec.vlans is not None:
                if spec.default_pvid:
                    out.append(f"bridge {_n(node)}vlan del vid {spec.default_pvid} dev "
                               f"{ifname} self")
                for v in spec.vlans:
                    fl = (" pvid" if v.pvid else "") + (" untagged" if v.untagged else "")
                    out.append(f"bridge {_n(node)}vlan add vid {v.vid} dev {ifname} self{fl}")
            for port, pspec in ifaces.items():
                bp = pspec.bridge_port
                if pspec.master != ifname or bp is None or bp.vlans is None:
                    continue
                if spec.default_pvid:
                    out.append(f"bridge {_n(node)}vlan del vid {spec.default_pvid} dev {port}")
                for v in bp.vlans:
                    fl = (" pvid" if v.pvid else "") + (" untagged" if v.untagged else "")
                    out.append(f"bridge {_n(node)}vlan add vid {v.vid} dev {port}{fl}")
            if spec.vlan_filtering:
                out.append(f"ip {_n(node)}link set {ifname} type bridge vlan_filtering 1")
        for ifname, spec in ifaces.items():
            for a in spec.addresses:
                out.append(f"ip {_n(node)}addr add {a} dev {ifname}")
        for name, value in nspec.sysctls.items():
            out.append(f"{_exec(node)}sysctl -qw {name}={value}")
    for node, nspec in lab.nodes.items():
        ifaces = nspec.interfaces
        up_order = sorted(ifaces.items(),
                          key=lambda kv, n=node: (kv[1].type != "bridge", rank[(n, kv[0])]))
        for ifname, spec in up_order:
            if spec.up:
                out.append(f"ip {_n(node)}link set {ifname} up")
        for ifname, spec in up_order:
            if isinstance(spec, VlanSpec) and not spec.up:
                out.append(f"ip {_n(node)}link set {ifname} down")
    for node, nspec in lab.nodes.items():
        for r in nspec.routes:
            s = f"ip {_n(node)}route add {r.dst}"
            if r.via is not None:
                s += f" via {r.via}"
            if r.dev is not None:
                s += f" dev {r.dev}"
            if r.metric:
                s += f" metric {r.metric}"
            out.append(s)
        for spec in nspec.interfaces.values():
            if isinstance(spec, BridgeSpec):
                for e in spec.fdb:
                    out.append(f"bridge {_n(node)}fdb add {e.mac} dev {e.dev} master static")
    out.append("sleep 1  # bring-up settles, as when vnetlab builds the lab")
    if lab.setup:
        out.append("# the lab's own setup:")
        out.extend(lab.setup.rstrip("\n").split("\n"))
    return "\n".join(out) + "\n"


__all__ = ["ExportError", "export_script", "shlex"]
