"""``ebtables`` (the nf_tables one, 1.8.9) in a script: the namespace's bridge filter table.

Design note
-----------
The words go to the same parser a lab's ``ebtables:`` list uses (vnetlab.model.filters)
and the same table the bridge hooks consult (vnetlab.sim.netfilter.ebtables); a refusal
prints the tool's own message and exits with its status. ``-L`` lists, ``--Lc`` with the
counters, as ebtables prints them.
"""

from __future__ import annotations

from vnetlab.model.filters import EbtablesError
from vnetlab.script.args import Env
from vnetlab.sim.netfilter.ebtables import ebtables_command


def run_ebtables(argv: list[str], env: Env) -> int:
    try:
        text = ebtables_command(env.ns, argv)
    except EbtablesError as e:
        raise env.fail(e.message, rc=e.status) from None
    for line in text.splitlines():
        env.out(line)
    return 0
