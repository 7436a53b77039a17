"""``ip neigh add/replace/change/del/show/flush`` on the emulator (ipneigh.c:
ipneigh_modify, do_show_or_flush).

Design note
-----------
The namespace's ARP table (``NeighTable``) is what ``ip neigh`` reads and changes: an entry
added by hand is permanent unless ``nud`` says otherwise; ``flush`` leaves permanent and
NOARP entries alone unless a ``nud`` is named, as iproute2's flush does. Output is
``fmt_route``'s ``neigh_obj``/``neigh_plain``.
"""

from __future__ import annotations

from typing import Any

from vnetlab.script import fmt_route
from vnetlab.script.args import Args, Env, matches
from vnetlab.script.errors import NotSupportedYet
from vnetlab.script.ip_common import _ipv4_or_fail
from vnetlab.sim.stack.neigh import NUD_PERMANENT, NUD_REACHABLE, NUD_STALE, Neighbour

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


def _neigh_select(r: dict[str, Any], env: Env) -> list[Neighbour]:
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
