"""iproute2-compatible ``ip route`` and ``ip neigh`` output: the ``-j`` object, and the
plain line rendered from it (see ``fmt``'s design note).

Design note
-----------
A route shows ``proto``/``scope``/``src``/``metric`` only when they differ from what ``ip``
leaves out (``boot``, ``global``, none, 0), and ``linkdown`` while its device has no
carrier (not for devices that never report one: ``NetDevice.operstate_unknown``). A neighbour shows
its ``lladdr`` unless it is still resolving (``INCOMPLETE``) or failed.
"""

from __future__ import annotations

from typing import Any

from vnetlab.script.args import Obj
from vnetlab.script.inet6 import ip6_text
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.fib import Route
from vnetlab.sim.stack.neigh import Neighbour
from vnetlab.wire.mac import mac_to_str


def route_obj(r: Route) -> Obj:
    o: Obj = {"dst": r.dst_str}
    if r.via is not None:
        o["gateway"] = ip_str(r.via)
    o["dev"] = r.dev.name
    if r.proto != "boot":
        o["protocol"] = r.proto
    if r.scope != "global":
        o["scope"] = r.scope
    if r.prefsrc is not None:
        o["prefsrc"] = ip_str(r.prefsrc)
    if r.metric:
        o["metric"] = r.metric
    o["flags"] = ["linkdown"] if not r.dev.running and not r.dev.operstate_unknown else []
    return o


def route_plain(o: Obj) -> str:
    s: str = o["dst"]
    if "gateway" in o:
        s += f" via {o['gateway']}"
    s += f" dev {o['dev']}"
    if "protocol" in o:
        s += f" proto {o['protocol']}"
    if "scope" in o:
        s += f" scope {o['scope']}"
    if "prefsrc" in o:
        s += f" src {o['prefsrc']}"
    if "metric" in o:
        s += f" metric {o['metric']}"
    for f in o.get("flags", []):
        s += f" {f}"
    return s + " "


def ip6(a: int) -> str:
    return ip6_text(a)


def route6_obj(r: Any, *, table: bool = False) -> Obj:
    """One ``ip -j -6 route`` entry (``Rt6``): iproute2 prints the metric of every IPv6
    route and its ``pref``; ``table local`` only when listing all tables."""
    o: Obj = {}
    if r.type != "unicast":
        o["type"] = r.type
    o["dst"] = r.dst_str
    if r.via is not None:
        o["gateway"] = ip6_text(r.via)
    o["dev"] = r.dev.name
    if table and r.table != "main":
        o["table"] = r.table
    if r.proto != "boot":
        o["protocol"] = r.proto
    if r.prefsrc is not None:
        o["prefsrc"] = ip6_text(r.prefsrc)
    o["metric"] = r.metric
    o["flags"] = ["linkdown"] if not r.dev.running and not r.dev.operstate_unknown else []
    o["pref"] = r.pref
    return o


def route6_plain(o: Obj) -> str:
    s = f"{o['type']} {o['dst']}" if "type" in o else str(o["dst"])
    if "gateway" in o:
        s += f" via {o['gateway']}"
    if "dev" in o:
        s += f" dev {o['dev']}"
    if "table" in o:
        s += f" table {o['table']}"
    if "protocol" in o:
        s += f" proto {o['protocol']}"
    if "prefsrc" in o:
        s += f" src {o['prefsrc']}"
    s += f" metric {o['metric']}"
    for f in o.get("flags", []):
        s += f" {f}"
    return s + f" pref {o['pref']}"


def neigh_obj(n: Neighbour, fmt_ip: Any = ip_str, *, router: bool = False) -> Obj:
    """One ``ip -j neigh`` entry; an IPv6 neighbour that is a router (NTF_ROUTER) has
    ``"router": null`` (iproute2's ``print_null``) before its state."""
    o: Obj = {"dst": fmt_ip(n.ip), "dev": n.dev.name}
    if n.lladdr is not None and n.state not in ("INCOMPLETE", "FAILED"):
        o["lladdr"] = mac_to_str(n.lladdr)
    if router:
        o["router"] = None
    o["state"] = [n.state]
    return o


def neigh_plain(o: Obj) -> str:
    s: str = o["dst"] + (f" dev {o['dev']}" if "dev" in o else "")
    if "lladdr" in o:
        s += f" lladdr {o['lladdr']}"
    if "router" in o:
        s += " router"
    return s + " " + " ".join(o["state"]) + " "
