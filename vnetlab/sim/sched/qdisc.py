"""The qdisc layer: ``dev_queue_xmit``'s root qdisc, its run loop and its statistics.

Design note
-----------
In Linux every transmit that is not a driver talking to its own wire goes through
``dev_queue_xmit``: it enqueues the frame on the device's root qdisc and runs the qdisc
(``__qdisc_run`` → ``qdisc_restart`` → ``dev_hard_start_xmit``, the driver's
``ndo_start_xmit``). Devices without a configured qdisc here keep ``dev.qdisc`` None and
the transmit costs one attribute test (``dev_queue_xmit`` below, inlined at the hot call
sites: IPv4 output, bridge forwarding, 802.1Q). With a qdisc, ``Qdisc.enqueue`` takes the
frame, and ``qdisc_run`` dequeues what may leave now and hands it to ``dev.xmit`` (the
driver); what must wait arms the qdisc watchdog (``qdisc_watchdog_schedule_ns``) on the
virtual clock.

Statistics are the kernel's ``gnet_stats_basic`` (bytes, packets: counted when a frame
leaves the qdisc, ``qdisc_bstats_update``) and ``gnet_stats_queue`` (drops, overlimits,
requeues, backlog bytes, qlen), what ``tc -s qdisc show`` prints.

Devices that never had a qdisc show the kernel's default: ``noqueue`` for the
``IFF_NO_QUEUE`` kinds (veth, bridge, vlan, vxlan, macvlan ...), ``pfifo_fast`` (this
host's ``net.core.default_qdisc``) for the others (tun/tap, a NIC); nothing while the
device is down (``noop``, which tc does not list). ``refcnt`` is 1 + the device's TX
queues; a veth has one per possible CPU (``veth_get_num_queues``), and the emulated host
has 2, like the machine the differential tests ran on.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

from vnetlab.sim.trace import DropReason

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice, Skb

TC_H_ROOT = 0xFFFFFFFF
#: the kinds whose ``setup`` sets IFF_NO_QUEUE: no qdisc of their own by default
NO_QUEUE_KINDS = frozenset(
    {"veth", "bridge", "vlan", "vxlan", "geneve", "macvlan", "ipvlan", "dummy",
     "loopback", "vf"})
#: possible CPUs of the emulated host: a veth's TX queue count (``veth_get_num_queues``)
POSSIBLE_CPUS = 2


class QdiscError(Exception):
    """What the kernel answers a ``tc qdisc`` request with (extack text, errno)."""

    def __init__(self, message: str, errno_: int = 22) -> None:
        super().__init__(message)
        self.message = message
        self.errno = errno_


def num_tx_queues(dev: NetDevice) -> int:
    return POSSIBLE_CPUS if dev.kind == "veth" else 1


class Qdisc:
    """``struct Qdisc``: identity, stats and the run loop; kinds override enqueue/dequeue."""

    kind = "noqueue"

    def __init__(self, dev: NetDevice, handle: int, parent: int = TC_H_ROOT) -> None:
        self.dev = dev
        self.handle = handle
        self.parent = parent
        self.bytes = self.packets = 0
        self.drops = self.overlimits = self.requeues = 0
        self.backlog = self.qlen = 0
        #: the earliest virtual time a watchdog is armed for (None: not armed)
        self.watchdog_at: int | None = None
        self.running = False

    # -- what a kind implements ---------------------------------------------------------
    def enqueue(self, skb: Skb) -> None:  # pragma: no cover - every kind overrides
        raise NotImplementedError

    def dequeue(self) -> Skb | None:  # pragma: no cover - every kind overrides
        raise NotImplementedError

    def change(self, opts: Any) -> None:  # pragma: no cover - every kind overrides
        """``ops->change``: new options of this kind (``tc qdisc change|replace``)."""
        raise NotImplementedError

    def reset(self) -> None:
        """``qdisc_reset``: drop what is queued (the qdisc is replaced or deleted)."""

    # -- shared machinery -----------------------------------------------------------------
    def bstats_update(self, skb: Skb) -> None:
        self.bytes += len(skb.data)
        self.packets += 1

    def drop(self, skb: Skb, why: str, reason: DropReason = DropReason.QDISC_DROP) -> None:
        """``qdisc_drop``: count it and end the frame (traced as a qdisc drop)."""
        self.drops += 1
        if skb.trace is not None:
            skb.trace.drop(self.dev.where, f"{self.kind} {self.handle >> 16:x}: {why}",
                           reason)

    def run(self) -> None:
        """``__qdisc_run``: send what may leave now; re-entry (a duplicate enqueued while
        running) is folded into the running loop, as ``qdisc_run_begin`` does."""
        if self.running:
            return
        self.running = True
        try:
            dev = self.dev
            while True:
                skb = self.dequeue()
                if skb is None:
                    break
                dev.xmit(skb)
        finally:
            self.running = False

    def watchdog(self, t: int) -> None:
        """``qdisc_watchdog_schedule_ns``: run again at virtual time ``t``."""
        at = self.watchdog_at
        if at is not None and at <= t:
            return
        self.watchdog_at = t
        self.dev.sched.at(t, self._watchdog_fire, t)

    def _watchdog_fire(self, t: int) -> None:
        if self.watchdog_at != t or self.dev.qdisc is not self:
            return  # superseded by an earlier arming, or the qdisc was replaced
        self.watchdog_at = None
        self.run()


def dev_queue_xmit(dev: NetDevice, skb: Skb) -> None:
    """``dev_queue_xmit``: through the root qdisc when the device has one."""
    q = dev.qdisc
    if q is None:
        dev.xmit(skb)
    else:
        q.enqueue(skb)
        q.run()


def derive_seed(lab_seed: int, where: str, n: int) -> int:
    """A netem qdisc's PRNG seed when its line names none: from the lab's ``seed``, the
    device and how many netem qdiscs that namespace made before (stable across runs)."""
    h = zlib.crc32(f"{where}#{n}".encode())
    return ((lab_seed & 0xFFFFFFFF) << 32 | h) & 0xFFFFFFFFFFFFFFFF
