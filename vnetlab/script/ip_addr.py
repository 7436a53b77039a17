"""``ip addr add/del/flush`` on the emulator (ipaddress.c: ipaddr_modify, ipaddr_flush);
``ip addr show`` is ``ip link show`` with addresses (``ip_link.link_show``).

Design note
-----------
The family of an address is iproute2's: ``-4``/``-6`` when given, else the address's own
form (a colon makes it IPv6). IPv6 addresses go through ``inet6.addr6_add`` /
``addr6_del`` (the kernel's ``inet6_addr_add``/``inet6_addr_del``: a new address is
tentative until DAD ends); the words of their errors are the kernel's extack messages
(``ipv6: address already assigned.``). ``flush`` without a family removes both.
"""

from __future__ import annotations

from vnetlab.script.args import Args, Env
from vnetlab.script.errors import NotSupportedYet
from vnetlab.script.inet6 import (
    addr6_add,
    addr6_del,
    dev_addrs6,
    family,
    is_v6,
    parse_prefix6,
    stack6,
)
from vnetlab.script.ip_common import _parse_prefix, _select
from vnetlab.sim.netdev import NetDevice

#: the ``ip addr add`` flag words that are IFA_F_* flags of the address
_V6_FLAGS = {"nodad", "noprefixroute", "home", "optimistic", "mngtmpaddr", "autojoin"}


def _addr_args(a: Args, env: Env) -> tuple[str | None, NetDevice | None, set[str]]:
    local = None
    dev = None
    words: set[str] = set()
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
            if w in ("valid_lft", "preferred_lft") and v != "forever":
                raise NotSupportedYet(f"ip addr add ... {w} {v}",
                                      "addresses here live forever", lineno=env.lineno)
        elif w in _V6_FLAGS:
            words.add(w)
        elif local is None:
            local = w
        else:
            raise env.fail(f'Error: either "local" is duplicate, or "{w}" is a garbage.',
                           rc=255)
    return local, dev, words


def _wants_v6(env: Env, local: str) -> bool:
    """``get_prefix`` with the run's family: -6 reads IPv6, -4 IPv4, neither decides by
    the address (and -4 with an IPv6 address fails in IPv4's words)."""
    fam = family(env)
    if fam == "inet6":
        return True
    if fam == "inet":
        return False
    return is_v6(local)


def addr_add(a: Args, env: Env, *, replace: bool = False) -> int:
    local, dev, words = _addr_args(a, env)
    if dev is None:
        raise env.fail('Not enough information: "dev" argument is required.', rc=255)
    if local is None:
        raise env.fail("RTNETLINK answers: Invalid argument", rc=2)
    if _wants_v6(env, local):
        return _addr6_add(env, dev, local, words, replace=replace)
    if is_v6(local):  # -4 with an IPv6 address
        raise env.fail(f'Error: inet prefix is expected rather than "{local}".', rc=1)
    addr = _parse_prefix(env, local)
    ns = env.ns
    if any(x.local == addr.local and x.plen == addr.plen for x in ns.addrs.get(dev, [])):
        if replace:
            return 0
        raise env.fail("Error: ipv4: Address already assigned.", rc=2)
    ns.add_addr(dev, addr)
    return 0


def _addr6_add(env: Env, dev: NetDevice, local: str, words: set[str], *,
               replace: bool) -> int:
    addr, plen = parse_prefix6(env, local,
                               what="inet6" if family(env) == "inet6" else "any valid")
    ns = env.ns
    s = stack6(ns)
    if s is None:
        raise env.fail("RTNETLINK answers: Address family not supported by protocol", rc=2)
    if s.dev_conf(dev).disable_ipv6:
        # inet6_addr_add: extack of addrconf_add_dev's EACCES
        raise env.fail("Error: ipv6: IPv6 is disabled on this device.", rc=2)
    if any(x.addr == addr for x in s.addrs.get(dev, [])):
        if replace:
            return 0
        raise env.fail("Error: ipv6: address already assigned.", rc=2)
    addr6_add(ns, dev, addr, plen, words & {"nodad", "noprefixroute", "home", "optimistic",
                                             "mngtmpaddr"})
    return 0


def addr_del(a: Args, env: Env) -> int:
    local, dev, _ = _addr_args(a, env)
    if dev is None:
        raise env.fail('Not enough information: "dev" argument is required.', rc=255)
    if local is None:
        raise env.fail("RTNETLINK answers: Operation not supported", rc=2)
    ns = env.ns
    if _wants_v6(env, local):
        addr, plen = parse_prefix6(env, local,
                                   what="inet6" if family(env) == "inet6" else "any valid")
        hit6 = next((x for x in dev_addrs6(ns, dev) if x.addr == addr and x.plen == plen),
                    None)
        if hit6 is None:
            raise env.fail("Error: ipv6: address not found.", rc=2)
        addr6_del(ns, hit6)
        return 0
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
    filt: dict[str, str] = {}
    devs = _select(a, env, filt)
    fam = family(env)
    scope = filt.get("scope")
    ns = env.ns
    for d in devs:
        if fam in (None, "inet") and scope in (None, "global", "host"):
            for x in list(ns.addrs.get(d, [])):
                if d is ns.lo and x.local >> 24 == 127:
                    continue
                if scope is not None and scope != ("host" if x.local >> 24 == 127
                                                   else "global"):
                    continue
                ns.del_addr(d, x)
        if fam in (None, "inet6"):
            for y in dev_addrs6(ns, d):
                if scope is None or y.scope == scope:
                    addr6_del(ns, y)
    return 0
