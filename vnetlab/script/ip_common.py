"""What the ``ip`` subcommands share: kind tables, device lookup, argument helpers."""

from __future__ import annotations

import ipaddress
from typing import Any

from pydantic import ValidationError

from vnetlab.model import kinds as model_kinds
from vnetlab.script import fmt
from vnetlab.script.args import Args, Env
from vnetlab.script.errors import NotSupportedYet
from vnetlab.sim import build as sim_build
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import InetAddr, ip_int
from vnetlab.sim.stack.netns import Namespace

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
    return model_kinds.SPEC_BY_KIND, sim_build.DEVICE_BUILDERS


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


def _ns_for_netns(env: Env, name: str) -> Namespace:
    if name.isdigit():
        raise NotSupportedYet(f"netns {name} (a process id)",
                              "name the namespace (ip netns add NAME) instead",
                              lineno=env.lineno)
    ns = env.world.namespaces.get(name)
    if ns is None:
        raise env.fail(f'Invalid "netns" value "{name}"', rc=255)
    return ns


def _check_mtu(env: Env, mtu: int, lo: int, hi: int) -> None:
    if mtu < lo:
        raise env.fail("Error: mtu less than device minimum.", rc=2)
    if mtu > hi:
        raise env.fail("Error: mtu greater than device maximum.", rc=2)


def _find_dev_arg(a: Args, env: Env) -> NetDevice:
    if not a.more():
        raise env.fail('Not enough information: "dev" argument is required.', rc=255)
    w = a.next()
    if w == "dev":
        w = a.value("dev")
    return env.dev(w)


def _ctx(env: Env) -> fmt.Ctx:
    return fmt.Ctx(env.ns, lambda d: env.world.nsid(env.ns_name, d.ns.name))


def _select(a: Args, env: Env, filt: dict[str, str] | None = None) -> list[NetDevice]:
    """The devices ``ip link/addr show|flush`` selects; FILT (when given) receives the
    address filters (``scope``, ``to``) and whether a ``dev`` was named."""
    filt = {} if filt is None else filt
    ns = env.ns
    devs = sorted(ns.devices.values(), key=lambda d: d.ifindex)
    while a.more():
        w = a.next()
        if w == "dev":
            w = a.value("dev")
            names = [w]
            filt["dev"] = w
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
                filt[w] = a.value(w)
            continue
        else:
            names = [w]
            filt["dev"] = w
        if names[0] not in ns.devices:
            raise env.fail(f'Device "{names[0]}" does not exist.')
        devs = [d for d in devs if d.name == names[0]]
    return devs


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


def _ipv4_or_fail(env: Env, v: str) -> int:
    try:
        return ip_int(v)
    except ValueError:
        raise env.fail(f'Error: inet address is expected rather than "{v}".', rc=1) from None
