"""Network devices: the emulator's ``struct net_device`` and ``sk_buff``.

Design note
-----------
A ``NetDevice`` belongs to one namespace and has the state ``ip link`` shows (admin up,
carrier, MTU, MAC, master) and the counters ``ip -s link`` shows. Two entry points mirror
the kernel's:

* ``xmit(skb)``: the driver's ``ndo_start_xmit`` (per kind). Callers that are
  ``dev_queue_xmit`` in Linux test ``dev.qdisc`` first (None: straight to ``xmit``;
  else the root qdisc of vnetlab.sim.sched takes the frame);
* ``netif_receive(skb)``: ``__netif_receive_skb_core``: packet taps first (tcpdump sees the
  frame), then ``vlan_do_receive`` (a tagged frame whose VID has an 802.1Q child device
  goes to that child, untagged), then the ``rx_handler`` a master installed (the bridge),
  else the namespace stack. ``vlans`` is None on a device without VLAN children, so the
  VLAN step costs one attribute test.

State changes are announced, never dispatched by kind: ``set_admin`` sends NETDEV_UP or
NETDEV_DOWN and ``set_carrier`` NETDEV_CHANGE through ``vnetlab.sim.notifier``; a bridge,
a VLAN or a MACVLAN port that depends on this device has subscribed to its
``netdev_chain``. ``uninit`` (``ndo_uninit``) is the kind's own clean-up when the device is
deleted; ``set_promiscuity`` is the ``IFF_PROMISC`` counter tcpdump and uppers move.

Each device keeps the link-layer addresses it must accept besides its own: ``dev.mc`` and
``dev.uc`` (net/core/dev_addr_lists.c), refcounted, in insertion order. The stacks fill
them (IPv6 groups in sim/stack/mcast6.py, IPv4 all-hosts in igmp.py, a bridge's snooper
groups); a vlan/macvlan/ipvlan that is up copies its lists onto its lower device
(``dev_mc_sync``). ``bridge fdb show`` lists them as "self permanent" (``fdb_self_entries``).

Devices never call each other directly across a wire: a transmitting driver hands the frame
to the scheduler, which delivers it to the peer later. An ``Skb`` is real wire bytes (the
whole Ethernet frame) plus the trace node it carries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vnetlab.sim.notifier import NetdevEvent, NetdevNotifierChain, call_netdevice_notifiers
from vnetlab.sim.trace import DropReason, TraceNode

if TYPE_CHECKING:
    from vnetlab.sim.clock import Scheduler
    from vnetlab.sim.devices.bridge.port import BridgePort
    from vnetlab.sim.devices.vlan import VlanDevice
    from vnetlab.sim.sched.qdisc import Qdisc
    from vnetlab.sim.stack.inet6_dev import Inet6Dev
    from vnetlab.sim.stack.netns import Namespace

Tap = Callable[[int, bytes], None]


class Skb:
    """A frame in flight: ``data`` is the complete Ethernet frame."""

    __slots__ = ("data", "trace", "hops")

    def __init__(self, data: bytes, trace: TraceNode | None = None) -> None:
        self.data = data
        self.trace = trace
        #: bridges crossed while a storm guard is tripped (vnetlab.sim.devices.bridge.storm)
        self.hops = 0

    def clone(self, title: str = "") -> Skb:
        """``skb_clone``: same bytes, its own trace branch."""
        t = self.trace
        c = Skb(self.data, None if t is None else t.branch(title))
        c.hops = self.hops
        return c


#: a kind's ``newlink`` resolves what its spec stacks on (``IFNAME`` / ``NODE:IFNAME``)
#: through this to a device that is already built (``vnetlab.sim.kinds``)
Lower = Callable[[str], "NetDevice"]


class NetDevice:
    kind = "generic"
    #: ``IFF_NOARP``: no neighbour resolution (loopback, tun)
    noarp = False
    #: ``dev->addr_len``: 0 for devices without a link-layer address (tun, ARPHRD_NONE)
    addr_len = 6
    #: ``IFF_UNICAST_FLT``: the device filters extra unicast addresses (``dev_uc_add``)
    #: itself; without it, an upper adding its MAC makes it promiscuous. Only the bridge
    #: models the missing filter so far; every other kind keeps promiscuity 0 for it.
    unicast_flt = True
    #: ``NETIF_F_NETNS_LOCAL``: the device cannot move to another namespace
    netns_local = False
    #: ``dev->type`` as ``ip link`` prints it after ``link/`` (ARPHRD_ETHER, _LOOPBACK, _NONE)
    link_type = "ether"
    #: the ``dev->flags`` that ``ip link`` prints before UP (``IFF_BROADCAST`` ...)
    iff_flags: tuple[str, ...] = ("BROADCAST", "MULTICAST")
    #: ``dev->min_mtu``/``dev->max_mtu`` (``ether_setup``'s; 0/0 is "no limit" to ip)
    min_mtu = 68
    max_mtu = 65535
    #: ``dev->tx_queue_len`` (``ether_setup``'s default)
    tx_queue_len = 1000
    #: the driver never reports carrier (no ``netif_carrier_on/off``, so no linkwatch
    #: event): operstate stays IF_OPER_UNKNOWN while the device is up
    operstate_unknown = False

    __slots__ = (
        "ns",
        "name",
        "ifindex",
        "mac",
        "mtu",
        "admin_up",
        "carrier",
        "master",
        "br_port",
        "rx_handler",
        "vlans",
        "taps",
        "netdev_chain",
        "promisc",
        "qdisc",
        "sched",
        "where",
        "rx_packets",
        "rx_bytes",
        "rx_dropped",
        "tx_packets",
        "tx_bytes",
        "tx_dropped",
        "mc",
        "uc",
        "ip6_ptr",
    )

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int = 1500) -> None:
        self.ns = ns
        self.name = name
        self.mac = mac
        self.mtu = mtu
        self.admin_up = False
        self.carrier = True
        self.master: NetDevice | None = None
        self.br_port: BridgePort | None = None
        self.rx_handler: Callable[[NetDevice, Skb], None] | None = None
        self.vlans: dict[int, VlanDevice] | None = None  # 802.1Q children by VID
        self.taps: list[Tap] | None = None
        #: subscribers to this device's events (register_netdevice_notifier_dev_net)
        self.netdev_chain = NetdevNotifierChain()
        self.promisc = 0  # dev->promiscuity: IFF_PROMISC while > 0
        #: the root qdisc ``tc qdisc add`` attached (vnetlab.sim.sched); None: the
        #: default, and ``dev_queue_xmit`` goes straight to ``xmit``
        self.qdisc: Qdisc | None = None
        self.sched: Scheduler = ns.sched
        self.where = f"{ns.name}:{name}"
        #: ``dev->mc`` / ``dev->uc`` (dev_addr_lists.c): link-layer addresses joined, with
        #: their refcount, in insertion order; ``bridge fdb show`` lists them "self permanent"
        self.mc: dict[bytes, int] = {}
        self.uc: dict[bytes, int] = {}
        #: ``dev->ip6_ptr``: the device's ``inet6_dev`` (vnetlab.sim.stack.inet6_dev)
        self.ip6_ptr: Inet6Dev | None = None
        self.ifindex = ns.register(self)
        self.rx_packets = self.rx_bytes = self.rx_dropped = 0
        self.tx_packets = self.tx_bytes = self.tx_dropped = 0

    # -- state ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """``netif_running && netif_carrier_ok``: the device can pass traffic."""
        return self.admin_up and self.has_carrier

    @property
    def has_carrier(self) -> bool:
        """``netif_carrier_ok``. Stacked devices (vlan, macvlan, ipvlan) take it from their
        lower device (``netif_stacked_transfer_operstate``) and override this."""
        return self.carrier

    @property
    def operstate(self) -> str:
        if not self.admin_up:
            return "DOWN"
        if self.operstate_unknown:
            return "UNKNOWN"
        return "UP" if self.has_carrier else self.no_carrier_operstate()

    def no_carrier_operstate(self) -> str:
        """``default_operstate`` without carrier: look the lower device up by its ifindex
        (``dev_get_iflink``) *in this device's own namespace*. No lower, or nothing at that
        index here: DOWN; otherwise DOWN if that device has carrier, else LOWERLAYERDOWN.
        (So a veth whose peer lives in another namespace usually reads DOWN.)"""
        lower = self.iflink_dev()
        if lower is None:
            return "DOWN"
        iflink = lower.ifindex
        if iflink == self.ifindex:
            return "DOWN"
        here = next((d for d in self.ns.devices.values() if d.ifindex == iflink), None)
        if here is None or here.carrier:
            return "DOWN"
        return "LOWERLAYERDOWN"

    def iflink_dev(self) -> NetDevice | None:
        """The device ``IFLA_LINK`` names (a veth's peer, a vlan's parent); None: itself."""
        return None

    def set_admin(self, up: bool) -> None:
        """``ip link set DEV up|down`` (``dev_open``/``dev_close``): NETDEV_UP/DOWN.
        Kinds override to move carrier first (veth) or to refuse (vlan)."""
        if up == self.admin_up:
            return
        self.admin_up = up
        call_netdevice_notifiers(NetdevEvent.UP if up else NetdevEvent.DOWN, self)

    def set_carrier(self, on: bool) -> None:
        """``netif_carrier_on/off``: NETDEV_CHANGE when the carrier really changed."""
        if on == self.carrier:
            return
        self.carrier = on
        call_netdevice_notifiers(NetdevEvent.CHANGE, self)

    def set_promiscuity(self, inc: int) -> None:
        """``dev_set_promiscuity``: count listeners that want every frame (tcpdump, an
        upper without a unicast filter below it); ``IFF_PROMISC`` while the count is > 0.
        The count never goes below 0."""
        self.promisc = max(0, self.promisc + inc)

    def uninit(self) -> None:
        """``ndo_uninit``: the kind releases what it holds when the device is deleted
        (called by ``Namespace.unregister`` after NETDEV_UNREGISTER; not on a move)."""

    # -- data path --------------------------------------------------------------------
    def xmit(self, skb: Skb) -> None:  # pragma: no cover - every kind overrides
        raise NotImplementedError

    def netif_receive(self, skb: Skb) -> None:
        """``__netif_receive_skb_core``: taps, then rx_handler (bridge) or the stack."""
        if not self.admin_up:
            self.rx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(self.where, "device is down", DropReason.DEV_READY)
            return
        self.rx_packets += 1
        self.rx_bytes += len(skb.data)
        if self.taps is not None:
            now = self.sched.now
            for tap in self.taps:
                tap(now, skb.data)
        if self.vlans is not None and skb.data[12:14] == b"\x81\x00" and self.vlan_rx(skb):
            return
        handler = self.rx_handler
        if handler is not None:
            handler(self, skb)
        else:
            self.ns.rcv(self, skb)

    def vlan_rx(self, skb: Skb) -> bool:
        """``vlan_do_receive``: hand a tagged frame to the child for its VID (True if taken).

        A VID without a child (and VID 0, a priority tag) stays with this device; Linux then
        offers it to the rx_handler (a bridge) or marks it PACKET_OTHERHOST for the stack.
        """
        data = skb.data
        if len(data) < 18:
            return False
        vid = ((data[14] & 0x0F) << 8) | data[15]
        child = self.vlans.get(vid) if self.vlans is not None else None
        if child is None:
            return False
        child.vlan_receive(skb)
        return True

    def tap_tx(self, data: bytes) -> None:
        """``dev_queue_xmit_nit``: packet sockets see outgoing frames too."""
        taps = self.taps
        if taps is not None:
            now = self.sched.now
            for tap in taps:
                tap(now, data)

    def add_tap(self, tap: Tap) -> None:
        if self.taps is None:
            self.taps = []
        self.taps.append(tap)

    def remove_tap(self, tap: Tap) -> None:
        if self.taps is not None and tap in self.taps:
            self.taps.remove(tap)
            if not self.taps:
                self.taps = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.where}>"


# -- device address lists (net/core/dev_addr_lists.c) -----------------------------------------
#: kinds whose ``ndo_set_rx_mode`` copies their lists onto the lower device
#: (``dev_mc_sync``/``dev_uc_sync``: vlan_dev_set_rx_mode, macvlan_set_mac_lists,
#: ipvlan_set_multicast_mac_filter) while they are up; a bridge or a tunnel does not
MC_SYNC_KINDS = frozenset({"vlan", "macvlan", "ipvlan"})


def _mc_lower(dev: NetDevice) -> NetDevice | None:
    if dev.kind in MC_SYNC_KINDS and dev.admin_up:
        return dev.iflink_dev()
    return None


def _hw_addr_add(lst: dict[bytes, int], addr: bytes) -> bool:
    """``__hw_addr_add``: True when ADDR is new to the list."""
    n = lst.get(addr, 0)
    lst[addr] = n + 1
    return n == 0


def _hw_addr_del(lst: dict[bytes, int], addr: bytes) -> bool:
    """``__hw_addr_del``: True when the last reference went (absent: a no-op)."""
    n = lst.get(addr)
    if n is None:
        return False
    if n > 1:
        lst[addr] = n - 1
        return False
    del lst[addr]
    return True


def dev_mc_add(dev: NetDevice, addr: bytes) -> None:
    """``dev_mc_add``: one more reference to multicast ADDR; a new address reaches the
    lower device of a vlan/macvlan/ipvlan that is up (``dev_mc_sync``)."""
    if _hw_addr_add(dev.mc, addr):
        lower = _mc_lower(dev)
        if lower is not None:
            dev_mc_add(lower, addr)


def dev_mc_del(dev: NetDevice, addr: bytes) -> None:
    """``dev_mc_del``: one reference less; the last one also leaves the synced lower."""
    if _hw_addr_del(dev.mc, addr):
        lower = _mc_lower(dev)
        if lower is not None:
            dev_mc_del(lower, addr)


def dev_uc_add(dev: NetDevice, addr: bytes) -> None:
    """``dev_uc_add``: an extra unicast address the device must accept."""
    _hw_addr_add(dev.uc, addr)


def dev_uc_del(dev: NetDevice, addr: bytes) -> None:
    _hw_addr_del(dev.uc, addr)


def dev_set_rx_mode(dev: NetDevice, up: bool) -> None:
    """The address-list half of ``dev_open``/``dev_close`` for a stacking kind: opening
    syncs its lists onto the lower (``dev_mc_sync``; a macvlan also puts its own MAC on
    the lower's unicast list, ``macvlan_open``'s ``dev_uc_add``), closing unsyncs them
    (``dev_mc_unsync``, ``macvlan_stop``). Called with ``dev.admin_up`` already UP."""
    if dev.kind not in MC_SYNC_KINDS:
        return
    lower = dev.iflink_dev()
    if lower is None:
        return
    own_uc = dev.kind == "macvlan" and dev.mac != lower.mac  # not passthru
    if up:
        if own_uc:
            dev_uc_add(lower, dev.mac)
        for addr in dev.mc:
            dev_mc_add(lower, addr)
    else:
        if own_uc:
            dev_uc_del(lower, dev.mac)
        for addr in dev.mc:
            dev_mc_del(lower, addr)


#: kinds with their own ``ndo_fdb_dump`` that does not fall back to
#: ``ndo_dflt_fdb_dump``: ``bridge fdb show`` lists their own FDB, never dev.uc/dev.mc
#: (measured: a vxlan device shows no "self permanent" multicast entries)
OWN_FDB_DUMP_KINDS = frozenset({"vxlan"})


def fdb_self_entries(dev: NetDevice) -> list[bytes]:
    """What ``ndo_dflt_fdb_dump`` lists for DEV as "self permanent": its unicast list,
    then its multicast list, each in insertion order."""
    if dev.kind in OWN_FDB_DUMP_KINDS:
        return []
    return [*dev.uc, *dev.mc]


class Loopback(NetDevice):
    """``lo`` (drivers/net/loopback.c): every transmitted frame comes straight back."""

    kind = "loopback"
    noarp = True
    netns_local = True
    link_type = "loopback"
    iff_flags = ("LOOPBACK",)
    min_mtu = max_mtu = 0
    operstate_unknown = True
    __slots__ = ()

    #: loopback_xmit costs little; a small constant keeps event order deterministic
    delay = 1_000

    def xmit(self, skb: Skb) -> None:
        if not self.admin_up:
            self.tx_dropped += 1
            return
        self.tx_packets += 1
        self.tx_bytes += len(skb.data)
        self.tap_tx(skb.data)
        self.sched.at(self.sched.now + self.delay, self.netif_receive, skb)
