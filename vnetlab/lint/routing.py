"""ROUTE001 a node routes for others with forwarding off, ROUTE002 missing return route.

Design note
-----------
Both follow packets on the model (``LabView.walk``, the kernel's ``fib_lookup`` node by
node). ROUTE001: a static route whose gateway is another node's address sends that node
packets for networks it does not own — it must forward (``ip_forward``, checked by
``ip_forward()`` in ``ip_forward.c``'s caller ``ip_route_input_slow``: with forwarding off
the packet is not routed); likewise a ping check whose path stops at a node that does not
forward. ROUTE002: for every ping check expected reachable whose request arrives, the
reply is walked back from the destination to the source address the sender picked; if
the destination (or a router on the way) has no route, the reply never leaves. Checks
expected unreachable are left alone: they are meant to fail.
"""

from __future__ import annotations

from vnetlab.lint.context import Context
from vnetlab.model.checks import PingCheck


def check(ctx: Context) -> None:
    v = ctx.view
    lab = ctx.lab
    reported: set[str] = set()

    def forwarding_off(node: str, why: str) -> None:
        if node in reported:
            return
        reported.add(node)
        spec = lab.nodes[node]
        segs: tuple[object, ...] = ("nodes", node, "sysctls") if spec.sysctls else \
            ("nodes", node)
        ctx.add("ROUTE001", segs, f"node {node} has IP forwarding off, but {why}; it drops "
                "packets not addressed to itself")

    for n, node in lab.nodes.items():
        for k, r in enumerate(node.routes):
            if r.family != "inet" or (via := r.via4) is None:
                continue
            gw = v.by_ip.get(via)
            if gw is None or gw.node == n or lab.nodes[gw.node].ip_forward:
                continue
            mine = v.node_ips(gw.node)
            beyond = [a for a in v.addrs if a.iface.ip in r.network and a.node != gw.node
                      and a.iface.ip not in mine and a.node != n]
            if r.dst == "default" or beyond:
                forwarding_off(gw.node, f"nodes.{n}.routes[{k}] sends {r.dst} via its "
                               f"address {r.via}")
    for k, chk in enumerate(lab.checks):
        if not isinstance(chk, PingCheck) or chk.expect != "reachable":
            continue
        dst = chk.dst4  # the walk follows IPv4 routes
        if chk.src not in lab.nodes or dst is None:
            continue
        w = v.walk(chk.src, dst)
        if w.end == "not-forwarding":
            forwarding_off(w.at, f"the path of checks[{k}] ({chk.ping}) goes through it")
            continue
        if w.end != "delivered" or w.at == chk.src:
            continue
        src_ip = v.source_for(chk.src, dst)
        if src_ip is None:
            continue
        back = v.walk(w.at, src_ip)
        if back.end == "no-route":
            where = "" if back.at == w.at else f" (the reply stops at router {back.at})"
            ctx.add("ROUTE002", ("checks", k),
                    f"checks[{k}] ({chk.ping}): the request reaches {w.at}, but {back.at} has "
                    f"no route back to the source address {src_ip}{where}",
                    f"add a route on {back.at} toward {src_ip} (e.g. a default route via "
                    "the router it came through)")
        elif back.end == "not-forwarding":
            forwarding_off(back.at, f"the reply of checks[{k}] ({chk.ping}) is routed "
                           "through it")
