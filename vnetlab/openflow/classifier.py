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
through stage *i*, only stages 0..*i* are un-wildcarded. The prefix tries OVS keeps by
default on ``nw_dst`` and ``nw_src`` (``check_tries``) and each subtable's ports trie (on a
final-stage miss only a prefix of ``tp_src``/``tp_dst`` is un-wildcarded) are mirrored with
:class:`PrefixTrie`, which answers ``trie_lookup_value`` from per-depth prefix sets instead of
a path-compressed trie (same answers). Not modelled: conjunctive matches, rule versions, and
the IPv6 address tries (IPv6 addresses are not in our keys).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from vnetlab.openflow.match import Match

__all__ = ["TRIE_FIELDS", "Classifier", "ClsRule", "PrefixTrie", "Subtable", "Wildcards"]

#: the wildcards a lookup examined: member -> mask bits
Wildcards = dict[str, int]

_L2 = ("dl_dst", "dl_src", "dl_type", "vlan_tci")
_L3 = ("nw_src", "nw_dst", "nw_frag", "nw_tos", "nw_ttl", "nw_proto")
_L4 = ("arp_sha", "arp_tha", "tcp_flags", "tp_src", "tp_dst")


#: the members OVS keeps prefix tries on by default (``default_prefix_fields``), in order
TRIE_FIELDS = ("nw_dst", "nw_src")


class PrefixTrie:
    """``struct cls_trie`` over ``n_bits``-wide values: prefixes with reference counts.

    ``paths[k]`` holds every k-bit path a stored prefix passes through, ``ends[k]`` the
    prefixes of length k themselves; :meth:`lookup` answers ``trie_lookup_value``."""

    def __init__(self, n_bits: int) -> None:
        self.n_bits = n_bits
        self.paths: list[dict[int, int]] = [{} for _ in range(n_bits + 1)]
        self.ends: list[dict[int, int]] = [{} for _ in range(n_bits + 1)]
        #: the prefix lengths some stored prefix has
        self.lengths: set[int] = set()

    def insert(self, value: int, plen: int, delta: int = 1) -> None:
        n = self.n_bits
        for k in range(1, plen + 1):
            _bump(self.paths[k], value >> (n - k), delta)
        _bump(self.ends[plen], value >> (n - plen), delta)
        if self.ends[plen]:
            self.lengths.add(plen)
        else:
            self.lengths.discard(plen)

    def remove(self, value: int, plen: int) -> None:
        self.insert(value, plen, -1)

    def lookup(self, value: int) -> tuple[int, frozenset[int]]:
        """(bits to un-wildcard, prefix lengths of stored prefixes that match ``value``)."""
        n = self.n_bits
        ends = self.ends
        plens = frozenset(k for k in self.lengths if (value >> (n - k)) in ends[k])
        if not self.paths[1]:
            return 0, plens
        lo, hi = 0, n          # longest k with value's k-bit prefix on a path
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if (value >> (n - mid)) in self.paths[mid]:
                lo = mid
            else:
                hi = mid - 1
        depth = lo
        if depth == n:
            return n, plens
        other = ((value >> (n - depth)) << 1) | (1 - ((value >> (n - depth - 1)) & 1))
        return (depth + 1 if other in self.paths[depth + 1] else depth), plens


def _bump(d: dict[int, int], key: int, delta: int) -> None:
    n = d.get(key, 0) + delta
    if n:
        d[key] = n
    else:
        d.pop(key, None)


def _prefix_len(mask: int, width: int) -> int:
    """``minimask_get_prefix_len``: the length of a CIDR-style mask, else 0."""
    inv = ~mask & ((1 << width) - 1)
    if not mask or inv & (inv + 1):
        return 0
    return width - inv.bit_length()


def _ports_word(values: Mapping[str, int]) -> int:
    return (values.get("tp_src", 0) << 16) | values.get("tp_dst", 0)


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
    #: the final stage's members (folded when the full lookup runs)
    final_members: tuple[str, ...] = ()
    #: members of each stage (indexed ones then the final one), for the trie checks
    stage_members: list[frozenset[str]] = field(default_factory=list)
    #: trie field -> this subtable's prefix length on it (0: not a prefix, no check)
    trie_plen: dict[str, int] = field(default_factory=dict)
    ports_mask_len: int = 0
    ports_mask: int = 0
    ports_trie: PrefixTrie | None = None
    max_priority: int = -1
    n_rules: int = 0
    #: every rule in insertion order (``rules_list``: what dumps walk; a replaced rule
    #: goes to the end, as OVS's new-version rule does)
    in_order: dict[int, R] = field(default_factory=dict)

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
        st.stage_members = [frozenset(m for m, _ in ordered if _stage_of(m) == s)
                            for s in stages_present]
        masks = dict(ordered)
        st.trie_plen = {f: _prefix_len(masks.get(f, 0), 32) for f in TRIE_FIELDS}
        ports = _ports_word(masks)
        if ports:
            st.ports_mask = ports
            st.ports_mask_len = 32 - ((ports & -ports).bit_length() - 1)
            st.ports_trie = PrefixTrie(32)
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
                del self.in_order[id(old)]
                break
        else:
            bucket.append(rule)
            bucket.sort(key=lambda r: -r.priority)
            self.n_rules += 1
            if self.ports_trie is not None:
                self.ports_trie.insert(_ports_word(rule.match.values), self.ports_mask_len)
        self.in_order[id(rule)] = rule
        self.max_priority = max(self.max_priority, rule.priority)
        return replaced

    def remove(self, rule: R) -> bool:
        values = self.values_of(rule.match)
        bucket = self.rules.get(values)
        if not bucket or not any(r is rule for r in bucket):
            return False
        bucket[:] = [r for r in bucket if r is not rule]
        self.n_rules -= 1
        del self.in_order[id(rule)]
        if self.ports_trie is not None:
            self.ports_trie.remove(_ports_word(rule.match.values), self.ports_mask_len)
        if not bucket:
            del self.rules[values]
            self._index(values, -1)
        if rule.priority >= self.max_priority:
            self.max_priority = max((b[0].priority for b in self.rules.values()), default=-1)
        return True

    def lookup(self, key: Mapping[str, int], wc: Wildcards | None,
               tries: _TrieCtx | None = None) -> R | None:
        """``find_match_wc``: staged lookup in this subtable, with the trie checks."""
        values = tuple(key.get(m, 0) & mm for m, mm in self.mask)
        if wc is None:
            bucket = self.rules.get(values)
            return bucket[0] if bucket else None
        folded: tuple[tuple[str, int], ...] = ()
        for i, (end, idx, fold) in enumerate(zip(self.stage_ends, self.stage_index,
                                                 self.stage_masks, strict=True)):
            if tries is not None and tries.skip(self, self.stage_members[i], key, wc):
                _fold(wc, folded)
                return None
            folded = fold
            if values[:end] not in idx:
                _fold(wc, fold)
                return None
        if tries is not None and self.stage_members and tries.skip(
                self, self.stage_members[-1], key, wc):
            _fold(wc, folded)
            return None
        bucket = self.rules.get(values)
        if bucket is None and self.ports_trie is not None:
            # fold everything but the ports, then only the ports prefix the trie needs
            before = _ports_word(wc)
            mbits, _ = self.ports_trie.lookup(_ports_word(key) & self.ports_mask)
            ports = (self.ports_mask & _prefix_mask(mbits, 32)) | before
            _fold(wc, self.mask)
            wc["tp_src"], wc["tp_dst"] = ports >> 16, ports & 0xFFFF
            for m in ("tp_src", "tp_dst"):
                if not wc[m]:
                    del wc[m]
            return None
        _fold(wc, self.mask)
        return bucket[0] if bucket else None


def _prefix_mask(n: int, width: int) -> int:
    return ((1 << n) - 1) << (width - n) if n else 0


class _TrieCtx:
    """``struct trie_ctx`` for one lookup: each trie looked up at most once, on demand."""

    def __init__(self, tries: dict[str, PrefixTrie]) -> None:
        self.tries = tries
        self.done: dict[str, tuple[int, frozenset[int] | None]] = {}

    def skip(self, st: Subtable[R], members: frozenset[str], key: Mapping[str, int],
             wc: Wildcards) -> bool:
        """``check_tries``: can the subtable be skipped on a trie field of this stage?"""
        for f in TRIE_FIELDS:
            plen = st.trie_plen.get(f, 0)
            if not plen or f not in members:
                continue
            got = self.done.get(f)
            if got is None:
                if key.get("dl_type") == 0x0800:
                    maskbits, plens = self.tries[f].lookup(key.get(f, 0))
                    got = (maskbits, plens)
                else:
                    got = (0, None)      # prerequisites not met: no skipping
                self.done[f] = got
            maskbits, plens_or_all = got
            if plens_or_all is None or plen in plens_or_all:
                continue
            pm = _prefix_mask(maskbits, 32)
            if maskbits <= plen:
                wc[f] = wc.get(f, 0) | pm
                if not wc[f]:
                    del wc[f]
                return True
            if wc.get(f, 0) & pm == pm:
                return True
        return False


def _fold(wc: Wildcards, mask: tuple[tuple[str, int], ...]) -> None:
    for m, mm in mask:
        wc[m] = wc.get(m, 0) | mm


class Classifier(Generic[R]):
    """``struct classifier``: insert/remove/find_exactly/lookup over subtables per mask."""

    def __init__(self) -> None:
        self.subtables: dict[tuple[tuple[str, int], ...], Subtable[R]] = {}
        self._order: list[Subtable[R]] = []
        self.n_rules = 0
        self.tries: dict[str, PrefixTrie] = {f: PrefixTrie(32) for f in TRIE_FIELDS}

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
            self._trie_update(st, rule, 1)
        self._resort()
        return replaced

    def remove(self, rule: R) -> bool:
        key = self._mask_key(rule.match)
        st = self.subtables.get(key)
        if st is None or not st.remove(rule):
            return False
        self.n_rules -= 1
        self._trie_update(st, rule, -1)
        if not st.n_rules:
            del self.subtables[key]
        self._resort()
        return True

    def _trie_update(self, st: Subtable[R], rule: R, delta: int) -> None:
        for f, plen in st.trie_plen.items():
            if plen:
                self.tries[f].insert(rule.match.values.get(f, 0), plen, delta)

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
        ctx = _TrieCtx(self.tries) if wc is not None else None
        for st in self._order:
            if best is not None and st.max_priority <= best.priority:
                break
            r = st.lookup(key, wc, ctx)
            if r is not None and (best is None or r.priority > best.priority):
                best = r
        return best

    def __iter__(self) -> Iterator[R]:
        """Every rule: subtables by their best priority, each in insertion order
        (``CLS_FOR_EACH``: the pvector, then ``rules_list``)."""
        for st in self._order:
            yield from list(st.in_order.values())

    def __len__(self) -> int:
        return self.n_rules
