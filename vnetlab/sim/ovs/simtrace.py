"""OVS in ``vnetlab trace``: the OpenFlow tables a packet went through, as trace events.

Design note
-----------
The emulator's hop-by-hop tree (``vnetlab.sim.trace``) gets, for each datapath input of a
traced packet, one DECISION (megaflow hit or upcall) and a nested branch per bridge and
table holding the ``ofproto/trace`` nodes (the rule, its actions, NORMAL's decisions), then
the datapath actions. A translation that outputs nothing ends the packet with a drop whose
reason is ``OVS_DROP_LAST_ACTION`` (the kernel openvswitch module's drop reason); the verdict
line keeps its usual shape.
"""

from __future__ import annotations

from vnetlab.sim.ovs import odp
from vnetlab.sim.ovs.oftrace import OFT_BRIDGE, OFT_BUCKET, OFT_TABLE, OfTraceNode
from vnetlab.sim.trace import DropReason, EventKind, TraceNode

_NESTING = (OFT_BRIDGE, OFT_TABLE, OFT_BUCKET)


def _add(trace: TraceNode, where: str, nodes: list[OfTraceNode]) -> None:
    for n in nodes:
        if n.type in _NESTING:
            child = trace.branch(f"{where}: {n.text}", probe=False)
            _add(child, where, n.subs)
        else:
            trace.add(where, n.text, EventKind.DECISION)
            if n.subs:
                _add(trace, where, n.subs)


def report(trace: TraceNode, where: str, hit: bool, nodes: list[OfTraceNode],
           acts: tuple[odp.OdpAction, ...]) -> None:
    how = "megaflow hit" if hit else "megaflow miss, upcall"
    trace.add(where, f"datapath: {how}", EventKind.DECISION)
    _add(trace, where, nodes)
    text = odp.format_odp_actions(acts)
    if not any(isinstance(a, odp.Output) for a in acts):
        trace.drop(where, f"datapath actions: {text}", DropReason.OVS_DROP_LAST_ACTION)
    else:
        trace.add(where, f"datapath actions: {text}", EventKind.DECISION)
