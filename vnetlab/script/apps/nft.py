"""``nft`` (nftables 1.0) in a script, for the ``bridge`` family: the namespace's ruleset.

Design note
-----------
The words go to the parser a lab's ``nft:`` list uses (vnetlab.model.nft) and the ruleset
the bridge hooks consult (vnetlab.sim.netfilter.nft); ``nft list ruleset`` prints it as
nft does, with the counters. A refusal prints nft's first error line and exits 1.
"""

from __future__ import annotations

from vnetlab.model.nft import NftError
from vnetlab.script.args import Env
from vnetlab.sim.netfilter.nft import nft_command


def run_nft(argv: list[str], env: Env) -> int:
    try:
        text = nft_command(env.ns, argv)
    except NftError as e:
        raise env.fail(e.message, rc=e.status) from None
    for line in text.splitlines():
        env.out(line)
    return 0
