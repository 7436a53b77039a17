"""The cable between two NIC ports: line rate, a transmit queue, propagation delay.

Design note
-----------
Two ``nic`` ports joined by ``wire`` negotiate the lower of their speeds (autonegotiation
settles on the best mode both offer). A port puts one frame at a time on the wire: a frame
takes ``(len + 24) * 8 / speed`` seconds (preamble + SFD 8 bytes, FCS 4, inter-frame gap
12; the frame bytes here exclude the FCS), so back-to-back frames leave at line rate and
wait in the port's transmit ring meanwhile. A ring holds ``TX_RING`` frames; past that
the driver drops (``tx_dropped``, as a stopped queue whose qdisc is full would). The far
port receives each frame ``PROPAGATION_NS`` after its last bit left (a few metres of
copper or fibre, ~5 ns/m). The physical link is up when both ports are administratively
up (drivers power the PHY down on close), like a veth pair's carrier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.netdev import Skb
from vnetlab.sim.trace import DropReason, EventKind

if TYPE_CHECKING:
    from vnetlab.sim.devices.sriov.pf import PfDevice

#: a few metres of cable
PROPAGATION_NS = 25
#: per-frame overhead on the wire: preamble + SFD (8), FCS (4), inter-frame gap (12)
WIRE_OVERHEAD = 24
#: the port's transmit ring (``ethtool -g`` TX)
TX_RING = 1024


def wire_time_ns(nbytes: int, speed_mbps: int) -> int:
    """How long ``nbytes`` of frame occupy a link of ``speed_mbps``."""
    return max(1, (nbytes + WIRE_OVERHEAD) * 8 * 1000 // speed_mbps)


class Cable:
    """A full-duplex cable: each direction serializes its own frames."""

    __slots__ = ("a", "b", "busy_until")

    def __init__(self, a: PfDevice, b: PfDevice) -> None:
        self.a = a
        self.b = b
        #: per sending port: when its last queued frame finishes leaving
        self.busy_until: dict[int, int] = {id(a): 0, id(b): 0}

    @property
    def speed(self) -> int:
        """The negotiated rate: the lower of the two ports' speeds (Mb/s)."""
        return min(self.a.speed, self.b.speed)

    @property
    def up(self) -> bool:
        return self.a.admin_up and self.b.admin_up

    def peer(self, port: PfDevice) -> PfDevice:
        return self.b if port is self.a else self.a

    def send(self, port: PfDevice, skb: Skb) -> None:
        """``port`` transmits ``skb`` onto the wire (after its queued frames)."""
        peer = self.peer(port)
        trace = skb.trace
        if not self.up:
            port.tx_dropped += 1
            if trace is not None:
                trace.drop(port.where, "no link on the cable (a port is down)",
                           DropReason.DEV_READY)
            return
        sched = port.sched
        now = sched.now
        speed = self.speed
        start = max(now, self.busy_until[id(port)])
        # the ring's backlog, counted in frames the size of this one
        if (start - now) > TX_RING * wire_time_ns(len(skb.data), speed):
            port.tx_dropped += 1
            if trace is not None:
                trace.drop(port.where, f"transmit ring full ({TX_RING} frames waiting for "
                           f"the {speed} Mb/s line)", DropReason.FULL_RING)
            return
        done = start + wire_time_ns(len(skb.data), speed)
        self.busy_until[id(port)] = done
        port.count_phy_tx(len(skb.data))
        if trace is not None:
            trace.add(port.where, f"on the wire at {speed} Mb/s -> {peer.where}",
                      EventKind.HOP)
        sched.at(done + PROPAGATION_NS, peer.wire_rx, skb)
