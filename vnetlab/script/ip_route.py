"""``ip route add/del/show/flush/get`` on the emulator (iproute.c: iproute_modify,
iproute_list, iproute_get).

Design note
-----------
Each change is the emulator's ``Fib`` operation for the request ``ip`` would send, with the
kernel's errors: ``add`` refuses a route that exists (``File exists``), ``replace`` and
``change`` swap the route of the same destination and metric, ``append``/``prepend`` keep
both; a gateway must be reachable through a connected route on a device that is up
(``Nexthop has invalid gateway``) unless ``onlink``; ``del`` removes the first route
matching the fields given (``No such process``). Output is ``fmt_route``'s.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from vnetlab.script import fmt_route
from vnetlab.script.args import Args, Env
from vnetlab.script.errors import NotSupportedYet
from vnetlab.script.ip_common import _ipv4_or_fail
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.fib import Route, RouteExists


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
            r["metric"] = a.uint(w, what=f"\"{w}\" value is invalid")
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


def _route_filter(a: Args, env: Env) -> list[Route]:
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
