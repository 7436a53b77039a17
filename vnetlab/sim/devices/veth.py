"""veth pair (drivers/net/veth.c): what one end transmits, the other end receives.

Design note
-----------
``veth_xmit`` hands the frame to the peer through ``__dev_forward_skb``: it is dropped (and
counted as a TX drop of the sender) when the peer is down or when the frame is longer than
the peer accepts (``is_skb_forwardable``: MTU + Ethernet header + one VLAN tag). Carrier
follows the peer: ``veth_open``/``veth_close`` turn carrier on for both ends only when both
are administratively up, so one end down shows the other as LOWERLAYERDOWN (``M-DOWN``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vnetlab.model.spec import VethSpec
from vnetlab.sim.netdev import NetDevice, Skb, Tap
from vnetlab.sim.notifier import NetdevEvent, call_netdevice_notifiers
from vnetlab.sim.trace import DropReason, EventKind
from vnetlab.wire.mac import mac_to_bytes

if TYPE_CHECKING:
    from vnetlab.sim.netdev import Lower
    from vnetlab.sim.stack.netns import Namespace

VETH_DELAY_NS = 2_000  # one-way; the seed quotes a 5-10 us round trip through a pair
VLAN_ETH_HLEN = 18  # ETH_HLEN + VLAN_HLEN


def _unpaired(skb: Skb) -> None:  # pragma: no cover - _fwd_limit keeps it from being called
    """The peer receive of a veth without a peer yet: never reached (no fast path)."""


class Veth(NetDevice):
    kind = "veth"
    __slots__ = ("peer", "delay", "_peer_rx", "_fwd_limit")

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int = 1500) -> None:
        super().__init__(ns, name, mac, mtu)
        self.peer: Veth | None = None
        self._peer_rx: Callable[[Skb], None] = _unpaired
        self.carrier = False
        self.delay = VETH_DELAY_NS
        self._fwd_limit = -1

    @staticmethod
    def pair(a: Veth, b: Veth) -> None:
        a.peer, b.peer = b, a
        # bound methods made once: the transmit path is the emulator's hottest
        a._peer_rx, b._peer_rx = b.netif_receive, a.netif_receive
        a._refresh()
        b._refresh()

    def set_admin(self, up: bool) -> None:
        if up == self.admin_up:
            return
        peer = self.peer
        both = up and peer is not None and peer.admin_up
        # veth_open/veth_close: carrier changes before the stack hears of the new state
        self.carrier = both
        self.admin_up = up
        self._refresh()
        call_netdevice_notifiers(NetdevEvent.UP if up else NetdevEvent.DOWN, self)
        if peer is not None:
            peer._refresh()
            peer.set_carrier(both)

    def iflink_dev(self) -> NetDevice | None:
        return self.peer

    def set_mtu(self, mtu: int) -> None:
        self.mtu = mtu
        if self.peer is not None:
            self.peer._refresh()

    def add_tap(self, tap: Tap) -> None:
        super().add_tap(tap)
        self._refresh()

    def remove_tap(self, tap: Tap) -> None:
        super().remove_tap(tap)
        self._refresh()

    def _refresh(self) -> None:
        """Cache the largest frame the fast path may hand to the peer (-1: none, which
        sends every frame the slow way: no peer, an end down, or a tap listening here)."""
        peer = self.peer
        if self.admin_up and peer is not None and peer.admin_up and self.taps is None:
            self._fwd_limit = peer.mtu + VLAN_ETH_HLEN
        else:
            self._fwd_limit = -1

    def xmit(self, skb: Skb) -> None:
        """``veth_xmit``: the fast path when untraced, uncaptured and forwardable (a tap
        on this end sets ``_fwd_limit`` to -1, so one comparison covers size and taps)."""
        n = len(skb.data)
        if n > self._fwd_limit or skb.trace is not None:
            self._xmit_slow(skb)
            return
        self.tx_packets += 1
        self.tx_bytes += n
        sched = self.sched
        t = sched.now + self.delay
        bucket = sched.buckets.get(t)
        if bucket is None:
            sched.at(t, self._peer_rx, skb)
        else:
            bucket.append((self._peer_rx, skb))

    def _xmit_slow(self, skb: Skb) -> None:
        peer = self.peer
        data = skb.data
        if not self.admin_up or peer is None or not peer.admin_up:
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(self.where, "veth peer is down", DropReason.DEV_READY)
            return
        if len(data) > peer.mtu + VLAN_ETH_HLEN:
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(
                    self.where,
                    f"frame of {len(data)} bytes exceeds peer {peer.where} MTU {peer.mtu} "
                    "(is_skb_forwardable)",
                    DropReason.PKT_TOO_BIG,
                )
            return
        self.tx_packets += 1
        self.tx_bytes += len(data)
        if self.taps is not None:
            self.tap_tx(data)
        if skb.trace is not None:
            skb.trace.add(self.where, f"veth -> {peer.where}", EventKind.HOP)
        sched = self.sched
        sched.at(sched.now + self.delay, self._peer_rx, skb)


def newlink(ns: Namespace, name: str, spec: VethSpec, lower: Lower) -> Veth:
    """One end; ``links:`` pairs the ends afterwards (``Veth.pair``)."""
    return Veth(ns, name, mac_to_bytes(spec.mac or ""), spec.mtu)
