"""The OpenFlow tables and group table of one bridge (the flow-table half of
``ofproto/ofproto.c``: ``add_flow_start``, ``modify_flows_start__``, ``delete_flows_start__``,
``ofproto_rule_expire``, ``handle_group_mod``).

Design note: :class:`OfprotoTables` holds tables 0..254 (each a :class:`Classifier` of
:class:`Rule`) and the groups. Time is the caller's virtual clock ``now`` (seconds, float):
rules remember ``created``, ``modified`` (hard_age) and ``used`` (idle_age); :meth:`expire`
removes what idle/hard timeouts say is gone. Errors are :class:`OfpError` carrying OVS's
OpenFlow error name (``OFPBAC_BAD_OUT_GROUP``); the ``ovs-ofctl`` front-end prints them as the
real tool does.

Semantics follow OVS 3.1 as measured: ``add`` replaces a rule with the same match and priority
(counters reset, as OpenFlow 1.0 adds carry ``reset_counts``); a loose ``modify`` that matches
nothing adds the flow (OpenFlow 1.0), keeps counters, timeouts and ``used``, and bumps
``modified``; ``delete`` filters by ``out_port``/``out_group`` and cookie mask; table 254 is
OVS's hidden internal table and refuses flow mods (``OFPBRC_EPERM``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from vnetlab.openflow.actions import (
    Action,
    All,
    Controller,
    Enqueue,
    Flood,
    Group,
    InPort,
    Learn,
    Local,
    Normal,
    Output,
    SetField,
    WriteActions,
)
from vnetlab.openflow.classifier import Classifier, Wildcards
from vnetlab.openflow.fields import FIELDS, prereqs_ok
from vnetlab.openflow.match import Match
from vnetlab.openflow.ofctl_learn import learned_flow
from vnetlab.openflow.ofctl_parse import Bucket, FlowMod, GroupMod

__all__ = ["N_TABLES", "TABLE_HIDDEN", "OfGroup", "OfpError", "OfprotoTables", "Rule",
           "dp_hash_map"]

#: tables 0..253 are the user's; 254 is OVS's hidden internal table
N_TABLES = 255
TABLE_HIDDEN = 254


class OfpError(Exception):
    """An OpenFlow error reply: ``name`` is OVS's (``OFPFMFC_OVERLAP``, ...)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(eq=False)
class Rule:
    """``struct rule`` + its stats (``n_packets``/``n_bytes``; times on the caller's clock)."""

    match: Match
    priority: int
    table_id: int
    actions: tuple[Action, ...]
    cookie: int = 0
    idle_timeout: int = 0
    hard_timeout: int = 0
    importance: int = 0
    flags: frozenset[str] = frozenset()
    n_packets: int = 0
    n_bytes: int = 0
    created: float = 0.0
    modified: float = 0.0
    used: float = 0.0

    def credit(self, n_bytes: int, now: float, n_packets: int = 1) -> None:
        """Account a packet (``rule_credit_stats``)."""
        self.n_packets += n_packets
        self.n_bytes += n_bytes
        self.used = max(self.used, now)


@dataclass(eq=False)
class OfGroup:
    """``struct ofgroup``: buckets with ids assigned, and its stats."""

    group_id: int
    type: str
    buckets: list[Bucket]
    selection_method: str = ""
    fields: tuple[str, ...] = ()
    n_packets: int = 0
    n_bytes: int = 0
    created: float = 0.0


_RESERVED_OUT = {Normal: 0xFFFA, Flood: 0xFFFB, All: 0xFFFC, InPort: 0xFFF8, Local: 0xFFFE}


def outputs_to_port(acts: Iterable[Action], port: int) -> bool:
    """``ofpacts_output_to_port``."""
    for a in acts:
        if isinstance(a, Output | Enqueue) and a.port == port:
            return True
        if isinstance(a, Controller) and port == 0xFFFD:
            return True
        if type(a) in _RESERVED_OUT and _RESERVED_OUT[type(a)] == port:
            return True
        if isinstance(a, WriteActions) and outputs_to_port(a.actions, port):
            return True
    return False


def outputs_to_group(acts: Iterable[Action], group_id: int) -> bool:
    for a in acts:
        if isinstance(a, Group) and a.group_id == group_id:
            return True
        if isinstance(a, WriteActions) and outputs_to_group(a.actions, group_id):
            return True
    return False


def _groups_used(acts: Iterable[Action]) -> Iterator[int]:
    for a in acts:
        if isinstance(a, Group):
            yield a.group_id
        elif isinstance(a, WriteActions):
            yield from _groups_used(a.actions)


def match_covers(general: Match, specific: Match) -> bool:
    """``rule_is_loose_match``/``cls_rule_is_loose_match``: every bit ``general`` matches
    ``specific`` also matches, with the same value."""
    for member, gm in general.masks.items():
        sm = specific.masks.get(member, 0)
        if gm & ~sm:
            return False
        if (specific.values.get(member, 0) ^ general.values[member]) & gm:
            return False
    return True


@dataclass
class OfprotoTables:
    """The flow tables and the group table of one bridge."""

    tables: list[Classifier[Rule]] = field(
        default_factory=lambda: [Classifier() for _ in range(N_TABLES)])
    groups: dict[int, OfGroup] = field(default_factory=dict)
    #: grows on every change of flows or groups (the emulated datapath revalidates on it)
    version: int = 0
    #: per-table lookup/matched counters (``dump-tables``)
    n_lookup: list[int] = field(default_factory=lambda: [0] * N_TABLES)
    n_matched: list[int] = field(default_factory=lambda: [0] * N_TABLES)

    # flows --------------------------------------------------------------------------------
    def rules(self, table: int | None = None) -> Iterator[Rule]:
        """Every rule, table by table (``dump-flows`` order)."""
        ids = range(N_TABLES) if table is None or table == 255 else [table]
        for t in ids:
            yield from self.tables[t]

    def lookup(self, table: int, key: dict[str, int], wc: Wildcards | None = None,
               count: bool = True) -> Rule | None:
        """The rule a packet with flow ``key`` hits in ``table`` (None = table miss);
        ``count`` False for lookups without side effects (``ofproto/trace``)."""
        rule = self.tables[table].lookup(key, wc)
        if count:
            self.n_lookup[table] += 1
            if rule is not None:
                self.n_matched[table] += 1
        return rule

    def flow_mod(self, fm: FlowMod, now: float) -> None:
        """``handle_flow_mod``: apply one add/modify/delete; raises OfpError."""
        if fm.table == TABLE_HIDDEN:
            raise OfpError("OFPBRC_EPERM")
        self.version += 1
        if fm.command == "add":
            self.add(fm, now)
        elif fm.command in ("modify", "modify_strict"):
            self.modify(fm, now, fm.command == "modify_strict")
        else:
            self.delete(fm, fm.command == "delete_strict")

    def _check_actions(self, acts: Iterable[Action], match: Match | None = None) -> None:
        # no TLV map is ever configured here, so Geneve option fields are unusable
        if match is not None and any(m.startswith("tun_metadata") for m in match.masks):
            raise OfpError("NXFMFC_INVALID_TLV_FIELD")
        if any(isinstance(a, SetField) and a.field.startswith("tun_metadata") for a in acts):
            raise OfpError("NXFMFC_INVALID_TLV_FIELD")
        for gid in _groups_used(acts):
            if gid not in self.groups:
                raise OfpError("OFPBAC_BAD_OUT_GROUP")
        if match is not None:
            # the switch re-checks what arrived: an OpenFlow 1.0 mod_nw_ecn arrives as a
            # Nicira load, which needs its field's prerequisites (ofpacts_check)
            for a in acts:
                if isinstance(a, SetField) and a.raw in ("load", "set_field") and \
                        not prereqs_ok(FIELDS[a.field].prereq, match.values, match.masks):
                    raise OfpError("OFPBAC_MATCH_INCONSISTENT")

    def add(self, fm: FlowMod, now: float) -> Rule:
        """``add_flow_start``: insert, replacing an identical match+priority rule."""
        table = 0 if fm.table == 255 else fm.table
        self._check_actions(fm.actions, fm.match)
        cls = self.tables[table]
        if "check_overlap" in fm.flags and self._overlaps(cls, fm):
            raise OfpError("OFPFMFC_OVERLAP")
        flags = fm.flags | ({"reset_counts"} if "of10" in fm.usable else set())
        rule = Rule(fm.match.copy(), fm.priority, table, fm.actions,
                    cookie=fm.new_cookie or 0, idle_timeout=fm.idle_timeout,
                    hard_timeout=fm.hard_timeout, importance=fm.importance,
                    flags=frozenset(flags - {"check_overlap"}),
                    created=now, modified=now, used=now)
        cls.insert(rule)
        return rule

    @staticmethod
    def _overlaps(cls: Classifier[Rule], fm: FlowMod) -> bool:
        for r in cls:
            if r.priority != fm.priority:
                continue
            common = set(r.match.masks) & set(fm.match.masks)
            if all(not ((r.match.values[m] ^ fm.match.values[m])
                        & r.match.masks[m] & fm.match.masks[m]) for m in common):
                return True
        return False

    def select(self, fm: FlowMod, strict: bool, any_priority: bool = False) -> list[Rule]:
        """``collect_rules_loose``/``collect_rules_strict`` with the out_port, out_group
        and cookie filters."""
        out: list[Rule] = []
        for rule in self.rules(fm.table):
            if rule.table_id == TABLE_HIDDEN:
                continue
            if strict:
                if (rule.priority != fm.priority and not any_priority) \
                        or rule.match != fm.match:
                    continue
            elif not match_covers(fm.match, rule.match):
                continue
            if (rule.cookie ^ fm.cookie) & fm.cookie_mask:
                continue
            if fm.out_port != 0xFFFF and not outputs_to_port(rule.actions, fm.out_port):
                continue
            if fm.out_group != 0xFFFFFFFF and not outputs_to_group(rule.actions,
                                                                   fm.out_group):
                continue
            out.append(rule)
        return out

    def modify(self, fm: FlowMod, now: float, strict: bool) -> None:
        """``modify_flows_start__``: new actions (and cookie) for the selected rules; adds
        the flow when none is selected and no cookie mask was given."""
        self._check_actions(fm.actions)
        rules = self.select(fm, strict)
        if not rules:
            if not fm.cookie_mask:
                add = replace(fm, command="add", flags=fm.flags - {"reset_counts"},
                              usable=fm.usable - {"of10"})
                self.add(add, now)
            return
        for r in rules:
            r.actions = fm.actions
            r.modified = now
            if fm.new_cookie is not None and not fm.cookie_mask:
                r.cookie = fm.new_cookie
            # OVS replaces the rule by a new version, which dumps list last
            self.tables[r.table_id].insert(r)

    def delete(self, fm: FlowMod, strict: bool) -> list[Rule]:
        """``delete_flows_start__``."""
        rules = self.select(fm, strict)
        for r in rules:
            self.tables[r.table_id].remove(r)
        return rules

    def expire(self, now: float) -> list[Rule]:
        """``ofproto_rule_expire``: drop rules past their hard or idle timeout."""
        gone: list[Rule] = []
        for cls in self.tables:
            if not len(cls):
                continue
            for r in list(cls):
                if (r.hard_timeout and now >= r.modified + r.hard_timeout) or (
                        r.idle_timeout and now >= r.used + r.idle_timeout):
                    cls.remove(r)
                    gone.append(r)
        if gone:
            self.version += 1
        return gone

    def learn(self, learn: Learn, key: dict[str, int], now: float) -> Rule:
        """``learn_execute`` + ``ofproto_flow_mod_learn``: add the flow ``learn`` builds from
        ``key``; an identical learned flow is only refreshed (its timeouts restart)."""
        match, acts = learned_flow(learn, key)
        cls = self.tables[learn.table]
        old = cls.find_exactly(match, learn.priority)
        if old is not None and old.actions == acts:
            old.modified = old.used = now
            return old
        fm = FlowMod("add", match, learn.priority, learn.table, acts,
                     new_cookie=learn.cookie, idle_timeout=learn.idle_timeout,
                     hard_timeout=learn.hard_timeout,
                     flags=frozenset({"send_flow_rem"} if learn.send_flow_rem else set()),
                     usable=frozenset({"of11"}))
        self.version += 1
        return self.add(fm, now)

    # groups -------------------------------------------------------------------------------
    def group_mod(self, gm: GroupMod, now: float) -> None:
        """``handle_group_mod``: add/modify/add_or_mod/delete."""
        self.version += 1
        if gm.command == "delete":
            if gm.group_id == 0xFFFFFFFC:
                ids = list(self.groups)
            else:
                ids = [gm.group_id] if gm.group_id in self.groups else []
            for gid in ids:
                del self.groups[gid]
                for cls in self.tables:
                    for r in list(cls):
                        if outputs_to_group(r.actions, gid):
                            cls.remove(r)
            return
        exists = gm.group_id in self.groups
        if gm.command == "add" and exists:
            raise OfpError("OFPGMFC_GROUP_EXISTS")
        if gm.command == "modify" and not exists:
            raise OfpError("OFPGMFC_UNKNOWN_GROUP")
        for b in gm.buckets:
            self._check_actions(b.actions)
        buckets = _assign_bucket_ids(gm.buckets)
        old = self.groups.get(gm.group_id)
        group = OfGroup(gm.group_id, gm.type, buckets, gm.selection_method, gm.fields,
                       created=now)
        if old is not None:
            group.n_packets, group.n_bytes, group.created = (old.n_packets, old.n_bytes,
                                                             old.created)
        self.groups[gm.group_id] = group


def dp_hash_map(buckets: list[Bucket]) -> list[int]:
    """``group_setup_dp_hash_table``: bucket index per dp_hash value (the list's length is
    the hash mask + 1), spread by weight with the Webster method. Empty when no bucket has
    weight (no dp_hash selection possible)."""
    weights = [b.weight for b in buckets]
    total = sum(weights)
    if not buckets or not total:
        return []
    min_weight = min(w for w in weights if w > 0)
    min_slots = -(-total // min_weight)
    n_hash = max(16, 1 << (min_slots - 1).bit_length())
    divisor = [1] * len(buckets)
    value = [float(w) for w in weights]
    out: list[int] = []
    for _ in range(n_hash):
        winner = 0
        for i in range(1, len(buckets)):
            if value[i] > value[winner]:
                winner = i
        divisor[winner] += 2
        value[winner] = weights[winner] / divisor[winner]
        out.append(winner)
    return out


def _assign_bucket_ids(buckets: list[Bucket]) -> list[Bucket]:
    """Buckets without an id get the lowest ids not taken, in order (OVS numbers them
    from 0)."""
    taken = {b.bucket_id for b in buckets if b.bucket_id != 0xFFFFFFFF}
    out: list[Bucket] = []
    nxt = 0
    for b in buckets:
        if b.bucket_id == 0xFFFFFFFF:
            while nxt in taken:
                nxt += 1
            b = replace(b, bucket_id=nxt)
            taken.add(nxt)
        out.append(b)
    return out
