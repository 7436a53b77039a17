"""``ip neigh add/replace/change/del/show/flush`` on the emulator (ipneigh.c:
ipneigh_modify, do_show_or_flush).

Design note
-----------
The namespace's ARP table (``NeighTable``) is what ``ip neigh`` reads and changes: an entry
added by hand is permanent unless ``nud`` says otherwise; ``flush`` leaves permanent and
NOARP entries alone unless a ``nud`` is named, as iproute2's flush does. Output is
``fmt_route``'s ``neigh_obj``/``neigh_plain``.

IPv6 neighbours are the namespace's ``nd_tbl`` (``ns.ipv6.nd_tbl``, the same
``NeighTable``): ``ip -6 neigh`` (or an IPv6 address) works on it; ``ip neigh show``
without a family lists ARP's entries, then NDISC's, as the kernel dumps its tables.
``show`` leaves NOARP entries out unless ``nud`` names states (iproute2's default filter:
the ``ff02::16`` entries MLD reports make are NOARP). ``router`` marks an entry
NTF_ROUTER (the ``router`` word of ``ip -6 neigh``).
"""

from __future__ import annotations

from typing import Any

from vnetlab.script import fmt_route
from vnetlab.script.args import Args, Env, matches
from vnetlab.script.errors import NotSupportedYet
from vnetlab.script.inet6 import family, ip6_text, is_v6, parse_addr6, parse_prefix6, stack6
from vnetlab.script.ip_common import _ipv4_or_fail
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.neigh import (
    NUD_PERMANENT,
    NUD_REACHABLE,
    NUD_STALE,
    Neighbour,
    NeighTable,
)

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


def _fam_word(env: Env) -> str:
    return {"inet": "inet", "inet6": "inet6"}.get(family(env) or "", "any valid")


def _dst(env: Env, w: str, r: dict[str, Any]) -> int:
    """The neighbour's address; its family picks the table (``-6`` or a colon)."""
    if family(env) == "inet6" or (family(env) is None and is_v6(w)):
        r["v6"] = True
        if "/" in w:
            return parse_prefix6(env, w, what=_fam_word(env))[0]
        return parse_addr6(env, w)
    return _ipv4_or_fail(env, w.split("/")[0])


def _tables(env: Env, r: dict[str, Any]) -> list[tuple[NeighTable, Any]]:
    """(table, address formatter) the command acts on: ARP's, NDISC's or both."""
    fam = family(env)
    if r.get("v6"):
        fam = "inet6"
    elif "dst" in r:
        fam = "inet"
    out: list[tuple[NeighTable, Any]] = []
    if fam in (None, "inet"):
        out.append((env.ns.stack.neigh, ip_str))
    s6 = stack6(env.ns)
    if fam in (None, "inet6") and s6 is not None:
        out.append((s6.nd_tbl, ip6_text))
    return out


def _neigh_args(a: Args, env: Env, *, show: bool = False) -> dict[str, Any]:
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
        elif w == "router" and show:
            # iproute2 6.1 reads "router" after show as the address filter: it fails
            raise env.fail(f'Error: {_fam_word(env)} prefix is expected rather than '
                           f'"{w}".', rc=1)
        elif w == "router":
            r["router"] = True
        elif w in ("proxy", "extern_learn", "managed"):
            raise NotSupportedYet(f"ip neigh ... {w}", lineno=env.lineno)
        elif w == "to":
            r["dst"] = _dst(env, a.value("to"), r)
        elif w in ("nud", "all"):
            pass
        elif "dst" not in r:
            r["dst"] = _dst(env, w.split("/")[0] if not show else w, r)
        else:
            raise env.fail(f'Error: either "to" is duplicate, or "{w}" is a garbage.', rc=255)
    return r


def neigh_add(a: Args, env: Env, verb: str) -> int:
    r = _neigh_args(a, env)
    if "dst" not in r or "dev" not in r:
        raise env.fail("Device and destination are required arguments.", rc=255)
    tables = _tables(env, r)
    if not tables:
        raise env.fail("RTNETLINK answers: Address family not supported by protocol", rc=2)
    neigh = tables[0][0]
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
    n = neigh.entries[key]
    n.state = nud
    if nud in ("INCOMPLETE", "FAILED") and "lladdr" not in r:
        n.lladdr = None
    routers = _routers(env)
    if r.get("router"):
        if not r.get("v6") and family(env) != "inet6":
            raise NotSupportedYet("ip neigh ... router for IPv4", lineno=env.lineno)
        routers.add(key)
    else:
        routers.discard(key)
    return 0


def _routers(env: Env) -> set[Any]:
    """NTF_ROUTER entries: (dev, address) pairs of the IPv6 stack (``nd_router``)."""
    s6 = stack6(env.ns)
    return s6.nd_router if s6 is not None else set()


def neigh_del(a: Args, env: Env) -> int:
    r = _neigh_args(a, env)
    if "dst" not in r or "dev" not in r:
        raise env.fail("Device and destination are required arguments.", rc=255)
    tables = _tables(env, r)
    n = tables[0][0].entries.pop((r["dev"], r["dst"]), None) if tables else None
    if n is None:
        raise env.fail("RTNETLINK answers: No such file or directory", rc=2)
    _routers(env).discard((r["dev"], r["dst"]))
    if n.timer is not None:
        n.timer.cancel()
    return 0


def _neigh_select(r: dict[str, Any], table: NeighTable, *,
                  show: bool = False) -> list[Neighbour]:
    out = []
    for (dev, ip), n in table.entries.items():
        if "dev" in r and dev is not r["dev"]:
            continue
        if "dst" in r and ip != r["dst"]:
            continue
        if "nud" in r and n.state != r["nud"]:
            continue
        if show and "nud" not in r and n.state == "NOARP":
            continue  # ipneigh.c: the default state filter leaves NUD_NOARP out
        out.append(n)
    return out


def neigh_show(a: Args, env: Env) -> int:
    r = _neigh_args(a, env, show=True)
    objs: list[dict[str, Any]] = []
    for table, fmt_ip in _tables(env, r):
        order = {k: i for i, k in enumerate(table.entries)}
        ns = _neigh_select(r, table, show=True)
        ns.sort(key=lambda n: (n.dev.ifindex, -order[(n.dev, n.ip)]))
        routers = _routers(env) if fmt_ip is ip6_text else set()
        objs.extend(fmt_route.neigh_obj(n, fmt_ip, router=(n.dev, n.ip) in routers)
                    for n in ns)
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
    for table, _ in _tables(env, r):
        for n in _neigh_select(r, table):
            if n.state in (NUD_PERMANENT, "NOARP") and "nud" not in r:
                continue
            table.entries.pop((n.dev, n.ip), None)
            _routers(env).discard((n.dev, n.ip))
            if n.timer is not None:
                n.timer.cancel()
    return 0
