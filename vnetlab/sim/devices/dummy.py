"""dummy (drivers/net/dummy.c): a device that frees everything it is asked to send.

Design note
-----------
``dummy_xmit`` counts the packet as transmitted (``dev_lstats_add``) and frees it: nothing
is ever received. ``dummy_setup`` makes it ``IFF_NOARP`` without ``IFF_MULTICAST``, so a
route out of it needs no neighbour resolution (``arp_constructor`` gives a NOARP
neighbour the device's own address), and the driver never touches carrier, so ``ip link``
shows it ``UNKNOWN`` while up. Packet sockets still see what it sends
(``dev_queue_xmit_nit`` runs before the driver), so tcpdump on it shows the traffic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.model.kinds.dummy import DummySpec
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.trace import DropReason
from vnetlab.wire.mac import mac_to_bytes

if TYPE_CHECKING:
    from vnetlab.sim.netdev import Lower
    from vnetlab.sim.stack.netns import Namespace


class DummyDevice(NetDevice):
    kind = "dummy"
    noarp = True
    iff_flags = ("BROADCAST", "NOARP")
    operstate_unknown = True
    min_mtu = max_mtu = 0  # dummy_setup: any MTU
    __slots__ = ()

    def xmit(self, skb: Skb) -> None:
        """``dummy_xmit``: count, then free (a consume, not a drop: no drop counter)."""
        if not self.admin_up:
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(self.where, "device is down", DropReason.DEV_READY)
            return
        self.tx_packets += 1
        self.tx_bytes += len(skb.data)
        if self.taps is not None:
            self.tap_tx(skb.data)
        if skb.trace is not None:
            skb.trace.drop(self.where, "dummy: dummy_xmit frees every packet it sends "
                           "(counted as transmitted)", DropReason.NOT_SPECIFIED)


def newlink(ns: Namespace, name: str, spec: DummySpec, lower: Lower) -> DummyDevice:
    """``dummy_setup`` + ``register_netdevice``: the lab's (or a random) MAC."""
    return DummyDevice(ns, name, mac_to_bytes(spec.mac or ""), spec.mtu)
