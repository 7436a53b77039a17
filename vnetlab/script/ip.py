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

from collections.abc import Callable
from typing import Any

from vnetlab.script.args import Args, Env, matches
from vnetlab.script.errors import NotSupportedYet
from vnetlab.script.inet6 import FAMILIES, family, is_v6
from vnetlab.script.ip_addr import addr_add, addr_del, addr_flush
from vnetlab.script.ip_common import (
    _OBJECTS,
    LINUX_KINDS,
    _spec_tables,
    kind_supported,
)
from vnetlab.script.ip_link import link_add, link_del, link_set, link_show, make_spec
from vnetlab.script.ip_neigh import ip_neigh
from vnetlab.script.ip_route import (
    route_add,
    route_del,
    route_flush,
    route_get,
    route_show,
)
from vnetlab.script.ip_route6 import route6_add, route6_del, route6_flush, route6_get, route6_show
from vnetlab.script.ip_xfrm import ip_xfrm
from vnetlab.wire.mac import mac_to_bytes, mac_to_str

#: runs ``CMD ...`` in namespace NS for ``ip netns exec NS CMD ...``: (argv, NS) -> status
RunSub = Callable[[list[str], str], int]


def run_ip(argv: list[str], env: Env, run_sub: RunSub) -> int:
    a = Args(argv, env)
    opts = env.opts
    while (opt := a.peek()) is not None and opt.startswith("-"):
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
        elif o in ("4", "6", "0"):
            opts["family"] = {"4": "inet", "6": "inet6", "0": "link"}[o]
        elif o in ("f", "family"):
            fam = a.value("-f")
            if fam not in FAMILIES:
                raise env.fail(f'Error: argument "{fam}" is wrong: invalid protocol family',
                               rc=255)
            opts["family"] = FAMILIES[fam]
        elif o in ("o", "oneline"):
            opts["oneline"] = True
        elif o.startswith("c") or o in ("N", "numeric"):
            pass  # colour, numeric: output unchanged
        elif o in ("V", "Version"):
            env.out("ip utility, iproute2-6.1.0 (vnetlab emulator)")
            return 0
        else:
            raise env.fail(f'Option "-{o}" is unknown, try "ip -help".', rc=255)
    if not a.more():
        raise env.fail("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }", rc=255)
    word = a.next()
    obj = next((o for o in _OBJECTS if matches(word, o)), None)
    handlers: dict[str, Callable[[Args, Env], int]] = {
        "link": ip_link, "address": ip_addr, "route": ip_route, "neighbor": ip_neigh,
        "neighbour": ip_neigh, "tuntap": ip_tuntap, "tap": ip_tuntap,
        "netns": lambda a, env: ip_netns(a, env, run_sub), "xfrm": ip_xfrm,
    }
    if obj is None:
        raise env.fail(f'Object "{word}" is unknown, try "ip help".', rc=255)
    if obj not in handlers:
        raise NotSupportedYet(f"ip {obj}", lineno=env.lineno)
    return handlers[obj](a, env)


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


# == ip route ==============================================================================
def _route_family(a: Args, env: Env) -> str | None:
    """``preferred_family``, else the family of the first address among the arguments
    (``get_prefix``/``get_addr`` with AF_UNSPEC set the request's family)."""
    fam = family(env)
    if fam is not None:
        return fam
    rest = a.argv[a.i:]
    for k, w in enumerate(rest):
        if k and rest[k - 1] in ("dev", "oif", "iif", "table", "proto", "protocol"):
            continue
        if is_v6(w):
            return "inet6"
    return None


def ip_route(a: Args, env: Env) -> int:
    verb = a.next() if a.more() else "show"
    if _route_family(a, env) == "inet6":
        return ip_route6(a, env, verb)
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


def ip_route6(a: Args, env: Env, verb: str) -> int:
    if verb in ("add", "append", "replace", "change", "prepend"):
        return route6_add(a, env, verb)
    if matches(verb, "delete"):
        return route6_del(a, env)
    if matches(verb, "show") or matches(verb, "list") or verb == "lst":
        return route6_show(a, env)
    if matches(verb, "flush"):
        return route6_flush(a, env)
    if matches(verb, "get"):
        words = [w for w in a.rest() if w not in ("to", "connected", "fibmatch")]
        if not words:
            raise env.fail("need at least a destination address", rc=255)
        return route6_get(a, env, words[0])
    raise env.fail(f'Command "{verb}" is unknown, try "ip route help".', rc=255)


# == ip netns ==============================================================================
def ip_netns(a: Args, env: Env, run_sub: RunSub) -> int:
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
    spec = make_spec(env, kind, fields)
    env.world.build(env.ns, kind, name, spec)
    return 0


__all__ = ["LINUX_KINDS", "kind_supported", "mac_to_bytes", "run_ip"]
