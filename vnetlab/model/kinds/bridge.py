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
    stp: bool = False  # IFLA_BR_STP_STATE; the emulator has no STP yet and says so
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
        return args

