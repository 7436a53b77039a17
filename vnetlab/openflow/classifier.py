"""The OpenFlow classifier: one hash table per mask (``lib/classifier.c``).

Design note: rules live in *subtables*, one per distinct mask (``struct cls_subtable``);
within a subtable a dict maps the masked values to the rules with that exact match, highest
priority first (``struct cls_match`` lists). Subtables are searched in order of their highest
rule priority (the ``pvector``), and a subtable whose best priority cannot beat the rule
already found is not looked at, as OVS does.

Un-wildcarding: :meth:`Classifier.lookup` ORs into ``wc`` the mask bits it examined, the
way ``classifier_lookup__`` folds subtable masks into ``struct flow_wildcards``. Staged
lookup is mirrored: a subtable's mask splits into the four stages of ``struct flow``
(metadata, L2, L3, L4 — ``FLOW_SEGMENT_*_ENDS_AT``); when no rule agrees with the packet
through stage *i*, only stages 0..*i* are un-wildcarded. Approximated: the prefix tries on
``nw_src``/``nw_dst`` and the ports trie are not modelled, so where OVS would un-wildcard only
a prefix of an address (or skip a subtable by its trie), we un-wildcard the subtable's whole
address mask; conjunctive matches and rule versions are not modelled either.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from vnetlab.openflow.match import Match

__all__ = ["Classifier", "ClsRule", "Subtable", "Wildcards"]

#: the wildcards a lookup examined: member -> mask bits
Wildcards = dict[str, int]

_L2 = ("dl_dst", "dl_src", "dl_type", "vlan_tci")
_L3 = ("nw_src", "nw_dst", "nw_frag", "nw_tos", "nw_ttl", "nw_proto")
_L4 = ("arp_sha", "arp_tha", "tcp_flags", "tp_src", "tp_dst")


def _stage_of(member: str) -> int:
    if member in _L2:
        return 1
    if member in _L3:
        return 2
    if member in _L4:
        return 3
    return 0


class ClsRule(Protocol):
    """What the classifier needs of a rule."""

    @property
    def match(self) -> Match: ...

    @property
    def priority(self) -> int: ...


R = TypeVar("R", bound=ClsRule)


@dataclass
class Subtable(Generic[R]):
    """``struct cls_subtable``: every rule whose match has exactly ``mask``."""

    mask: tuple[tuple[str, int], ...]
    #: masked values -> rules with that match, highest priority first
    rules: dict[tuple[int, ...], list[R]] = field(default_factory=dict)
    #: per stage boundary (all but the last): the distinct value prefixes present
    stage_index: list[dict[tuple[int, ...], int]] = field(default_factory=list)
    #: number of mask members in stages up to each boundary
    stage_ends: list[int] = field(default_factory=list)
    #: mask members that fold into wc per boundary
    stage_masks: list[tuple[tuple[str, int], ...]] = field(default_factory=list)
    max_priority: int = -1
    n_rules: int = 0

    @classmethod
    def for_mask(cls, mask: tuple[tuple[str, int], ...]) -> Subtable[R]:
        st: Subtable[R] = cls(mask)
        ordered = tuple(sorted(mask, key=lambda mm: (_stage_of(mm[0]), mm[0])))
        st.mask = ordered
        stages_present = sorted({_stage_of(m) for m, _ in ordered})
        for s in stages_present[:-1]:
            end = sum(1 for m, _ in ordered if _stage_of(m) <= s)
            st.stage_ends.append(end)
            st.stage_index.append({})
            st.stage_masks.append(ordered[:end])
        return st

    def values_of(self, match: Match) -> tuple[int, ...]:
        return tuple(match.values.get(m, 0) for m, _ in self.mask)

    def _index(self, values: tuple[int, ...], delta: int) -> None:
        for end, idx in zip(self.stage_ends, self.stage_index, strict=True):
            prefix = values[:end]
            n = idx.get(prefix, 0) + delta
            if n:
                idx[prefix] = n
            else:
                idx.pop(prefix, None)

    def insert(self, rule: R) -> R | None:
        values = self.values_of(rule.match)
        bucket = self.rules.get(values)
        if bucket is None:
            bucket = self.rules[values] = []
            self._index(values, 1)
        replaced = None
        for i, old in enumerate(bucket):
            if old.priority == rule.priority:
                replaced = old
                bucket[i] = rule
                break
        else:
            bucket.append(rule)
            bucket.sort(key=lambda r: -r.priority)
            self.n_rules += 1
        self.max_priority = max(self.max_priority, rule.priority)
        return replaced

    def remove(self, rule: R) -> bool:
        values = self.values_of(rule.match)
        bucket = self.rules.get(values)
        if not bucket or not any(r is rule for r in bucket):
            return False
        bucket[:] = [r for r in bucket if r is not rule]
        self.n_rules -= 1
        if not bucket:
            del self.rules[values]
            self._index(values, -1)
        self.max_priority = max((b[0].priority for b in self.rules.values()), default=-1)
        return True

    def lookup(self, key: Mapping[str, int], wc: Wildcards | None) -> R | None:
        """``find_match_wc``: staged lookup in this subtable."""
        values = tuple(key.get(m, 0) & mm for m, mm in self.mask)
        for end, idx, fold in zip(self.stage_ends, self.stage_index, self.stage_masks,
                                  strict=True):
            if values[:end] not in idx:
                if wc is not None:
                    _fold(wc, fold)
                return None
        if wc is not None:
            _fold(wc, self.mask)
        bucket = self.rules.get(values)
        return bucket[0] if bucket else None


def _fold(wc: Wildcards, mask: tuple[tuple[str, int], ...]) -> None:
    for m, mm in mask:
        wc[m] = wc.get(m, 0) | mm


class Classifier(Generic[R]):
    """``struct classifier``: insert/remove/find_exactly/lookup over subtables per mask."""

    def __init__(self) -> None:
        self.subtables: dict[tuple[tuple[str, int], ...], Subtable[R]] = {}
        self._order: list[Subtable[R]] = []
        self.n_rules = 0

    @staticmethod
    def _mask_key(match: Match) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(match.masks.items()))

    def _resort(self) -> None:
        # pvector: descending max priority; the sort is stable so ties keep creation order
        self._order = sorted(self.subtables.values(), key=lambda s: -s.max_priority)

    def insert(self, rule: R) -> R | None:
        """``classifier_replace``: add ``rule``; returns the rule with the same match and
        priority it replaced, if any."""
        key = self._mask_key(rule.match)
        st = self.subtables.get(key)
        if st is None:
            st = self.subtables[key] = Subtable.for_mask(key)
        replaced = st.insert(rule)
        if replaced is None:
            self.n_rules += 1
        self._resort()
        return replaced

    def remove(self, rule: R) -> bool:
        key = self._mask_key(rule.match)
        st = self.subtables.get(key)
        if st is None or not st.remove(rule):
            return False
        self.n_rules -= 1
        if not st.n_rules:
            del self.subtables[key]
        self._resort()
        return True

    def find_exactly(self, match: Match, priority: int) -> R | None:
        """``classifier_find_match_exactly``."""
        st = self.subtables.get(self._mask_key(match))
        if st is None:
            return None
        for r in st.rules.get(st.values_of(match), []):
            if r.priority == priority:
                return r
        return None

    def lookup(self, key: Mapping[str, int], wc: Wildcards | None = None) -> R | None:
        """``classifier_lookup``: the highest-priority rule matching ``key``; ORs into
        ``wc`` what it examined."""
        best: R | None = None
        for st in self._order:
            if best is not None and st.max_priority <= best.priority:
                break
            r = st.lookup(key, wc)
            if r is not None and (best is None or r.priority > best.priority):
                best = r
        return best

    def __iter__(self) -> Iterator[R]:
        """Every rule: subtables in priority order, then by match, priority descending
        (``CLS_FOR_EACH``)."""
        for st in self._order:
            for bucket in st.rules.values():
                yield from bucket

    def __len__(self) -> int:
        return self.n_rules
