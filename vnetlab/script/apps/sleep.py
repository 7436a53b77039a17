"""``sleep`` (coreutils) in a script: lets virtual time pass.

Design note
-----------
``sleep 5`` runs the emulator's scheduler five seconds on, so FDB ageing, neighbour timers
and anything a background capture is waiting for happen meanwhile. Suffixes ``s``, ``m``,
``h``, ``d`` and several operands (summed) are coreutils'.
"""

from __future__ import annotations

from vnetlab.script.args import Env
from vnetlab.sim.clock import S

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def run_sleep(argv: list[str], env: Env) -> int:
    if not argv:
        raise env.fail("sleep: missing operand", rc=1)
    total = 0.0
    for v in argv:
        mult = _UNITS.get(v[-1:])
        num = v[:-1] if mult else v
        try:
            total += float(num) * (mult or 1)
        except ValueError:
            raise env.fail(f"sleep: invalid time interval '{v}'", rc=1) from None
    sched = env.world.sched
    sched.run(until=sched.now + int(total * S))
    return 0
