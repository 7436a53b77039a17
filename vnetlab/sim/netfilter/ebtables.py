"""The bridge family's ``filter`` table: chains, rules, counters (net/bridge/netfilter/ebtables.c).

Design note
-----------
One ``EbTable`` per namespace (``Namespace.ebt``, made when the first command arrives) with
the three base chains INPUT / FORWARD / OUTPUT and any user chains. ``ebt_do_table`` walks
a chain the way the kernel does: a matching rule bumps its counters (packets, and bytes as
``skb->len``, i.e. the frame without its 14-byte Ethernet header, which the bridge has
pulled before its hooks run) and then its target decides: ACCEPT / DROP end the walk,
CONTINUE goes on, RETURN pops to the calling chain (in a base chain: the policy), a chain
name jumps. The end of a user chain is its policy (RETURN unless set). Rules are the
model's ``EbRule`` (vnetlab.model.filters), so a lab's words mean the same on both engines;
``listing`` prints ``ebtables -L [--Lc]`` as ebtables 1.8.9 (nf_tables) does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vnetlab.model.filters import (
    BUILTIN_CHAINS,
    STANDARD_TARGETS,
    EbCommand,
    EbRule,
    EbtablesError,
    MacMask,
    Net,
    parse_ebtables,
    split_words,
)

if TYPE_CHECKING:
    from vnetlab.sim.stack.netns import Namespace

ETH_P_ARP = 0x0806
ETH_P_RARP = 0x8035
ETH_P_IP = 0x0800


@dataclass(slots=True)
class EbEntry:
    rule: EbRule
    pcnt: int = 0
    bcnt: int = 0


@dataclass(slots=True)
class EbChain:
    name: str
    policy: str
    entries: list[EbEntry] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Verdict:
    accept: bool
    chain: str = ""  # where the deciding rule (or policy) is
    rule: EbRule | None = None  # None: the chain's policy decided
    number: int = 0  # 1-based rule number in ``chain``


class EbTable:
    def __init__(self) -> None:
        self.chains: dict[str, EbChain] = {n: EbChain(n, "ACCEPT") for n in BUILTIN_CHAINS}
        #: the chains that exist in nf_tables: ebtables-nft makes a built-in chain only when
        #: a rule or policy first needs it, though ``-L`` lists all three
        self.made: set[str] = set()

    # -- commands --------------------------------------------------------------------------
    def apply(self, cmd: EbCommand) -> None:
        """One parsed command, with ebtables' refusals for chains that do not exist."""
        if cmd.op == "new-chain":
            if cmd.chain in self.chains:
                raise EbtablesError(
                    f"ebtables v1.8.9 (nf_tables): Chain '{cmd.chain}' already exists", 1)
            self.chains[cmd.chain] = EbChain(cmd.chain, "RETURN")
            return
        if cmd.op in ("zero", "flush") and not cmd.chain:
            for c in self.chains.values():
                self._zero_or_flush(c, cmd.op)
            return
        chain = self.chains.get(cmd.chain)
        if chain is None or (cmd.op == "delete" and cmd.position and cmd.chain
                             in BUILTIN_CHAINS and cmd.chain not in self.made):
            raise EbtablesError("ebtables: No chain/target/match by that name", 1)
        if cmd.op in ("zero", "flush"):
            self._zero_or_flush(chain, cmd.op)
        elif cmd.op == "policy":
            if cmd.policy == "RETURN" and cmd.chain in BUILTIN_CHAINS:
                raise EbtablesError(
                    "ebtables v1.8.9 (nf_tables): Policy RETURN only allowed for user "
                    "defined chains\nTry `ebtables -h' or 'ebtables --help' for more "
                    "information.", 2)
            chain.policy = cmd.policy
            self.made.add(cmd.chain)
        elif cmd.op == "delete":
            if cmd.position:
                if cmd.position > len(chain.entries):
                    raise EbtablesError("ebtables: Index of deletion too big", 1)
                del chain.entries[cmd.position - 1]
                return
            for k, e in enumerate(chain.entries):
                if e.rule == cmd.rule:
                    del chain.entries[k]
                    return
            raise EbtablesError(
                "ebtables: Bad rule (does a matching rule exist in that chain?)", 1)
        elif cmd.op == "delete-chain":
            if cmd.chain in BUILTIN_CHAINS:
                raise EbtablesError("ebtables v1.8.9 (nf_tables): Cannot delete built-in "
                                    "chain", 1)
            del self.chains[cmd.chain]
        else:
            t = cmd.rule.target
            if t not in STANDARD_TARGETS and t not in self.chains:
                raise EbtablesError(
                    f"ebtables v1.8.9 (nf_tables): Chain '{t}' does not exist\n"
                    "Try `ebtables -h' or 'ebtables --help' for more information.", 2)
            if cmd.op == "append":
                chain.entries.append(EbEntry(cmd.rule))
            else:
                chain.entries.insert(cmd.position - 1, EbEntry(cmd.rule))
            self.made.add(cmd.chain)

    @staticmethod
    def _zero_or_flush(chain: EbChain, op: str) -> None:
        if op == "flush":
            chain.entries.clear()
            return
        for e in chain.entries:
            e.pcnt = e.bcnt = 0

    # -- the hook --------------------------------------------------------------------------
    def do_table(self, hook: str, frame: bytes, iif: str, oif: str) -> Verdict:
        """``ebt_do_table``: the verdict of base chain ``hook`` on ``frame``."""
        ln = len(frame) - 14
        stack: list[tuple[EbChain, int]] = []
        chain = self.chains[hook]
        i = 0
        while True:
            if i >= len(chain.entries):
                if chain.policy == "RETURN" and stack:  # only user chains have it
                    chain, i = stack.pop()
                    continue
                return Verdict(chain.policy == "ACCEPT", chain.name)
            entry = chain.entries[i]
            i += 1
            if not rule_matches(entry.rule, frame, iif, oif):
                continue
            entry.pcnt += 1
            entry.bcnt += ln
            t = entry.rule.target
            if t == "CONTINUE":
                continue
            if t == "ACCEPT" or t == "DROP":
                return Verdict(t == "ACCEPT", chain.name, entry.rule, i)
            if t == "RETURN":
                if not stack:
                    return Verdict(chain.policy == "ACCEPT", chain.name)
                chain, i = stack.pop()
                continue
            stack.append((chain, i))
            chain, i = self.chains[t], 0

    # -- output ----------------------------------------------------------------------------
    def listing(self, counters: bool = False, numbers: bool = False, chain: str = "") -> str:
        """``ebtables -L [CHAIN] [--Ln] [--Lc]``."""
        if chain and chain not in self.chains:
            raise EbtablesError(f"ebtables v1.8.9 (nf_tables): chain `{chain}' in table "
                                "`filter' is incompatible, use 'nft' tool.", 1)
        out = ["Bridge table: filter", ""]
        for c in self.chains.values():
            if chain and c.name != chain:
                continue
            out.append(f"Bridge chain: {c.name}, entries: {len(c.entries)}, policy: {c.policy}")
            for k, e in enumerate(c.entries, 1):
                line = f"{k} {e.rule.text()}" if numbers else e.rule.text()
                if counters:
                    line += f" , pcnt = {e.pcnt} -- bcnt = {e.bcnt}"
                out.append(line)
            out.append("")
        return "\n".join(out[:-1]) + "\n"


def _mac_hit(m: MacMask, b: bytes) -> bool:
    mac, mask = m
    return all((x & k) == y for x, k, y in zip(b, mask, mac, strict=True))


def _net_hit(n: Net, b: bytes) -> bool:
    return (int.from_bytes(b, "big") & n[1]) == n[0]


def _if_hit(pattern: str, name: str) -> bool:
    """Interface names match exactly, or by prefix when the pattern ends in ``+``."""
    if pattern.endswith("+"):
        return name.startswith(pattern[:-1])
    return name == pattern


def rule_matches(r: EbRule, f: bytes, iif: str, oif: str) -> bool:  # noqa: C901 - one table
    """``ebt_basic_match`` plus the arp/ip/among matches (``ebt_arp_mt``, ``ebt_ip_mt``,
    ``ebt_among_mt``): every given match must hold, each honouring its ``!``."""
    if len(f) < 14:
        return False
    etype = int.from_bytes(f[12:14], "big")
    if r.proto is not None and (etype == r.proto[0]) == r.proto[1]:
        return False
    if r.src is not None and _mac_hit(r.src[0], f[6:12]) == r.src[1]:
        return False
    if r.dst is not None and _mac_hit(r.dst[0], f[0:6]) == r.dst[1]:
        return False
    if r.iif is not None and _if_hit(r.iif[0], iif) == r.iif[1]:
        return False
    if r.oif is not None and _if_hit(r.oif[0], oif) == r.oif[1]:
        return False
    if r.among_src is not None and (f[6:12] in r.among_src[0]) == r.among_src[1]:
        return False
    if r.among_dst is not None and (f[0:6] in r.among_dst[0]) == r.among_dst[1]:
        return False
    if (r.arp_op or r.arp_ip_src or r.arp_ip_dst or r.arp_mac_src
            or r.arp_mac_dst) is not None and not _arp_matches(r, f[14:]):
        return False
    return (r.ip_src or r.ip_dst or r.ip_proto) is None or _ip_matches(r, f[14:])


def _arp_matches(r: EbRule, a: bytes) -> bool:
    """``ebt_arp_mt``: the address matches need Ethernet/IPv4 sizes (hln 6, pln 4)."""
    if len(a) < 8:
        return False
    if r.arp_op is not None and (int.from_bytes(a[6:8], "big") == r.arp_op[0]) == r.arp_op[1]:
        return False
    want_addr = (r.arp_ip_src or r.arp_ip_dst or r.arp_mac_src or r.arp_mac_dst) is not None
    if not want_addr:
        return True
    if len(a) < 28:
        return False
    if r.arp_ip_src or r.arp_ip_dst:
        if a[5] != 4:
            return False
    if r.arp_mac_src or r.arp_mac_dst:
        if a[4] != 6:
            return False
    sha, spa, tha, tpa = a[8:14], a[14:18], a[18:24], a[24:28]
    if r.arp_ip_src is not None and _net_hit(r.arp_ip_src[0], spa) == r.arp_ip_src[1]:
        return False
    if r.arp_ip_dst is not None and _net_hit(r.arp_ip_dst[0], tpa) == r.arp_ip_dst[1]:
        return False
    if r.arp_mac_src is not None and _mac_hit(r.arp_mac_src[0], sha) == r.arp_mac_src[1]:
        return False
    return r.arp_mac_dst is None or _mac_hit(r.arp_mac_dst[0], tha) != r.arp_mac_dst[1]


def _ip_matches(r: EbRule, h: bytes) -> bool:
    """``ebt_ip_mt`` on the IPv4 header."""
    if len(h) < 20:
        return False
    if r.ip_src is not None and _net_hit(r.ip_src[0], h[12:16]) == r.ip_src[1]:
        return False
    if r.ip_dst is not None and _net_hit(r.ip_dst[0], h[16:20]) == r.ip_dst[1]:
        return False
    return r.ip_proto is None or (h[9] == r.ip_proto[0]) != r.ip_proto[1]


def ebtables_command(ns: Namespace, argv: list[str]) -> str:
    """Run one ``ebtables`` invocation on ``ns``'s table; its stdout (``-L``) or ""."""
    args = argv[2:] if argv[:2] == ["-t", "filter"] else argv
    if args and args[0] in ("-L", "--list"):
        flags = set(args[1:])
        names = [a for a in args[1:] if not a.startswith("-")]
        table = ns.ebt if ns.ebt is not None else EbTable()
        return table.listing(counters="--Lc" in flags, numbers="--Ln" in flags,
                             chain=names[0] if names else "")
    cmd = parse_ebtables(argv)
    if ns.ebt is None:
        ns.ebt = EbTable()
    ns.ebt.apply(cmd)
    return ""


def install_ebtables(ns: Namespace, lines: list[str]) -> None:
    """A lab node's ``ebtables`` list, in order (a refused line is a lab error)."""
    from vnetlab.engine import UnsupportedError

    for line in lines:
        try:
            ebtables_command(ns, split_words(line))
        except EbtablesError as e:
            raise UnsupportedError(
                f"node {ns.name}: ebtables {line}: {e.message.splitlines()[0]}") from None
