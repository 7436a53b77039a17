"""ARP: receive, answer and solicit (net/ipv4/arp.c).

Design note
-----------
``arp_rcv`` is the handler the namespace's ``ptype_base`` table names for ethertype 0x0806;
``arp_process`` follows Linux's defaults: a request for one of our addresses (any
interface: ``arp_ignore`` 0) creates/updates the sender as STALE and is answered; other ARP
packets only update an entry that already exists (``arp_accept`` 0); multicast senders or
targets and loopback targets are never answered. ``arp_solicit`` is the neighbour table's
solicit operation for IPv4: it picks the request's source address (``arp_announce`` 0:
the queued packet's own source when it is ours) and sends the request, broadcast while
INCOMPLETE and unicast to the old address while PROBE. The neighbour state machine itself
lives in ``neigh.py``.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.sched.qdisc import dev_queue_xmit
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.neigh import NUD_PROBE, NUD_REACHABLE, NUD_STALE, Neighbour
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire.arp import ARPOP_REPLY, ARPOP_REQUEST, ArpPacket
from vnetlab.wire.errors import ParseError
from vnetlab.wire.mac import mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.stack.ipv4 import Ipv4Stack
    from vnetlab.sim.stack.netns import Namespace

ETH_P_ARP = 0x0806
_ETH_P_ARP_BYTES = ETH_P_ARP.to_bytes(2, "big")
BCAST = b"\xff" * 6


def arp_rcv(ns: Namespace, dev: NetDevice, skb: Skb) -> None:
    """``arp_rcv`` → ``arp_process``."""
    if dev.noarp:
        return
    frame = skb.data
    trace = skb.trace
    try:
        arp = ArpPacket.parse(frame[14:])
    except ParseError as e:
        if trace is not None:
            trace.drop(dev.where, f"malformed ARP: {e}", DropReason.PKT_TOO_SMALL)
        return
    sip, tip = int(arp.spa), int(arp.tpa)
    if sip >> 28 == 0xE or tip >> 28 == 0xE or tip >> 24 == 127:
        # arp_process: multicast addresses and loopback targets are never answered
        if trace is not None:
            trace.drop(dev.where, f"ARP for {ip_str(tip)} from {ip_str(sip)}: "
                       "multicast or loopback address, ignored", DropReason.NOT_SPECIFIED)
        return
    stack = ns.stack
    where = dev.where
    if arp.op == ARPOP_REQUEST and stack.is_local(tip):
        stack.neigh.update(dev, sip, arp.sha, NUD_STALE, create=True, override=True)
        if trace is not None:
            trace.add(where, f"ARP request for our {ip_str(tip)}: answer it", EventKind.NEIGH)
        reply = ArpPacket(ARPOP_REPLY, dev.mac, arp.tpa, arp.sha, arp.spa).emit()
        t = None
        if trace is not None:
            t = trace.branch(
                f"ARP reply {ip_str(tip)} is-at {mac_to_str(dev.mac)}", probe=False
            )
        dev_queue_xmit(dev, Skb(arp.sha + dev.mac + _ETH_P_ARP_BYTES + reply, t))
        if trace is not None:
            trace.deliver(where, f"ARP request for {ip_str(tip)}")
        return
    # replies and requests for others: only update an entry we already have
    addressed_to_us = frame[0:6] == dev.mac
    state = NUD_REACHABLE if arp.op == ARPOP_REPLY and addressed_to_us else NUD_STALE
    stack.neigh.update(dev, sip, arp.sha, state, create=False)
    if trace is not None:
        if arp.op == ARPOP_REPLY:
            trace.deliver(where, f"ARP reply {ip_str(sip)} is-at {mac_to_str(arp.sha)}")
        else:
            trace.drop(where, f"ARP request for {ip_str(tip)}: not our address",
                       DropReason.OTHERHOST, copy=True)


def arp_send_request(
    dev: NetDevice, sip: int, tip: int, dst_mac: bytes | None, trace: TraceNode | None
) -> None:
    """``arp_send`` of an ARPOP_REQUEST: who-has TIP tell SIP, broadcast unless DST_MAC."""
    pkt = ArpPacket(ARPOP_REQUEST, dev.mac, IPv4Address(sip), b"\x00" * 6,
                    IPv4Address(tip)).emit()
    t = None
    if trace is not None:
        t = trace.branch(f"ARP request who-has {ip_str(tip)} tell {ip_str(sip)}", probe=False)
    dev_queue_xmit(dev, Skb((dst_mac or BCAST) + dev.mac + _ETH_P_ARP_BYTES + pkt, t))


def arp_solicit(stack: Ipv4Stack, n: Neighbour, packet: bytes | None) -> None:
    """``arp_solicit``: broadcast while INCOMPLETE, unicast to the old lladdr in PROBE."""
    saddr = None
    if packet is not None and len(packet) >= 20:
        cand = int.from_bytes(packet[12:16], "big")
        if stack.is_local(cand):  # arp_announce 0: the packet's own source
            saddr = cand
    if saddr is None:
        saddr = stack.select_addr(n.dev, n.ip)
    dst_mac = n.lladdr if n.state == NUD_PROBE and n.lladdr else None
    arp_send_request(n.dev, saddr or 0, n.ip, dst_mac, n.trace)
