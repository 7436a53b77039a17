"""nic: a physical NIC port, optionally with SR-IOV (PCIe physical function + VFs).

Design note
-----------
A ``nic`` is not made by ``ip link add``: the driver registers it when the PCI device is
probed, so ``ip_link_type()`` is None. Its SR-IOV state lives where the kernel keeps it:
``sriov_totalvfs``/``sriov_numvfs`` on the PCI device (``drivers/pci/iov.c``) and the
per-VF settings of ``ip link set PF vf N ...`` (``IFLA_VFINFO_LIST``, ``ndo_set_vf_*``) on
the PF, whichever namespace the VF netdevs were moved to. ``descriptors``/``ring``/
``isolation`` describe the NIC's receive descriptor pool and the per-VF rings that draw
from it (``ethtool -g``), which is what the seed's incident is about: with a
``shared-pool`` firmware a VF that stops draining its ring keeps taking descriptors until
the pool is dry and every other function starves; ``per-vf`` carves each VF's ring out of
the pool up front, so a full ring drops only that VF's frames.

Ranges are the kernel's: ``do_setvfinfo`` refuses ``vlan > 4095`` and ``qos > 7`` with
EINVAL; ``sriov_numvfs_store`` refuses ``numvfs > totalvfs`` with ERANGE. Those checks run
in ``vnetlab.model.sriov_check`` so they carry the YAML line, the kernel's words and a hint.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from vnetlab.model.base import Mac, Model
from vnetlab.model.netdev import NetdevSpec

#: PCIe SR-IOV capability: TotalVFs is a 16-bit field
SRIOV_TOTALVFS_MAX = 0xFFFF


class VfSettings(Model):
    """What ``ip link set PF vf N ...`` sets, kept on the PF (as the kernel does).

    ``mac``: the administrative MAC (None: ``00:00:00:00:00:00``, unset: the VF driver
    picks its own); ``vlan``/``qos``/``proto``: the port VLAN the NIC inserts on transmit
    and strips on receive (0: none; ``qos`` is the PCP); ``spoofchk``: drop frames the VF
    sends with a source MAC not its own; ``trust``: let the VF change its MAC and turn on
    promiscuous/all-multicast; ``state``: the VF's link (auto: follows the PF's);
    ``max_tx_rate``/``min_tx_rate`` in Mb/s (0: unlimited / no guarantee); ``ring``: this
    VF's rx ring in descriptors (None: ``SriovSpec.ring``); ``stalled``: the VF's consumer
    (the application or VM behind the VF) stops draining its rx ring — how a lab says "this
    VF is greedy/stuck" (vnetlab's own knob; no iproute2 word).
    """

    mac: Mac | None = None
    vlan: int = 0
    qos: int = 0
    proto: Literal["802.1Q", "802.1ad"] = "802.1Q"
    spoofchk: bool = True
    trust: bool = False
    state: Literal["auto", "enable", "disable"] = "auto"
    max_tx_rate: int = Field(0, ge=0)
    min_tx_rate: int = Field(0, ge=0)
    query_rss: bool = False
    ring: int | None = Field(None, ge=1, le=65536)
    stalled: bool = False


class SriovSpec(Model):
    """The PCI device's SR-IOV capability and the NIC's descriptor pool."""

    #: sriov_totalvfs: how many VFs the device can offer
    totalvfs: int = Field(8, ge=0, le=SRIOV_TOTALVFS_MAX)
    #: sriov_numvfs: how many are enabled (resolve: more than totalvfs is ERANGE)
    numvfs: int = Field(0, ge=0, le=SRIOV_TOTALVFS_MAX)
    #: per-VF settings by VF index (each index < numvfs)
    vfs: dict[int, VfSettings] = {}
    #: the PF's pool of receive descriptors the VF rings draw from
    descriptors: int = Field(4096, ge=1, le=1 << 20)
    #: the default rx ring of a VF, in descriptors (``ethtool -g``)
    ring: int = Field(1024, ge=1, le=65536)
    #: per-vf: each VF's ring is reserved from the pool; shared-pool: rings draw from the
    #: pool as frames arrive, so one stalled VF can exhaust it for all
    isolation: Literal["per-vf", "shared-pool"] = "per-vf"

    def ring_of(self, vf: int) -> int:
        """The rx ring size of VF ``vf`` as configured."""
        s = self.vfs.get(vf)
        return s.ring if s is not None and s.ring is not None else self.ring

    def rings_given(self) -> bool:
        """Whether the lab sized any ring itself (not only the defaults)."""
        return "ring" in self.model_fields_set or any(
            s.ring is not None for s in self.vfs.values())

    def effective_rings(self, numvfs: int | None = None) -> list[int]:
        """Each enabled VF's rx ring, in descriptors. ``per-vf`` reserves the rings from the
        pool; when only the default rings were asked for and they do not fit, the pool is
        divided evenly instead (as drivers divide their queue resources among the VFs they
        enable). Rings the lab gave that do not fit are a resolve() error."""
        n = self.numvfs if numvfs is None else numvfs
        rings = [self.ring_of(k) for k in range(n)]
        if (self.isolation == "per-vf" and n and sum(rings) > self.descriptors
                and not self.rings_given()):
            share = max(1, self.descriptors // n)
            rings = [min(r, share) for r in rings]
        return rings


class NicSpec(NetdevSpec):
    """A physical NIC port (no ``ip link add``: the driver registers it).

    ``speed``: the line rate in Mb/s (``ethtool`` Speed); ``wire``: ``NODE:IFNAME`` of the
    nic at the cable's other end (one side is enough; without a cable the port has no
    carrier, as an unplugged port); ``device``: on the linux engine, the host's real PF
    netdev (e.g. ``enp3s0f0``); ``sriov``: its SR-IOV capability (None: none).
    """

    type: Literal["nic"]
    speed: int = Field(10000, ge=1, le=1_600_000)
    wire: str | None = None
    device: str | None = None
    sriov: SriovSpec | None = None
