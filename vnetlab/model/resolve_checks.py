"""``resolve()``'s checks of the ``checks:`` section and the ``tc`` lines.

Design note: every check names what it probes in the user's terms; here each reference is
checked against the lab (a node, a bridge and its ports, an interface, a MAC) and, for a
ping to an IPv6 destination, that the source node has IPv6 on.
"""

from __future__ import annotations

from vnetlab.model.checks import (
    CounterCheck,
    FdbCheck,
    FramesCheck,
    InjectStep,
    IperfCheck,
    LinkStep,
    PingCheck,
    StormCheck,
    StpCheck,
    TraceCheck,
)
from vnetlab.model.errors import did_you_mean
from vnetlab.model.ovs_check import ovs_bridge_ports
from vnetlab.model.resolve_ctx import ResolveCtx, nodes_text


def check_checks(ctx: ResolveCtx) -> None:
    """Checks refer to existing nodes, bridges, ports and interfaces."""
    for k, check in enumerate(ctx.lab.checks):
        if isinstance(check, PingCheck | TraceCheck | IperfCheck):
            kind = ("ping" if isinstance(check, PingCheck) else
                    "trace" if isinstance(check, TraceCheck) else "iperf")
            missing = ctx.node_missing(("checks", k, kind), check.src, f"{kind} source")
            if isinstance(check, PingCheck) and check.family == "inet6" and not missing:
                _ping6(ctx, k, check)
        elif isinstance(check, FdbCheck):
            node, _, br = check.fdb.partition(":")
            seg = ("checks", k, "fdb")
            if not ctx.endpoint(seg, node, br, f"fdb check {check.fdb!r}"):
                pass
            elif br in ctx.lab.nodes[node].ovs:
                ports = ovs_bridge_ports(ctx.lab.nodes[node].ovs[br], br)
                if check.port is not None and check.port not in ports:
                    ctx.p.add(
                        ("checks", k, "port"),
                        f"{check.port!r} is not a port of Open vSwitch bridge {node}:{br} "
                        f"(ports: {nodes_text(ports)})",
                        did_you_mean(check.port, ports),
                    )
            elif br not in ctx.full[node]:
                ctx.p.add(seg, f"fdb check {check.fdb!r}: {br} is an Open vSwitch "
                           "internal port, not a bridge")
            elif ctx.full[node][br].type != "bridge":
                ctx.p.add(
                    seg,
                    f"fdb check {check.fdb!r}: {br} is a {ctx.full[node][br].type}, "
                    "not a bridge",
                    f"bridges of {node}: {nodes_text(ctx.bridges(node))}",
                )
            elif check.port is not None and check.port not in ctx.ports(node, br):
                ports = ctx.ports(node, br)
                ctx.p.add(
                    ("checks", k, "port"),
                    f"{check.port!r} is not a port of bridge {node}:{br} "
                    f"(ports: {nodes_text(ports)})",
                    did_you_mean(check.port, ports),
                )
            ctx.ref(("checks", k, "mac"), check.mac, broadcast=False)
        elif isinstance(check, StpCheck | StormCheck | LinkStep):
            _stp_check(ctx, k, check)
        elif isinstance(check, CounterCheck):
            node, _, ifname = check.counter.partition(":")
            ctx.endpoint(("checks", k, "counter"), node, ifname,
                           f"counter check {check.counter!r}")
        elif isinstance(check, InjectStep):
            node, _, ifname = check.inject.partition(":")
            ctx.endpoint(("checks", k, "inject"), node, ifname,
                           f"inject step {check.inject!r}")
            ctx.ref(("checks", k, "dst"), check.dst, broadcast=True)
            if check.src is not None:
                ctx.ref(("checks", k, "src"), check.src, broadcast=False)
        elif isinstance(check, FramesCheck):
            node, _, ifname = check.frames.partition(":")
            ctx.endpoint(
                ("checks", k, "frames"), node, ifname, f"frames check {check.frames!r}"
            )
            for field in ("src", "dst"):
                ref = getattr(check.match, field)
                if ref is not None:
                    ctx.ref(("checks", k, "match", field), ref, broadcast=field == "dst")

def check_tc_devices(ctx: ResolveCtx) -> None:
    """A node's ``tc`` lines and the ``tc`` steps name a device of that node
    (``tc`` itself says 'Cannot find device "X"')."""
    from vnetlab.model.checks import TcStep
    from vnetlab.model.tc import parse_tc_line

    where: list[tuple[tuple[str | int, ...], str, str]] = [
        (("nodes", n, "tc", k), n, line)
        for n, node in ctx.lab.nodes.items() for k, line in enumerate(node.tc)]
    for k, check in enumerate(ctx.lab.checks):
        if isinstance(check, TcStep):
            if check.tc not in ctx.lab.nodes:
                ctx.p.add(("checks", k, "tc"), f"tc step: no node {check.tc!r}",
                           f"nodes: {nodes_text(sorted(ctx.lab.nodes))}")
                continue
            where.append((("checks", k, "run"), check.tc, check.run))
    for seg, node, line in where:
        dev = parse_tc_line(line).dev
        devs = sorted(ctx.full[node])
        if dev != "lo" and dev not in ctx.full[node]:
            ctx.p.add(seg, f'tc {line}: Cannot find device "{dev}" in node {node}',
                       did_you_mean(dev, devs) or f"interfaces of {node}: "
                       f"{nodes_text(devs)}")

def _stp_check(ctx: ResolveCtx, k: int, check: StpCheck | StormCheck | LinkStep) -> None:
    """stp/storm checks name a Linux bridge (and its ports); a link step an interface."""
    if isinstance(check, LinkStep):
        node, _, ifname = check.link.partition(":")
        ctx.endpoint(("checks", k, "link"), node, ifname, f"link step {check.link!r}")
        return
    key = "stp" if isinstance(check, StpCheck) else "storm"
    ref = check.stp if isinstance(check, StpCheck) else check.storm
    node, _, br = ref.partition(":")
    seg = ("checks", k, key)
    if not ctx.endpoint(seg, node, br, f"{key} check {ref!r}"):
        return
    if br not in ctx.bridges(node):
        ctx.p.add(seg, f"{key} check {ref!r}: {br} is not a Linux bridge",
                   f"bridges of {node}: {nodes_text(ctx.bridges(node))}")
        return
    ports = ctx.ports(node, br)
    for field in ("port", "root_port"):
        name = getattr(check, field, None)
        if name is not None and name not in ports:
            ctx.p.add(("checks", k, field),
                       f"{name!r} is not a port of bridge {node}:{br} "
                       f"(ports: {nodes_text(ports)})", did_you_mean(name, ports))


def _ping6(ctx: ResolveCtx, k: int, check: PingCheck) -> None:
    """``ping -6`` needs IPv6 in the source node; a link-local destination's ``%IFNAME`` is
    an interface of the source node (iputils: "unknown iface")."""
    seg = ("checks", k, "ping")
    if not ctx.lab.node_ipv6(check.src):
        ctx.p.add(seg, f"ping {check.ping!r} is to an IPv6 destination, but node "
                  f"{check.src} has IPv6 off (ping -6 says: connect: Cannot assign requested "
                  "address)",
                  f"set 'ipv6: on' under nodes.{check.src} (IPv6 is on by default unless the "
                  "lab or node says off)")
        return
    if check.ifname is not None:
        ctx.endpoint(seg, check.src, check.ifname, f"ping {check.ping!r}")
