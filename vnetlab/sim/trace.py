"""Trace tree: every device reports its decision about a traced packet, as a typed event.

Design note
-----------
Like OVS ``ofproto/trace``, a trace is a tree: a packet's decisions are appended in order
to the node it carries (``skb.trace``), and whenever it is cloned (a flood) or causes a new
packet (an ARP request while resolving, an ICMP error, an echo reply) the new packet gets a
child node. Devices write ``if skb.trace is not None: skb.trace.add(...)`` so tracing costs
one attribute test when it is off.

Every event is typed: an ``EventKind`` says what sort of step it is (OVS tags its nodes
with ``oftrace_node_type`` the same way) and a drop carries a ``DropReason`` named after
the kernel's ``SKB_DROP_REASON_*``. The text stays the human sentence the renderer prints;
nothing reads meaning out of it.

The root ``Trace`` collects the outcomes of the *probe* lineage (the traced packet and its
flood copies): the first local delivery is the verdict; failing that, the first drop that is
not just a flood copy discarded by a host it was not addressed to. When that drop is a
failed neighbour, the first drop among the packets the probe caused (its ARP requests, an
ICMP error) is named as the likely cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class EventKind(Enum):
    """What sort of step an event reports (after OVS ``oftrace_node_type``, widened to the
    steps a Linux datapath takes)."""

    HOP = "hop"  # the frame crosses a link to another device (veth -> peer)
    DECISION = "decision"  # a device chose a path: fdb hit, demux to a child, up the stack
    LEARN = "learn"  # a table learned something: bridge or vxlan fdb, a path MTU
    FLOOD = "flood"  # a frame copied to several ports
    FILTER = "filter"  # VLAN ingress/egress filtering let the frame through
    ENCAP = "encap"  # a header was pushed: 802.1Q tag, VXLAN/Geneve outer headers
    DECAP = "decap"  # a header was popped
    ROUTE = "route"  # a route lookup: output route, forwarding decision, MTU on the path
    FRAGMENT = "fragment"  # IPv4 fragmentation or reassembly
    NEIGH = "neigh"  # the neighbour layer: ARP answered, entry states, queued packets
    ICMP = "icmp"  # ICMP bookkeeping: an error rate-limited or handed to a socket
    SOCKET = "socket"  # handed to a bound socket (a UDP port)
    QDISC = "qdisc"  # a qdisc acted on the frame: delayed, reordered, duplicated, corrupted
    DROP = "drop"  # the packet ends here, lost (``kfree_skb_reason``)
    DELIVER = "deliver"  # the packet ends here, consumed by its destination


class DropReason(Enum):
    """Why a packet was dropped: the kernel's ``SKB_DROP_REASON_*`` name where it has one.

    Names the kernel lacks (the bridge and VLAN filter drop with ``NOT_SPECIFIED``; geneve
    has no reasons of its own) are plain words of ours: ``VLAN_FILTER``,
    ``BRIDGE_FWD_SAME_PORT``, ``BRIDGE_NO_EGRESS_PORT``, ``GENEVE_VNI_NOT_FOUND``,
    ``BRIDGE_STORM_GUARD`` and ``NETEM_LOSS``.
    """

    NOT_SPECIFIED = "NOT_SPECIFIED"
    NO_SOCKET = "NO_SOCKET"
    PKT_TOO_SMALL = "PKT_TOO_SMALL"
    OTHERHOST = "OTHERHOST"
    IP_INHDR = "IP_INHDR"
    UNICAST_IN_L2_MULTICAST = "UNICAST_IN_L2_MULTICAST"
    IP_NOPROTO = "IP_NOPROTO"
    IP_OUTNOROUTES = "IP_OUTNOROUTES"
    NEIGH_FAILED = "NEIGH_FAILED"
    NEIGH_QUEUEFULL = "NEIGH_QUEUEFULL"
    UNHANDLED_PROTO = "UNHANDLED_PROTO"
    DEV_READY = "DEV_READY"
    FULL_RING = "FULL_RING"
    INVALID_PROTO = "INVALID_PROTO"
    IP_INADDRERRORS = "IP_INADDRERRORS"
    IP_INNOROUTES = "IP_INNOROUTES"
    PKT_TOO_BIG = "PKT_TOO_BIG"
    VXLAN_INVALID_HDR = "VXLAN_INVALID_HDR"
    VXLAN_VNI_NOT_FOUND = "VXLAN_VNI_NOT_FOUND"
    MAC_INVALID_SOURCE = "MAC_INVALID_SOURCE"
    VXLAN_ENTRY_EXISTS = "VXLAN_ENTRY_EXISTS"
    VXLAN_NO_REMOTE = "VXLAN_NO_REMOTE"
    LOCAL_MAC = "LOCAL_MAC"
    BRIDGE_INGRESS_STP_STATE = "BRIDGE_INGRESS_STP_STATE"
    NETFILTER_DROP = "NETFILTER_DROP"
    XFRM_POLICY = "XFRM_POLICY"  # IPsec: no SA, a policy block, a template unmet, a bad ICV
    QDISC_DROP = "QDISC_DROP"  # a qdisc refused it: queue limit, TBF bucket too small
    # IPv6 (net/ipv6: ip6_input.c, ndisc.c, icmp.c)
    IPV6DISABLED = "IPV6DISABLED"  # the device has disable_ipv6=1
    IPV6_BAD_EXTHDR = "IPV6_BAD_EXTHDR"  # an extension header cut short or malformed
    IPV6_NDISC_HOP_LIMIT = "IPV6_NDISC_HOP_LIMIT"  # an ND message without hop limit 255
    IPV6_NDISC_BAD_CODE = "IPV6_NDISC_BAD_CODE"  # an ND message against RFC 4861's rules
    IPV6_NDISC_BAD_OPTIONS = "IPV6_NDISC_BAD_OPTIONS"  # malformed or forbidden ND options
    IPV6_NDISC_NS_OTHERHOST = "IPV6_NDISC_NS_OTHERHOST"  # an NS for an address not ours
    ICMP_CSUM = "ICMP_CSUM"  # an ICMPv6 message with a bad checksum
    # not in the kernel's list (see the class docstring)
    VLAN_FILTER = "VLAN_FILTER"
    BRIDGE_FWD_SAME_PORT = "BRIDGE_FWD_SAME_PORT"
    BRIDGE_NO_EGRESS_PORT = "BRIDGE_NO_EGRESS_PORT"
    GENEVE_VNI_NOT_FOUND = "GENEVE_VNI_NOT_FOUND"
    #: the emulator's storm guard (vnetlab.sim.devices.bridge.storm): a loop without STP
    BRIDGE_STORM_GUARD = "BRIDGE_STORM_GUARD"
    # the openvswitch module (net/openvswitch/drop.h): actions ended without an output
    OVS_DROP_LAST_ACTION = "OVS_DROP_LAST_ACTION"
    #: netem's loss model chose to lose the frame (the kernel says QDISC_DROP)
    NETEM_LOSS = "NETEM_LOSS"
    # SR-IOV NICs (vnetlab.sim.devices.sriov): what the NIC drops in hardware
    #: the e-switch's MAC/VLAN anti-spoof filter (``spoofchk on``)
    VF_SPOOFCHK = "VF_SPOOFCHK"
    #: no rx descriptor: the PF's shared descriptor pool is empty (``isolation: shared-pool``)
    VF_POOL_EMPTY = "VF_POOL_EMPTY"
    #: held in the VF's rx ring: the VF's consumer does not drain it (``stalled``)
    VF_NOT_DRAINED = "VF_NOT_DRAINED"
    #: the e-switch has no function for the destination (MAC filter of the port)
    VEB_NO_DEST = "VEB_NO_DEST"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    where: str  # "host:br0", "a", "a:eth0"
    what: str  # the sentence people read (without the DROPPED/DELIVERED label)
    reason: DropReason | None = None  # set exactly when kind is DROP


class Outcome(Enum):
    """How a probe-lineage packet ended."""

    DELIVERED = "delivered"
    DROPPED = "dropped"
    COPY_DROPPED = "copy-dropped"  # a flood copy a host discarded: not addressed to it


class TraceNode:
    __slots__ = ("title", "items", "trace", "probe")

    def __init__(self, title: str, trace: Trace, probe: bool) -> None:
        self.title = title
        self.items: list[Event | TraceNode] = []
        self.trace = trace
        self.probe = probe  # part of the traced packet's own lineage

    def add(self, where: str, what: str, kind: EventKind) -> None:
        if self.trace.spend():
            self.items.append(Event(kind, where, what))

    def branch(self, title: str, *, probe: bool | None = None) -> TraceNode:
        """A child for a clone (probe lineage kept) or a new packet (probe=False). Past the
        trace's budget the child is detached: copies go on, the tree stops growing."""
        child = TraceNode(title, self.trace, self.probe if probe is None else probe)
        if self.trace.spend():
            self.items.append(child)
        return child

    def deliver(self, where: str, what: str) -> None:
        event = Event(EventKind.DELIVER, where, what)
        if self.trace.spend():
            self.items.append(event)
        if self.probe:
            self.trace.outcome(Outcome.DELIVERED, event)

    def drop(self, where: str, what: str, reason: DropReason, *, copy: bool = False) -> None:
        """``kfree_skb_reason``. ``copy``: a flood copy a host discards because it was not
        addressed to it (not the probe's fate unless nothing better happens)."""
        event = Event(EventKind.DROP, where, what, reason)
        if self.trace.spend():
            self.items.append(event)
        if self.probe:
            self.trace.outcome(Outcome.COPY_DROPPED if copy else Outcome.DROPPED, event)
        elif not copy and not self.trace.truncated:
            self.trace.side_drops.append(event)


#: events one trace records at most: a packet copied without end (an L2 loop without STP
#: floods copies around for as long as the emulator runs) must not grow the tree forever
TRACE_MAX_EVENTS = 20_000


class Trace:
    """The root of one traced packet's tree and its verdict."""

    def __init__(self, title: str, max_events: int = TRACE_MAX_EVENTS) -> None:
        self.budget = self.max_events = max_events
        #: the budget ran out: later steps were not recorded (``verdict`` says so)
        self.truncated = False
        self.outcomes: list[tuple[Outcome, Event]] = []
        #: drops of packets the probe caused (ARP, replies): the cause behind some verdicts
        self.side_drops: list[Event] = []
        self.root = TraceNode(title, self, True)
        self.notes: list[str] = []
        #: set by the engine when the storm guard acted while this packet was out
        #: (vnetlab.sim.devices.bridge.storm): the verdict says so first
        self.storm: str | None = None

    def spend(self) -> bool:
        """Take one event from the budget; False (and ``truncated``) once it is spent."""
        if self.budget <= 0:
            self.truncated = True
            return False
        self.budget -= 1
        return True

    def outcome(self, outcome: Outcome, event: Event) -> None:
        """Record how a probe-lineage packet ended. Past the budget the tree stops, but the
        verdict must not: deliveries and real drops are still kept (bounded), flood copies
        discarded by other hosts no longer are."""
        if self.truncated and (outcome is Outcome.COPY_DROPPED
                               or len(self.outcomes) >= self.max_events):
            return
        self.outcomes.append((outcome, event))

    @property
    def delivered(self) -> bool:
        return self.verdict_outcome() is Outcome.DELIVERED

    def _decisive(self) -> tuple[Outcome, Event] | None:
        for wanted in (Outcome.DELIVERED, Outcome.DROPPED, Outcome.COPY_DROPPED):
            for outcome in self.outcomes:
                if outcome[0] is wanted:
                    return outcome
        return None

    def verdict_outcome(self) -> Outcome | None:
        """How the traced packet ended (None: still in flight)."""
        decisive = self._decisive()
        return None if decisive is None else decisive[0]

    def verdict_event(self) -> Event | None:
        """The delivery or drop the verdict is about."""
        decisive = self._decisive()
        return None if decisive is None else decisive[1]

    def cause(self) -> Event | None:
        """For a failed neighbour: the first drop among the packets the probe caused."""
        decisive = self._decisive()
        if (
            decisive is not None
            and decisive[0] is Outcome.DROPPED
            and decisive[1].reason is DropReason.NEIGH_FAILED
            and self.side_drops
        ):
            return self.side_drops[0]
        return None

    def verdict(self) -> str:
        if self.storm is not None:
            return self.storm
        decisive = self._decisive()
        if decisive is None and self.truncated:
            return ("unknown: the trace stopped recording after "
                    f"{self.max_events} events while copies of the packet kept going round "
                    "(a forwarding loop without STP? `vnetlab show` lists the FDB)")
        if decisive is None:
            return "lost: no device delivered or dropped the packet (still in flight?)"
        outcome, event = decisive
        if outcome is Outcome.DELIVERED:
            return f"delivered to {event.where} ({event.what})"
        verdict = f"dropped at {event.where}: {event.what}"
        cause = self.cause()
        if cause is not None:
            verdict += f" — an ARP packet was dropped at {cause.where}: {cause.what}"
        return verdict
