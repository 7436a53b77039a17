"""L2001: layer-2 loops among switches without STP (``vnetlab.model.loops.find_loops``).

Design note: the loop finder is the one the emulator's storm report and the linux
engine's plan-time refusal use, so lint, ``run`` and ``up`` agree on what a loop is. A
finding sits on the port of the first hop (the wire that closes the cycle is the last
hop's); its message names the whole cycle. OVS tunnel ports are not followed (the
finder's documented limit), so a loop through them is not reported.
"""

from __future__ import annotations

from vnetlab.lint.context import Context
from vnetlab.model.loops import find_loops


def check(ctx: Context) -> None:
    v = ctx.view
    for loop in find_loops(ctx.lab):
        last = loop.hops[-1]
        switches = sorted({f"{h.node}:{h.switch}" for h in loop.hops})
        ctx.add("L2001", v.seg((last.node, last.port)),
                f"layer-2 loop without STP: {loop.describe()}; one broadcast becomes a "
                "storm that eats a CPU core",
                f"set stp: true on one of {', '.join(switches)}, or remove the link at "
                f"{last.node}:{last.port}")
