"""MACVLAN (drivers/net/macvlan.c): several MACs, one lower device, four modes.

Design note
-----------
The first macvlan on a lower device creates its ``MacvlanPort`` (``macvlan_port_create``):
the port owns the lower's ``rx_handler`` (``macvlan_handle_frame``) and the table of its
macvlans by MAC (``vlan_hash``). The children may live in other namespaces (a container's
macvlan on the host's eth0); frames cross by object reference, like ``skb->dev`` does.

Transmit, ``macvlan_queue_xmit``:
  * ``bridge`` mode: a multicast/broadcast frame goes to every *other bridge-mode* child
    directly (``macvlan_broadcast(..., MACVLAN_MODE_BRIDGE)``) and then out of the lower;
    a unicast frame for a bridge-mode sibling goes to it through the lower's receive path
    (``dev_forward_skb(lowerdev)``: the lower's taps see it); anything else goes out;
  * ``vepa``, ``private``, ``passthru``: always out of the lower (``dev_queue_xmit``).
  The lower's *own* stack never sees what a child transmits: a child cannot reach its
  parent's address (and the parent none of its children) unless an external switch sends
  the frame back.

Receive on the lower, ``macvlan_handle_frame``:
  * multicast/broadcast: if the source MAC is a ``private`` or ``passthru`` child (the frame
    came back from a hairpinning switch), it goes back to that child only (consumed);
    otherwise the lower's stack gets it (RX_HANDLER_PASS) and, deferred like the kernel's
    ``bc_work``, ``macvlan_multicast_rx`` floods copies: from outside to every child; from a
    ``vepa`` child to the other vepa and bridge children; from a bridge child to vepa
    children only (bridge children saw it on the way out);
  * unicast: ``passthru`` gives everything to its one child; otherwise the child whose MAC
    is the destination gets it (as if received on the child, RX_HANDLER_ANOTHER; dropped
    when that child is down); no such child: the lower's own stack.

So private children never learn each other's MACs (ARP is a broadcast that never reaches a
sibling), and vepa children talk only through a switch with ``hairpin on``.

State: a macvlan's carrier follows its lower (``netif_stacked_transfer_operstate``: the
port subscribes to the lower's ``netdev_chain`` and passes NETDEV_UP/DOWN/CHANGE on to each
child as NETDEV_CHANGE, ``macvlan_device_event``); a passthru child has the lower's MAC and
puts the lower in promiscuous mode while up.
Multicast filters (``mc_filter``) are not modelled: every child accepts every group.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from vnetlab.model.spec import MacvlanSpec
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
from vnetlab.wire.mac import mac_to_bytes, mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.netdev import Lower
    from vnetlab.sim.stack.netns import Namespace

MACVLAN_MODE_PRIVATE = 1
MACVLAN_MODE_VEPA = 2
MACVLAN_MODE_BRIDGE = 4
MACVLAN_MODE_PASSTHRU = 8
MODES = {
    "private": MACVLAN_MODE_PRIVATE,
    "vepa": MACVLAN_MODE_VEPA,
    "bridge": MACVLAN_MODE_BRIDGE,
    "passthru": MACVLAN_MODE_PASSTHRU,
}
MODE_NAMES = {v: k for k, v in MODES.items()}
MACVLAN_MODE_ALL = 0xF
#: the kernel floods broadcasts from a work queue (``macvlan_process_broadcast``): later
#: than the lower's own copy, which the stack gets at once
BC_WORK_DELAY_NS = 1_000
#: ``dev_forward_skb``/``netif_rx`` defer through the backlog
FORWARD_DELAY_NS = 1_000


class MacvlanPort:
    """``struct macvlan_port``: the lower device's table of macvlans."""

    __slots__ = ("dev", "vlans", "vlan_hash", "passthru")

    def __init__(self, dev: NetDevice) -> None:
        self.dev = dev
        self.vlans: list[MacvlanDevice] = []  # creation order (``port->vlans``)
        self.vlan_hash: dict[bytes, MacvlanDevice] = {}
        self.passthru = False

    @staticmethod
    def of(lower: NetDevice) -> MacvlanPort:
        """``macvlan_port_create`` on first use: install the rx_handler (EBUSY if taken)."""
        port = getattr(lower.rx_handler, "__self__", None)
        if isinstance(port, MacvlanPort):
            return port
        if lower.rx_handler is not None:
            raise NetdevError(errno.EBUSY,
                              f"{lower.where}: rx_handler busy (Device or resource busy)")
        port = MacvlanPort(lower)
        lower.rx_handler = port.handle_frame
        lower.netdev_chain.register(port.macvlan_device_event)
        return port

    def destroy_if_unused(self) -> None:
        """``macvlan_port_destroy`` once the last macvlan is gone: the lower's rx_handler
        is free again (a bridge may take it)."""
        if self.vlans:
            return
        lower = self.dev
        if getattr(lower.rx_handler, "__self__", None) is self:
            lower.rx_handler = None
        lower.netdev_chain.unregister(self.macvlan_device_event)

    def macvlan_device_event(self, event: NetdevEvent, info: NetdevNotifierInfo) -> None:
        """``macvlan_device_event`` on the lower: each child's operstate follows it."""
        if event in OPERSTATE_EVENTS:
            for vlan in list(self.vlans):
                call_netdevice_notifiers(NetdevEvent.CHANGE, vlan)

    # -- macvlan_broadcast ---------------------------------------------------------------
    def broadcast(self, skb: Skb, src: NetDevice | None, mode: int) -> None:
        """``macvlan_broadcast``: a copy to every child (but ``src``) whose mode is in
        ``mode``; from the transmit path (``mode == BRIDGE``) as a local forward."""
        for vlan in self.vlans:
            if vlan is src or not (vlan.mode & mode):
                continue
            t = None
            if skb.trace is not None:
                t = skb.trace.branch(f"copy to macvlan {vlan.where}")
            vlan.sched.after(FORWARD_DELAY_NS, vlan.receive_forwarded, Skb(skb.data, t))

    def multicast_rx(self, skb: Skb, src: MacvlanDevice | None) -> None:
        """``macvlan_multicast_rx`` (run from the broadcast work queue)."""
        if src is None:  # from an external address
            self.broadcast(skb, None, MACVLAN_MODE_ALL)
        elif src.mode == MACVLAN_MODE_VEPA:  # flood to everyone except the source
            self.broadcast(skb, src, MACVLAN_MODE_VEPA | MACVLAN_MODE_BRIDGE)
        else:  # bridge children already saw it on the way out
            self.broadcast(skb, src, MACVLAN_MODE_VEPA)

    # -- rx_handler ----------------------------------------------------------------------
    def handle_frame(self, lower: NetDevice, skb: Skb) -> None:
        """``macvlan_handle_frame``: which child (if any) the frame on the lower is for."""
        data = skb.data
        dst = data[0:6]
        trace = skb.trace
        if dst[0] & 1:
            src = self.vlan_hash.get(data[6:12])
            if src is not None and src.mode not in (MACVLAN_MODE_VEPA, MACVLAN_MODE_BRIDGE):
                if trace is not None:
                    trace.add(lower.where, f"macvlan: group frame from {src.mode_name} child "
                              f"{src.where} came back: to that child only", EventKind.DECISION)
                src.netif_receive(skb)
                return
            if trace is not None:
                who = f"child {src.where} ({src.mode_name})" if src else "outside"
                trace.add(lower.where, f"macvlan: group frame from {who}: to {lower.name}'s "
                          "stack, copies to the children by mode", EventKind.FLOOD)
            copy = Skb(data, trace.branch("macvlan broadcast work") if trace else None)
            lower.sched.after(BC_WORK_DELAY_NS, lambda s: self.multicast_rx(s, src), copy)
            lower.ns.rcv(lower, skb)
            return
        # passthru: its one child takes all unicast; else the child with that MAC
        passthru = self.vlans[0] if self.passthru and self.vlans else None
        vlan = passthru if self.passthru else self.vlan_hash.get(dst)
        if vlan is None:
            lower.ns.rcv(lower, skb)
            return
        if not vlan.admin_up:
            if trace is not None:
                trace.drop(vlan.where, "macvlan is down", DropReason.DEV_READY)
            return
        if trace is not None:
            trace.add(lower.where, f"macvlan: {mac_to_str(dst)} is {vlan.where} "
                      f"({vlan.mode_name})", EventKind.DECISION)
        vlan.netif_receive(skb)


class MacvlanDevice(NetDevice):
    """``struct macvlan_dev``: ``lowerdev``, ``port`` and ``mode``."""

    kind = "macvlan"
    __slots__ = ("lowerdev", "port", "mode")

    def __init__(
        self, ns: Namespace, name: str, mac: bytes, mtu: int, lowerdev: NetDevice, mode: str
    ) -> None:
        if isinstance(lowerdev, MacvlanDevice):  # stack on the real device
            lowerdev = lowerdev.lowerdev
        port = MacvlanPort.of(lowerdev)
        m = MODES[mode]
        if port.passthru or (m == MACVLAN_MODE_PASSTHRU and port.vlans):
            raise NetdevError(errno.EINVAL, f"passthru macvlan on {lowerdev.where} must be alone "
                             "(Invalid argument)")
        if m == MACVLAN_MODE_PASSTHRU:
            port.passthru = True
            mac = lowerdev.mac  # eth_hw_addr_inherit
        elif mac == lowerdev.mac or mac in port.vlan_hash:
            raise NetdevError(errno.EADDRINUSE, f"{mac_to_str(mac)} is in use on {lowerdev.where} "
                             "(Address already in use)")
        super().__init__(ns, name, mac, mtu)
        self.lowerdev: NetDevice = lowerdev
        self.port = port
        self.mode = m
        port.vlans.append(self)
        port.vlan_hash[mac] = self
        netdev_upper_dev_link(lowerdev, self, master=False)
        if not lowerdev.unicast_flt:
            # macvlan_open: dev_uc_add(lower, our MAC) (passthru: dev_set_promiscuity); a
            # bridge has no unicast filter (IFF_UNICAST_FLT), so it turns promiscuous and
            # passes frames for our MAC up to its rx_handler (br_handle_frame_finish)
            lowerdev.set_promiscuity(1)

    def uninit(self) -> None:
        """``macvlan_dellink`` + ``macvlan_uninit``: leave the port's tables (the MAC is free
        again), give back what ``macvlan_open`` took on the lower, and destroy the port
        with its last macvlan."""
        port = self.port
        lower = self.lowerdev
        if self not in port.vlans:
            return
        port.vlans.remove(self)
        for mac in [m for m, v in port.vlan_hash.items() if v is self]:
            del port.vlan_hash[mac]
        if self.mode == MACVLAN_MODE_PASSTHRU:
            port.passthru = False
        if not lower.unicast_flt:
            lower.set_promiscuity(-1)
        netdev_upper_dev_unlink(lower, self, master=False)
        port.destroy_if_unused()

    @property
    def mode_name(self) -> str:
        return MODE_NAMES[self.mode]

    # -- state ------------------------------------------------------------------------
    @property
    def has_carrier(self) -> bool:
        return self.lowerdev.running

    def iflink_dev(self) -> NetDevice | None:
        return self.lowerdev

    # -- data path --------------------------------------------------------------------
    def xmit(self, skb: Skb) -> None:
        """``macvlan_start_xmit`` -> ``macvlan_queue_xmit``."""
        data = skb.data
        trace = skb.trace
        if not self.admin_up:
            self.tx_dropped += 1
            if trace is not None:
                trace.drop(self.where, "macvlan is down", DropReason.DEV_READY)
            return
        self.tx_packets += 1
        self.tx_bytes += len(data)
        if self.taps is not None:
            self.tap_tx(data)
        lower = self.lowerdev
        if self.mode == MACVLAN_MODE_BRIDGE:
            dst = data[0:6]
            if dst[0] & 1:
                if trace is not None:
                    trace.add(self.where, "macvlan bridge mode: group frame to the bridge-mode "
                              f"siblings and out of {lower.where}", EventKind.FLOOD)
                self.port.broadcast(skb, self, MACVLAN_MODE_BRIDGE)
            else:
                dest = self.port.vlan_hash.get(dst)
                if dest is not None and dest.mode == MACVLAN_MODE_BRIDGE:
                    if trace is not None:
                        trace.add(self.where, f"macvlan bridge mode: {mac_to_str(dst)} is "
                                  f"sibling {dest.where}: deliver through {lower.where}",
                                  EventKind.DECISION)
                    self.sched.after(FORWARD_DELAY_NS, self._forward_to_lower, Skb(data, trace))
                    return
        if trace is not None:
            why = {MACVLAN_MODE_BRIDGE: "not a bridge-mode sibling",
                   MACVLAN_MODE_VEPA: "vepa", MACVLAN_MODE_PRIVATE: "private",
                   MACVLAN_MODE_PASSTHRU: "passthru"}[self.mode]
            if not (self.mode == MACVLAN_MODE_BRIDGE and data[0] & 1):
                trace.add(self.where, f"macvlan {why}: out of {lower.where}", EventKind.DECISION)
        dev_queue_xmit(lower, Skb(data, trace))

    def _forward_to_lower(self, skb: Skb) -> None:
        """``dev_forward_skb(lowerdev)``: received on the lower, whose rx_handler is ours."""
        lower = self.lowerdev
        if not lower.admin_up:  # is_skb_forwardable
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(lower.where, "lower device is down", DropReason.DEV_READY)
            return
        lower.netif_receive(skb)

    def receive_forwarded(self, skb: Skb) -> None:
        """A broadcast copy (``macvlan_broadcast_one`` + ``netif_rx``)."""
        if not self.admin_up:
            return
        self.netif_receive(skb)


def newlink(ns: Namespace, name: str, spec: MacvlanSpec, lower: Lower) -> MacvlanDevice:
    """``macvlan_common_newlink``; the lower may live in another namespace."""
    low = lower(spec.link)
    return MacvlanDevice(ns, name, mac_to_bytes(spec.mac or ""), spec.mtu or low.mtu, low,
                         spec.mode)
