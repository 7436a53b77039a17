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

from vnetlab.script.args import Obj
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


def neigh_obj(n: Neighbour) -> Obj:
    o: Obj = {"dst": ip_str(n.ip), "dev": n.dev.name}
    if n.lladdr is not None and n.state not in ("INCOMPLETE", "FAILED"):
        o["lladdr"] = mac_to_str(n.lladdr)
    o["state"] = [n.state]
    return o


def neigh_plain(o: Obj) -> str:
    s: str = o["dst"] + (f" dev {o['dev']}" if "dev" in o else "")
    if "lladdr" in o:
        s += f" lladdr {o['lladdr']}"
    return s + " " + " ".join(o["state"]) + " "
