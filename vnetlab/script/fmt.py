"""iproute2-compatible output of devices and addresses (``ip link``/``ip addr``): plain,
``-br``, ``-s``, ``-d``, ``-j``.

Design note
-----------
Each show command builds the JSON object ``ip -j`` / ``bridge -j`` prints (same keys, same
key order, same value types, checked against iproute2 6.1 on a real kernel by
``tests/script/test_script_kernel.py``), and the plain and brief layouts are rendered
*from that object*, the way iproute2's ``print_*`` helpers write either form from one code
path. So the two forms never disagree. What the emulator does not model is left out
rather than invented: no ``qdisc`` other than ``noqueue``/``noop``, no broadcast (``brd``)
on IPv4 addresses. IPv6 addresses (``ns.ipv6``) print with the flag words and lifetimes of
``print_addrinfo``; ``ip -4``/``-6`` change the link part the way iproute2's family
filter does (no ``link/`` line; ``ip -6 addr`` without ``dev`` reads the IPv6 family's
own, shorter link dump).

The kind-specific ``ip -d`` detail is ``fmt_linkinfo`` (one entry per kind); routes and
neighbours are ``fmt_route``, the ``bridge`` command's objects ``fmt_bridge``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vnetlab.script.args import Obj
from vnetlab.script.fmt_linkinfo import PLAIN_KEYS, SLAVE_PLAIN_KEYS, linkinfo
from vnetlab.script.fmt_vf import vf_objs, vf_plain
from vnetlab.script.inet6 import dev_addrs6, ip6_text
from vnetlab.sim.clock import S
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.netns import Namespace
from vnetlab.wire.mac import mac_to_str

#: namespaces that stand for "the outside world" (the uplink behind the lab's eth0): a
#: device whose peer is there shows as a plain NIC, as a real host's eth0 does
HIDDEN_NS = ("vnl-uplink",)



def lower_of(dev: NetDevice) -> NetDevice | None:
    """The device DEV stacks on (vlan ``link``, macvlan/ipvlan parent), if any."""
    for attr in ("real_dev", "lowerdev", "lower_dev", "parent", "link"):
        v = getattr(dev, attr, None)
        if isinstance(v, NetDevice):
            return v
    return None


def operstate(dev: NetDevice) -> str:
    """IFLA_OPERSTATE as ``rfc2863_policy`` sets it (``NetDevice.operstate`` follows
    ``default_operstate``, incl. its iflink lookup in the device's own namespace, and
    says UNKNOWN for drivers that never report carrier)."""
    return dev.operstate


def flags(dev: NetDevice) -> list[str]:
    """The ``<...>`` of ``ip link``: the device's own flags, UP, LOWER_UP/NO-CARRIER."""
    out = list(dev.iff_flags)
    if dev.admin_up:
        out.append("UP")
        if dev.running:
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
    """``link/TYPE`` (``dev->type``)."""
    return dev.link_type


class Ctx:
    """What a formatter needs besides the device: the namespace and nsid lookup."""

    def __init__(self, ns: Namespace, nsid: Callable[[NetDevice], int],
                 ns_name: Callable[[str], str] | None = None) -> None:
        self.ns = ns
        self.nsid = nsid  # the nsid, seen from ns, of the namespace a device is in
        self.ns_name = ns_name or (lambda n: n)


def link_ref(dev: NetDevice, ctx: Ctx) -> tuple[Obj, str, str]:
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
    ref, _, _ = link_ref(dev, ctx)
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
    o["txqlen"] = dev.tx_queue_len
    o["link_type"] = link_type(dev)
    if o["link_type"] != "none":
        o["address"] = mac_to_str(dev.mac)
        o["broadcast"] = "00:00:00:00:00:00" if dev.kind == "loopback" else "ff:ff:ff:ff:ff:ff"
    if "link_index" in ref:
        other = getattr(dev, "peer", None) or lower_of(dev)
        assert other is not None  # link_ref found it
        o["link_netnsid"] = ctx.nsid(other)
    if details:
        o["promiscuity"] = getattr(dev, "promisc", 0) or 0
        o["allmulti"] = 0
        o["min_mtu"] = dev.min_mtu
        o["max_mtu"] = dev.max_mtu
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
    if with_mode or details:  # print_linkinfo: (do_link || show_details)
        vfs = vf_objs(dev, stats=stats)
        if vfs is not None:
            o["vfinfo_list"] = vfs
    return o


def addr_infos(ns: Namespace, dev: NetDevice, *, family: str | None = None,
               scope: str | None = None) -> list[Obj]:
    """``addr_info`` of DEV: IPv4 then IPv6 (the kernel dumps AF_INET before AF_INET6),
    only FAMILY's when one is given, only SCOPE's when ``scope`` filters."""
    out: list[Obj] = []
    if family in (None, "inet"):
        for a in ns.addrs.get(dev, []):
            sc = "host" if (a.local >> 24) == 127 else "global"
            out.append({"family": "inet", "local": ip_str(a.local), "prefixlen": a.plen,
                        "scope": sc, "label": dev.name,
                        "valid_life_time": 4294967295, "preferred_life_time": 4294967295})
    if family in (None, "inet6"):
        now = ns.sched.now
        out.extend(inet6_info(a, now) for a in dev_addrs6(ns, dev))
    if scope is not None:
        out = [o for o in out if o["scope"] == scope]
    return out


#: ``print_ifa_flags``: iproute2's table order; "permanent" prints as "dynamic" when absent
_IFA_FLAGS = ("nodad", "optimistic", "dadfailed", "home", "deprecated", "tentative",
              "permanent", "mngtmpaddr", "noprefixroute", "autojoin", "stable-privacy")
FOREVER = 4294967295


def _lft(lft: int | None, created_ns: int, now: int) -> int:
    """Seconds left of a lifetime (``ipv6_fill_ifaddr``: the lifetime minus its age)."""
    if lft is None:
        return FOREVER
    return max(0, lft - (now - created_ns) // S)


def inet6_info(a: Any, now: int) -> Obj:
    """One ``inet6`` entry of ``ip -j addr`` (``Inet6Addr``: ``struct inet6_ifaddr``)."""
    o: Obj = {"family": "inet6", "local": ip6_text(a.addr), "prefixlen": a.plen,
              "scope": a.scope}
    flags = set(a.flags)
    if a.prefered_lft == 0:
        flags.add("deprecated")
    for name in _IFA_FLAGS:
        if name == "permanent":
            if "permanent" not in flags:
                o["dynamic"] = True
        elif name in flags:
            o[name] = True
    o["valid_life_time"] = _lft(a.valid_lft, a.created_ns, now)
    o["preferred_life_time"] = _lft(a.prefered_lft, a.created_ns, now)
    return o


def addr_obj(dev: NetDevice, ctx: Ctx, *, details: bool = False, stats: bool = False,
             family: str | None = None, scope: str | None = None,
             short: bool = False) -> Obj:
    """One ``ip -j addr`` entry. With a FAMILY the link part has no ``link/...`` keys
    (``print_linkinfo`` prints them for AF_UNSPEC/AF_PACKET only); ``short`` is the
    IPv6 family's own link dump (``inet6_dump_ifinfo``), which ``ip -6 addr`` without
    ``dev`` reads: no qdisc, group, link-netns."""
    if short:
        o: Obj = {"ifindex": dev.ifindex}
        link = _inet6_iflink(dev, ctx)
        if link is not None:
            o["link"] = link
        o.update({"ifname": dev.name, "flags": flags(dev), "mtu": dev.mtu,
                  "operstate": operstate(dev), "txqlen": dev.tx_queue_len})
        if stats:
            o["stats64"] = link_obj(dev, ctx, stats=True)["stats64"]
    else:
        o = link_obj(dev, ctx, details=details, stats=stats, with_mode=False)
        if family is not None:
            for k in ("link_type", "address", "broadcast"):
                o.pop(k, None)
    o["addr_info"] = addr_infos(ctx.ns, dev, family=family, scope=scope)
    return o


def _inet6_iflink(dev: NetDevice, ctx: Ctx) -> str | None:
    """IFLA_LINK as ``inet6_fill_ifinfo`` puts it (only when it differs from the device's
    own ifindex, never with a netns id), named as ``ll_index_to_name`` does in the
    viewer's namespace: the device with that index there, else ``ifN``."""
    peer: NetDevice | None = dev.peer if isinstance(dev, Veth) else lower_of(dev)
    if peer is None or peer.ns.name in HIDDEN_NS or peer.ifindex == dev.ifindex:
        return None
    here = next((d for d in ctx.ns.devices.values() if d.ifindex == peer.ifindex), None)
    return here.name if here is not None else f"if{peer.ifindex}"


# -- plain and brief renderings -----------------------------------------------------------
def _name_at(dev: NetDevice, ctx: Ctx) -> str:
    return dev.name + link_ref(dev, ctx)[1]


def link_plain(o: Obj, dev: NetDevice, ctx: Ctx, *, addr: bool = False,
               stats: int = 0) -> list[str]:
    if "qdisc" not in o:  # the IPv6 family's short link dump (addr_obj short=True)
        name = dev.name + (f"@{o['link']}" if "link" in o else "")
        lines = [f"{o['ifindex']}: {name}: <{','.join(o['flags'])}> mtu {o['mtu']} "
                 f"state {o['operstate']} qlen {o['txqlen']}"]
    else:
        head = (f"{o['ifindex']}: {_name_at(dev, ctx)}: <{','.join(o['flags'])}> "
                f"mtu {o['mtu']} qdisc {o['qdisc']}")
        if "master" in o:
            head += f" master {o['master']}"
        head += f" state {o['operstate']}"
        if not addr:
            head += " mode DEFAULT"
        head += f" group default qlen {o['txqlen']}"
        lines = [head]
        if "link_type" not in o:  # a family filter: no link/ line, link-netns ends the head
            lines[0] += link_ref(dev, ctx)[2]
        elif o["link_type"] == "none":
            lines.append("    link/none ")
        else:
            line = f"    link/{o['link_type']} {o['address']} brd {o['broadcast']}"
            tail = link_ref(dev, ctx)[2]
            if tail:
                line += tail
            lines.append(line)
    info = o.get("linkinfo")
    if info:
        lines.append("    " + _info_plain(info))
    # with a family filter (no link/ line) iproute2 prints the counters after the
    # addresses, as measured for ip -6 -s addr; otherwise with the link part
    late = addr and "link_type" not in o
    if stats and "stats64" in o and not late:
        lines.extend(_stats_plain(o))
    lines.extend(vf_plain(o.get("vfinfo_list", [])))
    if addr:
        for a in o.get("addr_info", []):
            lines.extend(addr_plain(a))
    if stats and "stats64" in o and late:
        lines.extend(_stats_plain(o))
    return lines


def _stats_plain(o: Obj) -> list[str]:
    rx, tx = o["stats64"]["rx"], o["stats64"]["tx"]
    return ["    RX:  bytes packets errors dropped  missed   mcast           ",
            f"    {rx['bytes']:>10} {rx['packets']:>7} {rx['errors']:>6} "
            f"{rx['dropped']:>7} {0:>7} {rx['multicast']:>7} ",
            "    TX:  bytes packets errors dropped carrier collsns           ",
            f"    {tx['bytes']:>10} {tx['packets']:>7} {tx['errors']:>6} "
            f"{tx['dropped']:>7} {tx['carrier_errors']:>7} {tx['collisions']:>7} "]


def brief_obj(o: Obj, *, addr: bool) -> Obj:
    """``ip -j -br``: the link reference, name, operstate, then the addresses (local and
    prefix length only) or the MAC and flags (``print_linkinfo_brief``)."""
    b: Obj = {k: o[k] for k in ("link", "link_index") if k in o}
    b["ifname"] = o["ifname"]
    b["operstate"] = o["operstate"]
    if addr:
        b["addr_info"] = [{"local": a["local"], "prefixlen": a["prefixlen"]}
                          for a in o.get("addr_info", [])]
    else:
        if "address" in o:
            b["address"] = o["address"]
        b["flags"] = o["flags"]
    return b


def _lft_text(v: int) -> str:
    return "forever" if v == FOREVER else f"{v}sec"


def addr_plain(a: Obj) -> list[str]:
    """The two lines of one address (``print_addrinfo``): IPv4 ends with its label,
    IPv6 with its flag words, each followed by a space."""
    if a["family"] == "inet":
        first = f"    inet {a['local']}/{a['prefixlen']} scope {a['scope']} {a['label']}"
    else:
        words = [k for k in a if a[k] is True]
        first = (f"    inet6 {a['local']}/{a['prefixlen']} scope {a['scope']} "
                 + "".join(f"{w} " for w in words))
    return [first, f"       valid_lft {_lft_text(a['valid_life_time'])} "
                   f"preferred_lft {_lft_text(a['preferred_life_time'])}"]


def _info_plain(info: Obj) -> str:
    parts = [info["info_kind"]] if "info_kind" in info else []
    for k, v in info.get("info_data", {}).items():
        k = PLAIN_KEYS.get(k, k)
        if isinstance(v, bool):
            parts.append(k if v else f"no{k}")
        elif isinstance(v, list):
            parts.append(f"{k} <{','.join(v)}>")
        elif isinstance(v, float):  # the STP timers: "%7.2f"
            parts.append(f"{k} {v:7.2f}")
        else:
            parts.append(f"{k} {v}")
    if "info_slave_kind" in info:
        parts.append(info["info_slave_kind"] + "_slave")
        for k, v in info["info_slave_data"].items():
            k = SLAVE_PLAIN_KEYS.get(k, k)
            if isinstance(v, float):
                parts.append(f"{k} {v:7.2f}")
            else:
                parts.append(f"{k} {'on' if v is True else 'off' if v is False else v}")
    return " ".join(str(p) for p in parts) + " "


def link_brief(o: Obj, dev: NetDevice, ctx: Ctx, *, addr: bool = False) -> str:
    name = dev.name + (f"@{o['link']}" if "link" in o else "") if "qdisc" not in o else (
        _name_at(dev, ctx))
    line = f"{name:<16} {o['operstate']:<14} "
    if addr:
        line += "".join(f"{a['local']}/{a['prefixlen']} " for a in o.get("addr_info", []))
    else:
        line += f"{o.get('address', ''):<17} <{','.join(o['flags'])}> "
    return line
