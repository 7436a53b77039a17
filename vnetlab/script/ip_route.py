"""``ip route`` and ``ip neigh`` on the emulator (iproute_modify, ipneigh_modify)."""


import ipaddress
from typing import Any

from vnetlab.script import fmt_route
from vnetlab.script.args import Args, Env, matches
from vnetlab.script.errors import NotSupportedYet

#: device kinds Linux has (``ip link add ... type KIND``); others are "Unknown device type"
from vnetlab.script.ip_common import (
    _ipv4_or_fail,
)
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.fib import Route, RouteExists
from vnetlab.sim.stack.neigh import NUD_PERMANENT, NUD_REACHABLE, NUD_STALE


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
    proto = r.get("proto", "boot")
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
        break
    else:
        raise env.fail("RTNETLINK answers: No such process", rc=2)
    fib.remove_where(lambda y: y is x)
    return 0


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
            routes = [x for x in routes if x.proto == p]
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
    objs = [fmt_route.route_obj(x) for x in routes]
    if env.opts.get("json"):
        env.json(objs)
    else:
        for o in objs:
            env.out(fmt_route.route_plain(o))
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
    objs = [fmt_route.neigh_obj(n) for n in ns]
    if "dev" in r:  # iproute2 leaves out the key it filtered on
        objs = [{k: v for k, v in o.items() if k != "dev"} for o in objs]
    if env.opts.get("json"):
        env.json(objs)
    else:
        for o in objs:
            env.out(fmt_route.neigh_plain(o))
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
