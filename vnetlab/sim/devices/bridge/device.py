"""The bridge net_device (net/bridge/br_device.c, br_if.c, br_stp.c port-state selection).

Design note
-----------
``BridgeDevice`` is both the switch and the host's interface onto it (the seed's br0 with
192.168.1.1): frames the host sends go through ``br_dev_xmit``; frames for the host come up
through ``br_pass_frame_up``. Without STP a port forwards as soon as the bridge is up and
the port's device is running; the bridge has carrier while at least one port forwards
(``br_port_state_selection``), so a bridge with no live port is ``state DOWN``/NO-CARRIER.
Enslaving a port adds a permanent local FDB entry for its MAC, as ``br_add_if`` does.
"""

from __future__ import annotations

from vnetlab.sim.devices.bridge import fdb as fdbmod
from vnetlab.sim.devices.bridge.fdb import FdbEntry
from vnetlab.sim.devices.bridge.forward import (
    BROADCAST,
    MULTICAST,
    UNICAST,
    br_flood,
    br_forward,
)
from vnetlab.sim.devices.bridge.input import br_handle_frame, br_pass_frame_up
from vnetlab.sim.devices.bridge.port import (
    BR_STATE_DISABLED,
    BR_STATE_FORWARDING,
    BridgePort,
)
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.wire.mac import mac_to_str

BRIDGE_DELAY_NS = 5_000  # forwarding cost added to frames that enter a bridge port
_BCAST = b"\xff\xff\xff\xff\xff\xff"


class BridgeDevice(NetDevice):
    kind = "bridge"
    __slots__ = ("fdb", "port_list", "ageing_time_ns", "gc_at", "promisc", "stp", "_next_no")

    def __init__(self, ns, name: str, mac: bytes, mtu: int = 1500) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ns, name, mac, mtu)
        self.fdb: dict[bytes, FdbEntry] = {}
        self.port_list: list[BridgePort] = []
        self.ageing_time_ns = 300 * 1_000_000_000
        self.gc_at: int | None = None
        self.promisc = 0
        self.stp = False
        self._next_no = 1
        self.carrier = False  # no port yet: NO-CARRIER
        fdbmod.fdb_insert_local(self, mac, None)

    # -- ports (br_if.c) -----------------------------------------------------------------
    def add_port(self, dev: NetDevice) -> BridgePort:
        """``br_add_if``: enslave DEV; the newest port goes to the head of the list."""
        if dev.br_port is not None:
            raise ValueError(f"{dev.name} is already a port of {dev.br_port.bridge.name}")
        port = BridgePort(self, dev, self._next_no)
        self._next_no += 1
        dev.br_port = port
        dev.master = self
        dev.rx_handler = self.handle_frame
        self.port_list.insert(0, port)
        fdbmod.fdb_insert_local(self, dev.mac, port)
        peer = getattr(dev, "peer", None)
        if peer is not None:
            peer.delay += BRIDGE_DELAY_NS
        self.port_state_changed(port)
        return port

    def del_port(self, dev: NetDevice) -> None:
        """``br_del_if``."""
        port = dev.br_port
        if port is None or port.bridge is not self:
            return
        self.port_list.remove(port)
        fdbmod.fdb_delete_by_port(self, port)
        dev.br_port = None
        dev.master = None
        dev.rx_handler = None
        peer = getattr(dev, "peer", None)
        if peer is not None:
            peer.delay -= BRIDGE_DELAY_NS
        self._update_carrier()

    def port_state_changed(self, port: BridgePort) -> None:
        """``br_port_carrier_check`` + ``br_port_state_selection`` without STP."""
        live = self.admin_up and port.dev.running
        new = BR_STATE_FORWARDING if live else BR_STATE_DISABLED
        if new != port.state:
            if new == BR_STATE_DISABLED:
                fdbmod.fdb_flush_dynamic_port(self, port)
            port.state = new
        self._update_carrier()

    def _update_carrier(self) -> None:
        self.set_carrier(any(p.state == BR_STATE_FORWARDING for p in self.port_list))

    def set_admin(self, up: bool) -> None:
        if up == self.admin_up:
            return
        self.admin_up = up
        for p in self.port_list:
            live = up and p.dev.running
            p.state = BR_STATE_FORWARDING if live else BR_STATE_DISABLED
        self._update_carrier()
        self.ns.on_link_change(self)

    def set_carrier(self, on: bool) -> None:
        if on != self.carrier:
            self.carrier = on
            self.ns.on_link_change(self)

    # -- data path ---------------------------------------------------------------------
    handle_frame = br_handle_frame
    pass_frame_up = br_pass_frame_up

    def fdb_cleanup(self, armed_for: int) -> None:
        fdbmod.fdb_cleanup(self, armed_for)

    def xmit(self, skb: Skb) -> None:
        """``br_dev_xmit``: the host sends through the bridge."""
        if not self.admin_up:
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(self.where, "bridge device is down")
            return
        data = skb.data
        self.tx_packets += 1
        self.tx_bytes += len(data)
        if self.taps is not None:
            self.tap_tx(data)
        dst = data[0:6]
        if dst[0] & 1:
            kind = BROADCAST if dst == _BCAST else MULTICAST
            br_flood(self, skb, kind, None, "broadcast" if kind == BROADCAST else "multicast")
            return
        e = self.fdb.get(dst)
        if e is not None and e.port is not None and not e.local:
            if skb.trace is not None:
                skb.trace.add(self.where, f"fdb hit {mac_to_str(dst)} -> port {e.port.name}")
            br_forward(self, e.port, skb, None)
            return
        if e is not None and e.local:
            if skb.trace is not None:
                skb.trace.add(self.where, f"{mac_to_str(dst)} is the bridge's own: local")
            br_pass_frame_up(self, skb)
            return
        br_flood(self, skb, UNICAST, None, f"fdb miss for {mac_to_str(dst)}")

    def set_ageing(self, seconds: float) -> None:
        self.ageing_time_ns = int(seconds * 1_000_000_000)

    def add_static(self, mac: bytes, dev: NetDevice) -> None:
        if dev.br_port is None or dev.br_port.bridge is not self:
            raise ValueError(f"{dev.name} is not a port of {self.name}")
        fdbmod.fdb_add_static(self, mac, dev.br_port)
