"""``ip`` (iproute2) on the emulator: link, addr, route, neigh, netns, tuntap.

Design note
-----------
Argument parsing follows iproute2's own (``iplink_parse``, ``ipaddr_modify``,
``iproute_modify``, ``ipneigh_modify``): objects and verbs may be abbreviated the way
``matches()`` allows, ``dev`` is optional where iproute2 makes it so, and errors are the
messages iproute2 or the kernel (via ``RTNETLINK answers:``/extack ``Error:``) print.
Device creation goes through the model's spec class for the kind (so the same validation
and defaults apply as in a lab file) and the emulator's builder table; both tables are
read at run time. Each change calls the emulator's own mutation method for the kernel
operation it stands for (``Namespace.add_addr``/``del_addr``/``unregister``/
``move_device``, ``BridgeDevice.add_port``, ``Fib.add`` ...).
"""

from __future__ import annotations

import inspect
import ipaddress
from typing import Any

from pydantic import ValidationError

from vnetlab.model import spec as model_spec
from vnetlab.script import fmt
from vnetlab.script.args import Args, Env, matches
from vnetlab.script.errors import NotSupportedYet
from vnetlab.sim import build as sim_build
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import InetAddr, ip_int, ip_str
from vnetlab.sim.stack.fib import Route, RouteExists
from vnetlab.sim.stack.neigh import NUD_PERMANENT, NUD_REACHABLE, NUD_STALE
from vnetlab.wire.mac import mac_to_bytes, mac_to_str

#: device kinds Linux has (``ip link add ... type KIND``); others are "Unknown device type"
LINUX_KINDS = {
    "veth", "bridge", "vlan", "vxlan", "geneve", "macvlan", "macvtap", "ipvlan", "ipvtap",
    "dummy", "bond", "team", "ifb", "gre", "gretap", "ip6gre", "ip6gretap", "ipip", "sit",
    "vti", "ip6tnl", "wireguard", "vrf", "nlmon", "xfrm", "bareudp", "netdevsim", "hsr",
    "gtp", "amt", "can", "vcan", "vxcan", "erspan", "macsec", "batadv", "rmnet", "ipoib",
    "lowpan", "virt_wifi",
}
_OBJECTS = ["address", "addrlabel", "maddress", "route", "rule", "neighbor", "neighbour",
            "ntable", "link", "l2tp", "fou", "macsec", "tunnel", "tuntap", "tap", "token",
            "tcpmetrics", "monitor", "xfrm", "mroute", "mrule", "netns", "netconf", "vrf",
            "sr", "nexthop", "mptcp", "ioam", "stats", "help"]


def _spec_tables() -> tuple[dict[str, Any], dict[str, Any]]:
    """The model's and the emulator's kind tables, read now (others may add kinds)."""
    return model_spec.SPEC_BY_KIND, sim_build.DEVICE_BUILDERS


def kind_supported(kind: str) -> str | None:
    """None when the emulator can build KIND, else the reason it cannot."""
    specs, builders = _spec_tables()
    if kind not in specs:
        return f"the lab model has no '{kind}' device kind yet"
    if kind not in builders:
        return f"the emulator has no '{kind}' device yet"
    return None


def _validation_message(e: ValidationError) -> str:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err.get("loc", ()) if not str(x).startswith("function"))
    msg = str(err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def run_ip(argv: list[str], env: Env, run_sub: Any) -> int:
    a = Args(argv, env)
    opts = env.opts
    while a.more() and a.peek().startswith("-"):  # type: ignore[union-attr]
        o = a.next().lstrip("-")
        if o in ("n", "netns"):
            ns = a.value("-n")
            if ns not in env.world.namespaces:
                raise env.fail(f'Cannot open network namespace "{ns}": No such file or '
                               "directory", rc=255)
            env.ns_name = ns
        elif o in ("j", "json"):
            opts["json"] = True
        elif o in ("br", "brief"):
            opts["brief"] = True
        elif o in ("s", "stats", "statistics"):
            opts["stats"] = opts.get("stats", 0) + 1
        elif o in ("d", "details"):
            opts["details"] = True
        elif o in ("p", "pretty"):
            opts["pretty"] = True
        elif o.startswith("c") or o in ("4", "o", "oneline", "N", "numeric"):
            pass  # colour, family inet (the only one here), one-line: output unchanged
        elif o in ("6",):
            raise NotSupportedYet("ip -6", "the emulator's stack is IPv4 only",
                                  lineno=env.lineno)
        elif o in ("V", "Version"):
            env.out("ip utility, iproute2-6.1.0 (vnetlab emulator)")
            return 0
        else:
            raise env.fail(f'Option "-{o}" is unknown, try "ip -help".', rc=255)
    if not a.more():
        raise env.fail("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }", rc=255)
    word = a.next()
    obj = next((o for o in _OBJECTS if matches(word, o)), None)
    handlers = {
        "link": ip_link, "address": ip_addr, "route": ip_route, "neighbor": ip_neigh,
        "neighbour": ip_neigh, "netns": ip_netns, "tuntap": ip_tuntap, "tap": ip_tuntap,
    }
    if obj is None:
        raise env.fail(f'Object "{word}" is unknown, try "ip help".', rc=255)
    if obj not in handlers:
        raise NotSupportedYet(f"ip {obj}", lineno=env.lineno)
    if obj == "netns":
        return ip_netns(a, env, run_sub)
    return handlers[obj](a, env)  # type: ignore[operator]


# == ip link ===============================================================================
def ip_link(a: Args, env: Env) -> int:
    verb = a.next() if a.more() else "show"
    if matches(verb, "add"):
        return link_add(a, env)
    if matches(verb, "delete"):
        return link_del(a, env)
    if matches(verb, "set") or matches(verb, "change"):
        return link_set(a, env)
    if matches(verb, "show") or matches(verb, "list") or verb == "lst":
        return link_show(a, env, addr=False)
    if verb == "help":
        env.out("Usage: ip link add [link DEV] [ name ] NAME type TYPE [ ARGS ]")
        return 0
    raise env.fail(f'Command "{verb}" is unknown, try "ip link help".', rc=255)


def _ns_for_netns(env: Env, name: str) -> Any:
    if name.isdigit():
        raise NotSupportedYet(f"netns {name} (a process id)",
                              "name the namespace (ip netns add NAME) instead",
                              lineno=env.lineno)
    ns = env.world.namespaces.get(name)
    if ns is None:
        raise env.fail(f'Invalid "netns" value "{name}"', rc=255)
    return ns


def link_add(a: Args, env: Env) -> int:
    name = None
    link = None
    mtu = None
    mac = None
    netns = None
    up = False
    kind = None
    while a.more():
        w = a.next()
        if w == "type":
            kind = a.value("type")
            break
        if w == "name" or w == "dev":
            name = a.value(w)
        elif w == "link":
            link = a.value("link")
        elif w == "mtu":
            mtu = a.uint("mtu", 0, 2**31)
        elif w in ("address", "addr"):
            mac = a.mac(w)
        elif w == "netns":
            netns = a.value("netns")
        elif w == "up":
            up = True
        elif w in ("txqueuelen", "txqlen", "qlen", "numtxqueues", "numrxqueues", "group",
                   "alias", "broadcast", "brd"):
            a.value(w)
        elif name is None:
            name = w
        else:
            raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.', rc=255)
    if kind is None:
        raise env.fail('Not enough information: "type" argument is required', rc=255)
    if name is None:
        raise env.fail('Not enough information: "dev" argument is required.', rc=255)
    try:
        model_spec.check_ifname(name)
    except ValueError:
        raise env.fail(f'Error: argument "{name}" is wrong: "name" not a valid ifname',
                       rc=255) from None
    ns = env.ns if netns is None else _ns_for_netns(env, netns)
    if kind not in LINUX_KINDS:
        raise env.fail("Error: Unknown device type.", rc=2)
    why = kind_supported(kind)
    if why is not None:
        raise NotSupportedYet(f"ip link add ... type {kind}", why, lineno=env.lineno)
    if name in ns.devices:
        raise env.fail("RTNETLINK answers: File exists", rc=2)
    lower = None
    if link is not None:  # the lower device is looked up where the command runs
        lower = env.ns.devices.get(link)
        if lower is None:
            raise env.fail(f'Cannot find device "{link}"')
    kargs = a.rest()
    if kind == "veth":
        dev = _add_veth(env, ns, name, kargs, mtu or 1500, mac)
    elif kind == "bridge":
        dev = _add_bridge(env, ns, name, kargs, mtu, mac)
    else:
        dev = _add_generic(env, ns, name, kind, kargs, lower, mtu, mac)
    if up:
        dev.set_admin(True)
    return 0


def _add_veth(env: Env, ns: Any, name: str, kargs: list[str], mtu: int,
              mac: bytes | None) -> NetDevice:
    world = env.world
    peer_name = None
    peer_ns = ns
    peer_mac = None
    peer_mtu = mtu
    b = Args(kargs, env)
    if b.more():
        if b.next() != "peer":
            raise env.fail(f'Error: either "dev" is duplicate, or "{kargs[0]}" is a garbage.',
                           rc=255)
        while b.more():
            w = b.next()
            if w in ("name", "dev"):
                peer_name = b.value(w)
            elif w == "netns":
                peer_ns = _ns_for_netns(env, b.value("netns"))
            elif w in ("address", "addr"):
                peer_mac = b.mac(w)
            elif w == "mtu":
                peer_mtu = b.uint("mtu", 0, 2**31)
            elif peer_name is None:
                peer_name = w
            else:
                raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.',
                               rc=255)
    if peer_name is None:  # the kernel names it vethN
        n = 0
        while f"veth{n}" in peer_ns.devices or (peer_ns is ns and f"veth{n}" == name):
            n += 1
        peer_name = f"veth{n}"
    if peer_name in peer_ns.devices or (peer_ns is ns and peer_name == name):
        raise env.fail("RTNETLINK answers: File exists", rc=2)
    _check_mtu(env, mtu, 68, 65535)
    dev = world.add_veth(ns, name, peer_ns, peer_name, mtu, mac, peer_mac)
    if peer_mtu != mtu and isinstance(dev.peer, Veth):
        dev.peer.set_mtu(peer_mtu)
    if peer_ns is not ns:
        world.link_nsids(ns.name, peer_ns.name)
    return dev


def _check_mtu(env: Env, mtu: int, lo: int, hi: int) -> None:
    if mtu < lo:
        raise env.fail("Error: mtu less than device minimum.", rc=2)
    if mtu > hi:
        raise env.fail("Error: mtu greater than device maximum.", rc=2)


BRIDGE_UNMODELLED = ("forward_delay", "hello_time", "max_age", "priority", "mcast_snooping",
                     "mcast_querier", "group_fwd_mask", "nf_call_iptables", "vlan_protocol",
                     "vlan_stats_enabled", "mcast_router")


def _bridge_opts(env: Env, kargs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    b = Args(kargs, env)
    while b.more():
        w = b.next()
        if w == "stp_state":
            out["stp"] = bool(b.uint(w, 0, 1))
        elif w == "vlan_filtering":
            out["vlan_filtering"] = bool(b.uint(w, 0, 1))
        elif w == "ageing_time":
            out["ageing_time"] = b.uint(w) / 100.0  # centiseconds, as iproute2 takes it
        elif w == "vlan_default_pvid":
            out["default_pvid"] = b.uint(w, 0, 4094)
        elif w in BRIDGE_UNMODELLED:
            b.value(w)
            env.err(f"vnetlab: bridge option {w} is accepted but not modelled by the "
                    "emulator")
        else:
            raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.', rc=255)
    if out.get("stp") and "bridge.stp" in sim_build.UNSUPPORTED:
        raise NotSupportedYet("bridge stp_state 1", sim_build.UNSUPPORTED["bridge.stp"],
                              lineno=env.lineno)
    return out


def _add_bridge(env: Env, ns: Any, name: str, kargs: list[str], mtu: int | None,
                mac: bytes | None) -> NetDevice:
    opts = _bridge_opts(env, kargs)
    fields: dict[str, Any] = {"type": "bridge",
                              "mac": mac_to_str(mac or env.world.new_mac(ns.name, name))}
    if mtu is not None:
        fields["mtu"] = mtu
    for k in ("stp", "ageing_time", "default_pvid"):
        if k in opts:
            fields[k] = opts[k]
    spec = _make_spec(env, "bridge", fields)
    br = env.world.build(ns, "bridge", name, spec)
    assert isinstance(br, BridgeDevice)
    if opts.get("stp"):
        br.stp = True
    if opts.get("vlan_filtering"):
        br.set_vlan_filtering(True)
    return br


def _make_spec(env: Env, kind: str, fields: dict[str, Any]) -> Any:
    specs, _ = _spec_tables()
    try:
        return specs[kind].model_validate(fields)
    except ValidationError as e:
        raise env.fail(f"Error: {kind}: {_validation_message(e)}", rc=2) from None


_TUNNEL_KEYS = {"id": "id", "vni": "id", "dstport": "dstport", "remote": "remote",
                "local": "local", "group": "group", "ttl": "ttl", "df": "df", "dev": "dev",
                "mode": "mode"}


def _add_generic(env: Env, ns: Any, name: str, kind: str, kargs: list[str],
                 lower: NetDevice | None, mtu: int | None, mac: bytes | None) -> NetDevice:
    """vlan, vxlan, geneve, and any kind another part of vnetlab adds (key value pairs
    mapped onto the spec's fields of the same name)."""
    specs, _ = _spec_tables()
    model = specs[kind]
    known = set(model.model_fields)
    fields: dict[str, Any] = {"type": kind}
    b = Args(kargs, env)
    while b.more():
        w = b.next()
        key = _TUNNEL_KEYS.get(w, w.replace("-", "_"))
        if w in ("learning", "nolearning") and "learning" in known:
            fields["learning"] = w == "learning"
        elif w in ("udpcsum", "noudpcsum", "udp6zerocsumtx", "udp6zerocsumrx", "l2miss",
                   "l3miss", "proxy", "rsc", "external", "noproxy", "norsc", "nol2miss",
                   "nol3miss", "gbp", "gpe", "remcsumtx", "remcsumrx", "bridge_slave",
                   "reorder_hdr", "loose_binding"):
            env.err(f"vnetlab: {kind} option {w} is accepted but not modelled")
        elif w in ("tos", "flowlabel", "ageing", "maxaddress", "srcport", "protocol",
                   "ingress-qos-map", "egress-qos-map", "gvrp", "mvrp", "flag"):
            b.value(w)
            if w == "protocol" and kind == "vlan":
                continue
            env.err(f"vnetlab: {kind} option {w} is accepted but not modelled")
        elif key in known:
            v = b.value(w)
            if key == "dev" and v not in ns.devices:
                raise env.fail(f'Cannot find device "{v}"')
            fields[key] = v
        else:
            raise env.fail(f'Error: argument "{w}" is wrong: unknown {kind} option', rc=255)
    if kind == "vxlan" and "dstport" not in fields:
        env.err("vxlan: destination port not specified\nWill use Linux kernel default "
                "(non-standard value)\nUse 'dstport 4789' to get the IANA assigned value\n"
                "Use 'dstport 0' to get default and quiet this message")
    if "link" in known and lower is not None:
        fields["link"] = lower.name
    elif lower is not None and "dev" in known:
        fields.setdefault("dev", lower.name)
    elif lower is not None:
        fields["link"] = lower.name
    if kind == "vlan" and "link" not in fields:
        raise env.fail('Error: argument "link" is required for vlan devices', rc=2)
    if kind == "vlan" and "id" not in fields:
        raise env.fail("8021q: VLAN device needs VLAN ID", rc=255)
    if kind in ("vxlan", "geneve") and "id" not in fields:
        raise env.fail(f"{kind}: missing virtual network identifier", rc=255)
    fields["mac"] = mac_to_str(mac) if mac else (
        mac_to_str(lower.mac) if kind == "vlan" and lower is not None
        else mac_to_str(env.world.new_mac(ns.name, name)))
    headroom = 50
    limit = None
    underlay = None
    if kind == "vxlan" and fields.get("dev"):
        underlay = ns.devices[fields["dev"]]
    elif kind == "geneve" and fields.get("remote"):
        try:
            underlay = ns.stack.route_output(ip_int(fields["remote"])).dev
        except (OSError, ValueError):
            underlay = None
    if underlay is not None:
        limit = underlay.mtu - headroom
    if kind == "vlan" and lower is not None:
        limit = lower.mtu
    if mtu is not None:
        if limit is not None and mtu > limit:
            raise env.fail("RTNETLINK answers: Invalid argument" if kind != "vlan"
                           else "RTNETLINK answers: Numerical result out of range", rc=2)
        fields["mtu"] = mtu
    elif "mtu" in known and model.model_fields["mtu"].default is None:
        fields["mtu"] = limit if limit is not None else 1500
    spec = _make_spec(env, kind, fields)
    kw = {}
    if lower is not None and "lower" in inspect.signature(
            sim_build.DEVICE_BUILDERS[kind]).parameters:
        kw["lower"] = lower  # macvlan/ipvlan: the lower may be in another namespace
    try:
        return env.world.build(ns, kind, name, spec, **kw)
    except ValueError as e:
        if "VNI" in str(e) or "already has vlan" in str(e) or "exists" in str(e):
            raise env.fail("RTNETLINK answers: File exists", rc=2) from None
        if "busy" in str(e):
            raise env.fail("RTNETLINK answers: Device or resource busy", rc=2) from None
        raise env.fail(f"RTNETLINK answers: Invalid argument ({e})", rc=2) from None
    except KeyError as e:
        raise env.fail(f"Cannot find device {e}", rc=1) from None


def _find_dev_arg(a: Args, env: Env) -> NetDevice:
    if not a.more():
        raise env.fail('Not enough information: "dev" argument is required.', rc=255)
    w = a.next()
    if w == "dev":
        w = a.value("dev")
    return env.dev(w)


def link_del(a: Args, env: Env) -> int:
    dev = _find_dev_arg(a, env)
    while a.more():
        w = a.next()
        if w == "type":
            a.value("type")
    if dev is dev.ns.lo:
        raise env.fail("RTNETLINK answers: Operation not supported", rc=2)
    env.world.delete(dev)
    return 0


def link_set(a: Args, env: Env) -> int:
    dev = _find_dev_arg(a, env)
    world = env.world
    ns = env.ns
    while a.more():
        w = a.next()
        if w == "up":
            dev.set_admin(True)
            if dev is ns.lo and not any(a.local == 0x7F000001 for a in ns.addrs.get(dev, [])):
                ns.add_addr(dev, InetAddr(0x7F000001, 8))  # inetdev_event: lo's 127.0.0.1
        elif w == "down":
            dev.set_admin(False)
        elif w == "master":
            m = a.value("master")
            br = ns.devices.get(m)
            if br is None:
                raise env.fail(f'Cannot find device "{m}"')
            if not isinstance(br, BridgeDevice):
                if br.kind in ("bond", "team", "vrf"):
                    raise NotSupportedYet(f"master {m} ({br.kind})", lineno=env.lineno)
                raise env.fail("RTNETLINK answers: Operation not supported", rc=2)
            if dev is br:
                raise env.fail("Error: Can not enslave a bridge to itself.", rc=2)
            if isinstance(dev, BridgeDevice):
                raise env.fail("Error: Can not enslave a bridge to a bridge.", rc=2)
            if dev is ns.lo:
                raise env.fail("Error: Can not enslave loopback device.", rc=2)
            if dev.master is br:
                continue
            if dev.br_port is not None:
                dev.br_port.bridge.del_port(dev)
            br.add_port(dev)
        elif w == "nomaster":
            if dev.br_port is not None:
                dev.br_port.bridge.del_port(dev)
        elif w == "netns":
            target = _ns_for_netns(env, a.value("netns"))
            if target is ns:
                continue
            if dev is ns.lo:
                raise env.fail("RTNETLINK answers: Invalid argument", rc=2)
            if dev.kind in ("vxlan", "geneve", "vlan") or dev.vlans:
                raise NotSupportedYet(f"moving a {dev.kind} device to another namespace",
                                      lineno=env.lineno)
            if dev.name in target.devices:
                raise env.fail("RTNETLINK answers: File exists", rc=2)
            ns.move_device(dev, target)
            peer = getattr(dev, "peer", None)
            if isinstance(peer, NetDevice) and peer.ns is not target:
                world.link_nsids(target.name, peer.ns.name)
            return 0  # the rest of the line would act in the new namespace: iproute2 too
        elif w == "mtu":
            _set_mtu(env, dev, a.uint("mtu", 0, 2**31))
        elif w in ("address", "addr"):
            mac = a.mac(w)
            if mac[0] & 1:
                raise env.fail("RTNETLINK answers: Cannot assign requested address", rc=2)
            dev.mac = mac
        elif w == "name":
            new = a.value("name")
            if dev.admin_up:
                raise env.fail("RTNETLINK answers: Device or resource busy", rc=2)
            if new in ns.devices:
                raise env.fail("RTNETLINK answers: File exists", rc=2)
            del ns.devices[dev.name]
            dev.name = new
            dev.where = f"{ns.name}:{new}"
            ns.devices[new] = dev
        elif w == "type":
            k = a.value("type")
            if k != "bridge" or not isinstance(dev, BridgeDevice):
                raise NotSupportedYet(f"ip link set ... type {k}", lineno=env.lineno)
            opts = _bridge_opts(env, a.rest())
            if "ageing_time" in opts:
                dev.set_ageing(opts["ageing_time"])
            if "stp" in opts:
                dev.stp = opts["stp"]
            if "vlan_filtering" in opts:
                dev.set_vlan_filtering(opts["vlan_filtering"])
            if "default_pvid" in opts and opts["default_pvid"] != dev.default_pvid:
                raise NotSupportedYet("changing vlan_default_pvid of an existing bridge",
                                      lineno=env.lineno)
        elif w == "vf":
            raise NotSupportedYet("ip link set DEV vf ...", "SR-IOV virtual functions",
                                  lineno=env.lineno)
        elif w in ("arp", "multicast", "allmulticast", "dynamic", "trailers", "carrier"):
            a.onoff(w)
            env.err(f"vnetlab: link flag {w} is accepted but not modelled")
        elif w == "promisc":
            on = a.onoff(w)
            if isinstance(dev, BridgeDevice):
                dev.promisc = max(0, dev.promisc + (1 if on else -1))
        elif w in ("txqueuelen", "txqlen", "qlen", "alias", "group", "link"):
            a.value(w)
        else:
            raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.', rc=255)
    return 0


def _set_mtu(env: Env, dev: NetDevice, mtu: int) -> None:
    _check_mtu(env, mtu, 68, 65535 if dev.kind != "loopback" else 2**31)
    lower = fmt.lower_of(dev)
    if dev.kind == "vlan" and lower is not None and mtu > lower.mtu:
        raise env.fail("RTNETLINK answers: Numerical result out of range", rc=2)
    tun_lower = getattr(dev, "lower", None)
    if dev.kind in ("vxlan", "geneve") and isinstance(tun_lower, NetDevice) and (
            mtu > tun_lower.mtu - 50):
        raise env.fail("RTNETLINK answers: Invalid argument", rc=2)
    if isinstance(dev, Veth):
        dev.set_mtu(mtu)
    else:
        dev.mtu = mtu


def _ctx(env: Env) -> fmt.Ctx:
    return fmt.Ctx(env.ns, lambda d: env.world.nsid(env.ns_name, d.ns.name))


def _select(a: Args, env: Env) -> list[NetDevice]:
    ns = env.ns
    devs = sorted(ns.devices.values(), key=lambda d: d.ifindex)
    while a.more():
        w = a.next()
        if w == "dev":
            w = a.value("dev")
            names = [w]
        elif w == "type":
            k = a.value("type")
            devs = [d for d in devs if d.kind == k]
            continue
        elif w == "master":
            m = a.value("master")
            env.dev(m)
            devs = [d for d in devs if d.master is not None and d.master.name == m]
            continue
        elif w == "up":
            devs = [d for d in devs if d.admin_up]
            continue
        elif w in ("scope", "label", "to", "primary", "secondary", "permanent", "dynamic"):
            if w in ("scope", "label", "to"):
                a.value(w)
            continue
        else:
            names = [w]
        if names[0] not in ns.devices:
            raise env.fail(f'Device "{names[0]}" does not exist.')
        devs = [d for d in devs if d.name == names[0]]
    return devs


def link_show(a: Args, env: Env, *, addr: bool) -> int:
    devs = _select(a, env)
    ctx = _ctx(env)
    o = env.opts
    stats = o.get("stats", 0)
    objs = [(fmt.addr_obj(d, ctx, details=o.get("details", False), stats=bool(stats))
             if addr else fmt.link_obj(d, ctx, details=o.get("details", False),
                                       stats=bool(stats)), d) for d in devs]
    if o.get("json"):
        env.json([x for x, _ in objs])
        return 0
    for obj, d in objs:
        if o.get("brief"):
            env.out(fmt.link_brief(obj, d, ctx, addr=addr))
        else:
            for line in fmt.link_plain(obj, d, ctx, addr=addr, stats=stats):
                env.out(line)
    return 0


# == ip addr ===============================================================================
def ip_addr(a: Args, env: Env) -> int:
    verb = a.next() if a.more() else "show"
    if matches(verb, "add") or verb == "replace":
        return addr_add(a, env, replace=verb == "replace")
    if matches(verb, "delete"):
        return addr_del(a, env)
    if matches(verb, "flush"):
        return addr_flush(a, env)
    if matches(verb, "show") or matches(verb, "list") or verb == "lst":
        return link_show(a, env, addr=True)
    raise env.fail(f'Command "{verb}" is unknown, try "ip address help".', rc=255)


def _parse_prefix(env: Env, s: str) -> InetAddr:
    ip, _, plen = s.partition("/")
    try:
        addr = ipaddress.IPv4Address(ip)
        n = int(plen) if plen else 32
        if not 0 <= n <= 32:
            raise ValueError
    except ValueError:
        raise env.fail(f'Error: any valid prefix is expected rather than "{s}".', rc=1) from None
    return InetAddr(int(addr), n)


def _addr_args(a: Args, env: Env) -> tuple[str | None, NetDevice | None, bool]:
    local = None
    dev = None
    while a.more():
        w = a.next()
        if w == "dev":
            dev = env.dev(a.value("dev"))
        elif w in ("local",):
            local = a.value(w)
        elif w in ("broadcast", "brd", "label", "scope", "valid_lft", "preferred_lft",
                   "peer", "metric", "proto"):
            v = a.value(w)
            if w in ("brd", "broadcast") and v not in ("+", "-"):
                env.err("vnetlab: a broadcast address is accepted but not modelled")
            if w == "peer":
                raise NotSupportedYet("ip addr add ... peer", lineno=env.lineno)
        elif w in ("noprefixroute", "home", "nodad", "optimistic", "autojoin"):
            pass
        elif local is None:
            local = w
        else:
            raise env.fail(f'Error: either "local" is duplicate, or "{w}" is a garbage.',
                           rc=255)
    return local, dev, False


def addr_add(a: Args, env: Env, *, replace: bool = False) -> int:
    local, dev, _ = _addr_args(a, env)
    if dev is None:
        raise env.fail('Not enough information: "dev" argument is required.', rc=255)
    if local is None:
        raise env.fail("RTNETLINK answers: Invalid argument", rc=2)
    addr = _parse_prefix(env, local)
    ns = env.ns
    if any(x.local == addr.local and x.plen == addr.plen for x in ns.addrs.get(dev, [])):
        if replace:
            return 0
        raise env.fail("Error: ipv4: Address already assigned.", rc=2)
    ns.add_addr(dev, addr)
    return 0


def addr_del(a: Args, env: Env) -> int:
    local, dev, _ = _addr_args(a, env)
    if dev is None:
        raise env.fail('Not enough information: "dev" argument is required.', rc=255)
    if local is None:
        raise env.fail("RTNETLINK answers: Operation not supported", rc=2)
    ns = env.ns
    want = _parse_prefix(env, local)
    lst = ns.addrs.get(dev, [])
    hit = next((x for x in lst if x.local == want.local and x.plen == want.plen), None)
    if hit is None and "/" not in local:
        hit = next((x for x in lst if x.local == want.local), None)
        if hit is not None:
            env.err("Warning: Executing wildcard deletion to stay compatible with old "
                    "scripts.\n         Explicitly specify the prefix length "
                    f"({local}/{hit.plen}) to avoid this warning.\n         This special "
                    "behaviour is likely to disappear in further releases,\n         fix "
                    "your scripts!")
    if hit is None:
        raise env.fail("Error: ipv4: Address not found.", rc=2)
    ns.del_addr(dev, hit)
    return 0


def addr_flush(a: Args, env: Env) -> int:
    if not a.more():
        raise env.fail("Flush requires arguments.", rc=255)
    devs = _select(a, env)
    for d in devs:
        for x in list(env.ns.addrs.get(d, [])):
            if d is env.ns.lo and x.local >> 24 == 127:
                continue
            env.ns.del_addr(d, x)
    return 0


# == ip route ==============================================================================
def ip_route(a: Args, env: Env) -> int:
    verb = a.next() if a.more() else "show"
    if verb in ("add", "append", "replace", "change", "prepend"):
        return route_add(a, env, verb)
    if matches(verb, "delete"):
        return route_del(a, env)
    if matches(verb, "show") or matches(verb, "list") or verb == "lst":
        return route_show(a, env)
    if matches(verb, "get"):
        return route_get(a, env)
    if matches(verb, "flush"):
        return route_flush(a, env)
    raise env.fail(f'Command "{verb}" is unknown, try "ip route help".', rc=255)


def _route_args(a: Args, env: Env, verb: str) -> dict[str, Any]:
    r: dict[str, Any] = {}
    while a.more():
        w = a.next()
        if w == "via":
            v = a.value("via")
            if v == "inet":
                v = a.value("via")
            r["via"] = _ipv4_or_fail(env, v)
        elif w == "dev" or w == "oif":
            r["dev"] = env.dev(a.value(w))
        elif w in ("metric", "preference", "priority"):
            r["metric"] = a.uint(w)
        elif w == "src":
            r["src"] = _ipv4_or_fail(env, a.value("src"))
        elif w in ("proto", "protocol"):
            r["proto"] = a.value(w)
        elif w == "scope":
            r["scope"] = a.value(w)
        elif w == "table":
            t = a.value("table")
            if t not in ("main", "254"):
                raise NotSupportedYet(f"routing table {t}", "the emulator has the main table "
                                      "only", lineno=env.lineno)
        elif w in ("onlink", "mtu", "advmss", "initcwnd", "realm", "weight", "nexthop"):
            if w == "onlink":
                r["onlink"] = True
            else:
                raise NotSupportedYet(f"ip route {verb} ... {w}", lineno=env.lineno)
        elif w in ("unicast",):
            pass
        elif w in ("blackhole", "unreachable", "prohibit", "local", "broadcast", "throw",
                   "nat", "multicast", "anycast"):
            raise NotSupportedYet(f"{w} routes", lineno=env.lineno)
        elif w == "to":
            r["dst"] = a.value("to")
        elif "dst" not in r:
            r["dst"] = w
        else:
            raise env.fail(f'Error: either "to" is duplicate, or "{w}" is a garbage.', rc=255)
    return r


def _ipv4_or_fail(env: Env, v: str) -> int:
    try:
        return ip_int(v)
    except ValueError:
        raise env.fail(f'Error: inet address is expected rather than "{v}".', rc=1) from None


def _dst(env: Env, s: str | None) -> tuple[int, int]:
    if s is None or s in ("default", "all", "any", "0/0"):
        return 0, 0
    try:
        net = ipaddress.IPv4Network(s if "/" in s else f"{s}/32", strict=False)
    except ValueError:
        raise env.fail(f'Error: inet prefix is expected rather than "{s}".', rc=1) from None
    if int(ipaddress.IPv4Interface(s if "/" in s else f"{s}/32").ip) != int(
            net.network_address):
        raise env.fail("Error: Invalid prefix for given prefix length.", rc=2)
    return int(net.network_address), net.prefixlen


def route_add(a: Args, env: Env, verb: str) -> int:
    r = _route_args(a, env, verb)
    if "dst" not in r:
        raise env.fail('Not enough information: "to" argument is required.', rc=255)
    dst, plen = _dst(env, r["dst"])
    ns = env.ns
    fib = ns.stack.fib
    via = r.get("via")
    dev = r.get("dev")
    if via is None and dev is None:
        raise env.fail("RTNETLINK answers: No such device", rc=2)
    if via is not None and not r.get("onlink"):
        nh = None
        for cand in fib.routes:
            if cand.via is None and (via & cand._mask) == cand.dst and (
                    dev is None or cand.dev is dev) and cand.dev.admin_up:
                nh = cand
                break
        if nh is None:
            if dev is not None and not dev.admin_up:
                raise env.fail("Error: Nexthop device is not up.", rc=2)
            raise env.fail("Error: Nexthop has invalid gateway.", rc=2)
        dev = nh.dev
    assert dev is not None
    if not dev.admin_up:
        raise env.fail("Error: Device for nexthop is not up.", rc=2)
    metric = r.get("metric", 0)
    scope = r.get("scope") or ("link" if via is None else "global")
    proto = r.get("proto", "static")
    if proto == "boot":
        proto = "static"
    route = Route(dst, plen, dev, via, metric=metric, proto=proto, scope=scope,
                  prefsrc=r.get("src"))
    if verb in ("replace", "change"):
        existing = [x for x in fib.routes if x.dst == dst and x.plen == plen
                    and x.metric == metric]
        if verb == "change" and not existing:
            raise env.fail("RTNETLINK answers: No such file or directory", rc=2)
        fib.remove_where(lambda x: x in existing)
    try:
        fib.add(route, append=verb in ("append", "prepend"))
    except RouteExists:
        raise env.fail("RTNETLINK answers: File exists", rc=2) from None
    return 0


def route_del(a: Args, env: Env) -> int:
    r = _route_args(a, env, "del")
    dst, plen = _dst(env, r.get("dst"))
    fib = env.ns.stack.fib
    for x in fib.routes:
        if x.dst != dst or x.plen != plen:
            continue
        if "via" in r and x.via != r["via"]:
            continue
        if "dev" in r and x.dev is not r["dev"]:
            continue
        if "metric" in r and x.metric != r["metric"]:
            continue
        fib.remove_where(lambda y, x=x: y is x)
        return 0
    raise env.fail("RTNETLINK answers: No such process", rc=2)


def _route_filter(a: Args, env: Env) -> list[Any]:
    routes = list(env.ns.stack.fib.routes)
    while a.more():
        w = a.next()
        if w == "dev":
            d = env.dev(a.value("dev"))
            routes = [x for x in routes if x.dev is d]
        elif w == "table":
            t = a.value("table")
            if t not in ("main", "254", "all"):
                if t == "local":
                    raise NotSupportedYet("ip route show table local", lineno=env.lineno)
                raise env.fail(f'Error: argument "{t}" is wrong: table id value is invalid',
                               rc=255)
        elif w in ("proto", "protocol"):
            p = a.value(w)
            routes = [x for x in routes if x.proto == p or (p == "boot" and
                                                            x.proto == "static")]
        elif w == "scope":
            s = a.value(w)
            routes = [x for x in routes if x.scope == s]
        elif w == "via":
            v = _ipv4_or_fail(env, a.value("via"))
            routes = [x for x in routes if x.via == v]
        elif w in ("root", "match", "exact"):
            continue
        else:
            dst, plen = _dst(env, w)
            routes = [x for x in routes if x.dst == dst and x.plen == plen]
    return routes


def route_show(a: Args, env: Env) -> int:
    routes = _route_filter(a, env)
    # the kernel dumps the main table in trie order: by destination, then prefix length
    routes.sort(key=lambda x: (x.dst, x.plen, x.metric))
    objs = [fmt.route_obj(x) for x in routes]
    if env.opts.get("json"):
        env.json(objs)
    else:
        for o in objs:
            env.out(fmt.route_plain(o))
    return 0


def route_flush(a: Args, env: Env) -> int:
    if not a.more():
        raise env.fail('"ip route flush" requires arguments.', rc=255)
    routes = _route_filter(a, env)
    env.ns.stack.fib.remove_where(lambda x: x in routes)
    return 0


def route_get(a: Args, env: Env) -> int:
    target = None
    while a.more():
        w = a.next()
        if w in ("from", "iif", "oif", "mark", "tos", "dsfield", "uid", "ipproto", "sport",
                 "dport"):
            a.value(w)
            env.err(f"vnetlab: ip route get ... {w} is accepted but not modelled")
        elif w in ("to",):
            target = a.value(w)
        elif w in ("connected", "fibmatch"):
            pass
        else:
            target = w
    if target is None:
        raise env.fail('need at least a destination address', rc=255)
    dst = _ipv4_or_fail(env, target.split("/")[0])
    stack = env.ns.stack
    try:
        rt = stack.route_output(dst)
    except OSError:
        raise env.fail("RTNETLINK answers: Network is unreachable", rc=2) from None
    o: dict[str, Any] = {}
    local = stack.is_local(dst)
    if local:
        o["type"] = "local"
    o["dst"] = ip_str(dst)
    if rt.via is not None:
        o["gateway"] = ip_str(rt.via)
    o["dev"] = rt.dev.name
    src = rt.prefsrc if rt.prefsrc is not None else stack.select_addr(rt.dev, dst)
    if src is not None:
        o["prefsrc"] = ip_str(src)
    o["flags"] = []
    o["uid"] = 0
    o["cache"] = ["local"] if local else []
    if env.opts.get("json"):
        env.json([o])
        return 0
    s = ("local " if local else "") + o["dst"]
    if "gateway" in o:
        s += f" via {o['gateway']}"
    s += f" dev {o['dev']}"
    if "prefsrc" in o:
        s += f" src {o['prefsrc']}"
    env.out(s + " uid 0 ")
    env.out("    cache <local> " if local else "    cache ")
    return 0


# == ip neigh ==============================================================================
_NUD = {"permanent": NUD_PERMANENT, "reachable": NUD_REACHABLE, "stale": NUD_STALE,
        "noarp": "NOARP", "delay": "DELAY", "probe": "PROBE", "failed": "FAILED",
        "incomplete": "INCOMPLETE", "none": "NONE"}


def ip_neigh(a: Args, env: Env) -> int:
    verb = a.next() if a.more() else "show"
    if verb in ("add", "replace", "change"):
        return neigh_add(a, env, verb)
    if matches(verb, "delete"):
        return neigh_del(a, env)
    if matches(verb, "show") or matches(verb, "list") or verb == "lst":
        return neigh_show(a, env)
    if matches(verb, "flush"):
        return neigh_flush(a, env)
    raise env.fail(f'Command "{verb}" is unknown, try "ip neigh help".', rc=255)


def _neigh_args(a: Args, env: Env) -> dict[str, Any]:
    r: dict[str, Any] = {}
    while a.more():
        w = a.next()
        if w == "lladdr":
            r["lladdr"] = a.mac("lladdr")
        elif w == "dev":
            r["dev"] = env.dev(a.value("dev"))
        elif w == "nud":
            v = a.value("nud")
            if v not in _NUD:
                raise env.fail(f'Error: argument "{v}" is wrong: nud state is bad', rc=255)
            r["nud"] = _NUD[v]
        elif w in ("proxy", "router", "extern_learn", "managed"):
            raise NotSupportedYet(f"ip neigh ... {w}", lineno=env.lineno)
        elif w == "to":
            r["dst"] = _ipv4_or_fail(env, a.value("to"))
        elif w in ("nud", "all"):
            pass
        elif "dst" not in r:
            r["dst"] = _ipv4_or_fail(env, w.split("/")[0])
        else:
            raise env.fail(f'Error: either "to" is duplicate, or "{w}" is a garbage.', rc=255)
    return r


def neigh_add(a: Args, env: Env, verb: str) -> int:
    r = _neigh_args(a, env)
    if "dst" not in r or "dev" not in r:
        raise env.fail("Device and destination are required arguments.", rc=255)
    neigh = env.ns.stack.neigh
    key = (r["dev"], r["dst"])
    nud = r.get("nud", NUD_PERMANENT)
    if key in neigh.entries and verb == "add":
        raise env.fail("RTNETLINK answers: File exists", rc=2)
    if key not in neigh.entries and verb == "change":
        raise env.fail("RTNETLINK answers: No such file or directory", rc=2)
    if "lladdr" not in r and nud not in ("NOARP", "NONE", "INCOMPLETE", "FAILED"):
        raise env.fail("RTNETLINK answers: Invalid argument", rc=2)
    old = neigh.entries.pop(key, None)
    if old is not None and old.timer is not None:
        old.timer.cancel()
    neigh.add_permanent(r["dev"], r["dst"], r.get("lladdr") or b"\x00" * 6)
    neigh.entries[key].state = nud
    return 0


def neigh_del(a: Args, env: Env) -> int:
    r = _neigh_args(a, env)
    if "dst" not in r or "dev" not in r:
        raise env.fail("Device and destination are required arguments.", rc=255)
    n = env.ns.stack.neigh.entries.pop((r["dev"], r["dst"]), None)
    if n is None:
        raise env.fail("RTNETLINK answers: No such file or directory", rc=2)
    if n.timer is not None:
        n.timer.cancel()
    return 0


def _neigh_select(r: dict[str, Any], env: Env) -> list[Any]:
    out = []
    for (dev, ip), n in env.ns.stack.neigh.entries.items():
        if "dev" in r and dev is not r["dev"]:
            continue
        if "dst" in r and ip != r["dst"]:
            continue
        if "nud" in r and n.state != r["nud"]:
            continue
        out.append(n)
    return out


def neigh_show(a: Args, env: Env) -> int:
    r = _neigh_args(a, env)
    ns = _neigh_select(r, env)
    ns.sort(key=lambda n: (n.dev.ifindex, -list(env.ns.stack.neigh.entries).index(
        (n.dev, n.ip))))
    objs = [fmt.neigh_obj(n) for n in ns]
    if "dev" in r:  # iproute2 leaves out the key it filtered on
        objs = [{k: v for k, v in o.items() if k != "dev"} for o in objs]
    if env.opts.get("json"):
        env.json(objs)
    else:
        for o in objs:
            env.out(fmt.neigh_plain(o))
    return 0


def neigh_flush(a: Args, env: Env) -> int:
    if not a.more():
        raise env.fail("Flush requires arguments.", rc=255)
    r = _neigh_args(a, env)
    entries = env.ns.stack.neigh.entries
    for n in _neigh_select(r, env):
        if n.state in (NUD_PERMANENT, "NOARP") and "nud" not in r:
            continue
        entries.pop((n.dev, n.ip), None)
        if n.timer is not None:
            n.timer.cancel()
    return 0


# == ip netns ==============================================================================
def ip_netns(a: Args, env: Env, run_sub: Any) -> int:
    world = env.world
    verb = a.next() if a.more() else "list"
    if verb == "add":
        name = a.value("add")
        if name in world.namespaces or name in world.hidden:
            raise env.fail(f'Cannot create namespace file "/run/netns/{name}": File exists')
        if "/" in name or name in (".", ".."):
            raise env.fail(f'Invalid netns name "{name}"')
        world.add_netns(name)
        return 0
    if matches(verb, "delete"):
        name = a.value("del")
        if name == "-all" or name == "-a":
            for n in list(world.namespaces):
                if n != "host":
                    world.del_netns(n)
            return 0
        if name not in world.namespaces or name == "host":
            raise env.fail(f'Cannot remove namespace file "/run/netns/{name}": No such file '
                           "or directory")
        world.del_netns(name)
        return 0
    if matches(verb, "list") or matches(verb, "show"):
        names = [n for n in world.namespaces if n != "host"][::-1]
        if env.opts.get("json"):
            ids = world.nsids.get(env.ns_name, {})
            env.json([{"name": n, **({"id": ids[n]} if n in ids else {})} for n in names])
        else:
            ids = world.nsids.get(env.ns_name, {})
            for n in names:
                env.out(f"{n} (id: {ids[n]})" if n in ids else n)
        return 0
    if verb == "exec":
        name = a.value("exec")
        if name not in world.namespaces:
            raise env.fail(f'Cannot open network namespace "{name}": No such file or '
                           "directory", rc=255)
        cmd = a.rest()
        if not cmd:
            raise env.fail("No command specified", rc=255)
        return int(run_sub(cmd, name))
    if verb == "identify":
        env.out("" if env.ns_name == "host" else env.ns_name)
        return 0
    if verb in ("pids", "monitor", "set", "attach", "list-id"):
        raise NotSupportedYet(f"ip netns {verb}", lineno=env.lineno)
    raise env.fail(f'Command "{verb}" is unknown, try "ip netns help".', rc=255)


# == ip tuntap =============================================================================
def ip_tuntap(a: Args, env: Env) -> int:
    verb = a.next() if a.more() else "show"
    name = None
    mode = None
    while a.more():
        w = a.next()
        if w == "dev" or w == "name":
            name = a.value(w)
        elif w == "mode":
            mode = a.value("mode")
        elif w in ("user", "group"):
            a.value(w)
        elif w in ("one_queue", "pi", "vnet_hdr", "multi_queue"):
            pass
        elif name is None:
            name = w
        else:
            raise env.fail(f'Unknown argument "{w}"', rc=1)
    specs, builders = _spec_tables()
    if matches(verb, "show") or matches(verb, "list"):
        devs = [d for d in sorted(env.ns.devices.values(), key=lambda d: d.ifindex)
                if d.kind in ("tun", "tap")]
        if env.opts.get("json"):
            env.json([{"ifname": d.name, "flags": [d.kind]} for d in devs])
        else:
            for d in devs:
                env.out(f"{d.name}: {d.kind}")
        return 0
    if mode not in ("tun", "tap") and verb == "add":
        raise env.fail("You failed to specify a tunnel mode", rc=1)
    if name is None:
        raise env.fail("Not enough information: \"dev\" argument is required.", rc=255)
    if matches(verb, "delete"):
        dev = env.ns.devices.get(name)
        if dev is None or (mode is not None and dev.kind != mode):
            raise env.fail("ioctl(TUNSETIFF): Device or resource busy" if dev else
                           f"open: No such file or directory ({name})", rc=1)
        env.world.delete(dev)
        return 0
    if verb != "add":
        raise env.fail(f'Unknown command "{verb}"', rc=1)
    assert mode is not None
    kind = mode if mode in specs else "tuntap" if "tuntap" in specs else mode
    if kind not in specs or kind not in builders:
        raise NotSupportedYet(f"ip tuntap add ... mode {mode}",
                              "the emulator has no TUN/TAP device yet", lineno=env.lineno)
    if name in env.ns.devices:
        raise env.fail("ioctl(TUNSETIFF): Device or resource busy", rc=1)
    fields: dict[str, Any] = {"type": kind,
                              "mac": mac_to_str(env.world.new_mac(env.ns_name, name))}
    if kind == "tuntap":
        fields["mode"] = mode
    model = specs[kind]
    fields = {k: v for k, v in fields.items() if k in model.model_fields}
    spec = _make_spec(env, kind, fields)
    env.world.build(env.ns, kind, name, spec)
    return 0


__all__ = ["LINUX_KINDS", "kind_supported", "mac_to_bytes", "run_ip"]
