"""OVS ports on emulated net devices (lib/netdev-linux.c, the userspace datapath's I/O).

Design note
-----------
A *system* port is an existing device of the namespace; joining the bridge installs an
``rx_handler`` on it (the same seam the Linux bridge uses), so every frame it receives goes
to the datapath instead of the stack, and the datapath's outputs are transmitted on it. An
*internal* port (the bridge's own ``br0`` and ``type=internal`` ports) is a device of its
own: what the host sends on it enters the datapath, what the datapath outputs to it is
received by the host stack.

What a datapath puts into the namespace depends on its type, as the kernel shows it:
``system`` (the openvswitch kernel module) has its own device ``ovs-system`` (kind
openvswitch, never up), internal ports of kind ``openvswitch`` (``internal_dev``), one
``vxlan_sys_PORT``/``genev_sys_PORT`` device per tunnel UDP port (created up with MTU 65000
by ``dpif_netlink_rtnl_create``), and every port's device has ``ovs-system`` as its master.
``netdev`` (the userspace datapath) opens its own device and the internal ports as taps
(kind ``tun``, promiscuous, operstate UNKNOWN while up: measured on the linux engine, and
``ovs-netdev`` stays down); its tunnels are userspace only.
Nothing is delayed here: the datapath is synchronous, the wires around it carry the time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.sched.qdisc import dev_queue_xmit
from vnetlab.sim.trace import DropReason

if TYPE_CHECKING:
    from vnetlab.sim.stack.netns import Namespace

#: the datapath's input: (frame, trace node or None)
DpInput = Callable[[Skb], None]


class OvsInternalDevice(NetDevice):
    """An OVS internal port of the kernel datapath (``internal_dev_xmit``); it never
    reports carrier changes, so it reads UNKNOWN while up."""

    kind = "openvswitch"
    operstate_unknown = True
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
    """``netdev_send`` on a system device (the kernel datapath: ``dev_queue_xmit``)."""
    dev_queue_xmit(dev, skb)


class OvsTapDevice(OvsInternalDevice):
    """An internal port of the userspace datapath: a tap ``netdev-linux`` opened
    (``netdev_linux_construct_tap``), promiscuous as ``dpif-netdev`` opens every port."""

    kind = "tun"
    tun_type = "tap"
    __slots__ = ()

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int = 1500) -> None:
        super().__init__(ns, name, mac, mtu)
        self.set_promiscuity(1)


class OvsDatapathDevice(NetDevice):
    """The datapath's own device (``ovs-system`` / ``ovs-netdev``): present, never up,
    carries nothing."""

    kind = "openvswitch"
    __slots__ = ()

    def xmit(self, skb: Skb) -> None:
        self.tx_dropped += 1
        if skb.trace is not None:
            skb.trace.drop(self.where, "device is down", DropReason.DEV_READY)


class OvsNetdevDatapathDevice(OvsDatapathDevice):
    """``ovs-netdev``: the userspace datapath's own port, a tap like its internal ports."""

    kind = "tun"
    tun_type = "tap"
    __slots__ = ()

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int = 1500) -> None:
        super().__init__(ns, name, mac, mtu)
        self.set_promiscuity(1)


class OvsTunnelVportDevice(NetDevice):
    """``vxlan_sys_4789`` / ``genev_sys_6081``: the kernel datapath's flow-based tunnel
    device (``external``); the datapath does its encapsulation, the device only shows."""

    kind = "vxlan"
    operstate_unknown = True
    __slots__ = ()

    def __init__(self, ns: Namespace, name: str, mac: bytes) -> None:
        super().__init__(ns, name, mac, 65000)
        self.set_admin(True)

    def xmit(self, skb: Skb) -> None:
        self.tx_dropped += 1


class OvsGeneveVportDevice(OvsTunnelVportDevice):
    kind = "geneve"
    __slots__ = ()


#: the kernel datapath's tunnel device per port type
TUNNEL_VPORT_DEVICES: dict[str, type[OvsTunnelVportDevice]] = {
    "vxlan": OvsTunnelVportDevice, "geneve": OvsGeneveVportDevice}
