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

    @property
    def name(self) -> str:
        return self.dev.name

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]
