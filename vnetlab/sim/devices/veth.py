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

from vnetlab.sim.netdev import NetDevice, Skb

VETH_DELAY_NS = 2_000  # one-way; the seed quotes a 5-10 us round trip through a pair
VLAN_ETH_HLEN = 18  # ETH_HLEN + VLAN_HLEN


class Veth(NetDevice):
    kind = "veth"
    __slots__ = ("peer", "delay")

    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.peer: Veth | None = None
        self.carrier = False
        self.delay = VETH_DELAY_NS

    @staticmethod
    def pair(a: Veth, b: Veth) -> None:
        a.peer, b.peer = b, a

    def set_admin(self, up: bool) -> None:
        if up == self.admin_up:
            return
        peer = self.peer
        both = up and peer is not None and peer.admin_up
        # veth_open/veth_close: carrier changes before the stack hears of the new state
        self.carrier = both
        self.admin_up = up
        self.ns.on_link_change(self)
        if self.br_port is not None:
            self.br_port.bridge.port_state_changed(self.br_port)
        if peer is not None:
            peer.set_carrier(both)

    def xmit(self, skb: Skb) -> None:
        """``veth_xmit``."""
        peer = self.peer
        data = skb.data
        if not self.admin_up or peer is None or not peer.admin_up:
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(self.where, "veth peer is down")
            return
        if len(data) > peer.mtu + VLAN_ETH_HLEN:
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(
                    self.where,
                    f"frame of {len(data)} bytes exceeds peer {peer.where} MTU {peer.mtu} "
                    "(is_skb_forwardable)",
                )
            return
        self.tx_packets += 1
        self.tx_bytes += len(data)
        if self.taps is not None:
            self.tap_tx(data)
        if skb.trace is not None:
            skb.trace.add(self.where, f"veth -> {peer.where}")
        sched = self.sched
        sched.at(sched.now + self.delay, peer.netif_receive, skb)
