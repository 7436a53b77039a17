"""``bridge`` (iproute2) on the emulator: fdb, link, vlan.

Design note
-----------
Follows ``bridge/fdb.c``, ``link.c`` and ``vlan.c`` of iproute2 and what the kernel does
with their requests: ``bridge fdb add`` without ``master`` means ``self`` (the device's own
table: a VXLAN's MAC → VTEP table, a plain port's unicast filter list), with ``master`` the
bridge FDB; the default state is ``static`` (NUD_NOARP), ``permanent`` makes a local
entry. ``bridge fdb show dev BR`` lists the bridge device's own entries only, ``br BR`` all
of that bridge (as ``rtnl_fdb_dump``/``br_fdb_dump`` filter them).
"""

from __future__ import annotations

from typing import Any

from vnetlab.script import fmt, fmt_bridge
from vnetlab.script.args import Args, Env, matches
from vnetlab.script.errors import NotSupportedYet
from vnetlab.sim.devices.bridge import BridgeDevice, stp
from vnetlab.sim.devices.bridge import fdb as fdbmod
from vnetlab.sim.devices.bridge.port import STATE_NAMES
from vnetlab.sim.devices.vxlan import VxlanDevice
from vnetlab.sim.netdev import dev_mc_add, dev_mc_del, dev_uc_add, dev_uc_del
from vnetlab.sim.stack.addr import ip_int

_STATE_BY_NAME = {v: k for k, v in STATE_NAMES.items()}


def run_bridge(argv: list[str], env: Env) -> int:
    a = Args(argv, env)
    while (opt := a.peek()) is not None and opt.startswith("-"):
        o = a.next().lstrip("-")
        if o in ("j", "json"):
            env.opts["json"] = True
        elif o in ("p", "pretty"):
            env.opts["pretty"] = True
        elif o in ("d", "details"):
            env.opts["details"] = True
        elif o in ("s", "stats", "statistics"):
            env.opts["stats"] = True
        elif o in ("n", "netns"):
            ns = a.value("-n")
            if ns not in env.world.namespaces:
                raise env.fail(f'Cannot open network namespace "{ns}": No such file or '
                               "directory", rc=255)
            env.ns_name = ns
        elif o.startswith("c") or o in ("4", "o", "oneline"):
            pass
        else:
            raise env.fail(f'Option "-{o}" is unknown, try "bridge help".', rc=255)
    if not a.more():
        raise env.fail("Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }", rc=255)
    obj = a.next()
    if matches(obj, "fdb"):
        return bridge_fdb(a, env)
    if matches(obj, "link"):
        return bridge_link(a, env)
    if matches(obj, "vlan"):
        return bridge_vlan(a, env)
    if obj in ("mdb", "monitor", "vni"):
        raise NotSupportedYet(f"bridge {obj}", lineno=env.lineno)
    raise env.fail(f'Object "{obj}" is unknown, try "bridge help".', rc=255)


# == fdb ===================================================================================
def bridge_fdb(a: Args, env: Env) -> int:
    verb = a.next() if a.more() else "show"
    if verb in ("add", "append", "replace"):
        return fdb_modify(a, env, verb)
    if matches(verb, "delete"):
        return fdb_modify(a, env, "del")
    if matches(verb, "show") or matches(verb, "list"):
        return fdb_show(a, env)
    if verb == "flush":
        raise NotSupportedYet("bridge fdb flush", lineno=env.lineno)
    raise env.fail(f'Command "{verb}" is unknown, try "bridge fdb help".', rc=255)


def fdb_modify(a: Args, env: Env, verb: str) -> int:
    r: dict[str, Any] = {}
    while a.more():
        w = a.next()
        if w == "dev":
            r["dev"] = env.dev(a.value("dev"))
        elif w == "dst":
            r["dst"] = ip_int(a.ipv4("dst"))
        elif w == "vlan":
            r["vlan"] = a.uint("vlan", 1, 4094)
        elif w in ("self", "master", "static", "permanent", "dynamic", "local", "temp",
                   "router", "use", "extern_learn", "sticky"):
            r[w] = True
        elif w in ("port", "vni", "via", "src_vni", "nhid"):
            a.value(w)
            raise NotSupportedYet(f"bridge fdb {verb} ... {w}", lineno=env.lineno)
        elif "mac" not in r:
            r["mac"] = w
        else:
            raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.', rc=255)
    if "dev" not in r or "mac" not in r:
        raise env.fail("Device and address are required arguments.", rc=255)
    sub = Args([r["mac"]], env)
    mac = sub.mac("lladdr")
    dev = r["dev"]
    master = r.get("master", False)
    self_ = r.get("self", False) or not master
    if master:
        port = dev.br_port
        if port is None:
            raise env.fail("RTNETLINK answers: Operation not supported", rc=2)
        br = port.bridge
        vid = r.get("vlan", 0)
        key = fdbmod.fdb_key(mac, vid)
        if verb == "del":
            e = br.fdb.get(key)
            if e is None or e.port is not port:
                raise env.fail("RTNETLINK answers: No such file or directory", rc=2)
            del br.fdb[key]
        else:
            if verb == "add" and key in br.fdb and br.fdb[key].port is port:
                raise env.fail("RTNETLINK answers: File exists", rc=2)
            if r.get("permanent") or r.get("local"):
                fdbmod.fdb_insert_local(br, mac, port, vid)
            elif r.get("dynamic") or r.get("temp"):
                br.fdb[key] = fdbmod.FdbEntry(mac, port, br.sched.now, local=False,
                                              static=False, vid=vid)
            else:
                br.add_static(mac, dev, vid or None)
        if not r.get("self"):
            return 0
    if self_:
        if isinstance(dev, VxlanDevice):
            return _vxlan_fdb(env, dev, mac, r, verb)
        if "dst" in r:
            raise env.fail("RTNETLINK answers: Operation not supported", rc=2)
        # ndo_dflt_fdb_add/del: the device's unicast or multicast address list
        multicast = bool(mac[0] & 1) and mac[:3] != b"\x01\x80\xc2"
        lst = dev.mc if multicast else dev.uc
        if verb == "del":
            if mac not in lst:
                raise env.fail("RTNETLINK answers: No such file or directory", rc=2)
            (dev_mc_del if multicast else dev_uc_del)(dev, mac)
        elif mac in lst:  # dev_uc_add_excl / dev_mc_add_excl
            if verb == "add":
                raise env.fail("RTNETLINK answers: File exists", rc=2)
        else:
            (dev_mc_add if multicast else dev_uc_add)(dev, mac)
    return 0


def _vxlan_fdb(env: Env, dev: VxlanDevice, mac: bytes, r: dict[str, Any], verb: str) -> int:
    """``vxlan_fdb_add``/``vxlan_fdb_delete``: MAC → remote VTEP(s)."""
    dst = r.get("dst")
    if verb == "del":
        e = dev.fdb.get(mac)
        if e is None or (dst is not None and dst not in e.remotes):
            raise env.fail("RTNETLINK answers: No such file or directory", rc=2)
        if dst is None or len(e.remotes) == 1:
            del dev.fdb[mac]
        else:
            e.remotes.remove(dst)
        return 0
    if dst is None:
        if dev.remote is None and getattr(dev, "group", None) is None:
            raise env.fail("RTNETLINK answers: Invalid argument", rc=2)
        dst = dev.remote if dev.remote is not None else dev.group
    assert dst is not None  # one of the two, checked just above
    e = dev.fdb.get(mac)
    if e is not None:
        if verb == "add":
            raise env.fail("RTNETLINK answers: File exists", rc=2)
        if verb == "replace":
            e.remotes = [dst]
            e.static = True
            return 0
    dev.fdb_append(mac, dst)
    return 0


def fdb_show(a: Args, env: Env) -> int:
    f: dict[str, Any] = {}
    while a.more():
        w = a.next()
        if w in ("dev", "br", "brport", "vlan", "state"):
            f[w] = a.value(w)
        elif w in ("self", "master", "dynamic"):
            f[w] = True
        else:
            raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.', rc=255)
    for k in ("dev", "br", "brport"):
        if k in f and f[k] not in env.ns.devices:
            raise env.fail(f'Cannot find device "{f[k]}"' if k != "br" else
                           f'Cannot find bridge device "{f[k]}"')
    objs = fmt_bridge.fdb_objs(env.ns, env.world.self_fdb)
    if "dev" in f:  # iproute2 leaves out the key it filtered on
        objs = [{k: v for k, v in o.items() if k != "ifname"} for o in objs
                if o["ifname"] == f["dev"]]
    if "brport" in f:
        objs = [{k: v for k, v in o.items() if k != "ifname"} for o in objs
                if o["ifname"] == f["brport"]]
    if "br" in f:  # rtnl_fdb_dump: the bridge itself and the devices enslaved to it
        devs = env.ns.devices
        objs = [o for o in objs if o.get("ifname") == f["br"] or (
            (d := devs.get(o.get("ifname", ""))) is not None and d.master is not None
            and d.master.name == f["br"])]
    if "vlan" in f:
        objs = [o for o in objs if str(o.get("vlan")) == f["vlan"]]
    if "state" in f:
        objs = [o for o in objs if o["state"] == f["state"]]
    if f.get("self"):
        objs = [o for o in objs if "self" in o["flags"]]
    if f.get("master"):
        objs = [o for o in objs if "master" in o]
    if env.opts.get("json"):
        env.json(objs)
    else:
        for o in objs:
            env.out(fmt_bridge.fdb_plain(o))
    return 0


# == link ==================================================================================
def bridge_link(a: Args, env: Env) -> int:
    verb = a.next() if a.more() else "show"
    if matches(verb, "set") or verb == "change":
        return link_set(a, env)
    if matches(verb, "show") or matches(verb, "list"):
        return link_show(a, env)
    raise env.fail(f'Command "{verb}" is unknown, try "bridge link help".', rc=255)


def link_set(a: Args, env: Env) -> int:
    dev = None
    changes: list[tuple[str, Any]] = []
    while a.more():
        w = a.next()
        if w == "dev":
            dev = env.dev(a.value("dev"))
        elif w in ("hairpin", "learning", "flood", "mcast_flood", "bcast_flood", "isolated",
                   "locked", "neigh_suppress"):
            changes.append((w, a.onoff(w)))
        elif w == "state":
            v = a.value("state")
            n = _STATE_BY_NAME.get(v, int(v) if v.isdigit() else -1)
            if n not in STATE_NAMES:
                raise env.fail(f'Error: argument "{v}" is wrong: Invalid state', rc=255)
            changes.append(("state", n))
        elif w in ("cost", "priority"):
            changes.append((w, a.uint(w)))
        elif w in ("guard", "root_block", "fastleave", "learning_sync", "proxy_arp",
                   "proxy_arp_wifi", "mcast_router", "vlan_tunnel",
                   "mab", "mcast_to_unicast"):
            a.onoff(w) if w != "mcast_router" else a.value(w)
            env.err(f"vnetlab: bridge port flag {w} is accepted but not modelled")
        elif w in ("self", "master"):
            pass
        else:
            raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.', rc=255)
    if dev is None:
        raise env.fail("Device is a required argument.", rc=255)
    port = dev.br_port
    if port is None:
        raise env.fail("RTNETLINK answers: Operation not supported", rc=2)
    for k, v in changes:
        if k == "cost":  # br_stp_set_path_cost / br_stp_set_port_priority: ERANGE
            if not stp.BR_MIN_PATH_COST <= v <= stp.BR_MAX_PATH_COST:
                raise env.fail("RTNETLINK answers: Numerical result out of range", rc=2)
            stp.br_stp_set_path_cost(port, v)
        elif k == "priority":
            if v > stp.BR_MAX_PORT_PRIORITY:
                raise env.fail("RTNETLINK answers: Numerical result out of range", rc=2)
            stp.br_stp_set_port_priority(port, v)
        elif k == "state":
            if v == 0 or not dev.running:
                port.state = v
            else:
                port.state = v
        else:
            setattr(port, k, v)
    return 0


def link_show(a: Args, env: Env) -> int:
    name = None
    while a.more():
        w = a.next()
        if w == "dev":
            name = a.value("dev")
        elif w == "master":
            a.value("master")
        else:
            name = w
    if name is not None:
        env.dev(name)
    ctx = fmt.Ctx(env.ns, lambda d: env.world.nsid(env.ns_name, d.ns.name))
    devs = sorted((d for d in env.ns.devices.values() if d.br_port is not None
                   and (name is None or d.name == name)), key=lambda d: d.ifindex)
    objs = [fmt_bridge.brlink_obj(d, ctx, details=env.opts.get("details", False)) for d in devs]
    if env.opts.get("json"):
        env.json(objs)
    else:
        for o in objs:
            env.out(fmt_bridge.brlink_plain(o))
    return 0


# == vlan ==================================================================================
def bridge_vlan(a: Args, env: Env) -> int:
    verb = a.next() if a.more() else "show"
    if verb in ("add", "del", "delete"):
        return vlan_modify(a, env, "del" if verb.startswith("del") else "add")
    if matches(verb, "show") or matches(verb, "list"):
        return vlan_show(a, env)
    if verb in ("tunnelshow", "global", "set"):
        raise NotSupportedYet(f"bridge vlan {verb}", lineno=env.lineno)
    raise env.fail(f'Command "{verb}" is unknown, try "bridge vlan help".', rc=255)


def vlan_modify(a: Args, env: Env, verb: str) -> int:
    r: dict[str, Any] = {}
    while a.more():
        w = a.next()
        if w == "dev":
            r["dev"] = env.dev(a.value("dev"))
        elif w == "vid":
            v = a.value("vid")
            lo, _, hi = v.partition("-")
            try:
                r["vids"] = range(int(lo), int(hi or lo) + 1)
            except ValueError:
                raise env.fail(f'Error: argument "{v}" is wrong: invalid VLAN id',
                               rc=255) from None
            if not (1 <= int(lo) <= 4094 and 1 <= int(hi or lo) <= 4094) or (
                    int(hi or lo) < int(lo)):
                raise env.fail(f'Error: argument "{v}" is wrong: invalid VLAN id', rc=255)
        elif w in ("pvid", "untagged", "self", "master"):
            r[w] = True
        elif w in ("tunnel_info", "range"):
            raise NotSupportedYet(f"bridge vlan {verb} ... {w}", lineno=env.lineno)
        else:
            raise env.fail(f'Error: either "dev" is duplicate, or "{w}" is a garbage.', rc=255)
    if "dev" not in r or "vids" not in r:
        raise env.fail("Device and VLAN ID are required arguments.", rc=255)
    dev = r["dev"]
    if isinstance(dev, BridgeDevice) and (r.get("self") or dev.br_port is None):
        br, port = dev, None
    elif dev.br_port is not None:
        br, port = dev.br_port.bridge, dev.br_port
    else:
        raise env.fail("RTNETLINK answers: Operation not supported", rc=2)
    if r.get("pvid") and len(r["vids"]) > 1:
        raise env.fail("RTNETLINK answers: Invalid argument", rc=2)
    for vid in r["vids"]:
        if verb == "add":
            br.vlan_add(vid, port, pvid=r.get("pvid", False), untagged=r.get("untagged", False))
        else:
            br.vlan_del(vid, port)
    return 0


def vlan_show(a: Args, env: Env) -> int:
    name = None
    vid = None
    while a.more():
        w = a.next()
        if w == "dev":
            name = a.value("dev")
        elif w == "vid":
            vid = a.uint("vid", 1, 4094)
    if name is not None:
        env.dev(name)
    objs = fmt_bridge.vlan_objs(env.ns)
    if name is not None:
        objs = [o for o in objs if o["ifname"] == name]
    if vid is not None:
        objs = [{**o, "vlans": [v for v in o["vlans"] if v["vlan"] == vid]} for o in objs]
        objs = [o for o in objs if o["vlans"]]
    if env.opts.get("json"):
        env.json(objs)
    else:
        for line in fmt_bridge.vlan_plain(objs):
            env.out(line)
    return 0
