"""``ip addr add/del/flush`` on the emulator (ipaddress.c: ipaddr_modify, ipaddr_flush);
``ip addr show`` is ``ip link show`` with addresses (``ip_link.link_show``)."""

from __future__ import annotations

from vnetlab.script.args import Args, Env
from vnetlab.script.errors import NotSupportedYet
from vnetlab.script.ip_common import _parse_prefix, _select
from vnetlab.sim.netdev import NetDevice


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
