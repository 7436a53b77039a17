"""The NIC's receive descriptors: one pool per PF, one rx ring per VF.

Design note
-----------
A NIC receives a frame into a buffer the driver posted as a *descriptor* on the function's
rx ring; the driver's NAPI poll consumes it and posts a fresh one. When a function's
consumer stops draining (an application that stopped reading, a VM that stalled), its
ring fills and the NIC drops what arrives for it: the driver counts that as
``rx_out_of_buffer`` (mlx5 ``ethtool -S``; ixgbe calls it ``rx_no_buffer_count``) and
folds it into ``rx_missed_errors`` of ``ip -s -s link`` (``mlx5e_get_stats``).

Where the descriptors come from is the ``isolation`` of ``SriovSpec``:

* ``per-vf``: enabling the VFs carves each VF's ring out of the pool (``reserve``); a full
  ring drops only that VF's frames (``FULL_RING``);
* ``shared-pool``: the rings draw descriptors from the pool as frames land and give them
  back when consumed, so a VF that never drains keeps its descriptors; once the pool is
  dry every VF's frames are dropped (``VF_POOL_EMPTY``) — the seed's incident, where one
  greedy VF starved the others because the firmware did not isolate exhaustion.

A ring caps its own VF in both modes (a VF never holds more than its ring size).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

Isolation = Literal["per-vf", "shared-pool"]


class DescriptorPool:
    """The PF's receive descriptors the VF rings draw from."""

    __slots__ = ("total", "free", "isolation")

    def __init__(self, total: int, isolation: Isolation) -> None:
        self.total = total
        self.free = total
        self.isolation: Isolation = isolation

    @property
    def in_use(self) -> int:
        return self.total - self.free


@dataclass(slots=True)
class RingStats:
    """What the driver counts for one ring."""

    posted: int = 0  # frames DMA'd into the ring
    consumed: int = 0  # frames the consumer took
    ring_full: int = 0  # dropped: the ring had no free descriptor
    pool_empty: int = 0  # dropped: the shared pool had none left

    @property
    def out_of_buffer(self) -> int:
        """``rx_out_of_buffer``: every frame dropped for want of a descriptor."""
        return self.ring_full + self.pool_empty


class RxRing:
    """One VF's rx ring: ``size`` descriptors, ``held`` of them filled and not consumed.

    Frames waiting for a consumer that stopped draining (``stalled``) are kept in
    ``backlog`` and handed over, in order, when it drains again.
    """

    __slots__ = ("size", "pool", "held", "stalled", "backlog", "stats", "reserved")

    def __init__(self, size: int, pool: DescriptorPool) -> None:
        self.size = size
        self.pool = pool
        self.held = 0
        self.stalled = False
        self.backlog: deque[bytes] = deque()
        self.stats = RingStats()
        self.reserved = 0
        if pool.isolation == "per-vf":
            self.reserved = min(size, pool.free)
            pool.free -= self.reserved

    def release_reservation(self) -> None:
        """The VF goes away (``sriov_numvfs`` back to 0): its descriptors return."""
        if self.pool.isolation == "per-vf":
            self.pool.free += self.reserved
        else:
            self.pool.free += self.held
        self.reserved = 0
        self.held = 0
        self.backlog.clear()

    @property
    def capacity(self) -> int:
        """How many frames this ring can hold at most right now."""
        return self.reserved if self.pool.isolation == "per-vf" else self.size

    def post(self) -> str | None:
        """Take a descriptor for an arriving frame: None if taken, else why not
        (``"ring"``: this ring is full; ``"pool"``: the shared pool is dry)."""
        if self.held >= self.capacity:
            self.stats.ring_full += 1
            return "ring"
        if self.pool.isolation == "shared-pool":
            if self.pool.free <= 0:
                self.stats.pool_empty += 1
                return "pool"
            self.pool.free -= 1
        self.held += 1
        self.stats.posted += 1
        return None

    def consume(self) -> None:
        """The consumer took one frame: its descriptor is free again."""
        if self.held <= 0:
            return
        self.held -= 1
        self.stats.consumed += 1
        if self.pool.isolation == "shared-pool":
            self.pool.free += 1
