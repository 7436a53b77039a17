"""``resolve()``'s checks of addresses, routes and IPv6 use, as the kernel would refuse them.

Design note
-----------
IPv4 and IPv6 routes are checked alike against the connected prefixes of a node's up
devices: the gateway must be on one (``fib_check_nh`` "Nexthop has invalid gateway";
``ip6_route_check_nh`` "No route to host"), no two routes share dst and metric, and a
route does not duplicate a connected one ("File exists"). The metrics are the kernel's:
an IPv4 ``ip route add`` without one is metric 0 and so is its connected route; an IPv6
one is 1024 (``IP6_RT_PRIO_USER``) and the connected routes are 256
(``IP6_RT_PRIO_ADDRCONF``), every up IPv6 device having ``fe80::/64``.

A node with ``ipv6: off`` (``disable_ipv6=1`` on every device) refuses every IPv6 use as
the kernel does: an address ("IPv6 is disabled on this device"), a route ("IPv6 is
disabled on nexthop device"), a ping; the same for a device whose own
``net.ipv6.conf.DEV.disable_ipv6`` is 1, or whose MTU is below IPv6's minimum of 1280
(``ipv6_add_dev`` refuses it: the device has no IPv6 at all).
"""

from __future__ import annotations

import ipaddress

from vnetlab.model.base import ipv6_sysctl_range
from vnetlab.model.errors import did_you_mean
from vnetlab.model.ovs_check import ovs_netdev_addresses, ovs_netdev_path
from vnetlab.model.resolve_ctx import LOOPBACK, ResolveCtx, nodes_text

#: include/net/ip6_route.h
IP6_RT_PRIO_USER = 1024
IP6_RT_PRIO_ADDRCONF = 256
#: include/linux/ipv6.h: IPV6_MIN_MTU
IPV6_MIN_MTU = 1280
LINK_LOCAL = ipaddress.IPv6Network("fe80::/64")

Iface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


def _hint_on(ctx: ResolveCtx, node: str) -> str:
    where = "its own 'ipv6: off'" if ctx.lab.nodes[node].ipv6 is False else \
        "the lab's 'ipv6: off'"
    return (f"node {node} has IPv6 off ({where}); remove that (IPv6 is on by default) or "
            f"set 'ipv6: on' under nodes.{node}")


def ipv6_dev_off(ctx: ResolveCtx, node: str, ifname: str) -> str | None:
    """Why ``node:ifname`` has no IPv6, or None when it has."""
    if not ctx.lab.node_ipv6(node):
        return "off"
    sysctls = ctx.lab.nodes[node].sysctls
    if sysctls.get(f"net.ipv6.conf.{ifname.replace('.', '/')}.disable_ipv6") == 1:
        return "sysctl"
    spec = ctx.full[node].get(ifname)
    if spec is not None and spec.mtu is not None and spec.mtu < IPV6_MIN_MTU:
        return "mtu"
    return None


def check_ipv6_use(ctx: ResolveCtx) -> None:
    """IPv6 addresses and ``net.ipv6`` sysctls where the node or device has IPv6."""
    for n, node in ctx.lab.nodes.items():
        for i, spec in ctx.full[n].items():
            for k, addr in enumerate(spec.addresses):
                if addr.version != 6:
                    continue
                seg = (*ctx.iface_path(n, i), "addresses", k)
                why = ipv6_dev_off(ctx, n, i)
                if why == "off":
                    ctx.p.add(seg, f"address {addr} on {n}:{i} is IPv6, but node {n} has IPv6 "
                              "off; the kernel says: Error: ipv6: IPv6 is disabled on this "
                              "device.", _hint_on(ctx, n))
                elif why == "sysctl":
                    ctx.p.add(seg, f"address {addr} on {n}:{i} is IPv6, but the node's "
                              f"sysctl net.ipv6.conf.{i}.disable_ipv6 is 1; the kernel says: "
                              "Error: ipv6: IPv6 is disabled on this device.",
                              "remove the sysctl or the address")
                elif why == "mtu":
                    ctx.p.add(seg, f"address {addr} on {n}:{i} is IPv6, but the device's MTU "
                              f"{spec.mtu} is below IPv6's minimum of {IPV6_MIN_MTU}, so it has "
                              "no IPv6; the kernel says: RTNETLINK answers: Invalid argument",
                              f"give {i} 'mtu: {IPV6_MIN_MTU}' or more")
        for name, value in node.sysctls.items():
            found = ipv6_sysctl_range(name)
            if found is None:
                continue
            dev, _ = found
            seg = ("nodes", n, "sysctls", name)
            devs = [*ctx.full[n], LOOPBACK]
            if dev is not None and dev not in devs:
                ctx.p.add(seg, f"sysctl {name}: node {n} has no interface {dev!r}; sysctl "
                          f"says: cannot stat /proc/sys/{name.replace('.', '/')}: No such file "
                          "or directory", did_you_mean(dev, devs)
                          or f"interfaces of {n}: {nodes_text(devs)}")
            elif name.endswith(".disable_ipv6") and value == 0 and not ctx.lab.node_ipv6(n):
                ctx.p.add(seg, f"sysctl {name} = 0 turns IPv6 on, but node {n} has IPv6 off",
                          _hint_on(ctx, n))


def _connected(ctx: ResolveCtx, n: str, devs: dict[str, tuple[bool, list[Iface]]]
               ) -> list[tuple[str, Iface]]:
    """The prefix routes of the node's up devices: its addresses' subnets (none for a /32 or
    /128: ``fib_add_ifaddr``, ``addrconf_prefix_route`` with IFA_F_NOPREFIXROUTE aside) and
    ``fe80::/64`` on every device with IPv6."""
    out: list[tuple[str, Iface]] = []
    for i, (up, addresses) in devs.items():
        if not up:
            continue
        out += [(i, a) for a in addresses if a.network.prefixlen < a.max_prefixlen]
        if i in ctx.full[n] and ipv6_dev_off(ctx, n, i) is None:
            out.append((i, ipaddress.IPv6Interface("fe80::/64")))
    return out


def check_routes(ctx: ResolveCtx) -> None:
    for n, node in ctx.lab.nodes.items():
        ifaces = ctx.full[n]
        devs: dict[str, tuple[bool, list[Iface]]] = {
            i: (spec.up, list(spec.addresses)) for i, spec in ifaces.items()}
        devs.update({i: (up, list(a)) for i, (up, a) in ovs_netdev_addresses(ctx.lab, n).items()})
        connected = _connected(ctx, n, devs)
        seen: dict[tuple[str, int], int] = {}
        for k, route in enumerate(node.routes):
            seg = ("nodes", n, "routes", k)
            v6 = route.family == "inet6"
            dev_ok = True
            if v6 and not ctx.lab.node_ipv6(n):
                ctx.p.add(seg, f"route {route.dst} is an IPv6 route, but node {n} has IPv6 "
                          "off; the kernel says: Error: IPv6 is disabled on nexthop device.",
                          _hint_on(ctx, n))
                continue
            if route.dev is not None:
                if route.dev not in devs:
                    dev_ok = False
                    ctx.p.add(
                        (*seg, "dev"),
                        f"route dev {route.dev!r} is not an interface of node {n} "
                        f"(interfaces: {nodes_text(list(devs))}); the kernel says: "
                        "Cannot find device",
                        did_you_mean(route.dev, devs),
                    )
                elif v6 and route.dev in ifaces and ipv6_dev_off(ctx, n, route.dev):
                    dev_ok = False
                    ctx.p.add((*seg, "dev"), f"route {route.dst} is an IPv6 route, but "
                              f"{n}:{route.dev} has no IPv6 (disable_ipv6 or an MTU below "
                              f"{IPV6_MIN_MTU}); the kernel says: Error: IPv6 is disabled on "
                              "nexthop device.")
                elif not devs[route.dev][0] and route.via is None:
                    dev_ok = False
                    ctx.p.add(
                        (*seg, "dev"),
                        f"route dev {route.dev} is down ('up: false'); the kernel says: "
                        "Error: Device for nexthop is not up.",
                    )
            if route.via is not None and dev_ok:
                cands = [(i, a) for i, a in connected
                         if route.dev in (None, i) and a.version == route.via.version]
                if not any(route.via in a.network for _, a in cands):
                    on = f"dev {route.dev}" if route.dev else f"node {n}"
                    subnets = ", ".join(f"{a.network} ({i})" for i, a in cands) or "none"
                    says = ("RTNETLINK answers: No route to host" if v6 else
                            "Error: Nexthop has invalid gateway.")
                    ctx.p.add(
                        (*seg, "via"),
                        f"gateway {route.via} is not in a connected subnet of {on} "
                        f"(connected: {subnets}); the kernel says: {says}",
                        "the gateway must be a neighbour on a directly connected subnet; "
                        "add an address in its subnet or fix the gateway",
                    )
            # an IPv6 route added without a metric gets IP6_RT_PRIO_USER
            metric = route.metric or (IP6_RT_PRIO_USER if v6 else 0)
            key = (str(route.network), metric)
            if key in seen:
                ctx.p.add(
                    seg,
                    f"route {route.dst} metric {metric} is already given as "
                    f"{ctx.p.where(('nodes', n, 'routes', seen[key]))}; the kernel says: "
                    "RTNETLINK answers: File exists",
                    "remove one of them or give it a different metric",
                )
                continue
            seen[key] = k
            clash = [(i, a) for i, a in connected if str(a.network) == key[0]]
            connected_metric = IP6_RT_PRIO_ADDRCONF if v6 else 0
            if metric == connected_metric and clash:
                i, a = clash[0]
                ctx.p.add(
                    seg,
                    f"route {route.dst} metric {metric} duplicates the connected route of "
                    f"{n}:{i} ({a}); the kernel says: RTNETLINK answers: File exists",
                    "connected subnets are routed already; remove this route or give it "
                    f"a metric other than {metric}",
                )


def check_unique_addresses(ctx: ResolveCtx) -> None:
    """Every address once in the lab; a link-local IPv6 address only means something on
    its link (routers commonly all say fe80::1), so those are left to DAD."""
    seen: dict[ipaddress.IPv4Address | ipaddress.IPv6Address,
               tuple[str, str, tuple[object, ...]]] = {}
    for n, ifaces in ctx.full.items():
        owned: list[tuple[str, list[Iface], tuple[object, ...]]] = [
            (i, list(spec.addresses), ctx.iface_path(n, i)) for i, spec in ifaces.items()]
        owned += [(i, list(addrs), ovs_netdev_path(ctx.lab, n, i))
                  for i, (_, addrs) in ovs_netdev_addresses(ctx.lab, n).items()]
        for i, addresses, path in owned:
            for k, addr in enumerate(addresses):
                if addr.ip.is_link_local and addr.version == 6:
                    continue
                seg = (*path, "addresses", k)
                first = seen.get(addr.ip)
                if first is None:
                    seen[addr.ip] = (n, i, seg)
                    continue
                fn, fi, fseg = first
                ctx.p.add(
                    seg,
                    f"address {addr.ip} is on both {fn}:{fi} and {n}:{i} "
                    f"(first at {ctx.p.where(fseg)}); every address must be unique in "
                    "the lab",
                    "the kernel would accept it, but ARP and routing become a lottery"
                    if addr.version == 4 else
                    "the kernel would mark the second one dadfailed and never use it",
                )
