"""The classifier: priorities across subtables, replacement, staged un-wildcarding."""

from __future__ import annotations

from dataclasses import dataclass

from vnetlab.openflow.classifier import Classifier
from vnetlab.openflow.match import Match


@dataclass(eq=False)
class R:
    match: Match
    priority: int
    name: str = ""


def m(**kw: tuple[int, int]) -> Match:
    return Match({k: v for k, (v, _) in kw.items()}, {k: mm for k, (_, mm) in kw.items()})


def test_highest_priority_wins_across_subtables() -> None:
    cls: Classifier[R] = Classifier()
    lo = R(m(), 0, "lo")
    hi = R(m(in_port=(1, 0xFFFF)), 100, "hi")
    cls.insert(lo)
    cls.insert(hi)
    assert cls.lookup({"in_port": 1}) is hi
    assert cls.lookup({"in_port": 2}) is lo
    assert len(cls) == 2


def test_same_match_and_priority_replaces() -> None:
    cls: Classifier[R] = Classifier()
    a = R(m(in_port=(1, 0xFFFF)), 5)
    b = R(m(in_port=(1, 0xFFFF)), 5)
    cls.insert(a)
    assert cls.insert(b) is a
    assert len(cls) == 1
    assert cls.find_exactly(m(in_port=(1, 0xFFFF)), 5) is b
    assert cls.remove(b) and len(cls) == 0


def test_lower_subtables_not_examined_after_a_better_match() -> None:
    cls: Classifier[R] = Classifier()
    cls.insert(R(m(in_port=(1, 0xFFFF)), 100))
    cls.insert(R(m(dl_type=(0x800, 0xFFFF), nw_src=(0x0A000001, 0xFFFFFFFF)), 50))
    wc: dict[str, int] = {}
    cls.lookup({"in_port": 1, "dl_type": 0x800, "nw_src": 0x0A000001}, wc)
    assert wc == {"in_port": 0xFFFF}


def test_staged_lookup_unwildcards_only_the_stages_it_needed() -> None:
    cls: Classifier[R] = Classifier()
    cls.insert(R(m(dl_type=(0x800, 0xFFFF), nw_src=(0x0A000001, 0xFFFFFFFF)), 50))
    wc: dict[str, int] = {}
    assert cls.lookup({"dl_type": 0x806}, wc) is None
    assert wc == {"dl_type": 0xFFFF}
    wc = {}
    assert cls.lookup({"dl_type": 0x800, "nw_src": 2}, wc) is None
    # the nw_src prefix trie: 0.0.0.2 and 10.0.0.1 part after 4 bits, so /5 proves the miss
    assert wc == {"dl_type": 0xFFFF, "nw_src": 0xF8000000}
