"""iproute2-compatible output of the ``bridge`` command: ``fdb show``, ``link show``,
``vlan show``; the ``-j`` object and the plain lines rendered from it.

Design note
-----------
``bridge fdb show`` lists, per device in ifindex order, the bridge's entries learned or
added on that port, then the device's own ``self`` entries (its unicast and multicast
address lists, ``dev.mc``; a VXLAN's remote VTEPs instead); a bridge device lists its
self entries, then its own local entries; ``bridge vlan show`` uses iproute2 6.1's layout (one
object per device, ports in ifindex order, then the bridge itself).
"""

from __future__ import annotations

from vnetlab.script.args import Obj
from vnetlab.script.fmt import Ctx, flags, link_ref
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.bridge.port import STATE_NAMES
from vnetlab.sim.devices.vxlan import VxlanDevice
from vnetlab.sim.netdev import NetDevice, fdb_self_entries
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.netns import Namespace
from vnetlab.wire.mac import mac_to_str


def _self_entries(dev: NetDevice, self_fdb: dict[tuple[str, str], list[str]]) -> list[Obj]:
    """``ndo_dflt_fdb_dump``: the device's unicast list (``dev.uc``: ``bridge fdb add ...
    self``), then its multicast list (``dev.mc``: the groups IPv4/IPv6 and the bridge joined, in
    the order joined). A VXLAN has its own dump (``vxlan_fdb_dump``) and lists neither."""
    return [{"mac": mac_to_str(mac), "ifname": dev.name, "flags": ["self"],
             "state": "permanent"} for mac in fdb_self_entries(dev)]


def fdb_objs(ns: Namespace, self_fdb: dict[tuple[str, str], list[str]]) -> list[Obj]:
    """``bridge -j fdb show`` (``rtnl_fdb_dump``): per device in ifindex order, a port's
    entries in its bridge's table, then the device's own (self) entries; a bridge lists
    its self entries, then its own local entries (``br_fdb_dump``)."""
    out: list[Obj] = []
    devs = sorted(ns.devices.values(), key=lambda d: d.ifindex)
    for dev in devs:
        if isinstance(dev, BridgeDevice):
            out.extend(_self_entries(dev, self_fdb))
            for e in dev.fdb.values():
                if e.port is None:
                    o: Obj = {"mac": mac_to_str(e.mac), "ifname": dev.name}
                    if e.vid:
                        o["vlan"] = e.vid
                    o.update({"flags": [], "master": dev.name, "state": "permanent"})
                    out.append(o)
            continue
        port = dev.br_port
        if port is not None:
            br = port.bridge
            for e in br.fdb.values():
                if e.port is not port:
                    continue
                o = {"mac": mac_to_str(e.mac), "ifname": dev.name}
                if e.vid:
                    o["vlan"] = e.vid
                o["flags"] = []
                o["master"] = br.name
                o["state"] = "permanent" if e.local else "static" if e.static else ""
                out.append(o)
        out.extend(_self_entries(dev, self_fdb))
        if isinstance(dev, VxlanDevice):
            for mac, ve in dev.live_entries():
                for r in ve.remotes:
                    o = {"mac": mac_to_str(mac), "ifname": dev.name, "dst": ip_str(r)}
                    if mac == b"\x00" * 6 and r == dev.remote and dev.lower is not None:
                        o["viaIf"] = dev.lower.name  # the default entry of `remote .. dev ..`
                    o.update({"flags": ["self"], "state": "permanent" if ve.static else ""})
                    out.append(o)
    return out


def fdb_plain(o: Obj) -> str:
    s: str = o["mac"] + (f" dev {o['ifname']}" if "ifname" in o else "")
    if "vlan" in o:
        s += f" vlan {o['vlan']}"
    if "dst" in o:
        s += f" dst {o['dst']}"
    if "viaIf" in o:
        s += f" via {o['viaIf']}"
    for f in o["flags"]:
        s += f" {f}"
    if "master" in o:
        s += f" master {o['master']}"
    if o["state"]:
        s += f" {o['state']}"
    return s + (" " if not o["state"] and "master" in o else "")


def brlink_obj(dev: NetDevice, ctx: Ctx, details: bool = False) -> Obj:
    port = dev.br_port
    assert port is not None
    o: Obj = {"ifindex": dev.ifindex}
    ref, suffix, _ = link_ref(dev, ctx)
    if "link_index" in ref:
        # iproute2's bridge resolves the peer's ifindex in the *current* namespace (it does
        # not look at the link's netns): a same-numbered local device lends its name
        local = next((d for d in ctx.ns.devices.values() if d.ifindex == ref["link_index"]),
                     None)
        o["link"] = local.name if local is not None else suffix[1:]
    elif ref:
        o["link"] = suffix[1:]
    o["ifname"] = dev.name
    o["flags"] = flags(dev)
    o["mtu"] = dev.mtu
    o["master"] = port.bridge.name
    o["state"] = STATE_NAMES[port.state]
    o["priority"] = port.priority
    o["cost"] = port.path_cost
    if details:
        o.update({"hairpin": port.hairpin, "guard": False, "root_block": False,
                  "fastleave": False, "learning": port.learning, "flood": port.flood,
                  "mcast_flood": port.mcast_flood, "bcast_flood": port.bcast_flood,
                  "mcast_router": 1, "mcast_to_unicast": False,
                  "neigh_suppress": port.neigh_suppress,
                  "vlan_tunnel": False, "isolated": port.isolated, "locked": port.locked})
    return o


def brlink_plain(o: Obj) -> str:
    name = o["ifname"] + (f"@{o['link']}" if "link" in o else "")
    s = (f"{o['ifindex']}: {name}: <{','.join(o['flags'])}> mtu {o['mtu']} master "
         f"{o['master']} state {o['state']} priority {o['priority']} cost {o['cost']} ")
    if "hairpin" in o:
        s += "\n    " + " ".join(
            f"{k} {'on' if v is True else 'off' if v is False else v}"
            for k, v in o.items() if k not in (
                "ifindex", "link", "ifname", "flags", "mtu", "master", "state", "priority",
                "cost")) + " "
    return s


def vlan_objs(ns: Namespace) -> list[Obj]:
    """``bridge -j vlan show`` (iproute2 6.1 layout: one object per device)."""
    out: list[Obj] = []
    for br in sorted((d for d in ns.devices.values() if isinstance(d, BridgeDevice)),
                     key=lambda d: d.ifindex):
        owners = [(p.dev.ifindex, p.name, p.vlgrp) for p in br.port_list]
        owners.sort()
        owners.append((br.ifindex, br.name, br.vlgrp))
        for _, name, vg in owners:
            vlans = [{"vlan": vid, "flags": list(vg.flags(vid))} if vg.flags(vid)
                     else {"vlan": vid} for vid in sorted(vg.vlans)]
            if vlans:
                out.append({"ifname": name, "vlans": vlans})
    return out


def vlan_plain(objs: list[Obj]) -> list[str]:
    lines = ["port              vlan-id  "]
    for o in objs:
        for i, v in enumerate(o["vlans"]):
            first = f"{o['ifname']:<17} " if i == 0 else " " * 18
            fl = " ".join(v.get("flags", []))
            lines.append(f"{first}{v['vlan']}{(' ' + fl) if fl else ''}")
    return lines
