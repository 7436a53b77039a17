"""A VF: its live settings on the PF (``VfConfig``) and its netdev (``VfDevice``).

Design note
-----------
``VfConfig`` is what ``ip link set PF vf N ...`` changed (``struct ifla_vf_info`` as the PF
driver keeps it) plus the NIC's per-VF counters (``IFLA_VF_STATS``, as mlx5 fills them from
the e-switch vport: what the VF's anti-spoof filter dropped is the VF's ``tx_dropped``).

``VfDevice`` is the VF driver's netdev (iavf, ixgbevf, mlx5e in the VF), which can live in
any namespace. Its transmit is a DMA to the NIC (``PCIE_DMA_NS``), paced by ``max_tx_rate``
when set (the NIC's per-VF rate limiter); the NIC's embedded switch decides from there
(``eswitch.Veb.from_vf``). Its receive is the NIC posting into the VF's rx ring
(``ring_rx``): a ring without a free descriptor drops, counted as the VF driver counts it
(``rx_out_of_buffer`` in ``ethtool -S``, ``rx_missed_errors`` in ``ip -s -s link``); a
consumer that stopped draining (``stalled``) leaves frames in the ring.

Its carrier is its link state: ``enable`` up, ``disable`` down, ``auto`` the PF's physical
link (``ndo_set_vf_link_state``; IFLA_VF_LINK_STATE_AUTO/ENABLE/DISABLE). Requests the VF
driver makes of the PF obey ``trust`` (i40e ``i40e_vc_config_promiscuous_mode_msg`` and
``i40e_check_vf_permission``): untrusted, promiscuous/all-multicast requests are ignored
(the PF logs "Unprivileged VF N is attempting to configure promiscuous mode" and lies to
the VF on purpose: the flag shows, the traffic does not come) and a MAC change is refused
with EPERM once the PF set an administrative MAC (i40evf_set_mac, ixgbevf).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from vnetlab.model.kinds.vf import VfSpec
from vnetlab.sim.devices.sriov.cable import wire_time_ns
from vnetlab.sim.devices.sriov.queues import RxRing
from vnetlab.sim.errors import NetdevError
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.trace import DropReason, EventKind
from vnetlab.wire.mac import ZERO, mac_to_bytes, mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.devices.sriov.pf import PfDevice
    from vnetlab.sim.netdev import Lower
    from vnetlab.sim.stack.netns import Namespace

#: host memory -> NIC over PCIe (a descriptor fetch plus the payload DMA), one way
PCIE_DMA_NS = 500
#: NIC -> the VF's rx ring -> its NAPI poll hands the frame to the stack
RX_DELIVER_NS = 500
#: frames the VF's transmit side (ring + qdisc) holds while the rate limiter paces it
TX_QUEUE = 1000


@dataclass(slots=True)
class VfStats:
    """``IFLA_VF_STATS``: the NIC's count of one VF's traffic (``ip -s link show PF``)."""

    rx_packets: int = 0
    tx_packets: int = 0
    rx_bytes: int = 0
    tx_bytes: int = 0
    broadcast: int = 0
    multicast: int = 0
    rx_dropped: int = 0
    tx_dropped: int = 0
    #: of tx_dropped: frames the anti-spoof filter dropped
    tx_spoofed: int = 0


@dataclass(slots=True)
class VfConfig:
    """One VF's settings as the PF keeps them (the names of ``VfSettings``)."""

    mac: bytes = ZERO  # the administrative MAC; ZERO: not set
    vlan: int = 0
    qos: int = 0
    proto: Literal["802.1Q", "802.1ad"] = "802.1Q"
    spoofchk: bool = True
    trust: bool = False
    state: Literal["auto", "enable", "disable"] = "auto"
    max_tx_rate: int = 0
    min_tx_rate: int = 0
    query_rss: bool = False
    ring: int | None = None
    stalled: bool = False
    stats: VfStats = field(default_factory=VfStats)


def wants_promisc(dev: NetDevice) -> bool:
    """The driver asked its NIC for every frame: IFF_PROMISC, or a bridge port (Linux puts
    bridge ports in promiscuous mode, ``br_manage_promisc``; the emulator's bridge does not
    move the promiscuity count, so the port itself says it)."""
    return dev.promisc > 0 or dev.br_port is not None


class VfDevice(NetDevice):
    """The netdev of VF ``index`` of ``pf``, wherever it lives now."""

    kind = "vf"
    max_mtu = 9702  # iavf's IAVF_MAX_RXBUFFER - headroom: jumbo frames
    __slots__ = ("pf", "index", "ring", "tx_busy_until", "rx_out_of_buffer",
                 "rx_missed_errors")

    def __init__(self, ns: Namespace, name: str, mac: bytes, pf: PfDevice, index: int,
                 ring: RxRing) -> None:
        super().__init__(ns, name, mac, 1500)
        self.pf = pf
        self.index = index
        self.ring = ring
        self.tx_busy_until = 0
        self.rx_out_of_buffer = 0
        self.rx_missed_errors = 0
        self.carrier = self._link_up()

    @property
    def cfg(self) -> VfConfig:
        sr = self.pf.sriov
        assert sr is not None
        return sr.vfs[self.index]

    # -- link state ---------------------------------------------------------------------
    def _link_up(self) -> bool:
        sr = self.pf.sriov
        state = sr.vfs[self.index].state if sr is not None and self.index < len(sr.vfs) \
            else "auto"
        if state == "enable":
            return True
        if state == "disable":
            return False
        return self.pf.running

    def refresh_link(self) -> None:
        """Re-read the VF's link (its state setting or the PF's link changed)."""
        self.set_carrier(self._link_up())

    def iflink_dev(self) -> NetDevice | None:
        return None  # a VF is a PCI function of its own: IFLA_LINK is itself

    # -- what the VF driver asks of the PF ------------------------------------------------
    def set_promiscuity(self, inc: int) -> None:
        """``dev_set_promiscuity`` on the VF: the flag always moves; the NIC delivers other
        functions' traffic only to a trusted VF."""
        before = self.promisc > 0
        super().set_promiscuity(inc)
        if self.promisc > 0 and not before and not self.cfg.trust:
            self.pf.log(f"Unprivileged VF {self.index} is attempting to configure "
                        "promiscuous mode")

    @property
    def nic_promisc(self) -> bool:
        """Whether the e-switch gives this VF every frame of its VLAN (trusted + promisc)."""
        return wants_promisc(self) and self.cfg.trust

    def set_mac_address(self, mac: bytes) -> None:
        """``ndo_set_mac_address``: the VF asks the PF through the mailbox. With an
        administrative MAC set and trust off the PF refuses (EPERM)."""
        cfg = self.cfg
        if mac == self.mac:
            return
        if cfg.mac != ZERO and mac != cfg.mac and not cfg.trust:
            self.pf.log(f"VF {self.index} attempting to override administratively set MAC "
                        f"address {mac_to_str(cfg.mac)}")
            raise NetdevError(errno.EPERM, f"{self.where}: the PF set this VF's MAC "
                              "(Operation not permitted)")
        self.mac = mac

    # -- data path ----------------------------------------------------------------------
    def xmit(self, skb: Skb) -> None:
        """The VF driver posts the frame; the NIC fetches it (DMA), paced by the VF's
        rate limiter, and its e-switch takes over."""
        data = skb.data
        trace = skb.trace
        if not self.admin_up or not self.carrier:
            self.tx_dropped += 1
            if trace is not None:
                trace.drop(self.where, "VF has no link (down, or link-state disable/auto "
                           "with the PF's link down)", DropReason.DEV_READY)
            return
        sched = self.sched
        now = sched.now
        rate = self.cfg.max_tx_rate
        if rate:
            start = max(now, self.tx_busy_until)
            cost = wire_time_ns(len(data), rate)
            if start - now > TX_QUEUE * cost:
                self.tx_dropped += 1
                if trace is not None:
                    trace.drop(self.where, f"transmit queue full ({TX_QUEUE} frames) behind "
                               f"the VF's max_tx_rate {rate} Mb/s", DropReason.FULL_RING)
                return
            self.tx_busy_until = start + cost
            when = self.tx_busy_until + PCIE_DMA_NS
            if trace is not None:
                trace.add(self.where, f"max_tx_rate {rate} Mb/s: leaves the VF at "
                          f"+{when - now} ns", EventKind.DECISION)
        else:
            when = now + PCIE_DMA_NS
        if trace is not None:
            trace.add(self.where, f"VF {self.index} -> NIC {self.pf.where} (PCIe DMA)",
                      EventKind.HOP)
        self.tx_packets += 1
        self.tx_bytes += len(data)
        if self.taps is not None:
            self.tap_tx(data)
        sched.at(when, self._to_eswitch, skb)

    def _to_eswitch(self, skb: Skb) -> None:
        sr = self.pf.sriov
        if sr is None or sr.vf_netdev(self.index) is not self:
            return  # the VF went away (sriov_numvfs 0) while the frame was in flight
        sr.veb.from_vf(self, skb)

    def ring_rx(self, skb: Skb) -> None:
        """The NIC receives a frame for this VF: take a descriptor, DMA, NAPI."""
        trace = skb.trace
        if not self.admin_up or not self.carrier:
            self.cfg.stats.rx_dropped += 1
            if trace is not None:
                trace.drop(self.where, "VF is down or has no link", DropReason.DEV_READY)
            return
        ring = self.ring
        why = ring.post()
        if why is not None:
            self.rx_out_of_buffer += 1
            self.rx_missed_errors += 1
            if trace is not None:
                if why == "ring":
                    trace.drop(self.where, f"rx ring full: {ring.held} of {ring.capacity} "
                               "descriptors wait for a consumer that is not draining them "
                               "(rx_out_of_buffer)", DropReason.FULL_RING)
                else:
                    trace.drop(self.where, f"no descriptor: the PF's shared pool of "
                               f"{ring.pool.total} is empty (rx_out_of_buffer)",
                               DropReason.VF_POOL_EMPTY)
            return
        if ring.stalled:
            ring.backlog.append(skb.data)
            if trace is not None:
                trace.drop(self.where, f"in the rx ring ({ring.held}/{ring.capacity}); the "
                           "VF's consumer is not draining it", DropReason.VF_NOT_DRAINED)
            return
        self.sched.after(RX_DELIVER_NS, self._napi, skb)

    def _napi(self, skb: Skb) -> None:
        """The VF driver's NAPI poll: the descriptor is free again, the stack gets it."""
        self.ring.consume()
        self.netif_receive(skb)

    def ethtool_stats(self) -> dict[str, int]:
        """``ethtool -S VF``: the ring's drops in mlx5's name (ixgbe: rx_no_buffer_count)."""
        return {"rx_out_of_buffer": self.rx_out_of_buffer}

    def set_stalled(self, stalled: bool) -> None:
        """The consumer stops (or resumes) draining; resuming drains the ring in order."""
        ring = self.ring
        ring.stalled = stalled
        if stalled:
            return
        delay = RX_DELIVER_NS
        while ring.backlog:
            data = ring.backlog.popleft()
            self.sched.after(delay, self._napi, Skb(data))
            delay += 1


def newlink(ns: Namespace, name: str, spec: VfSpec, lower: Lower) -> VfDevice:
    """Place VF ``spec.vf`` of the PF ``spec.link``: the netdev enabling the VFs created
    (in the PF's namespace) moves here under this name (``ip link set eth0v0 netns NODE
    name NAME``), with the lab's MAC (resolve() made it the administrative one, if the PF
    sets one) and MTU."""
    pf = lower(spec.link)
    sr = getattr(pf, "sriov", None)
    dev = sr.vf_netdev(spec.vf) if sr is not None else None
    if not isinstance(dev, VfDevice):
        raise NetdevError(errno.ENODEV, f"{pf.where} has no VF {spec.vf} (No such device)")
    _place(dev, ns, name)
    if spec.mac is not None:
        dev.mac = mac_to_bytes(spec.mac)
    dev.mtu = spec.mtu
    if spec.promisc:
        dev.set_promiscuity(1)
    return dev


def _place(dev: VfDevice, ns: Namespace, name: str) -> None:
    """Rename and move ``dev`` (``dev_change_net_namespace`` with a new name)."""
    old = dev.ns
    if old is ns and dev.name == name:
        return
    if name not in old.devices:  # rename where it is, then move
        del old.devices[dev.name]
        dev.name = name
        old.devices[name] = dev
        dev.where = f"{old.name}:{name}"
    if old is not ns:
        old.move_device(dev, ns)
    if dev.name != name:  # the name was taken in the old namespace
        del ns.devices[dev.name]
        dev.name = name
        ns.devices[name] = dev
        dev.where = f"{ns.name}:{name}"
