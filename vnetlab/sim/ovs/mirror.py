"""Port mirroring (ofproto/ofproto-dpif-mirror.c and ``mirror_packet`` of the xlate).

Design note
-----------
A bridge has at most 32 mirrors, each a bit in a mask (``mirror_mask_t``). Every bundle
knows the mirrors that select it as a source (packets it receives), as a destination
(packets output to it), and the mirrors that output to it (``mirror_out``: such a bundle
takes no part in normal switching and drops what it receives). ``dup_mirrors`` of a mirror
are the mirrors sending to the same place, so one packet is mirrored there only once.
``select_all`` selects every bundle both ways. An ``output_vlan`` mirror (RSPAN) floods the
packet into that VLAN instead of sending to a port.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, eq=False)
class Mirror:
    name: str
    idx: int
    select_all: bool = False
    src: frozenset[str] = frozenset()  # bundle names
    dst: frozenset[str] = frozenset()
    vlans: frozenset[int] | None = None  # None: every VLAN
    out: str | None = None  # output bundle name
    out_vlan: int = -1
    dup_mirrors: int = 0
    n_packets: int = 0
    n_bytes: int = 0


class MBridge:
    """``struct mbridge``: the mirrors of one bridge and their per-bundle masks."""

    def __init__(self, mirrors: list[Mirror]) -> None:
        self.mirrors = mirrors[:32]
        for m in self.mirrors:
            m.dup_mirrors = 0
            for other in self.mirrors:
                if (m.out is not None and m.out == other.out) or (
                        m.out is None and other.out is None and m.out_vlan == other.out_vlan):
                    m.dup_mirrors |= 1 << other.idx

    def has_mirrors(self) -> bool:
        return bool(self.mirrors)

    def bundle_src(self, bundle: str) -> int:
        mask = 0
        for m in self.mirrors:
            if m.select_all or bundle in m.src:
                mask |= 1 << m.idx
        return mask

    def bundle_dst(self, bundle: str) -> int:
        mask = 0
        for m in self.mirrors:
            if m.select_all or bundle in m.dst:
                mask |= 1 << m.idx
        return mask

    def bundle_out(self, bundle: str) -> int:
        mask = 0
        for m in self.mirrors:
            if m.out == bundle:
                mask |= 1 << m.idx
        return mask

    def get(self, idx: int) -> Mirror | None:
        for m in self.mirrors:
            if m.idx == idx:
                return m
        return None
