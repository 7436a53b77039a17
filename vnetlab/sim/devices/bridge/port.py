"""``struct net_bridge_port``: a device enslaved to a bridge, its flags and state."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.device import BridgeDevice
    from vnetlab.sim.netdev import NetDevice

# include/uapi/linux/if_bridge.h port states
BR_STATE_DISABLED = 0
BR_STATE_LISTENING = 1
BR_STATE_LEARNING = 2
BR_STATE_FORWARDING = 3
BR_STATE_BLOCKING = 4
STATE_NAMES = {0: "disabled", 1: "listening", 2: "learning", 3: "forwarding", 4: "blocking"}


class VlanGroup:
    """``struct net_bridge_vlan_group``: member VIDs (→ egress untagged?) and the PVID."""

    __slots__ = ("vlans", "pvid")

    def __init__(self) -> None:
        self.vlans: dict[int, bool] = {}
        self.pvid = 0

    def add(self, vid: int, *, pvid: bool = False, untagged: bool = False) -> None:
        """``__vlan_add_flags``: (re)adding a VID sets its flags; PVID moves or clears."""
        self.vlans[vid] = untagged
        if pvid:
            self.pvid = vid
        elif self.pvid == vid:
            self.pvid = 0

    def delete(self, vid: int) -> None:
        self.vlans.pop(vid, None)
        if self.pvid == vid:
            self.pvid = 0

    def flush(self) -> None:
        self.vlans.clear()
        self.pvid = 0

    def flags(self, vid: int) -> tuple[str, ...]:
        """``bridge -j vlan show`` flags of VID."""
        out: tuple[str, ...] = ("PVID",) if self.pvid == vid else ()
        if self.vlans.get(vid):
            out += ("Egress Untagged",)
        return out


class BridgePort:
    __slots__ = (
        "bridge",
        "dev",
        "port_no",
        "state",
        "learning",
        "flood",
        "mcast_flood",
        "bcast_flood",
        "hairpin",
        "isolated",
        "locked",
        "neigh_suppress",
        "vlgrp",
        # STP (struct net_bridge_port; vnetlab.sim.devices.bridge.stp)
        "priority",
        "port_id",
        "path_cost",
        "admin_cost",
        "designated_root",
        "designated_cost",
        "designated_bridge",
        "designated_port",
        "designated_age",
        "topology_change_ack",
        "config_pending",
        "message_age_timer",
        "forward_delay_timer",
        "hold_timer",
        "rx_bpdu",
        "tx_bpdu",
        "rx_tcn",
        "tx_tcn",
    )

    def __init__(self, bridge: BridgeDevice, dev: NetDevice, port_no: int) -> None:
        self.bridge = bridge
        self.dev = dev
        self.port_no = port_no
        self.state = BR_STATE_DISABLED
        # BR_LEARNING | BR_FLOOD | BR_MCAST_FLOOD | BR_BCAST_FLOOD are on by default
        self.learning = True
        self.flood = True
        self.mcast_flood = True
        self.bcast_flood = True
        self.hairpin = False
        self.isolated = False  # BR_ISOLATED (br_skb_isolated)
        self.locked = False  # BR_PORT_LOCKED (br_handle_frame_finish)
        self.neigh_suppress = False  # BR_NEIGH_SUPPRESS (br_arp_nd_proxy.c)
        self.vlgrp = VlanGroup()  # nbp_vlan_group: the port's VLANs (used while filtering)
        # new_nbp: default priority, cost from the link speed, designated for itself
        from vnetlab.sim.devices.bridge import stp, stp_timer

        self.priority = stp.BR_PORT_DEFAULT_PRIORITY
        self.port_id = stp.br_make_port_id(self.priority, port_no)
        self.path_cost = stp.port_cost(dev)
        self.admin_cost = False
        self.designated_root = bridge.designated_root
        self.designated_cost = bridge.root_path_cost
        self.designated_bridge = bridge.bridge_id
        self.designated_port = self.port_id
        self.designated_age = 0
        self.topology_change_ack = False
        self.config_pending = False
        sched = bridge.sched
        self.message_age_timer = stp_timer.StpTimer(
            sched, lambda: stp_timer.message_age_timer_expired(self))
        self.forward_delay_timer = stp_timer.StpTimer(
            sched, lambda: stp_timer.forward_delay_timer_expired(self))
        self.hold_timer = stp_timer.StpTimer(sched, lambda: stp_timer.hold_timer_expired(self))
        self.rx_bpdu = self.tx_bpdu = self.rx_tcn = self.tx_tcn = 0

    @property
    def name(self) -> str:
        return self.dev.name

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]
