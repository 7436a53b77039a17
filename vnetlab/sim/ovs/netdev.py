"""OVS ports on emulated net devices (lib/netdev-linux.c, the userspace datapath's I/O).

Design note
-----------
A *system* port is an existing device of the namespace; joining the bridge installs an
``rx_handler`` on it (the same seam the Linux bridge uses), so every frame it receives goes
to the datapath instead of the stack, and the datapath's outputs are transmitted on it. An
*internal* port (the bridge's own ``br0`` and ``type=internal`` ports) is a device of its
own, ``OvsInternalDevice`` (``ip -d link`` kind ``openvswitch``): what the host sends on it
enters the datapath, what the datapath outputs to it is received by the host stack.
Nothing is delayed here: the datapath is synchronous, the wires around it carry the time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.trace import DropReason

if TYPE_CHECKING:
    from vnetlab.sim.stack.netns import Namespace

#: the datapath's input: (frame, trace node or None)
DpInput = Callable[[Skb], None]


class OvsInternalDevice(NetDevice):
    """An OVS internal port as the host sees it (``internal_dev_xmit``)."""

    kind = "openvswitch"
    __slots__ = ("dp_input",)

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int = 1500) -> None:
        super().__init__(ns, name, mac, mtu)
        self.dp_input: DpInput | None = None

    def xmit(self, skb: Skb) -> None:
        """The host sends: into the datapath as if received on this port."""
        if not self.admin_up:
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(self.where, "device is down", DropReason.DEV_READY)
            return
        self.tx_packets += 1
        self.tx_bytes += len(skb.data)
        if self.taps is not None:
            self.tap_tx(skb.data)
        if self.dp_input is None:
            if skb.trace is not None:
                skb.trace.drop(self.where, "not attached to a datapath",
                               DropReason.NOT_SPECIFIED)
            return
        self.dp_input(skb)

    def dp_output(self, skb: Skb) -> None:
        """The datapath outputs to this port: the host receives."""
        self.netif_receive(skb)


def attach_system(dev: NetDevice, dp_input: DpInput) -> None:
    """``netdev_rxq_open`` on a system device: steal its receive path."""

    def handler(_dev: NetDevice, skb: Skb) -> None:
        dp_input(skb)

    dev.rx_handler = handler
    dev.set_promiscuity(1)


def detach_system(dev: NetDevice) -> None:
    dev.rx_handler = None
    dev.set_promiscuity(-1)


def system_output(dev: NetDevice, skb: Skb) -> None:
    """``netdev_send`` on a system device."""
    dev.xmit(skb)
