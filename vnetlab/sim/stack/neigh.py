"""The neighbour table (net/core/neighbour.c), with ARP as its IPv4 solicit operation.

Design note
-----------
One ``Neighbour`` per (device, next-hop IP), with the NUD states ``ip neigh`` shows:

* none → INCOMPLETE on first use: a solicitation is sent at once and every
  ``retrans_time`` (1 s) up to ``mcast_solicit`` (3) times; packets wait in a queue bounded
  by ``unres_qlen_bytes``; then FAILED, and every queued packet is answered with ICMP host
  unreachable (``arp_error_report`` → ``icmp_send``), which is what ping prints as
  "Destination Host Unreachable".
* a reply → REACHABLE for ``reachable_time`` (30 s; Linux randomises 0.5–1.5×, the emulator
  keeps it exact to stay deterministic), then STALE.
* the queue bound counts packet lengths; the kernel counts ``skb->truesize`` (a 1428-byte UDP
  packet from a local socket is 2304 bytes of truesize), so the kernel holds fewer packets.
  Either way the oldest packets go first and no device counter moves.
* use of a STALE entry → DELAY; ``delay_first_probe_time`` (5 s) later PROBE with unicast
  solicitations (``ucast_solicit`` 3), then REACHABLE or FAILED.
* within ``locktime`` (1 s) of the last update a different lladdr does not override an
  entry.

The table knows no protocol: like ``neigh_ops.solicit`` its owner hands it the function
that sends a solicitation (``arp.arp_solicit`` for IPv4, ``ndisc.ndisc_solicit`` for IPv6),
how to print an address, the words for its request and reply, and its ``locktime`` (ARP
1 s, NDISC 0: ``nd_tbl.parms``), so ``arp_tbl`` and ``nd_tbl`` are one state machine.
ARP's receive side (``arp_process``) is in ``arp.py``, NDISC's in ``ndisc.py``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from vnetlab.sim.clock import MS, S, Timer
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire.mac import mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.clock import Scheduler
    from vnetlab.sim.stack.netns import Namespace

NUD_INCOMPLETE = "INCOMPLETE"
NUD_REACHABLE = "REACHABLE"
NUD_STALE = "STALE"
NUD_DELAY = "DELAY"
NUD_PROBE = "PROBE"
NUD_FAILED = "FAILED"
NUD_PERMANENT = "PERMANENT"

RETRANS_TIME = 1 * S
MCAST_SOLICIT = 3
UCAST_SOLICIT = 3
REACHABLE_TIME = 30 * S
DELAY_FIRST_PROBE = 5 * S
LOCKTIME = 1 * S
UNRES_QLEN_BYTES = 212_992  # SK_WMEM_MAX: the per-neighbour byte bound since Linux 3.3


class Neighbour:
    __slots__ = (
        "dev",
        "ip",
        "lladdr",
        "state",
        "queue",
        "queued_bytes",
        "probes",
        "timer",
        "updated",
        "confirmed",
        "used",
        "trace",
    )

    def __init__(self, dev: NetDevice, ip: int, now: int) -> None:
        self.dev = dev
        self.ip = ip
        self.lladdr: bytes | None = None
        self.state = NUD_INCOMPLETE
        self.queue: deque[tuple[bytes, TraceNode | None]] = deque()
        self.queued_bytes = 0
        self.probes = 0
        self.timer: Timer | None = None
        self.updated = now
        self.confirmed = now
        self.used = now  # last transmission through it (neigh->used)
        self.trace: TraceNode | None = None


#: ``neigh_ops.solicit``: send a solicitation for N (PACKET: the queued packet, if any)
Solicit = Callable[[Neighbour, bytes | None], None]


class NeighOwner(Protocol):
    """What a table needs from its address family's stack (Ipv4Stack, Ipv6Stack)."""

    ns: Namespace
    sched: Scheduler

    def dev_xmit_ip(self, dev: NetDevice, dst_mac: bytes, packet: bytes,
                    trace: TraceNode | None) -> None: ...

    def link_failure(self, packet: bytes, trace: TraceNode | None) -> None: ...


class NeighTable:
    """The ``arp_tbl`` (or ``nd_tbl``) of one namespace."""

    __slots__ = ("stack", "entries", "solicit", "unres_discards", "fmt", "request", "reply",
                 "locktime")

    def __init__(
        self, stack: NeighOwner, solicit: Solicit, *, fmt: Callable[[int], str] = ip_str,
        request: str = "ARP request", reply: str = "ARP reply", locktime: int = LOCKTIME,
    ) -> None:
        self.stack = stack
        self.entries: dict[tuple[NetDevice, int], Neighbour] = {}
        self.solicit = solicit
        self.fmt = fmt
        self.request = request  # the words traces use: "ARP request" / "neighbour solicitation"
        self.reply = reply
        self.locktime = locktime
        #: packets dropped from full unresolved queues (/proc/net/stat/arp_cache)
        self.unres_discards = 0

    # -- output path (neigh_resolve_output) -------------------------------------------
    def output(self, dev: NetDevice, nexthop: int, packet: bytes, trace: TraceNode | None) -> None:
        """Send an IP packet to ``nexthop`` on ``dev``, resolving its MAC first."""
        key = (dev, nexthop)
        n = self.entries.get(key)
        sched = self.stack.sched
        if n is not None and n.lladdr is not None and n.state != NUD_FAILED:
            n.used = sched.now
            if n.state == NUD_STALE:
                n.state = NUD_DELAY
                self._arm(n, DELAY_FIRST_PROBE)
                if trace is not None:
                    trace.add(self.stack.ns.name, f"neigh {self.fmt(nexthop)} STALE -> DELAY",
                              EventKind.NEIGH)
            elif trace is not None:
                trace.add(
                    self.stack.ns.name,
                    f"neigh {self.fmt(nexthop)} dev {dev.name} lladdr {mac_to_str(n.lladdr)} "
                    f"{n.state}",
                    EventKind.NEIGH,
                )
            self.stack.dev_xmit_ip(dev, n.lladdr, packet, trace)
            return
        if n is None or n.state == NUD_FAILED:
            if n is None:
                n = Neighbour(dev, nexthop, sched.now)
                self.entries[key] = n
            n.state = NUD_INCOMPLETE
            n.probes = 0
            n.trace = None
            if trace is not None:
                trace.add(
                    self.stack.ns.name,
                    f"neigh {self.fmt(nexthop)} dev {dev.name}: unknown -> INCOMPLETE, "
                    f"packet queued, {self.request} sent",
                    EventKind.NEIGH,
                )
                n.trace = trace.branch(
                    f"{self.request.split()[0]} resolution of {self.fmt(nexthop)}", probe=False
                )
            self._enqueue(n, packet, trace)
            self._solicit(n, packet)
            self._arm(n, RETRANS_TIME)
            return
        # INCOMPLETE (or lladdr-less): wait in the queue
        self._enqueue(n, packet, trace)
        if trace is not None:
            trace.add(self.stack.ns.name, f"neigh {self.fmt(nexthop)} INCOMPLETE: packet queued",
                      EventKind.NEIGH)

    def _enqueue(self, n: Neighbour, packet: bytes, trace: TraceNode | None) -> None:
        n.queue.append((packet, trace))
        n.queued_bytes += len(packet)
        while n.queued_bytes > UNRES_QLEN_BYTES and n.queue:
            old, t = n.queue.popleft()
            n.queued_bytes -= len(old)
            # NEIGH_CACHE_STAT_INC(tbl, unres_discards): a table statistic, not the device's
            # tx_dropped (measured: tests/pins/test_pin_kernel.py)
            self.unres_discards += 1
            if t is not None:
                t.drop(self.stack.ns.name, "neighbour queue full (unres_qlen_bytes)",
                       DropReason.NEIGH_QUEUEFULL)

    def _arm(self, n: Neighbour, delay: int) -> None:
        if n.timer is not None:
            n.timer.cancel()
        n.timer = self.stack.sched.timer(delay, lambda: self._timer(n))

    def _solicit(self, n: Neighbour, packet: bytes | None) -> None:
        """``neigh_probe``: count the probe, then the family's ``solicit`` sends it."""
        n.probes += 1
        self.solicit(n, packet)

    def _timer(self, n: Neighbour) -> None:
        """``neigh_timer_handler``."""
        n.timer = None
        now = self.stack.sched.now
        if n.state == NUD_REACHABLE:
            # neigh_timer_handler: still in use (within delay_first_probe_time) -> DELAY,
            # so the next packet is not the one that notices; idle -> STALE
            if now - n.used <= DELAY_FIRST_PROBE:
                n.state = NUD_DELAY
                self._arm(n, DELAY_FIRST_PROBE)
            else:
                n.state = NUD_STALE
            return
        if n.state == NUD_DELAY:
            # time_before_eq(now, confirmed + delay_probe_time): the boundary is REACHABLE
            if now - n.confirmed <= DELAY_FIRST_PROBE:
                n.state = NUD_REACHABLE
                self._arm(n, REACHABLE_TIME)
                return
            n.state = NUD_PROBE
            n.probes = 0
            self._solicit(n, None)
            self._arm(n, RETRANS_TIME)
            return
        if n.state in (NUD_INCOMPLETE, NUD_PROBE):
            limit = MCAST_SOLICIT if n.state == NUD_INCOMPLETE else UCAST_SOLICIT
            if n.probes >= limit:
                self._fail(n)
                return
            self._solicit(n, n.queue[-1][0] if n.queue else None)
            self._arm(n, RETRANS_TIME)

    def _fail(self, n: Neighbour) -> None:
        """``neigh_invalidate``: FAILED; every queued packet gets an error report."""
        n.state = NUD_FAILED
        if n.trace is not None:
            n.trace.add(
                self.stack.ns.name,
                f"neigh {self.fmt(n.ip)} dev {n.dev.name}: no {self.reply} after {n.probes} "
                f"{self.request.split()[-1]}s -> FAILED",
                EventKind.NEIGH,
            )
        while n.queue:
            packet, trace = n.queue.popleft()
            n.queued_bytes -= len(packet)
            if trace is not None:
                trace.drop(
                    self.stack.ns.name,
                    f"no {self.reply} for {self.fmt(n.ip)} on {n.dev.name} (neighbour FAILED)",
                    DropReason.NEIGH_FAILED,
                )
            self.stack.link_failure(packet, trace)

    # -- input path (arp_process) -----------------------------------------------------
    def update(
        self, dev: NetDevice, ip: int, lladdr: bytes, state: str, *, create: bool,
        override: bool = False,
    ) -> None:
        """``neigh_update`` from a received ARP or NDISC packet. ``override``:
        NEIGH_UPDATE_F_OVERRIDE (``neigh_event_ns`` for a request to us): locktime does
        not apply."""
        key = (dev, ip)
        n = self.entries.get(key)
        now = self.stack.sched.now
        if n is None:
            if not create:
                return
            n = Neighbour(dev, ip, now)
            n.state = NUD_STALE
            self.entries[key] = n
        if n.state == NUD_PERMANENT:
            return
        if (
            not override
            and n.lladdr is not None
            and n.lladdr != lladdr
            and n.state != NUD_INCOMPLETE
            and now - n.updated <= self.locktime
        ):
            # arp_process: override only when time_after(now, updated + locktime)
            return  # locktime: ignore a flip-flopping lladdr
        changed = n.lladdr != lladdr
        old_state = n.state
        n.lladdr = lladdr
        if state == NUD_REACHABLE:
            n.confirmed = now
            n.state = NUD_REACHABLE
            self._arm(n, REACHABLE_TIME)
        elif n.state in (NUD_INCOMPLETE, NUD_FAILED) or changed:
            n.state = NUD_STALE
            if n.timer is not None:
                n.timer.cancel()
                n.timer = None
        if changed and n.state != NUD_REACHABLE:
            # a new lladdr nobody confirmed: back-date `confirmed` (2 x base_reachable_time)
            # so DELAY goes on to PROBE instead of trusting the creation time
            n.confirmed = now - 2 * REACHABLE_TIME
        if changed or n.state != old_state:
            # neigh_update moves `updated` only for a real change: a no-op update must not
            # slide the locktime window
            n.updated = now
        if n.queue:
            self._flush_queue(n, lladdr)

    def _flush_queue(self, n: Neighbour, lladdr: bytes) -> None:
        trace = n.trace
        if trace is not None:
            trace.add(
                self.stack.ns.name,
                f"neigh {self.fmt(n.ip)} -> {mac_to_str(lladdr)} {n.state}: "
                f"sending {len(n.queue)} queued packet(s)",
                EventKind.NEIGH,
            )
        n.trace = None
        while n.queue:
            packet, t = n.queue.popleft()
            n.queued_bytes -= len(packet)
            self.stack.dev_xmit_ip(n.dev, lladdr, packet, t)

    def add_permanent(self, dev: NetDevice, ip: int, lladdr: bytes) -> None:
        n = Neighbour(dev, ip, self.stack.sched.now)
        n.lladdr = lladdr
        n.state = NUD_PERMANENT
        self.entries[(dev, ip)] = n

    def flush_dev(self, dev: NetDevice) -> None:
        """``neigh_ifdown``: a device goes down; its entries go."""
        for key in [k for k in self.entries if k[0] is dev]:
            n = self.entries.pop(key)
            if n.timer is not None:
                n.timer.cancel()


def describe_neigh(n: Neighbour) -> str:
    ll = f" lladdr {mac_to_str(n.lladdr)}" if n.lladdr else ""
    return f"{ip_str(n.ip)} dev {n.dev.name}{ll} {n.state}"


__all__ = ["NeighTable", "Neighbour", "describe_neigh", "MS"]
