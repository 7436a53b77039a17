"""``sleep`` (coreutils) in a script: lets virtual time pass.

Design note
-----------
``sleep 5`` runs the emulator's scheduler five seconds on, so FDB ageing, neighbour timers
and anything a background capture is waiting for happen meanwhile. Suffixes ``s``, ``m``,
``h``, ``d`` and several operands (summed) are coreutils'. An operand that is not a finite
non-negative number (``nan``) gets coreutils' ``invalid time interval``; ``-5`` is an
option to coreutils and gets its ``invalid option``. ``infinity`` (or a sum past
``MAX_SLEEP_S``) is valid to coreutils but never returns, and a script has no Ctrl-C:
vnetlab refuses it with coreutils' words plus a line saying why, rather than hang.
"""

from __future__ import annotations

import math

from vnetlab.script.args import Env
from vnetlab.sim.clock import S

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: the longest sleep a script may ask for: a year of virtual time
MAX_SLEEP_S = 365 * 86400


def _interval(v: str, env: Env) -> float:
    """coreutils ``apply_suffix`` over ``xstrtod``: one operand in seconds."""
    mult = _UNITS.get(v[-1:])
    num = v[:-1] if mult else v
    try:
        x = float(num) * (mult or 1)
    except ValueError:
        x = math.nan
    if math.isnan(x) or x < 0 or not num:
        raise env.fail(f"sleep: invalid time interval '{v}'\n"
                       "Try 'sleep --help' for more information.", rc=1)
    return x


def run_sleep(argv: list[str], env: Env) -> int:
    operands = list(argv)
    if operands and operands[0] == "--":
        operands.pop(0)
    elif operands and operands[0].startswith("-") and len(operands[0]) > 1:
        raise env.fail(f"sleep: invalid option -- '{operands[0][1]}'\n"
                       "Try 'sleep --help' for more information.", rc=1)
    if not operands:
        raise env.fail("sleep: missing operand\n"
                       "Try 'sleep --help' for more information.", rc=1)
    total = sum(_interval(v, env) for v in operands)
    if total > MAX_SLEEP_S:
        shown = " ".join(operands)
        raise env.fail(f"sleep: invalid time interval '{shown}'\n"
                       f"vnetlab: sleep {shown} would not return (a script has no Ctrl-C); "
                       f"sleep at most {MAX_SLEEP_S} s ({MAX_SLEEP_S // 86400}d)", rc=1)
    sched = env.world.sched
    sched.run(until=sched.now + int(total * S))
    return 0
