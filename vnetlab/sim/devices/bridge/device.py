"""The bridge net_device (net/bridge/br_device.c, br_if.c, br_stp.c port-state selection).

Design note
-----------
``BridgeDevice`` is both the switch and the host's interface onto it (the seed's br0 with
192.168.1.1): frames the host sends go through ``br_dev_xmit``; frames for the host come up
through ``br_pass_frame_up``. Without STP a port forwards as soon as the bridge is up and
the port's device is running; the bridge has carrier while at least one port forwards
(``br_port_state_selection``), so a bridge with no live port is ``state DOWN``/NO-CARRIER.
Enslaving a port adds a permanent local FDB entry for its MAC, as ``br_add_if`` does.

VLAN filtering (``bridge.vlan``): the bridge and each port carry a ``VlanGroup`` holding
``default_pvid`` (PVID, egress untagged) from creation, as Linux does; ``set_vlan_filtering``
switches the ports' rx_handler between ``br_handle_frame`` and ``br_handle_frame_vlan`` and
adds (or removes) the per-VLAN local FDB entries of the bridge's and the ports' MACs, so
a bridge that does not filter keeps exactly its old FDB and data path.

A port's state changes reach the bridge through the notifier chain (``br_device_event``,
subscribed to each port's ``netdev_chain`` by ``add_port``): NETDEV_UP/DOWN/CHANGE re-check
the port (``br_port_carrier_check``), NETDEV_UNREGISTER releases it (``br_del_if``).
Deleting the bridge releases every port (``uninit``, as ``br_dev_delete``).
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from vnetlab.sim.devices.bridge import fdb as fdbmod
from vnetlab.sim.devices.bridge import stp, stp_bpdu, stp_timer
from vnetlab.sim.devices.bridge.fdb import FdbEntry
from vnetlab.sim.devices.bridge.forward import (
    BROADCAST,
    MULTICAST,
    UNICAST,
    br_flood,
    br_forward,
)
from vnetlab.sim.devices.bridge.input import br_handle_frame, br_pass_frame_up
from vnetlab.sim.devices.bridge.multicast import (
    join_snoopers,
    join_snoopers_groups,
    leave_snoopers_groups,
)
from vnetlab.sim.devices.bridge.port import (
    BR_STATE_DISABLED,
    BR_STATE_FORWARDING,
    BridgePort,
    VlanGroup,
)
from vnetlab.sim.devices.bridge.storm import StormGuard
from vnetlab.sim.devices.bridge.stp_timer import StpTimer
from vnetlab.sim.devices.bridge.vlan import br_dev_xmit_vlan, br_handle_frame_vlan
from vnetlab.sim.errors import NetdevError
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.wire.mac import mac_to_bytes, mac_to_str
from vnetlab.wire.stp import bridge_id

if TYPE_CHECKING:
    from vnetlab.model.spec import BridgeSpec
    from vnetlab.sim.netdev import Lower
    from vnetlab.sim.stack.netns import Namespace
from vnetlab.sim.notifier import (
    OPERSTATE_EVENTS,
    NetdevEvent,
    NetdevNotifierInfo,
    call_netdevice_notifiers,
    netdev_upper_dev_link,
    netdev_upper_dev_unlink,
)
from vnetlab.sim.trace import DropReason, EventKind

if TYPE_CHECKING:
    from vnetlab.sim.stack.netns import Namespace

BRIDGE_DELAY_NS = 5_000  # forwarding cost added to frames that enter a bridge port
_BCAST = b"\xff\xff\xff\xff\xff\xff"


class BridgeDevice(NetDevice):
    kind = "bridge"
    min_mtu = 0  # as ip -d shows for a bridge
    #: br_dev_setup: no IFF_UNICAST_FLT (an upper's MAC makes the bridge promiscuous) and
    #: NETIF_F_NETNS_LOCAL (a bridge stays in its namespace)
    unicast_flt = False
    netns_local = True
    __slots__ = (
        "fdb",
        "port_list",
        "ageing_time_ns",
        "gc_at",
        "stp",
        "mcast_snooping",
        "addr_set",
        "_next_no",
        "vlan_enabled",
        "default_pvid",
        "vlgrp",
        # STP (struct net_bridge; vnetlab.sim.devices.bridge.stp)
        "bridge_id",
        "designated_root",
        "root_path_cost",
        "root_port",
        "max_age",
        "hello_time",
        "forward_delay",
        "bridge_max_age",
        "bridge_hello_time",
        "bridge_forward_delay",
        "bridge_ageing_time",
        "topology_change",
        "topology_change_detected",
        "hello_timer",
        "tcn_timer",
        "topology_change_timer",
        "stp_log",
        "storm",
        "storm_mode",
    )

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int = 1500) -> None:
        super().__init__(ns, name, mac, mtu)
        self.fdb: dict[bytes, FdbEntry] = {}
        self.port_list: list[BridgePort] = []
        self.ageing_time_ns = 300 * 1_000_000_000  # br->ageing_time (what is in use)
        self.bridge_ageing_time = self.ageing_time_ns  # br->bridge_ageing_time (configured)
        self.gc_at: int | None = None
        self.stp = False  # BR_KERNEL_STP when True, BR_NO_STP when False
        # br_dev_setup: priority 0x8000, the 802.1D default timers, root of its own tree
        self.bridge_id = bridge_id(stp.BR_DEFAULT_PRIORITY, mac)
        self.designated_root = self.bridge_id
        self.root_path_cost = 0
        self.root_port = 0
        self.bridge_max_age = self.max_age = 20 * stp.S
        self.bridge_hello_time = self.hello_time = 2 * stp.S
        self.bridge_forward_delay = self.forward_delay = 15 * stp.S
        self.topology_change = False
        self.topology_change_detected = False
        sched = ns.sched
        self.hello_timer = StpTimer(sched, lambda: stp_timer.hello_timer_expired(self))
        self.tcn_timer = StpTimer(sched, lambda: stp_timer.tcn_timer_expired(self))
        self.topology_change_timer = StpTimer(
            sched, lambda: stp_timer.topology_change_timer_expired(self))
        #: (time, port, state) of every STP port state change, when someone listens
        self.stp_log: list[tuple[int, str, str]] | None = None
        self.storm = StormGuard()  # vnetlab.sim.devices.bridge.storm
        self.storm_mode = False  # the guard tripped: frames take the slow, counting path
        self.mcast_snooping = True  # IFLA_BR_MCAST_SNOOPING, on by default
        #: NET_ADDR_SET: the MAC was given (labs always give one); otherwise the bridge
        #: takes its lowest port's MAC whenever ports change
        self.addr_set = True
        self._next_no = 1
        self.carrier = False  # no port yet: NO-CARRIER
        fdbmod.fdb_insert_local(self, mac, None)
        self.vlan_enabled = False  # IFLA_BR_VLAN_FILTERING
        self.default_pvid = 1  # IFLA_BR_VLAN_DEFAULT_PVID
        self.vlgrp = VlanGroup()  # br_vlan_init: the bridge's own ("self") VLANs
        self.vlgrp.add(1, pvid=True, untagged=True)

    # -- ports (br_if.c) -----------------------------------------------------------------
    def add_port(self, dev: NetDevice) -> BridgePort:
        """``br_add_if``: enslave DEV; the newest port goes to the head of the list."""
        if dev.br_port is not None:
            raise NetdevError(errno.EBUSY,
                              f"{dev.name} is already a port of {dev.br_port.bridge.name}")
        port = BridgePort(self, dev, self._next_no)
        self._next_no += 1
        dev.br_port = port
        dev.master = self
        dev.rx_handler = self.handle_frame_vlan if self.vlan_enabled else self.handle_frame
        dev.netdev_chain.register(self.br_device_event)
        netdev_upper_dev_link(dev, self, master=True)
        self.port_list.insert(0, port)
        fdbmod.fdb_insert_local(self, dev.mac, port)
        if self.default_pvid:  # nbp_vlan_init
            self.vlan_add(self.default_pvid, port, pvid=True, untagged=True)
        peer = getattr(dev, "peer", None)
        if peer is not None:
            peer.delay += BRIDGE_DELAY_NS
        self.recalculate_bridge_id()
        if self.admin_up and dev.running:  # br_add_if -> br_stp_enable_port
            stp.br_stp_enable_port(port)
        self._update_carrier()
        return port

    def del_port(self, dev: NetDevice) -> None:
        """``br_del_if``."""
        port = dev.br_port
        if port is None or port.bridge is not self:
            return
        stp.br_stp_disable_port(port)  # del_nbp
        self.port_list.remove(port)
        fdbmod.fdb_delete_by_port(self, port)
        dev.br_port = None
        dev.master = None
        dev.rx_handler = None
        dev.netdev_chain.unregister(self.br_device_event)
        netdev_upper_dev_unlink(dev, self, master=True)
        peer = getattr(dev, "peer", None)
        if peer is not None:
            peer.delay -= BRIDGE_DELAY_NS
        self.recalculate_bridge_id()
        self._update_carrier()

    def br_device_event(self, event: NetdevEvent, info: NetdevNotifierInfo) -> None:
        """``br_device_event`` for one of this bridge's ports (without STP, NETDEV_UP, DOWN
        and CHANGE all come down to ``br_port_carrier_check``)."""
        dev = info.dev
        port = dev.br_port
        if port is None or port.bridge is not self:
            return
        if event is NetdevEvent.UNREGISTER:
            self.del_port(dev)
        elif event in OPERSTATE_EVENTS:
            self.port_state_changed(port)

    def uninit(self) -> None:
        """``br_dev_delete``: a bridge that is deleted releases every port first."""
        for port in list(self.port_list):
            self.del_port(port.dev)

    def recalculate_bridge_id(self) -> None:
        """``br_stp_recalculate_bridge_id``: unless its MAC was set explicitly, a bridge
        uses the numerically lowest MAC of its ports (kept as it is with no ports)."""
        if self.addr_set or not self.port_list:
            return
        lowest = min(p.dev.mac for p in self.port_list)
        if lowest == self.mac:
            return
        old = self.fdb.get(self.mac)
        if old is not None and old.local and old.port is None:
            del self.fdb[self.mac]  # br_fdb_change_mac_address
        self.mac = lowest
        if lowest not in self.fdb:
            fdbmod.fdb_insert_local(self, lowest, None)
        stp.br_stp_change_bridge_id(self, lowest)

    def port_state_changed(self, port: BridgePort) -> None:
        """``br_port_carrier_check``: a port that can pass traffic again is enabled (STP
        takes it through listening/learning, or straight to forwarding without STP); one
        that cannot is disabled (its learned FDB entries go)."""
        if not self.admin_up:
            return
        if port.dev.running:
            if port.state == BR_STATE_DISABLED:
                stp.br_stp_enable_port(port)
        elif port.state != BR_STATE_DISABLED:
            stp.br_stp_disable_port(port)
        self._update_carrier()

    def _update_carrier(self) -> None:
        self.set_carrier(any(p.state == BR_STATE_FORWARDING for p in self.port_list))

    def set_admin(self, up: bool) -> None:
        """``br_dev_open``/``br_dev_stop``: ``br_stp_enable_bridge``/``_disable_bridge``."""
        if up == self.admin_up:
            return
        self.admin_up = up
        if up:
            stp.br_stp_enable_bridge(self)
        else:
            stp.br_stp_disable_bridge(self)
        if self.mcast_snooping:  # in br_dev_open/br_dev_stop, before NETDEV_UP/DOWN
            (join_snoopers_groups if up else leave_snoopers_groups)(self)
        self._update_carrier()
        call_netdevice_notifiers(NetdevEvent.UP if up else NetdevEvent.DOWN, self)
        if up and self.mcast_snooping:
            join_snoopers(self)

    # -- STP (br_stp_if.c) -----------------------------------------------------------------
    def set_stp(self, on: bool) -> None:
        """``ip link set BR type bridge stp_state 0|1``."""
        stp.br_stp_set_enabled(self, on)

    def set_port_stp(self, port: BridgePort, cost: int | None, priority: int) -> None:
        """``bridge link set dev PORT cost N priority N`` (``br_stp_set_path_cost``,
        ``br_stp_set_port_priority``)."""
        if cost is not None and cost != port.path_cost:
            stp.br_stp_set_path_cost(port, cost)
        if priority != port.priority:
            stp.br_stp_set_port_priority(port, priority)

    def stp_rcv(self, port: BridgePort, skb: Skb) -> None:
        stp_bpdu.br_stp_rcv(port, skb)

    # -- VLAN filtering (br_vlan.c) --------------------------------------------------------
    def _vlan_owner(self, port: BridgePort | None) -> tuple[VlanGroup, bytes]:
        return (self.vlgrp, self.mac) if port is None else (port.vlgrp, port.dev.mac)

    def vlan_add(
        self, vid: int, port: BridgePort | None = None, *, pvid: bool = False,
        untagged: bool = False,
    ) -> None:
        """``bridge vlan add vid VID dev PORT|BR [self] [pvid] [untagged]`` (``br_vlan_add``)."""
        if not 1 <= vid <= 4094:
            raise NetdevError(errno.EINVAL, f"VLAN ID {vid} is not in 1-4094")
        vg, mac = self._vlan_owner(port)
        vg.add(vid, pvid=pvid, untagged=untagged)
        if self.vlan_enabled:
            fdbmod.fdb_insert_local(self, mac, port, vid)

    def vlan_del(self, vid: int, port: BridgePort | None = None) -> None:
        """``bridge vlan del vid VID dev PORT|BR [self]``."""
        vg, mac = self._vlan_owner(port)
        vg.delete(vid)
        fdbmod.fdb_delete_local(self, mac, port, vid)

    def vlan_flush(self, port: BridgePort | None = None) -> None:
        """Remove every VLAN of PORT (None: of the bridge itself)."""
        vg, _ = self._vlan_owner(port)
        for vid in list(vg.vlans):
            self.vlan_del(vid, port)

    def set_vlan_filtering(self, on: bool) -> None:
        """``ip link set BR type bridge vlan_filtering 0|1`` (``br_vlan_filter_toggle``)."""
        if on == self.vlan_enabled:
            return
        self.vlan_enabled = on
        handler = self.handle_frame_vlan if on else self.handle_frame
        owners: list[BridgePort | None] = [None, *self.port_list]
        for port in owners:
            if port is not None:
                port.dev.rx_handler = handler
            vg, mac = self._vlan_owner(port)
            for vid in vg.vlans:
                if on:
                    fdbmod.fdb_insert_local(self, mac, port, vid)
                else:
                    fdbmod.fdb_delete_local(self, mac, port, vid)
        if not on:  # entries learned per VLAN mean nothing to a bridge that ignores VLANs
            for key in [k for k, e in self.fdb.items() if e.vid and not e.local]:
                del self.fdb[key]

    # -- data path ---------------------------------------------------------------------
    handle_frame = br_handle_frame
    handle_frame_vlan = br_handle_frame_vlan
    pass_frame_up = br_pass_frame_up

    def fdb_cleanup(self, armed_for: int) -> None:
        fdbmod.fdb_cleanup(self, armed_for)

    def xmit(self, skb: Skb) -> None:
        """``br_dev_xmit``: the host sends through the bridge."""
        if not self.admin_up:
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(self.where, "bridge device is down", DropReason.DEV_READY)
            return
        data = skb.data
        self.tx_packets += 1
        self.tx_bytes += len(data)
        if self.taps is not None:
            self.tap_tx(data)
        if self.vlan_enabled:
            br_dev_xmit_vlan(self, skb)
            return
        dst = data[0:6]
        if dst[0] & 1:
            kind = BROADCAST if dst == _BCAST else MULTICAST
            br_flood(self, skb, kind, None, "broadcast" if kind == BROADCAST else "multicast")
            return
        e = self.fdb.get(dst)
        if e is not None:
            if e.port is None:
                # br_forward(NULL): the bridge's own address is never sent to itself
                self.tx_dropped += 1
                if skb.trace is not None:
                    skb.trace.drop(self.where, f"{mac_to_str(dst)} is the bridge's own address",
                                   DropReason.NOT_SPECIFIED)
                return
            if skb.trace is not None:
                skb.trace.add(self.where, f"fdb hit {mac_to_str(dst)} -> port {e.port.name}",
                              EventKind.DECISION)
            br_forward(self, e.port, skb, None)  # a port's own MAC: out of that port
            return
        br_flood(self, skb, UNICAST, None, miss=dst)

    def set_ageing(self, seconds: float) -> None:
        """``br_set_ageing_time``: the configured value; in use unless a topology change
        has it cut to 2 x forward_delay."""
        self.bridge_ageing_time = int(seconds * 1_000_000_000)
        if not (self.stp and self.topology_change):
            self.ageing_time_ns = self.bridge_ageing_time

    def hold_time(self) -> int:
        """``hold_time`` (br_fdb.c): learned entries age after forward_delay while a
        topology change lasts."""
        return self.forward_delay if self.topology_change else self.ageing_time_ns

    def add_static(self, mac: bytes, dev: NetDevice, vid: int | None = None) -> None:
        """``bridge fdb add MAC dev PORT master static [vlan VID]``.

        Without a VID on a filtering bridge, ``br_fdb_add`` adds the entry for VID 0 and for
        every VLAN of the port.
        """
        port = dev.br_port
        if port is None or port.bridge is not self:
            raise NetdevError(errno.EINVAL, f"{dev.name} is not a port of {self.name}")
        if vid is not None:
            fdbmod.fdb_add_static(self, mac, port, vid)
            return
        fdbmod.fdb_add_static(self, mac, port)
        if self.vlan_enabled:
            for v in port.vlgrp.vlans:
                fdbmod.fdb_add_static(self, mac, port, v)


def newlink(ns: Namespace, name: str, spec: BridgeSpec, lower: Lower) -> BridgeDevice:
    """``br_dev_newlink``: ageing time and ``vlan_default_pvid`` from the spec (the port
    VLANs and ``vlan_filtering`` come after the ports joined, as a script would)."""
    br = BridgeDevice(ns, name, mac_to_bytes(spec.mac or ""), spec.mtu)
    br.set_ageing(spec.ageing_time)
    # br_changelink: the STP timers, stp_state and priority before any port joins
    for name, value, _ in spec.stp_timers():
        stp.set_bridge_timer(br, name, value)
    br.set_stp(spec.stp)
    if spec.priority != stp.BR_DEFAULT_PRIORITY:
        stp.br_stp_set_bridge_priority(br, spec.priority)
    if spec.default_pvid != br.default_pvid:  # ip link add ... type bridge vlan_default_pvid N
        br.vlan_flush()
        br.default_pvid = spec.default_pvid
        if spec.default_pvid:
            br.vlan_add(spec.default_pvid, pvid=True, untagged=True)
    return br
