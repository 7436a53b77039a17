"""``ip -6 route add/del/show/flush/get`` on the emulator (iproute.c over the kernel's
net/ipv6/route.c: ``ip6_route_add``, ``ip6_route_del``, ``inet6_dump_fib``).

Design note
-----------
Each change is the IPv6 FIB's (``ns.ipv6.fib6``, ``route6.Rt6``) for the request ``ip``
would send, with the kernel's answers: a user route has metric 1024
(``IP6_RT_PRIO_USER``) and ``pref medium``; a gateway must be reachable through a
connected route (``ip6_validate_gw``: ``No route to host``), a link-local gateway needs
``dev`` (``Egress device not specified``), ``dev`` must be up (``Nexthop device is not
up``); ``add`` of the same prefix, metric and gateway is ``File exists``; ``del`` takes
the first route of the prefix that matches the fields given (``No such process``).
Multipath (``append``/``prepend`` onto a route of the same metric) is not modelled.

``show`` lists in the order ``inet6_dump_fib`` walks the fib6 radix tree: a post-order
walk (``fib6_walk_continue``: left subtree, right subtree, then the node's own routes),
so longer prefixes come before the shorter prefixes that contain them, a 0 bit before a
1 bit, and ``default`` last; routes of the same prefix by metric, then as added.
"""

from __future__ import annotations

from typing import Any

from vnetlab.script import fmt_route
from vnetlab.script.args import Args, Env
from vnetlab.script.errors import NotSupportedYet
from vnetlab.script.inet6 import parse_addr6, parse_prefix6, stack6

LINKLOCAL_NET = 0xFE80 << 112


def _is_linklocal(a: int) -> bool:
    return a >> 118 == LINKLOCAL_NET >> 118


def _fib6(env: Env) -> Any:
    s = stack6(env.ns)
    if s is None:
        raise env.fail("RTNETLINK answers: Address family not supported by protocol", rc=2)
    return s.fib6


def _args(a: Args, env: Env, verb: str) -> dict[str, Any]:
    r: dict[str, Any] = {}
    while a.more():
        w = a.next()
        if w == "via":
            v = a.value("via")
            if v == "inet6":
                v = a.value("via")
            r["via"] = parse_addr6(env, v)
        elif w == "dev" or w == "oif":
            r["dev"] = env.dev(a.value(w))
        elif w in ("metric", "preference", "priority"):
            r["metric"] = a.uint(w, what=f"\"{w}\" value is invalid")
        elif w == "src":
            r["src"] = parse_addr6(env, a.value("src"))
        elif w in ("proto", "protocol"):
            r["proto"] = a.value(w)
        elif w == "table":
            t = a.value("table")
            if t not in ("main", "254") and not (verb == "show" and t in ("local", "all")):
                raise NotSupportedYet(f"routing table {t}", "the emulator has the main "
                                      "table only", lineno=env.lineno)
            r["table"] = {"254": "main"}.get(t, t)
        elif w == "pref":
            p = a.value("pref")
            if p not in ("low", "medium", "high"):
                raise env.fail(f'Error: argument "{p}" is wrong: "pref" value is invalid',
                               rc=255)
            r["pref"] = p
        elif w in ("onlink", "mtu", "advmss", "initcwnd", "realm", "weight", "nexthop",
                   "expires", "from"):
            raise NotSupportedYet(f"ip -6 route {verb} ... {w}", lineno=env.lineno)
        elif w in ("unicast",):
            pass
        elif w in ("blackhole", "unreachable", "prohibit", "local", "throw", "multicast",
                   "anycast"):
            if verb == "show":
                r["type"] = w
                continue
            raise NotSupportedYet(f"{w} routes", lineno=env.lineno)
        elif w in ("root", "match", "exact") and verb == "show":
            continue
        elif w == "to":
            r["dst"] = a.value("to")
        elif "dst" not in r:
            r["dst"] = w
        else:
            raise env.fail(f'Error: either "to" is duplicate, or "{w}" is a garbage.', rc=255)
    return r


def _dst(env: Env, s: str | None) -> tuple[int, int]:
    """``get_prefix``: the kernel keeps the prefix only (``ipv6_addr_prefix``), so host
    bits are dropped without complaint, unlike IPv4."""
    if s is None or s in ("default", "all", "any", "::/0"):
        return 0, 0
    addr, plen = parse_prefix6(env, s)
    mask = ((1 << 128) - 1) ^ ((1 << (128 - plen)) - 1) if plen else 0
    return addr & mask, plen


def route6_add(a: Args, env: Env, verb: str) -> int:
    from vnetlab.sim.stack.route6 import IP6_RT_PRIO_USER, RouteExists6, Rt6

    r = _args(a, env, verb)
    if "dst" not in r:
        raise env.fail('Not enough information: "to" argument is required.', rc=255)
    fib = _fib6(env)
    dst, plen = _dst(env, r["dst"])
    via = r.get("via")
    dev = r.get("dev")
    if via is None and dev is None:
        raise env.fail("RTNETLINK answers: No such device", rc=2)
    if dev is not None and not dev.admin_up:
        raise env.fail("Error: Nexthop device is not up.", rc=2)
    if via is not None:
        if _is_linklocal(via):
            if dev is None:
                raise env.fail("Error: Egress device not specified.", rc=2)
        else:
            # ip6_validate_gw -> ip6_nh_lookup_table: a connected route to the gateway
            nh = next((x for x in fib.main if x.type == "unicast" and x.via is None
                       and x.matches(via) and (dev is None or x.dev is dev)
                       and x.dev.admin_up), None)
            if nh is None:
                raise env.fail("RTNETLINK answers: No route to host", rc=2)
            dev = nh.dev
    assert dev is not None
    metric = r.get("metric", IP6_RT_PRIO_USER)
    rt = Rt6(dst, plen, dev, via, metric, r.get("proto", "boot"), "unicast", "main",
             r.get("pref", "medium"), r.get("src"))
    same = [x for x in fib.main if x.dst == dst and x.plen == plen and x.metric == metric
            and x.type == "unicast"]
    if verb in ("append", "prepend") and same:
        raise NotSupportedYet(f"ip -6 route {verb} onto a route of the same metric",
                              "the kernel makes a multipath route; the emulator has none",
                              lineno=env.lineno)
    if verb in ("replace", "change"):
        if verb == "change" and not same:
            raise env.fail("RTNETLINK answers: No such file or directory", rc=2)
        if same:
            fib.remove_where(lambda x: x is same[0])
    try:
        fib.add(rt)
    except RouteExists6:
        raise env.fail("RTNETLINK answers: File exists", rc=2) from None
    return 0


def _matching(env: Env, r: dict[str, Any], routes: list[Any]) -> list[Any]:
    out = []
    for x in routes:
        if "dev" in r and x.dev is not r["dev"]:
            continue
        if "via" in r and x.via != r["via"]:
            continue
        if "metric" in r and x.metric != r["metric"]:
            continue
        if "proto" in r and x.proto != r["proto"]:
            continue
        out.append(x)
    return out


def route6_del(a: Args, env: Env) -> int:
    r = _args(a, env, "del")
    fib = _fib6(env)
    dst, plen = _dst(env, r.get("dst"))
    cands = [x for x in dump_order(fib.main) if x.dst == dst and x.plen == plen]
    hit = _matching(env, r, cands)
    if not hit:
        raise env.fail("RTNETLINK answers: No such process", rc=2)
    fib.remove_where(lambda y: y is hit[0])
    return 0


def _trie_key(x: Any) -> tuple[str, int]:
    bits = format(x.dst >> (128 - x.plen), f"0{x.plen}b") if x.plen else ""
    return bits + "2", x.metric


def dump_order(routes: list[Any]) -> list[Any]:
    """``inet6_dump_fib`` order (see the design note); stable within a prefix/metric."""
    return sorted(routes, key=_trie_key)


def _selected(a: Args, env: Env, verb: str) -> tuple[list[Any], dict[str, Any]]:
    r = _args(a, env, verb)
    fib = _fib6(env)
    table = r.get("table", "main")
    if table == "all":  # fib6 tables by id hash: main (254) before local (255)
        routes = dump_order(fib.main) + dump_order(fib.local)
    else:
        routes = dump_order(fib.table(table))
    if "dst" in r:
        dst, plen = _dst(env, r["dst"])
        routes = [x for x in routes if x.dst == dst and x.plen == plen]
    if "type" in r:
        routes = [x for x in routes if x.type == r["type"]]
    return _matching(env, r, routes), r


def route6_show(a: Args, env: Env) -> int:
    routes, r = _selected(a, env, "show")
    objs = [fmt_route.route6_obj(x, table=r.get("table", "main") == "all") for x in routes]
    if "dev" in r:  # iproute2 leaves out the key it filtered on
        objs = [{k: v for k, v in o.items() if k != "dev"} for o in objs]
    if env.opts.get("json"):
        env.json(objs)
    else:
        for o in objs:
            env.out(fmt_route.route6_plain(o))
    return 0


def route6_flush(a: Args, env: Env) -> int:
    if not a.more():
        raise env.fail('"ip route flush" requires arguments.', rc=255)
    routes, _ = _selected(a, env, "flush")
    # ip route flush sends RTM_DELROUTE for what it listed; kernel routes of addresses go
    # too (the kernel keeps none back), as on Linux
    _fib6(env).remove_where(lambda x: any(x is y for y in routes))
    return 0


def route6_get(a: Args, env: Env, target: str) -> int:
    """``ip -6 route get ADDR``: the route ``ip6_route_output`` picks and the source
    ``ipv6_dev_get_saddr`` would use (none printed when no address is usable yet)."""
    s = stack6(env.ns)
    if s is None:
        raise env.fail("RTNETLINK answers: Network is unreachable", rc=2)
    dst = parse_addr6(env, target.split("/")[0])
    try:
        rt = s.route_output(dst)
    except OSError:
        raise env.fail("RTNETLINK answers: Network is unreachable", rc=2) from None
    o: dict[str, Any] = {}
    local = rt.type == "local"
    if local:
        o["type"] = "local"
    o["dst"] = fmt_route.ip6(dst)
    o["from"] = "::"
    if rt.via is not None:
        o["gateway"] = fmt_route.ip6(rt.via)
    o["dev"] = rt.dev.name
    if local:
        o["table"] = "local"
    if rt.proto != "boot":
        o["protocol"] = rt.proto
    src = dst if local else (rt.prefsrc if rt.prefsrc is not None
                             else s.select_src(rt.dev, dst))
    if src is not None:
        o["prefsrc"] = fmt_route.ip6(src)
    o["metric"] = rt.metric
    o["flags"] = []
    o["pref"] = rt.pref
    if env.opts.get("json"):
        env.json([o])
        return 0
    line = ("local " if local else "") + o["dst"] + " from ::"
    if "gateway" in o:
        line += f" via {o['gateway']}"
    line += f" dev {o['dev']}"
    if local:
        line += " table local"
    if "protocol" in o:
        line += f" proto {o['protocol']}"
    if "prefsrc" in o:
        line += f" src {o['prefsrc']}"
    line += f" metric {o['metric']} pref {o['pref']}"
    env.out(line)
    return 0
