"""The PF: a physical NIC port (``nic``) and its SR-IOV state.

Design note
-----------
``PfDevice`` is the port's netdev, the PF driver's (ixgbe, i40e, mlx5e). Without
``sriov`` it is just a port: what the stack sends goes onto the cable
(``vnetlab.sim.devices.sriov.cable``) and what the cable brings is received. With SR-IOV,
both directions go through the NIC's embedded switch (``eswitch.Veb``), which may keep a
frame inside the NIC (PF↔VF, VF↔VF).

``SriovState`` mirrors where Linux keeps SR-IOV: ``sriov_totalvfs``/``sriov_numvfs`` of
the PCI device (``drivers/pci/iov.c sriov_numvfs_store``: more than totalvfs is ERANGE;
the same count again is a no-op; 0 disables and unregisters every VF netdev wherever it
lives; another nonzero count while VFs are enabled is EBUSY, "N VFs already enabled.
Disable before enabling M VFs") and the per-VF settings of ``ip link set PF vf N ...``
(``do_setvfinfo`` + the driver's ``ndo_set_vf_*``: a VF index past numvfs, ``vlan >
4095`` or ``qos > 7`` is EINVAL, an unknown VLAN protocol EPROTONOSUPPORT). Enabling VFs
registers their netdevs in the PF's namespace named ``{pf}v{N}`` (systemd's naming; the
driver's ``eth%d`` when that name is taken) with a MAC the VF driver makes up
(deterministic here: a hash of the PF's MAC and the index).

The PF's physical link is up when a cable joins it to another port and both are up; VFs
in link-state ``auto`` follow it. ``messages`` is the PF driver's dmesg.
"""

from __future__ import annotations

import errno
import hashlib
from typing import TYPE_CHECKING, Any

from vnetlab.model.kinds.nic import NicSpec, VfSettings
from vnetlab.sim.devices.sriov.cable import Cable
from vnetlab.sim.devices.sriov.eswitch import Veb
from vnetlab.sim.devices.sriov.queues import DescriptorPool, Isolation, RxRing
from vnetlab.sim.devices.sriov.vf import PCIE_DMA_NS, VfConfig, VfDevice
from vnetlab.sim.errors import NetdevError
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.notifier import NetdevEvent, call_netdevice_notifiers
from vnetlab.sim.trace import DropReason
from vnetlab.wire.mac import ZERO, mac_to_bytes

if TYPE_CHECKING:
    from vnetlab.sim.netdev import Lower
    from vnetlab.sim.stack.netns import Namespace

VLAN_MAX = 4095
QOS_MAX = 7
#: the settings ``set_vf`` takes: ``VfSettings``' fields
VF_FIELDS = frozenset(VfSettings.model_fields)


def vf_mac(pf_mac: bytes, index: int) -> bytes:
    """The MAC a VF driver picks for itself (random in Linux: ``eth_hw_addr_random``)."""
    digest = hashlib.sha256(pf_mac + index.to_bytes(4, "big")).digest()
    return b"\x02" + digest[:5]


class SriovState:
    """The PF's SR-IOV capability, its enabled VFs and their settings."""

    def __init__(self, pf: PfDevice, totalvfs: int, descriptors: int, ring: int,
                 isolation: Isolation) -> None:
        self.pf = pf
        self.totalvfs = totalvfs
        self.numvfs = 0
        self.vfs: list[VfConfig] = []
        self.netdevs: list[VfDevice] = []
        self.rings: list[RxRing] = []
        self.pool = DescriptorPool(descriptors, isolation)
        self.default_ring = ring
        self.veb = Veb(pf, self)

    # -- sysfs sriov_numvfs ---------------------------------------------------------------
    def set_numvfs(self, n: int, rings: list[int] | None = None) -> None:
        """``echo N > /sys/class/net/PF/device/sriov_numvfs`` (``sriov_numvfs_store``).

        ``rings``: each new VF's rx ring; default: the NIC's default ring, divided so the
        rings fit the pool when ``per-vf`` reserves them."""
        if n < 0 or n > self.totalvfs:
            raise NetdevError(errno.ERANGE, f"{n} VFs requested, {self.pf.name} offers "
                              f"{self.totalvfs} (Numerical result out of range)")
        if n == self.numvfs:
            return
        if n == 0:
            self._disable()
            return
        if self.numvfs:
            raise NetdevError(errno.EBUSY, f"{self.numvfs} VFs already enabled. Disable "
                              f"before enabling {n} VFs")
        if rings is None:
            rings = [self.default_ring] * n
            if self.pool.isolation == "per-vf" and sum(rings) > self.pool.total:
                rings = [max(1, self.pool.total // n)] * n
        pf = self.pf
        for k in range(n):
            self.vfs.append(VfConfig())
            ring = RxRing(rings[k], self.pool)
            self.rings.append(ring)
            self.netdevs.append(VfDevice(pf.ns, self._free_name(k), vf_mac(pf.mac, k), pf,
                                         k, ring))
        self.numvfs = n
        pf.log(f"SR-IOV enabled with {n} VFs")

    def _free_name(self, k: int) -> str:
        ns = self.pf.ns
        name = f"{self.pf.name}v{k}"
        if name in ns.devices or len(name) > 15:
            i = 0
            while f"eth{i}" in ns.devices:
                i += 1
            name = f"eth{i}"
        return name

    def _disable(self) -> None:
        """``sriov_configure(pdev, 0)``: every VF netdev is unregistered where it lives."""
        for dev in self.netdevs:
            if dev.ns.devices.get(dev.name) is dev:
                dev.ns.unregister(dev)
        for ring in self.rings:
            ring.release_reservation()
        self.netdevs = []
        self.rings = []
        self.vfs = []
        self.numvfs = 0
        self.pf.log("SR-IOV disabled")

    def vf_netdev(self, vf: int) -> VfDevice | None:
        """VF ``vf``'s netdev, in whatever namespace it lives now."""
        return self.netdevs[vf] if 0 <= vf < len(self.netdevs) else None

    # -- ip link set PF vf N ... ----------------------------------------------------------
    def set_vf(self, vf: int, **changes: object) -> None:
        """``ip link set PF vf N KEY VALUE...``: validated as ``do_setvfinfo`` and the
        drivers do (EINVAL, EPROTONOSUPPORT), then applied together."""
        if not 0 <= vf < self.numvfs:
            raise NetdevError(errno.EINVAL, f"VF {vf} does not exist on {self.pf.name} "
                              f"({self.numvfs} enabled) (Invalid argument)")
        unknown = set(changes) - VF_FIELDS
        if unknown:
            raise NetdevError(errno.EINVAL, f"unknown VF settings {sorted(unknown)}")
        cfg = self.vfs[vf]
        new: dict[str, Any] = {}
        for key, value in changes.items():
            new[key] = self._checked(key, value)
        vlan = new.get("vlan", cfg.vlan)
        qos = new.get("qos", cfg.qos)
        if not 0 <= vlan <= VLAN_MAX or not 0 <= qos <= QOS_MAX:
            raise NetdevError(errno.EINVAL, "vlan > 4095 or qos > 7 (Invalid argument)")
        max_rate = new.get("max_tx_rate", cfg.max_tx_rate)
        min_rate = new.get("min_tx_rate", cfg.min_tx_rate)
        if max_rate < 0 or min_rate < 0 or max_rate > self.pf.speed or (
                max_rate and min_rate > max_rate):
            raise NetdevError(errno.EINVAL, f"invalid tx rate min {min_rate} max {max_rate} "
                              f"for VF {vf} (link speed {self.pf.speed}) (Invalid argument)")
        for key, value in new.items():
            setattr(cfg, key, value)
        dev = self.netdevs[vf]
        if "mac" in new and new["mac"] != ZERO:
            dev.mac = new["mac"]  # the PF resets the VF, whose driver takes the new MAC
        if "ring" in new and new["ring"] is not None:
            self._resize(vf, new["ring"])
        if "state" in new:
            dev.refresh_link()
        if "stalled" in new:
            dev.set_stalled(bool(new["stalled"]))

    @staticmethod
    def _checked(key: str, value: object) -> object:
        if key == "mac":
            if isinstance(value, str):
                value = mac_to_bytes(value)
            if not isinstance(value, bytes) or len(value) != 6 or value[0] & 1:
                raise NetdevError(errno.EINVAL, f"bad VF MAC {value!r} (Invalid argument)")
            return value
        if key == "proto":
            if value not in ("802.1Q", "802.1ad"):
                raise NetdevError(errno.EPROTONOSUPPORT, f"VLAN protocol {value!r} "
                                  "(Protocol not supported)")
            return value
        if key == "state":
            if value not in ("auto", "enable", "disable"):
                raise NetdevError(errno.EINVAL, f"link state {value!r} (Invalid argument)")
            return value
        if key in ("spoofchk", "trust", "query_rss", "stalled"):
            return bool(value)
        if key == "ring":
            if value is not None and (not isinstance(value, int) or value < 1):
                raise NetdevError(errno.EINVAL, f"ring {value!r} (Invalid argument)")
            return value
        if not isinstance(value, int) or isinstance(value, bool):
            raise NetdevError(errno.EINVAL, f"{key} {value!r} (Invalid argument)")
        return value

    def _resize(self, vf: int, size: int) -> None:
        """``ethtool -G VF rx N``: a per-vf reservation is given back and taken anew."""
        old = self.rings[vf]
        if old.held:
            raise NetdevError(errno.EBUSY, f"VF {vf}'s ring holds {old.held} frames "
                              "(Device or resource busy)")
        old.release_reservation()
        if self.pool.isolation == "per-vf" and size > self.pool.free:
            old.reserved = min(old.size, self.pool.free)
            self.pool.free -= old.reserved
            raise NetdevError(errno.ENOMEM, f"{size} descriptors for VF {vf}, the pool has "
                              f"{self.pool.free} free (Cannot allocate memory)")
        ring = RxRing(size, self.pool)
        ring.stalled = old.stalled
        self.rings[vf] = ring
        self.netdevs[vf].ring = ring

    def refresh_links(self) -> None:
        """The PF's link changed: VFs in ``auto`` follow."""
        for dev in self.netdevs:
            dev.refresh_link()


class PfDevice(NetDevice):
    """A physical NIC port; ``sriov`` is None when the device has no SR-IOV."""

    kind = "nic"
    max_mtu = 9702
    __slots__ = ("speed", "sriov", "cable", "tx_spoofed", "rx_packets_phy", "rx_bytes_phy",
                 "tx_packets_phy", "tx_bytes_phy", "messages", "host_device")

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int, speed: int) -> None:
        super().__init__(ns, name, mac, mtu)
        self.speed = speed
        self.sriov: SriovState | None = None
        self.cable: Cable | None = None
        self.carrier = False  # no cable yet: NO-CARRIER
        self.tx_spoofed = 0
        self.rx_packets_phy = self.rx_bytes_phy = 0
        self.tx_packets_phy = self.tx_bytes_phy = 0
        self.messages: list[str] = []
        self.host_device: str | None = None

    def log(self, text: str) -> None:
        """A line of the PF driver's kernel log."""
        self.messages.append(f"{self.name}: {text}")

    # -- link ---------------------------------------------------------------------------
    def plug(self, peer: PfDevice) -> None:
        """Join this port and ``peer`` with a cable."""
        cable = Cable(self, peer)
        self.cable = peer.cable = cable
        self.set_carrier(cable.up)
        peer.set_carrier(cable.up)

    def set_admin(self, up: bool) -> None:
        """Like a veth end: the link comes up when both ends of the cable are up."""
        if up == self.admin_up:
            return
        self.admin_up = up
        cable = self.cable
        link = cable is not None and cable.up
        self.carrier = link
        call_netdevice_notifiers(NetdevEvent.UP if up else NetdevEvent.DOWN, self)
        if cable is not None:
            cable.peer(self).set_carrier(link)
        if self.sriov is not None:
            self.sriov.refresh_links()

    def set_carrier(self, on: bool) -> None:
        if on == self.carrier:
            return
        self.carrier = on
        call_netdevice_notifiers(NetdevEvent.CHANGE, self)
        if self.sriov is not None:
            self.sriov.refresh_links()

    # -- data path ----------------------------------------------------------------------
    def xmit(self, skb: Skb) -> None:
        """The host's stack transmits on the PF: the e-switch (SR-IOV) or the wire."""
        data = skb.data
        if not self.admin_up:
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(self.where, "device is down", DropReason.DEV_READY)
            return
        self.tx_packets += 1
        self.tx_bytes += len(data)
        if self.taps is not None:
            self.tap_tx(data)
        if self.sriov is not None:
            self.sched.after(PCIE_DMA_NS, self.sriov.veb.from_pf, skb)
        else:
            self.sched.after(PCIE_DMA_NS, self.to_wire, skb)

    def to_wire(self, skb: Skb) -> None:
        cable = self.cable
        if cable is None:
            self.tx_dropped += 1
            if skb.trace is not None:
                skb.trace.drop(self.where, "no cable in the port (no carrier)",
                               DropReason.DEV_READY)
            return
        cable.send(self, skb)

    def count_phy_tx(self, nbytes: int) -> None:
        self.tx_packets_phy += 1
        self.tx_bytes_phy += nbytes

    def wire_rx(self, skb: Skb) -> None:
        """A frame arrives from the cable."""
        self.rx_packets_phy += 1
        self.rx_bytes_phy += len(skb.data)
        if not self.admin_up:
            if skb.trace is not None:
                skb.trace.drop(self.where, "port is down", DropReason.DEV_READY)
            return
        if self.sriov is not None:
            self.sriov.veb.from_wire(skb)
        else:
            self.netif_receive(skb)

    def host_rx(self, skb: Skb) -> None:
        """The e-switch delivers to the PF: its driver hands the frame to the stack."""
        self.netif_receive(skb)

    def ethtool_stats(self) -> dict[str, int]:
        """``ethtool -S PF``: the physical port (mlx5's ``*_phy`` names), the anti-spoof
        drops (``tx_spoofed``) and each VF's ``IFLA_VF_STATS`` as ``vfN_NAME``."""
        out = {"rx_packets_phy": self.rx_packets_phy, "rx_bytes_phy": self.rx_bytes_phy,
               "tx_packets_phy": self.tx_packets_phy, "tx_bytes_phy": self.tx_bytes_phy,
               "tx_spoofed": self.tx_spoofed}
        if self.sriov is not None:
            for k, cfg in enumerate(self.sriov.vfs):
                s = cfg.stats
                for name in ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "broadcast",
                             "multicast", "rx_dropped", "tx_dropped", "tx_spoofed"):
                    out[f"vf{k}_{name}"] = getattr(s, name)
        return out


def newlink(ns: Namespace, name: str, spec: NicSpec, lower: Lower) -> PfDevice:
    """The PF driver's probe: the port, its SR-IOV capability, ``sriov_numvfs`` and the
    VF settings the lab gives (``ip link set PF vf N ...``), and the cable if its other
    end exists already (resolve() names the cable on both ends)."""
    dev = PfDevice(ns, name, mac_to_bytes(spec.mac or ""), spec.mtu, spec.speed)
    dev.host_device = spec.device
    sr = spec.sriov
    if sr is not None:
        state = SriovState(dev, sr.totalvfs, sr.descriptors, sr.ring, sr.isolation)
        dev.sriov = state
        state.set_numvfs(sr.numvfs, rings=sr.effective_rings())
        for k, settings in sr.vfs.items():
            changes = settings.model_dump(exclude={"ring"})
            changes["mac"] = mac_to_bytes(settings.mac) if settings.mac else ZERO
            state.set_vf(k, **changes)
    if spec.wire is not None:
        try:
            peer = lower(spec.wire)
        except KeyError:
            peer = None  # built later; it plugs the cable then
        if isinstance(peer, PfDevice) and peer.cable is None:
            dev.plug(peer)
    return dev
