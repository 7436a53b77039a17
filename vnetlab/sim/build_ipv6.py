"""The IPv6 half of building an emulated lab: sysctls, addresses and routes of a node.

Design note
-----------
The order is a script's: ``net.ipv6.conf.{all,default}.*`` before any device exists (so
``default`` is what each device copies when it registers, ``addrconf``'s rule), then the
devices' own ``net.ipv6.conf.DEV.*`` before their links come up (``addr_gen_mode`` and
``dad_transmits`` matter at NETDEV_UP), addresses with the IPv4 ones, routes after the
links are up (a gateway is looked up among the connected prefixes). A node with
``ipv6: off`` gets ``Namespace(ipv6=False)``: ``disable_ipv6=1`` in ``all`` and
``default`` before ``lo`` registers, exactly what the linux engine does with its
``IPV6_OFF`` sysctls, so nothing IPv6 ever happens there.

Addresses go in through addrconf's ``inet6_addr_add``: permanent, through DAD, their prefix
route (metric 256) once the device is up.
"""

from __future__ import annotations

import errno

from vnetlab.engine import UnsupportedError
from vnetlab.model.origin import lab_where
from vnetlab.model.spec import LabSpec, NetdevSpec, NodeSpec
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr6 import ip6_int
from vnetlab.sim.stack.addrconf import inet6_addr_add
from vnetlab.sim.stack.netns import Namespace
from vnetlab.sim.stack.route6 import IP6_RT_PRIO_USER, RouteExists6, Rt6

__all__ = ["add_ipv6_addresses", "add_ipv6_routes", "ipv6_sysctls"]


def _is_device_key(name: str) -> bool:
    """``net.ipv6.conf.DEV.KEY`` of one device (not ``all``/``default``, not ``icmp``)."""
    parts = name.split(".")
    return len(parts) == 5 and parts[2] == "conf" and parts[3] not in ("all", "default")


def ipv6_sysctls(lab: LabSpec, node_name: str, ns: Namespace, *, devices: bool) -> None:
    """``sysctl -w net.ipv6....`` of the node: the namespace-wide keys (``devices`` False:
    before any device exists) or the per-device ones (True: before the links come up)."""
    for name, value in lab.nodes[node_name].sysctls.items():
        if not name.startswith("net.ipv6.") or _is_device_key(name) != devices:
            continue
        try:
            ns.ipv6.sysctl_set(name.removeprefix("net.ipv6."), value)
        except OSError as e:
            what = "Invalid argument" if e.errno == errno.EINVAL else \
                "No such file or directory" if e.errno == errno.ENOENT else str(e)
            raise UnsupportedError(
                f"{lab_where(lab, ('nodes', node_name, 'sysctls', name))}: sysctl "
                f"{name}={value}: {what}") from None


def add_ipv6_addresses(ns: Namespace, dev: NetDevice, spec: NetdevSpec) -> None:
    """``ip -6 addr add CIDR dev DEV`` for each IPv6 address of the device: permanent,
    tentative until DAD passes once the link is up (``inet6_addr_add``)."""
    for cidr in spec.addresses6:
        try:
            inet6_addr_add(ns, dev, ip6_int(cidr.ip), cidr.network.prefixlen)
        except OSError as e:  # a lab that skipped resolve(), which refuses these first
            why = ("Error: ipv6: IPv6 is disabled on this device." if e.errno == errno.EACCES
                   else "RTNETLINK answers: File exists" if e.errno == errno.EEXIST
                   else str(e))
            raise UnsupportedError(f"{ns.name}:{dev.name}: ip addr add {cidr}: {why}") from None


def add_ipv6_routes(lab: LabSpec, node_name: str, node: NodeSpec, ns: Namespace) -> None:
    """``ip -6 route add DST [via GW] [dev DEV] [metric N]`` (metric 0: 1024, the kernel's
    ``IP6_RT_PRIO_USER``), after the links are up: a permanent address's prefix route is
    there from NETDEV_UP on (``fixup_permanent_addr``), tentative or not, so a gateway on it
    is on-link as for ``ip -6 route add`` right after ``ip link set up``."""
    for k, r in enumerate(node.routes):
        if r.family != "inet6":
            continue
        net = r.network
        via = ip6_int(str(r.via)) if r.via is not None else None
        where = lab_where(lab, ("nodes", node_name, "routes", k))
        if r.dev is not None:
            dev = ns.dev(r.dev)
        else:
            assert via is not None  # the model wants via or dev
            nh = ns.ipv6.fib6.lookup(via)
            if nh is None or nh.type != "unicast" or nh.via is not None:
                raise UnsupportedError(f"{where}: gateway {r.via} is not on a connected "
                                       "prefix of an interface that is up (RTNETLINK "
                                       "answers: No route to host)")
            dev = nh.dev
        try:
            ns.ipv6.fib6.add(Rt6(ip6_int(str(net.network_address)), net.prefixlen, dev, via,
                                 r.metric or IP6_RT_PRIO_USER, "boot"))
        except RouteExists6:
            raise UnsupportedError(f"{where}: RTNETLINK answers: File exists") from None
