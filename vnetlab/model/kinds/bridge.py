"""bridge: the Linux bridge (net/bridge), ``ip link add NAME type bridge ...``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from vnetlab.model.base import IfName, Mac, Model
from vnetlab.model.netdev import VLAN_VID_MAX, BridgeVlan, NetdevSpec, check_vid


class FdbEntrySpec(Model):
    """A static entry: ``bridge fdb add MAC dev PORT master static``."""

    mac: Mac
    dev: IfName


class BridgeSpec(NetdevSpec):
    """A Linux bridge (net/bridge): ``ip link add NAME type bridge``."""

    type: Literal["bridge"]
    #: IFLA_BR_STP_STATE: the kernel's 802.1D spanning tree (off by default, as on Linux)
    stp: bool = False
    #: IFLA_BR_PRIORITY: the bridge priority, first half of the bridge id (lower wins root)
    priority: int = Field(32768, ge=0, le=65535)
    #: IFLA_BR_HELLO_TIME / IFLA_BR_MAX_AGE / IFLA_BR_FORWARD_DELAY, in seconds (``ip``
    #: speaks centiseconds); the kernel's ranges while STP is on (br_stp_if.c)
    hello_time: float = Field(2.0, ge=1, le=10)
    max_age: float = Field(20.0, ge=6, le=40)
    forward_delay: float = Field(15.0, ge=2, le=30)
    ageing_time: float = Field(300.0, ge=0, le=1_000_000)  # seconds (kernel default 300)
    fdb: list[FdbEntrySpec] = []
    #: IFLA_BR_VLAN_FILTERING: ports admit, tag and untag frames by their VLAN lists
    vlan_filtering: bool = False
    #: IFLA_BR_VLAN_DEFAULT_PVID: the PVID (egress untagged) every port and the bridge
    #: itself get unless the lab lists VLANs for them; 0 = none
    default_pvid: int = Field(1, ge=0, le=VLAN_VID_MAX)
    #: the bridge device's own VLANs (``bridge vlan add vid V dev BR self``); None: the
    #: default_pvid, as Linux gives the bridge itself
    vlans: list[BridgeVlan] | None = None

    @field_validator("default_pvid")
    @classmethod
    def _default_pvid(cls, v: int) -> int:
        return v if v == 0 else check_vid(v)

    def ip_link_type(self) -> list[str]:
        """``type bridge stp_state S ageing_time CS [vlan_filtering 1] [vlan_default_pvid N]``
        (IFLA_BR_AGEING_TIME is in centiseconds, as ``ip`` prints it)."""
        args = ["type", "bridge", "stp_state", str(int(self.stp)),
                "ageing_time", str(round(self.ageing_time * 100))]
        if self.vlan_filtering:
            args += ["vlan_filtering", "1"]
        if self.vlan_filtering or self.default_pvid != 1:
            args += ["vlan_default_pvid", str(self.default_pvid)]
        for name, value, default in self.stp_timers():
            if value != default:
                args += [name, str(round(value * 100))]
        if self.priority != 32768:
            args += ["priority", str(self.priority)]
        return args

    def stp_timers(self) -> list[tuple[str, float, float]]:
        """(iproute2 word, seconds, kernel default) of the three STP timers."""
        return [("forward_delay", self.forward_delay, 15.0),
                ("hello_time", self.hello_time, 2.0), ("max_age", self.max_age, 20.0)]

