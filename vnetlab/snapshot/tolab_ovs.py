"""The Open vSwitch half of ``vnetlab.snapshot.tolab``: a node's OVS bridges -> its ``ovs:``.

Design note
-----------
OVSDB's own columns, as ``vnetlab.model.ovs`` spells them: the bridge's ``fail_mode``,
``datapath_type``, the ``other_config`` keys the lab models (``hwaddr`` is the bridge's MAC,
which ``mac`` carries), ports with their type, the options their type takes, ``ofport``
as ``ofport_request`` (so flows naming numbers keep meaning the same ports), ``tag``,
``trunks``, ``vlan_mode``; internal ports and the bridge's own port with their addresses
and MAC from the namespace's dumps; mirrors, flows and groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vnetlab.model.ovs import BRIDGE_OTHER_CONFIG, PORT_OPTIONS
from vnetlab.snapshot.state import OvsBridge

if TYPE_CHECKING:
    from vnetlab.snapshot.tolab import _Node


def ovs_bridge(node: _Node, br: OvsBridge) -> dict[str, Any]:
    """One OVS bridge as the lab's ``ovs:`` entry (OVSDB's words)."""
    spec: dict[str, Any] = {}
    if br.fail_mode in ("standalone", "secure"):
        spec["fail_mode"] = br.fail_mode
    if br.datapath_type in ("system", "netdev"):
        spec["datapath_type"] = br.datapath_type
    own = node.ns.links.get(br.name)
    if node.addrs.get(br.name):
        spec["addresses"] = node.addrs[br.name]
    if own is not None and own.mac:
        spec["mac"] = own.mac
    if own is not None and not own.admin_up:
        spec["up"] = False
    oc = {k: v for k, v in br.other_config.items() if k in BRIDGE_OTHER_CONFIG}
    if oc:
        spec["other_config"] = oc
    # hwaddr is the bridge's MAC, which ``mac`` carries
    dropped = sorted(set(br.other_config) - set(oc) - {"hwaddr"})
    if dropped:
        node.note(f"{br.name}: OVS other_config {', '.join(dropped)} not carried")
    ports: dict[str, Any] = {}
    for p in br.ports.values():
        if p.name == br.name:
            continue
        ps: dict[str, Any] = {}
        if p.type != "system":
            if p.type not in PORT_OPTIONS:
                node.note(f"{br.name}: OVS port {p.name} of type {p.type} not carried")
                continue
            ps["type"] = p.type
        opts = {k: v for k, v in p.options.items() if k in PORT_OPTIONS.get(p.type, ())}
        if opts:
            ps["options"] = opts
        if p.ofport is not None:
            ps["ofport_request"] = p.ofport
        if p.tag is not None:
            ps["tag"] = p.tag
        if p.trunks:
            ps["trunks"] = p.trunks
        if p.vlan_mode:
            ps["vlan_mode"] = p.vlan_mode
        if p.type == "internal":
            link = node.ns.links.get(p.name)
            if node.addrs.get(p.name):
                ps["addresses"] = node.addrs[p.name]
            if link is not None and link.mac:
                ps["mac"] = link.mac
            if link is not None and not link.admin_up:
                ps["up"] = False
        ports[p.name] = ps
    spec["ports"] = ports
    mirrors = {}
    for m in br.mirrors:
        ms: dict[str, Any] = {}
        for key in ("select_src_port", "select_dst_port", "select_vlan"):
            if getattr(m, key):
                ms[key] = getattr(m, key)
        if m.select_all:
            ms["select_all"] = True
        if m.output_port:
            ms["output_port"] = m.output_port
        if m.output_vlan is not None:
            ms["output_vlan"] = m.output_vlan
        mirrors[m.name] = ms
    if mirrors:
        spec["mirrors"] = mirrors
    if br.flows:
        spec["flows"] = br.flows
    if br.groups:
        spec["groups"] = br.groups
    return spec
