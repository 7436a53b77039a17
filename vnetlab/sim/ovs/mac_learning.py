"""The MAC learning table of one OVS bridge (lib/mac-learning.c).

Design note
-----------
Entries are keyed by (MAC, VLAN) and point at a bundle (an OVS port), named here by its
port name. ``lrus`` keeps insertion/refresh order exactly as OVS's LRU list does: a refresh
moves the entry to the back, ``fdb/show`` prints front to back, expiry and eviction take
from the front. Times are whole seconds of virtual time (``time_now()`` in OVS is seconds);
an entry learned at ``t`` expires at ``t + idle_time``. When the table is full a new entry
evicts the least recently used entry of the port with the most entries
(``evict_mac_entry_fairly``). ``need_revalidate`` tells the datapath that cached flows may
now translate differently (a move, an expiry, a flush).
"""

from __future__ import annotations

from dataclasses import dataclass

MAC_DEFAULT_MAX = 2048
MAC_ENTRY_DEFAULT_IDLE_TIME = 300


@dataclass(slots=True)
class MacEntry:
    mac: int
    vlan: int
    port: str
    expires: int


def normalize_idle_time(idle_time: int) -> int:
    """``normalize_idle_time``: OVS clamps mac-aging-time to 15..3600 s."""
    return 15 if idle_time < 15 else 3600 if idle_time > 3600 else idle_time


class MacLearning:
    """``struct mac_learning``."""

    __slots__ = ("table", "idle_time", "max_entries", "need_revalidate", "total_moved")

    def __init__(self, idle_time: int = MAC_ENTRY_DEFAULT_IDLE_TIME,
                 max_entries: int = MAC_DEFAULT_MAX) -> None:
        #: insertion order of this dict *is* the LRU list (refresh = delete + reinsert)
        self.table: dict[tuple[int, int], MacEntry] = {}
        self.idle_time = normalize_idle_time(idle_time)
        self.max_entries = max_entries
        self.need_revalidate = False
        self.total_moved = 0

    def set_idle_time(self, idle_time: int) -> None:
        """``mac_learning_set_idle_time``: existing entries move by the difference."""
        idle_time = normalize_idle_time(idle_time)
        if idle_time != self.idle_time:
            delta = idle_time - self.idle_time
            for e in self.table.values():
                e.expires += delta
            self.idle_time = idle_time

    def age(self, e: MacEntry, now: float) -> int:
        """``mac_entry_age``: seconds since the entry was last refreshed."""
        return self.idle_time - (e.expires - int(now))

    def lookup(self, mac: int, vlan: int) -> MacEntry | None:
        """``mac_learning_lookup``: multicast destinations are never learned."""
        if mac & 0x010000000000:
            return None
        return self.table.get((mac, vlan))

    def update(self, mac: int, vlan: int, port: str, now: float) -> bool:
        """``mac_learning_update``: learn or refresh MAC on PORT in VLAN; True when the
        table changed in a way that matters for forwarding (a new entry or a move)."""
        if mac & 0x010000000000:  # mac_learning_may_learn
            return False
        key = (mac, vlan)
        e = self.table.get(key)
        if e is not None:
            age = self.age(e, now)
            if age <= 0 and e.port == port:
                return False  # is_mac_learning_update_needed: nothing to do
            del self.table[key]
            self.table[key] = e  # to the back of the LRU list
            e.expires = int(now) + self.idle_time
            if e.port == port:
                return False
            e.port = port
            self.total_moved += 1
            self.need_revalidate = True
            return True
        if len(self.table) >= self.max_entries:
            self._evict_fairly()
        self.table[key] = MacEntry(mac, vlan, port, int(now) + self.idle_time)
        self.need_revalidate = True
        return True

    def _evict_fairly(self) -> None:
        """``evict_mac_entry_fairly``: the LRU entry of the port with the most entries."""
        counts: dict[str, int] = {}
        for e in self.table.values():
            counts[e.port] = counts.get(e.port, 0) + 1
        busiest = max(counts.values())
        for key, e in self.table.items():
            if counts[e.port] == busiest:
                del self.table[key]
                self.need_revalidate = True
                return

    def run(self, now: float) -> bool:
        """``mac_learning_run``: expire from the front of the LRU list; True if the
        datapath should revalidate its flows."""
        t = int(now)
        while self.table:
            key, e = next(iter(self.table.items()))
            if len(self.table) > self.max_entries or t >= e.expires:
                del self.table[key]
                self.need_revalidate = True
            else:
                break
        need, self.need_revalidate = self.need_revalidate, False
        return need

    def flush(self) -> None:
        """``mac_learning_flush``."""
        if self.table:
            self.table.clear()
            self.need_revalidate = True

    def flush_port(self, port: str) -> None:
        """``mac_learning_flush`` restricted to one bundle (a port was deleted)."""
        for key in [k for k, e in self.table.items() if e.port == port]:
            del self.table[key]
            self.need_revalidate = True
