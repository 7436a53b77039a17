"""The nftables ``bridge`` family in the emulator: tables, chains on hooks, counters.

Design note
-----------
Base chains hang on the bridge's hooks (``input``, ``forward``, ``output``) and run in
priority order, lowest first (``nf_hook_slow``): a ``drop`` anywhere ends the frame, an
``accept`` ends only that chain. Within a chain, a matching rule with ``counter`` counts
packets and ``skb->len`` bytes, then its verdict acts (``jump`` pushes, ``return`` pops,
no verdict goes on). The match semantics are the ebtables engine's (``rule_matches``): the
kernel evaluates both as nf_tables expressions. ``listing`` prints ``nft list ruleset``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vnetlab.model.nft import NftCommand, NftError, NftRule, parse_nft, tokenize
from vnetlab.sim.netfilter.ebtables import EbTable, Verdict, rule_matches

if TYPE_CHECKING:
    from vnetlab.sim.stack.netns import Namespace


@dataclass(slots=True)
class NftEntry:
    rule: NftRule
    packets: int = 0
    bytes: int = 0


@dataclass(slots=True)
class NftChain:
    name: str
    hook: str | None = None
    priority: int = 0
    priority_text: str = "0"
    policy: str = "accept"
    entries: list[NftEntry] = field(default_factory=list)


@dataclass(slots=True)
class NftTable:
    name: str
    chains: dict[str, NftChain] = field(default_factory=dict)


class NftRuleset:
    def __init__(self) -> None:
        self.tables: dict[str, NftTable] = {}

    def apply(self, cmd: NftCommand) -> None:
        if cmd.op == "flush-ruleset":
            self.tables.clear()
            return
        if cmd.op == "add-table":
            self.tables.setdefault(cmd.table, NftTable(cmd.table))
            return
        t = self.tables.get(cmd.table)
        if t is None:
            raise NftError("Error: Could not process rule: No such file or directory")
        if cmd.op == "add-chain":
            if cmd.hook in ("prerouting", "postrouting"):
                # the bridge's PRE_ROUTING/POST_ROUTING hooks are not wired in the emulator:
                # refuse rather than keep a chain that would silently never run
                raise NftError(f"Error: vnetlab: the emulator does not run bridge "
                               f"{cmd.hook} chains yet (input, forward and output it does)")
            if cmd.chain not in t.chains:
                t.chains[cmd.chain] = NftChain(cmd.chain, cmd.hook, cmd.priority,
                                               cmd.priority_text, cmd.policy)
            return
        c = t.chains.get(cmd.chain)
        if c is None:
            raise NftError("Error: Could not process rule: No such file or directory")
        target = cmd.rule.rule.target
        if target not in ("ACCEPT", "DROP", "RETURN", "CONTINUE") and target not in t.chains:
            raise NftError("Error: Could not process rule: No such file or directory")
        c.entries.append(NftEntry(cmd.rule))

    def do_hook(self, hook: str, frame: bytes, iif: str, oif: str) -> Verdict:
        base = sorted(((c.priority, i, t, c) for i, t in enumerate(self.tables.values())
                       for c in t.chains.values() if c.hook == hook), key=lambda x: x[:2])
        for _, _, t, c in base:
            v = self._run(t, c, frame, iif, oif)
            if not v.accept:
                return v
        return Verdict(True)

    @staticmethod
    def _run(t: NftTable, chain: NftChain, frame: bytes, iif: str, oif: str) -> Verdict:
        ln = len(frame) - 14
        stack: list[tuple[NftChain, int]] = []
        i = 0
        while True:
            if i >= len(chain.entries):
                if stack:
                    chain, i = stack.pop()
                    continue
                return Verdict(chain.policy == "accept", chain.name)
            e = chain.entries[i]
            i += 1
            r = e.rule.rule
            if not rule_matches(r, frame, iif, oif):
                continue
            if e.rule.counter:
                e.packets += 1
                e.bytes += ln
            if r.target == "CONTINUE":
                continue
            if r.target in ("ACCEPT", "DROP"):
                return Verdict(r.target == "ACCEPT", f"{t.name} {chain.name}", None, i)
            if r.target == "RETURN":
                if not stack:
                    return Verdict(chain.policy == "accept", chain.name)
                chain, i = stack.pop()
                continue
            stack.append((chain, i))
            chain, i = t.chains[r.target], 0

    def listing(self) -> str:
        """``nft list ruleset`` (tables and chains in the order they were made)."""
        out: list[str] = []
        for t in self.tables.values():
            out.append(f"table bridge {t.name} {{")
            blocks = []
            for c in t.chains.values():
                lines = [f"\tchain {c.name} {{"]
                if c.hook is not None:
                    lines.append(f"\t\ttype filter hook {c.hook} priority {c.priority_text}; "
                                 f"policy {c.policy};")
                for e in c.entries:
                    lines.append("\t\t" + _rule_text(e))
                lines.append("\t}")
                blocks.append("\n".join(lines))
            out.append("\n\n".join(blocks))
            out.append("}")
        return "\n".join(out) + ("\n" if out else "")


def _rule_text(e: NftEntry) -> str:
    parts = list(e.rule.words)
    if e.rule.counter:
        parts.append(f"counter packets {e.packets} bytes {e.bytes}")
    t = e.rule.rule.target
    if t in ("ACCEPT", "DROP", "RETURN"):
        parts.append(t.lower())
    elif t != "CONTINUE":
        parts.append(f"jump {t}")
    return " ".join(parts)


def nft_command(ns: Namespace, argv: list[str]) -> str:
    """One ``nft`` invocation on ``ns``; its stdout."""
    cmd = parse_nft(argv)
    if cmd.op == "list-ruleset":
        return ns.nft.listing() if ns.nft is not None else ""
    if ns.nft is None:
        ns.nft = NftRuleset()
    if ns.ebt is None:  # the bridge's hooks run when either family has a table
        ns.ebt = EbTable()
    ns.nft.apply(cmd)
    return ""


def install_nft(ns: Namespace, lines: list[str]) -> None:
    from vnetlab.engine import UnsupportedError

    for line in lines:
        try:
            nft_command(ns, tokenize(line))
        except NftError as e:
            raise UnsupportedError(f"node {ns.name}: nft {line}: {e.message}") from None
