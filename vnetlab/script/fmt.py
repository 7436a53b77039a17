"""iproute2-compatible output of the emulator's state: plain, ``-br``, ``-s``, ``-d``, ``-j``.

Design note
-----------
Each show command builds the JSON object ``ip -j`` / ``bridge -j`` prints (same keys, same
key order, same value types, checked against iproute2 6.1 on a real kernel by
``tests/script/test_script_kernel.py``), and the plain and brief layouts are rendered
*from that object*, the way iproute2's ``print_*`` helpers write either form from one code
path. So the two forms never disagree. What the emulator does not model is left out
rather than invented: no IPv6 link-local addresses, no multicast ``self`` FDB entries, no
``qdisc`` other than ``noqueue``/``noop``, no broadcast (``brd``) on addresses.
"""

from __future__ import annotations

from typing import Any

from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.bridge.port import STATE_NAMES
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.netns import Namespace
from vnetlab.wire.mac import mac_to_str

Obj = dict[str, Any]

#: namespaces that stand for "the outside world" (the uplink behind the lab's eth0): a
#: device whose peer is there shows as a plain NIC, as a real host's eth0 does
HIDDEN_NS = ("vnl-uplink",)

#: kinds whose driver never reports an operational state: "UNKNOWN" when up (as ip shows)
NO_OPERSTATE = ("loopback", "vxlan", "geneve", "tun", "tap", "dummy")
#: kinds with IFF_POINTOPOINT|IFF_NOARP and no link-layer address
L3_KINDS = ("tun", "ipip", "gre", "wireguard")


def lower_of(dev: NetDevice) -> NetDevice | None:
    """The device DEV stacks on (vlan ``link``, macvlan/ipvlan parent), if any."""
    for attr in ("real_dev", "lowerdev", "lower_dev", "parent", "link"):
        v = getattr(dev, attr, None)
        if isinstance(v, NetDevice):
            return v
    return None


def operstate(dev: NetDevice) -> str:
    """IFLA_OPERSTATE as ``rfc2863_policy`` sets it (``NetDevice.operstate`` follows
    ``default_operstate``, incl. its iflink lookup in the device's own namespace)."""
    if dev.kind in NO_OPERSTATE and dev.admin_up:
        return "UNKNOWN"
    return dev.operstate


def flags(dev: NetDevice) -> list[str]:
    kind = dev.kind
    if kind == "loopback":
        out = ["LOOPBACK"]
    elif kind in L3_KINDS:
        out = ["POINTOPOINT", "MULTICAST", "NOARP"]
    else:
        out = ["BROADCAST", "MULTICAST"]
    if dev.admin_up:
        out.append("UP")
        if dev.running or kind in NO_OPERSTATE:
            out.append("LOWER_UP")
        else:
            out.insert(0, "NO-CARRIER")
    # iproute2 prints M-DOWN when the device's link (IFLA_LINK, resolved in the same
    # namespace: a veth peer, a vlan's parent) is not administratively up
    link = dev.peer if isinstance(dev, Veth) else lower_of(dev)
    if link is not None and link.ns is dev.ns and not link.admin_up:
        out.append("M-DOWN")
    return out


def link_type(dev: NetDevice) -> str:
    if dev.kind == "loopback":
        return "loopback"
    return "none" if dev.kind in L3_KINDS else "ether"


class Ctx:
    """What a formatter needs besides the device: the namespace and nsid lookup."""

    def __init__(self, ns: Namespace, nsid: Any, ns_name: Any = None) -> None:
        self.ns = ns
        self.nsid = nsid  # callable name -> int
        self.ns_name = ns_name or (lambda n: n)


def _link_ref(dev: NetDevice, ctx: Ctx) -> tuple[Obj, str, str]:
    """(json keys, "@suffix" for plain output, " link-netns X" tail)."""
    peer: NetDevice | None = dev.peer if isinstance(dev, Veth) else lower_of(dev)
    if peer is None or peer.ns.name in HIDDEN_NS:
        return {}, "", ""
    if peer.ns is dev.ns:
        return {"link": peer.name}, f"@{peer.name}", ""
    return ({"link_index": peer.ifindex}, f"@if{peer.ifindex}",
            f" link-netns {ctx.ns_name(peer.ns.name)}")


def link_obj(dev: NetDevice, ctx: Ctx, *, details: bool = False, stats: bool = False,
             with_mode: bool = True) -> Obj:
    """One ``ip -j link show`` entry (``with_mode=False``: the ``ip -j addr`` variant)."""
    o: Obj = {"ifindex": dev.ifindex}
    ref, _, _ = _link_ref(dev, ctx)
    if "link_index" in ref:
        o["link_index"] = ref["link_index"]
    elif "link" in ref:
        o["link"] = ref["link"]
    o["ifname"] = dev.name
    o["flags"] = flags(dev)
    o["mtu"] = dev.mtu
    o["qdisc"] = "noqueue" if dev.admin_up else "noop"
    if dev.master is not None:
        o["master"] = dev.master.name
    o["operstate"] = operstate(dev)
    if with_mode:
        o["linkmode"] = "DEFAULT"
    o["group"] = "default"
    o["txqlen"] = 500 if dev.kind in ("tun", "tap") else 1000
    o["link_type"] = link_type(dev)
    if o["link_type"] != "none":
        o["address"] = mac_to_str(dev.mac)
        o["broadcast"] = "00:00:00:00:00:00" if dev.kind == "loopback" else "ff:ff:ff:ff:ff:ff"
    if "link_index" in ref:
        o["link_netnsid"] = ctx.nsid(getattr(dev, "peer", None) or lower_of(dev))
    if details:
        o["promiscuity"] = getattr(dev, "promisc", 0) or 0
        o["allmulti"] = 0
        o["min_mtu"] = 0 if dev.kind in ("loopback", "bridge") else 68
        o["max_mtu"] = 65535 if dev.kind != "loopback" else 0
        info = linkinfo(dev)
        if info:
            o["linkinfo"] = info
    if stats:
        o["stats64"] = {
            "rx": {"bytes": dev.rx_bytes, "packets": dev.rx_packets, "errors": 0,
                   "dropped": dev.rx_dropped, "over_errors": 0, "multicast": 0},
            "tx": {"bytes": dev.tx_bytes, "packets": dev.tx_packets, "errors": 0,
                   "dropped": dev.tx_dropped, "carrier_errors": 0, "collisions": 0},
        }
    return o


def linkinfo(dev: NetDevice) -> Obj:
    """``linkinfo`` of ``ip -d -j link``: the kind and its IFLA_INFO_DATA subset."""
    kind = dev.kind
    if kind == "loopback":
        return {}
    info: Obj = {"info_kind": kind}
    data: Obj = {}
    if isinstance(dev, BridgeDevice):
        data = {
            "forward_delay": 1500, "hello_time": 200, "max_age": 2000,
            "ageing_time": dev.ageing_time_ns // 10_000_000,
            "stp_state": int(dev.stp), "priority": 32768,
            "vlan_filtering": int(dev.vlan_enabled),
        }
        if dev.vlan_enabled:
            data["vlan_protocol"] = "802.1Q"
        data["vlan_default_pvid"] = dev.default_pvid
    elif kind == "vlan":
        data = {"protocol": "802.1Q", "id": dev.vlan_id,  # type: ignore[attr-defined]
                "flags": ["REORDER_HDR"]}
    elif kind in ("vxlan", "geneve"):
        d: Any = dev
        data = {"id": d.vni}
        if d.remote is not None:
            data["remote" if kind == "geneve" or d.remote >> 28 != 0xE else "group"] = (
                ip_str(d.remote))
        grp = getattr(d, "group", None)
        if grp is not None:
            data["group"] = ip_str(grp)
        if d.local is not None:
            data["local"] = ip_str(d.local)
        if d.lower is not None:
            data["link"] = d.lower.name
        data["ttl"] = d.ttl or 0
        data["df"] = d.df
        data["port"] = d.dstport
        if kind == "vxlan":
            data["learning"] = bool(d.learning)
    else:
        for attr in ("mode",):
            v = getattr(dev, attr, None)
            if isinstance(v, str):
                data[attr] = v
    if data:
        info["info_data"] = data
    port = dev.br_port
    if port is not None:
        info["info_slave_kind"] = "bridge"
        info["info_slave_data"] = {
            "state": port.state_name, "priority": 32, "cost": 2,
            "hairpin": port.hairpin, "learning": port.learning, "flood": port.flood,
            "mcast_flood": port.mcast_flood, "bcast_flood": port.bcast_flood,
        }
    return info


def addr_infos(ns: Namespace, dev: NetDevice) -> list[Obj]:
    out = []
    for a in ns.addrs.get(dev, []):
        scope = "host" if (a.local >> 24) == 127 else "global"
        out.append({"family": "inet", "local": ip_str(a.local), "prefixlen": a.plen,
                    "scope": scope, "label": dev.name,
                    "valid_life_time": 4294967295, "preferred_life_time": 4294967295})
    return out


def addr_obj(dev: NetDevice, ctx: Ctx, *, details: bool = False, stats: bool = False) -> Obj:
    o = link_obj(dev, ctx, details=details, stats=stats, with_mode=False)
    o["addr_info"] = addr_infos(ctx.ns, dev)
    return o


# -- plain and brief renderings -----------------------------------------------------------
def _name_at(dev: NetDevice, ctx: Ctx) -> str:
    return dev.name + _link_ref(dev, ctx)[1]


def link_plain(o: Obj, dev: NetDevice, ctx: Ctx, *, addr: bool = False,
               stats: int = 0) -> list[str]:
    head = f"{o['ifindex']}: {_name_at(dev, ctx)}: <{','.join(o['flags'])}> mtu {o['mtu']} "
    head += f"qdisc {o['qdisc']}"
    if "master" in o:
        head += f" master {o['master']}"
    head += f" state {o['operstate']}"
    if not addr:
        head += " mode DEFAULT"
    head += f" group default qlen {o['txqlen']}"
    lines = [head]
    if o["link_type"] == "none":
        lines.append("    link/none ")
    else:
        line = f"    link/{o['link_type']} {o['address']} brd {o['broadcast']}"
        tail = _link_ref(dev, ctx)[2]
        if tail:
            line += tail
        lines.append(line)
    info = o.get("linkinfo")
    if info:
        lines.append("    " + _info_plain(info))
    if stats and "stats64" in o:
        rx, tx = o["stats64"]["rx"], o["stats64"]["tx"]
        lines.append("    RX:  bytes packets errors dropped  missed   mcast           ")
        lines.append(f"    {rx['bytes']:>10} {rx['packets']:>7} {rx['errors']:>6} "
                     f"{rx['dropped']:>7} {0:>7} {rx['multicast']:>7} ")
        lines.append("    TX:  bytes packets errors dropped carrier collsns           ")
        lines.append(f"    {tx['bytes']:>10} {tx['packets']:>7} {tx['errors']:>6} "
                     f"{tx['dropped']:>7} {tx['carrier_errors']:>7} {tx['collisions']:>7} ")
    if addr:
        for a in o.get("addr_info", []):
            lines.append(f"    inet {a['local']}/{a['prefixlen']} scope {a['scope']} "
                         f"{a['label']}")
            lines.append("       valid_lft forever preferred_lft forever")
    return lines


def _info_plain(info: Obj) -> str:
    parts = [info["info_kind"]]
    for k, v in info.get("info_data", {}).items():
        if isinstance(v, bool):
            parts.append(k if v else f"no{k}")
        elif isinstance(v, list):
            parts.append(f"{k} <{','.join(v)}>")
        else:
            parts.append(f"{k} {v}")
    if "info_slave_kind" in info:
        parts.append(info["info_slave_kind"] + "_slave")
        for k, v in info["info_slave_data"].items():
            parts.append(f"{k} {'on' if v is True else 'off' if v is False else v}")
    return " ".join(str(p) for p in parts) + " "


def link_brief(o: Obj, dev: NetDevice, ctx: Ctx, *, addr: bool = False) -> str:
    name = _name_at(dev, ctx)
    line = f"{name:<16} {o['operstate']:<14} "
    if addr:
        line += "".join(f"{a['local']}/{a['prefixlen']} " for a in o.get("addr_info", []))
    else:
        line += f"{o.get('address', ''):<17} <{','.join(o['flags'])}> "
    return line


# -- routes, neighbours -------------------------------------------------------------------
def route_obj(r: Any) -> Obj:
    o: Obj = {"dst": r.dst_str}
    if r.via is not None:
        o["gateway"] = ip_str(r.via)
    o["dev"] = r.dev.name
    if r.proto != "boot":
        o["protocol"] = r.proto
    if r.scope != "global":
        o["scope"] = r.scope
    if r.prefsrc is not None:
        o["prefsrc"] = ip_str(r.prefsrc)
    if r.metric:
        o["metric"] = r.metric
    o["flags"] = ["linkdown"] if not r.dev.running and r.dev.kind not in NO_OPERSTATE else []
    return o


def route_plain(o: Obj) -> str:
    s = o["dst"]
    if "gateway" in o:
        s += f" via {o['gateway']}"
    s += f" dev {o['dev']}"
    if "protocol" in o:
        s += f" proto {o['protocol']}"
    if "scope" in o:
        s += f" scope {o['scope']}"
    if "prefsrc" in o:
        s += f" src {o['prefsrc']}"
    if "metric" in o:
        s += f" metric {o['metric']}"
    for f in o.get("flags", []):
        s += f" {f}"
    return s + " "


def neigh_obj(n: Any) -> Obj:
    o: Obj = {"dst": ip_str(n.ip), "dev": n.dev.name}
    if n.lladdr is not None and n.state not in ("INCOMPLETE", "FAILED"):
        o["lladdr"] = mac_to_str(n.lladdr)
    o["state"] = [n.state]
    return o


def neigh_plain(o: Obj) -> str:
    s = o["dst"] + (f" dev {o['dev']}" if "dev" in o else "")
    if "lladdr" in o:
        s += f" lladdr {o['lladdr']}"
    return s + " " + " ".join(o["state"]) + " "


# -- bridge -------------------------------------------------------------------------------
def fdb_objs(ns: Namespace, self_fdb: dict[tuple[str, str], list[str]]) -> list[Obj]:
    """``bridge -j fdb show``: per port device (ifindex order), then self entries."""
    from vnetlab.sim.devices.vxlan import VxlanDevice

    out: list[Obj] = []
    devs = sorted(ns.devices.values(), key=lambda d: d.ifindex)
    for dev in devs:
        if isinstance(dev, BridgeDevice):
            continue
        port = dev.br_port
        if port is not None:
            br = port.bridge
            for e in br.fdb.values():
                if e.port is not port:
                    continue
                o: Obj = {"mac": mac_to_str(e.mac), "ifname": dev.name}
                if e.vid:
                    o["vlan"] = e.vid
                o["flags"] = []
                o["master"] = br.name
                o["state"] = "permanent" if e.local else "static" if e.static else ""
                out.append(o)
        for mac in self_fdb.get((ns.name, dev.name), []):
            out.append({"mac": mac, "ifname": dev.name, "flags": ["self"],
                        "state": "permanent"})
        if isinstance(dev, VxlanDevice):
            for mac, e in dev.live_entries():
                for r in e.remotes:
                    o = {"mac": mac_to_str(mac), "ifname": dev.name, "dst": ip_str(r)}
                    if mac == b"\x00" * 6 and r == dev.remote and dev.lower is not None:
                        o["viaIf"] = dev.lower.name  # the default entry of `remote .. dev ..`
                    o.update({"flags": ["self"], "state": "permanent" if e.static else ""})
                    out.append(o)
    for br in (d for d in devs if isinstance(d, BridgeDevice)):
        for e in br.fdb.values():
            if e.port is None:
                o = {"mac": mac_to_str(e.mac), "ifname": br.name}
                if e.vid:
                    o["vlan"] = e.vid
                o.update({"flags": [], "master": br.name, "state": "permanent"})
                out.append(o)
    return out


def fdb_plain(o: Obj) -> str:
    s = o["mac"] + (f" dev {o['ifname']}" if "ifname" in o else "")
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
    ref, suffix, _ = _link_ref(dev, ctx)
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
    o["priority"] = 32
    o["cost"] = 2
    if details:
        o.update({"hairpin": port.hairpin, "guard": False, "root_block": False,
                  "fastleave": False, "learning": port.learning, "flood": port.flood,
                  "mcast_flood": port.mcast_flood, "bcast_flood": port.bcast_flood,
                  "mcast_router": 1, "mcast_to_unicast": False, "neigh_suppress": False,
                  "vlan_tunnel": False, "isolated": False, "locked": False})
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
