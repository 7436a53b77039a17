"""The packet path of the emulated vswitchd (ofproto/ofproto-dpif-upcall.c, dpif-netdev).

Design note
-----------
``dp_input`` is ``dp_netdev_input``: the frame's flow key (``vnetlab.openflow.flow``),
the megaflow lookup, on a miss the upcall (``xlate_actions`` with side effects; its
actions and wildcards become a megaflow), then the datapath actions run on the frame
(``execute``: one skb per output, a branch of the trace when traced). Periodic work (MAC
ageing, OpenFlow timeouts, idle megaflows: ``run``) is done lazily when a packet or a
command arrives, so an idle lab schedules nothing. ``revalidate`` is the revalidators'
pass after MAC learning or the flow tables changed: every megaflow is re-translated
without side effects; a changed mask deletes it, changed actions modify it in place
(``revalidate_ukey``), keeping its counters.

A traced packet (``vnetlab trace``) also gets the OpenFlow side of its path: on a miss the
upcall's own trace nodes, on a hit a side-effect-free translation of the key (what the
cached flow stands for), reported through ``simtrace``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vnetlab.openflow.flow import extract
from vnetlab.sim.ovs import odp
from vnetlab.sim.ovs.dpif import Dpif, DpPort, Upcall, mask_of
from vnetlab.sim.ovs.oftrace import OfTraceNode
from vnetlab.sim.ovs.xlate import xlate_actions

if TYPE_CHECKING:
    from vnetlab.sim.netdev import Skb
    from vnetlab.sim.ovs.vswitchd import Vswitchd

TUNNEL_TYPES = ("vxlan", "geneve")


#: how often (virtual seconds) the periodic work runs at most; OVS's own timers tick in
#: seconds too (MAC ages, flow timeouts), so nothing it shows is coarser than this
RUN_INTERVAL = 0.5


def run(vs: Vswitchd, force: bool = False) -> None:
    """Periodic work, done lazily: MAC ageing, OpenFlow timeouts, idle megaflows."""
    now = vs.now
    if not force and now - vs.last_run < RUN_INTERVAL:
        return
    vs.last_run = now
    changed = False
    for br in vs.bridges.values():
        if br.ml.run(now):
            changed = True
        if br.tables.expire(now):
            changed = True
    for dpif in vs.dpifs.values():
        dpif.expire(now)
    if changed:
        revalidate(vs)


def dp_input(vs: Vswitchd, dpif: Dpif, port_no: int, skb: Skb,
             tun: dict[str, int] | None = None) -> None:
    """``dp_netdev_input``: key, megaflow lookup or upcall, execute."""
    vs.reconfigure()
    run(vs)
    key = extract(skb.data, port_no, tun)
    if skb.trace is not None:
        _traced_input(vs, dpif, key, skb)
        return
    acts, _ = dpif.receive(key, skb.data, vs.now)
    after_upcall(vs)
    execute(vs, dpif, skb.data, acts, None)


def _traced_input(vs: Vswitchd, dpif: Dpif, key: dict[str, int], skb: Skb) -> None:
    from vnetlab.sim.ovs import simtrace

    owner = vs.owner(dpif.dp_type, key)
    where = f"{vs.ns.name}:{owner[0].name}" if (vs.ns and owner) else "ovs"
    hit = dpif.lookup(key)
    nodes: list[OfTraceNode] = []
    if hit is not None:
        acts, _ = dpif.receive(key, skb.data, vs.now)
        if owner is not None:
            flow = dict(key)
            flow["in_port"] = owner[1].ofp_port
            xlate_actions(owner[0], flow, now=vs.now, side_effects=False, trace=nodes)
    else:
        acts, _ = dpif.receive(key, skb.data, vs.now, nodes)
    after_upcall(vs)
    assert skb.trace is not None
    simtrace.report(skb.trace, where, hit is not None, nodes, acts)
    execute(vs, dpif, skb.data, acts, skb.trace)


def make_upcall(vs: Vswitchd, dp_type: str) -> Any:
    """The datapath's miss handler (``upcall_cb``) for one datapath type."""
    def upcall(key: dict[str, int], frame: bytes, trace: Any) -> Upcall:
        owner = vs.owner(dp_type, key)
        if owner is None:
            return Upcall((), {}, [], install=False)
        br, x = owner
        flow = dict(key)
        flow["in_port"] = x.ofp_port
        nodes = trace if isinstance(trace, list) else None
        ctx = xlate_actions(br, flow, now=vs.now, side_effects=True, trace=nodes,
                            packet=frame)
        return Upcall(tuple(ctx.odp), ctx.finish_wc(), ctx.xcache)
    return upcall


def after_upcall(vs: Vswitchd) -> None:
    """MAC learning moved or a learn action added a flow: revalidate."""
    if any(br.ml.need_revalidate for br in vs.bridges.values()):
        for br in vs.bridges.values():
            br.ml.need_revalidate = False
        revalidate(vs)
    vs.tables_changed()


def revalidate(vs: Vswitchd) -> None:
    """``revalidate``: re-translate every megaflow; one whose mask changed is deleted,
    one whose actions changed is modified in place (``revalidate_ukey``)."""
    vs.note_versions()
    for dp_type, dpif in vs.dpifs.items():
        for flow in dpif.flows():
            owner = vs.owner(dp_type, flow.key)
            if owner is None:
                dpif.flow_del(flow)
                continue
            key = dict(flow.key)
            key["in_port"] = owner[1].ofp_port
            ctx = xlate_actions(owner[0], key, now=vs.now, side_effects=False, trace=None)
            wc = ctx.finish_wc()
            wc["in_port"] = 0xFFFFFFFF
            wc["recirc_id"] = 0xFFFFFFFF
            if mask_of(wc) != flow.mask:
                dpif.flow_del(flow)  # UKEY_DELETE
            elif tuple(ctx.odp) != flow.actions:
                flow.actions = tuple(ctx.odp)  # UKEY_MODIFY: the counters stay
                flow.xcache = ctx.xcache


def execute(vs: Vswitchd, dpif: Dpif, frame: bytes, acts: tuple[odp.OdpAction, ...],
            trace: Any) -> None:
    """Run datapath actions; each output is its own skb (a branch of the trace)."""
    from vnetlab.sim.netdev import Skb

    n_out = sum(1 for a in acts if isinstance(a, odp.Output))

    def output(port_no: int, data: bytes, tunnel: odp.SetTunnel | None) -> None:
        port: DpPort | None = dpif.ports.get(port_no)
        if port is None:
            return
        t = trace
        if t is not None and n_out > 1:
            t = t.branch(f"copy to {port.name}")
        if port.type in TUNNEL_TYPES:
            from vnetlab.sim.ovs import tunnel as tnl

            tnl.send(vs, dpif, port, data, tunnel, t)
            return
        port.send(Skb(data, t))

    def tnl_pop(port: int, data: bytes) -> None:
        from vnetlab.sim.ovs import native_tnl

        native_tnl.execute_pop(vs, dpif.dp_type, port, data, trace)

    odp.execute(frame, acts, output, tnl_pop=tnl_pop)
