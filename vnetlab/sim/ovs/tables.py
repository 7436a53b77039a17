"""The OpenFlow tables of one emulated bridge, as translation uses them.

Design note
-----------
A thin layer over ``vnetlab.openflow.classifier``: tables 0..254 (one ``Classifier``
each, created on first use), rules with their counters and timeouts on virtual time, the
group table, and ``learn``. Translation needs ``lookup`` (OR-ing into the wildcards what
the classifier examined, ``rule_dpif_lookup_in_table``), ``credit`` (rule statistics, also
from datapath hits through the xlate cache) and ``expire`` (idle/hard timeouts,
``ofproto_rule_expire``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vnetlab.openflow.classifier import Classifier
from vnetlab.openflow.match import Match

N_TABLES = 255


@dataclass(eq=False)
class Rule:
    """``struct rule``: a flow of a table."""

    match: Match
    priority: int
    actions: tuple[Any, ...]
    table_id: int = 0
    cookie: int = 0
    idle_timeout: int = 0
    hard_timeout: int = 0
    importance: int = 0
    flags: frozenset[str] = frozenset()
    created: float = 0.0
    used: float = 0.0
    modified: float = 0.0
    n_packets: int = 0
    n_bytes: int = 0

    def match_text(self) -> str:
        return self.match.format()


@dataclass(eq=False)
class Group:
    group_id: int
    type: str
    buckets: list[Any] = field(default_factory=list)
    n_packets: int = 0
    n_bytes: int = 0


class RuleTables:
    def __init__(self) -> None:
        self.tables: dict[int, Classifier[Rule]] = {}
        self.groups: dict[int, Group] = {}

    def table(self, table_id: int) -> Classifier[Rule]:
        t = self.tables.get(table_id)
        if t is None:
            t = self.tables[table_id] = Classifier()
        return t

    def rules(self) -> list[Rule]:
        return [r for tid in sorted(self.tables) for r in self.tables[tid]]

    def insert(self, rule: Rule) -> Rule | None:
        return self.table(rule.table_id).insert(rule)

    def remove(self, rule: Rule) -> None:
        self.table(rule.table_id).remove(rule)

    def lookup(self, table_id: int, flow: dict[str, int], wc: dict[str, int]) -> Rule | None:
        t = self.tables.get(table_id)
        if t is None:
            return None
        return t.lookup(flow, wc)

    @staticmethod
    def credit(rule: Rule, n_bytes: int, now: float) -> None:
        rule.n_packets += 1
        rule.n_bytes += n_bytes
        rule.used = now

    def add_normal_flow(self, now: float) -> None:
        from vnetlab.openflow.actions import Normal

        self.insert(Rule(Match(), 0, (Normal(),), created=now, used=now, modified=now))

    def del_normal_flow(self, now: float) -> None:
        del now
        t = self.tables.get(0)
        if t is None:
            return
        r = t.find_exactly(Match(), 0)
        if r is not None:
            t.remove(r)

    def expire(self, now: float) -> bool:
        """``ofproto_rule_expire``: True if a rule went."""
        gone = False
        for r in self.rules():
            if (r.hard_timeout and now >= r.modified + r.hard_timeout) or (
                    r.idle_timeout and now >= r.used + r.idle_timeout):
                self.remove(r)
                gone = True
        return gone

    def learn(self, action: Any, flow: dict[str, int], now: float) -> None:
        """``learn_execute``: build the learned flow from the packet and add it."""
        match = Match()
        acts: list[Any] = []
        from vnetlab.openflow.actions import Output, SetField

        for spec in action.specs:
            dst = spec.dst
            if spec.kind == "match" and dst is not None:
                if spec.src is not None:
                    src_v = spec.src.field.from_member(flow.get(spec.src.field.member, 0))
                    bits = (src_v >> spec.src.ofs) & ((1 << spec.src.nbits) - 1)
                else:
                    bits = spec.value or 0
                v, m = dst.field.to_member(bits << dst.ofs, dst.mask)
                match.set(dst.field.member, v, m)
            elif spec.kind == "load" and dst is not None:
                if spec.src is not None:
                    src_v = spec.src.field.from_member(flow.get(spec.src.field.member, 0))
                    bits = (src_v >> spec.src.ofs) & ((1 << spec.src.nbits) - 1)
                else:
                    bits = spec.value or 0
                acts.append(SetField(dst.field.name, bits << dst.ofs, dst.mask, raw="load"))
            elif spec.kind == "output" and spec.src is not None:
                port = spec.src.field.from_member(flow.get(spec.src.field.member, 0))
                acts.append(Output((port >> spec.src.ofs) & ((1 << spec.src.nbits) - 1)))
        rule = Rule(match, action.priority, tuple(acts), action.table, action.cookie,
                    action.idle_timeout, action.hard_timeout, created=now, used=now,
                    modified=now)
        old = self.table(rule.table_id).find_exactly(match, rule.priority)
        if old is not None:
            old.modified = old.used = now
            old.actions = rule.actions
            return
        self.insert(rule)
