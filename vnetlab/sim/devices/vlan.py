"""802.1Q VLAN subinterfaces (net/8021q): ``ip link add link eth0 name eth0.100 type vlan id 100``.

Design note
-----------
A ``VlanDevice`` sits on a *real device* (its ``link``, any kind: veth, bridge, another
vlan). Transmit (``vlan_dev_hard_start_xmit``) inserts the 4-byte 802.1Q tag after the
source MAC and hands the frame to the real device's transmit; frames on the wire therefore
carry real tags, so captures on the parent and tshark see them. The vlan device's own
taps see the untagged frame, as ``tcpdump -i eth0.100`` does.

Receive follows ``__netif_receive_skb_core``: the real device's taps see the tagged frame,
then ``vlan_do_receive`` (``NetDevice.vlan_rx``) looks the VID up in the parent's
``vlans`` table; a hit strips the tag and the frame is received again on the vlan device
(its counters, its taps, its rx_handler or the stack). Untagged frames stay with the
parent. A tagged frame whose VID has no vlan device is *not* counted as an rx drop: Linux
offers it to the parent's rx_handler (a bridge port still bridges it), otherwise marks it
``PACKET_OTHERHOST`` with the tag cleared, and the protocol handlers (``ip_rcv``,
``arp_rcv``) discard otherhost frames silently — only the trace says so here. A frame for a
vlan device that is down is freed (``vlan_do_receive``: ``!(vlan_dev->flags & IFF_UP)``).

Invariants: the MAC is the parent's unless the lab gives one; the MTU never exceeds the
parent's (checked by the model); a vlan device is up only while its parent is
(``vlan_dev_open`` refuses with ENETDOWN, and ``vlan_device_event`` closes and reopens
children on the parent's NETDEV_DOWN/NETDEV_UP); its carrier follows the parent
(``netif_stacked_transfer_operstate``). Each vlan device subscribes to its real device's
``netdev_chain`` for those events and passes a NETDEV_CHANGE on to its own subscribers (a
bridge it is a port of re-checks it).
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from vnetlab.model.spec import VlanSpec
from vnetlab.sim.errors import NetdevError
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.notifier import (
    OPERSTATE_EVENTS,
    NetdevEvent,
    NetdevNotifierInfo,
    call_netdevice_notifiers,
    netdev_upper_dev_link,
    netdev_upper_dev_unlink,
)
from vnetlab.sim.sched.qdisc import dev_queue_xmit
from vnetlab.sim.trace import DropReason, EventKind
from vnetlab.wire.mac import mac_to_bytes

if TYPE_CHECKING:
    from vnetlab.sim.netdev import Lower
    from vnetlab.sim.stack.netns import Namespace

ETH_P_8021Q = b"\x81\x00"
VLAN_VID_MASK = 0x0FFF


def vlan_insert_tag(data: bytes, vid: int, pcp: int = 0) -> bytes:
    """``vlan_insert_tag``: the frame with an 802.1Q header after the source MAC."""
    tci = (pcp << 13) | vid
    return data[:12] + ETH_P_8021Q + tci.to_bytes(2, "big") + data[12:]


def vlan_untag(data: bytes) -> bytes:
    """``skb_vlan_untag``: the frame without its outermost tag (caller checked it has one)."""
    return data[:12] + data[16:]


def frame_vid(data: bytes) -> int | None:
    """The VID of an 802.1Q-tagged frame (0 for a priority tag), None when untagged."""
    if len(data) >= 18 and data[12:14] == ETH_P_8021Q:
        return ((data[14] << 8) | data[15]) & VLAN_VID_MASK
    return None


class VlanDevice(NetDevice):
    """``struct vlan_dev_priv``: ``real_dev`` and ``vlan_id``."""

    kind = "vlan"
    __slots__ = ("real_dev", "vlan_id", "_tci")

    def __init__(
        self, ns: Namespace, name: str, mac: bytes, mtu: int, real_dev: NetDevice, vid: int
    ) -> None:
        if not 1 <= vid <= 4094:
            raise NetdevError(errno.ERANGE, f"VLAN ID {vid} is not in 1-4094")
        if real_dev.vlans is not None and vid in real_dev.vlans:
            raise NetdevError(errno.EEXIST, f"{real_dev.name} already has vlan {vid}")
        super().__init__(ns, name, mac, mtu)
        self.real_dev = real_dev
        self.vlan_id = vid
        self._tci = vid.to_bytes(2, "big")
        if real_dev.vlans is None:
            real_dev.vlans = {}
        real_dev.vlans[vid] = self  # register_vlan_dev → vlan_group_set_device
        real_dev.netdev_chain.register(self.vlan_device_event)
        netdev_upper_dev_link(real_dev, self, master=False)

    def uninit(self) -> None:
        """``unregister_vlan_dev``: the parent forgets this VID."""
        real = self.real_dev
        vlans = real.vlans
        if vlans is not None and vlans.get(self.vlan_id) is self:
            del vlans[self.vlan_id]
            if not vlans:
                real.vlans = None
            real.netdev_chain.unregister(self.vlan_device_event)
            netdev_upper_dev_unlink(real, self, master=False)

    def vlan_device_event(self, event: NetdevEvent, info: NetdevNotifierInfo) -> None:
        """``vlan_device_event`` for the real device: follow its NETDEV_UP/DOWN, then
        ``netif_stacked_transfer_operstate`` (our carrier is read from it, so tell our own
        subscribers with NETDEV_CHANGE)."""
        if event not in OPERSTATE_EVENTS:
            return
        if event is not NetdevEvent.CHANGE:
            self.set_admin(event is NetdevEvent.UP)
        call_netdevice_notifiers(NetdevEvent.CHANGE, self)

    # -- state ------------------------------------------------------------------------
    @property
    def has_carrier(self) -> bool:
        return self.real_dev.running

    def iflink_dev(self) -> NetDevice | None:
        return self.real_dev

    def set_admin(self, up: bool) -> None:
        """``vlan_dev_open``: refused (stays down) while the real device is down."""
        if up and not self.real_dev.admin_up:
            return
        super().set_admin(up)

    # -- data path --------------------------------------------------------------------
    def xmit(self, skb: Skb) -> None:
        """``vlan_dev_hard_start_xmit``: tag with our VID, transmit on the real device."""
        data = skb.data
        if not self.admin_up:
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(self.where, "vlan device is down", DropReason.DEV_READY)
            return
        self.tx_packets += 1
        self.tx_bytes += len(data)
        if self.taps is not None:
            self.tap_tx(data)
        real = self.real_dev
        if skb.trace is not None:
            skb.trace.add(self.where, f"vlan {self.vlan_id}: tag and send on {real.name}",
                          EventKind.ENCAP)
        # a new Skb: a flooded frame may be one object shared by several ports
        out = Skb(data[:12] + ETH_P_8021Q + self._tci + data[12:], skb.trace)
        if real.qdisc is None:  # vlan_dev_hard_start_xmit -> dev_queue_xmit
            real.xmit(out)
        else:
            dev_queue_xmit(real, out)

    def vlan_receive(self, skb: Skb) -> None:
        """The second half of ``vlan_do_receive``: untag and receive as this device."""
        if not self.admin_up:
            if skb.trace is not None:
                skb.trace.drop(self.where, f"vlan {self.vlan_id}: device is down",
                               DropReason.DEV_READY)
            return
        if skb.trace is not None:
            skb.trace.add(
                self.real_dev.where, f"vlan {self.vlan_id} -> {self.name} (tag removed)",
                EventKind.DECAP
            )
        data = skb.data
        self.netif_receive(Skb(data[:12] + data[16:], skb.trace))


def newlink(ns: Namespace, name: str, spec: VlanSpec, lower: Lower) -> VlanDevice:
    """``vlan_newlink``: the parent's MAC and MTU unless given."""
    parent = lower(spec.link)
    return VlanDevice(
        ns, name, mac_to_bytes(spec.mac) if spec.mac else parent.mac,
        spec.mtu if spec.mtu is not None else parent.mtu, parent, spec.id,
    )
