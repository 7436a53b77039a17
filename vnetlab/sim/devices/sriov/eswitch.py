"""The NIC's embedded switch (VEB): PF, VFs and the wire, switched by MAC + VLAN.

Design note
-----------
Built like the MACVLAN port demux (``vnetlab.sim.devices.macvlan``): the NIC knows every
function's MAC (the PF's, each VF's: administrative or the one the VF driver registered)
and VLAN membership, and decides in hardware, never touching the host's bridge or stack:

* VLAN domain of a frame (``key``: TPID + VID of its outer tag, ``(0, 0)`` untagged). A VF
  with a port VLAN (``vlan``/``qos``/``proto``) is in exactly that VLAN: the NIC inserts
  the tag (PCP = ``qos``) on the VF's transmit and strips it on delivery (VST); a VF
  without one is in the untagged domain and in the 802.1Q VLANs of its own VLAN devices
  (the filters the VF driver registers through ``ndo_vlan_rx_add_vid``); so is the PF,
  and a promiscuous PF (a bridge port, tcpdump) is in every VLAN;
* from a VF, first the anti-spoof check (``spoofchk``): a source MAC other than the VF's
  is dropped (counted in the VF's ``tx_dropped``/``tx_spoofed`` and the PF's
  ``tx_spoofed``, the total ixgbe logs as "N Spoofed packets detected"); a VF with an
  802.1Q port VLAN may not tag frames itself (VLAN anti-spoof: dropped the same way);
* unicast to a function of the same VLAN: to that function only (VF↔VF and VF↔PF never
  reach the wire); to the frame's own source: dropped (a VEB does not hairpin); to no
  function: out of the wire (from a VF or the PF), or to the PF only if it is
  promiscuous (from the wire: otherwise the NIC's MAC filter drops it);
* broadcast and multicast: the wire (unless it came from there) and every other
  function of the VLAN (multicast filters are not modelled: every member gets every
  group);
* a trusted VF in promiscuous mode gets a copy of every frame of its VLAN (i40e's
  ``vf-true-promisc-support``); an untrusted one asked in vain (``VfDevice``).

Timing: the switch decision costs ``VEB_NS``; delivery to a VF goes through its rx ring
(``VfDevice.ring_rx``), to the PF through ``RX_DELIVER_NS`` of DMA and NAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from vnetlab.sim.devices.sriov.vf import RX_DELIVER_NS, VfDevice, wants_promisc
from vnetlab.sim.netdev import Skb
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire.mac import ZERO, mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.devices.sriov.pf import PfDevice, SriovState

ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
TPID = {"802.1Q": ETH_P_8021Q, "802.1ad": ETH_P_8021AD}
UNTAGGED = (0, 0)
#: the switch's own decision and hairpin inside the NIC
VEB_NS = 200

Key = tuple[int, int]  # (TPID, VID) of the outer tag; (0, 0): untagged
#: a frame's origin or destination: a VF, the PF, or the wire (None)
Function: TypeAlias = "VfDevice | PfDevice | None"
BROADCAST = b"\xff" * 6


def outer_key(data: bytes) -> Key:
    """The VLAN domain a frame belongs to: its outer tag, if any."""
    if len(data) >= 18:
        tpid = (data[12] << 8) | data[13]
        if tpid in (ETH_P_8021Q, ETH_P_8021AD):
            return (tpid, ((data[14] & 0x0F) << 8) | data[15])
    return UNTAGGED


def insert_tag(data: bytes, tpid: int, vid: int, pcp: int) -> bytes:
    """The frame with a tag (TPID, PCP, VID) after the source MAC."""
    tci = (pcp << 13) | vid
    return data[:12] + tpid.to_bytes(2, "big") + tci.to_bytes(2, "big") + data[12:]


def strip_tag(data: bytes) -> bytes:
    return data[:12] + data[16:]


def key_text(key: Key) -> str:
    if key == UNTAGGED:
        return "untagged"
    proto = "802.1ad" if key[0] == ETH_P_8021AD else "802.1Q"
    return f"VLAN {key[1]} ({proto})"


class Veb:
    """The e-switch of one PF: its functions are the PF, the VFs and the wire."""

    __slots__ = ("pf", "sr")

    def __init__(self, pf: PfDevice, sr: SriovState) -> None:
        self.pf = pf
        self.sr = sr

    # -- membership ---------------------------------------------------------------------
    @staticmethod
    def port_vlan(vf: VfDevice) -> Key | None:
        """The VF's port VLAN as a key (``vlan 0 qos N`` is a priority tag: VID 0)."""
        cfg = vf.cfg
        if cfg.vlan == 0 and cfg.qos == 0:
            return None
        return (TPID[cfg.proto], cfg.vlan)

    def vf_member(self, vf: VfDevice, key: Key) -> bool:
        pv = self.port_vlan(vf)
        if pv is not None:
            return key == pv
        if key == UNTAGGED:
            return True
        return key[0] == ETH_P_8021Q and vf.vlans is not None and key[1] in vf.vlans

    def pf_member(self, key: Key) -> bool:
        pf = self.pf
        if key == UNTAGGED or wants_promisc(pf):
            return True
        return key[0] == ETH_P_8021Q and pf.vlans is not None and key[1] in pf.vlans

    def _vfs(self) -> list[VfDevice]:
        return [d for d in self.sr.netdevs if d is not None]

    # -- entry points -------------------------------------------------------------------
    def from_vf(self, vf: VfDevice, skb: Skb) -> None:
        """A frame the VF transmitted reaches the e-switch (``from_vf`` = vport ingress)."""
        cfg = vf.cfg
        data = skb.data
        trace = skb.trace
        stats = cfg.stats
        src = data[6:12]
        allowed = cfg.mac if cfg.mac != ZERO else vf.mac
        if cfg.spoofchk and src != allowed:
            self._spoofed(vf, trace, f"MAC anti-spoof: source {mac_to_str(src)} is not VF "
                          f"{vf.index}'s MAC {mac_to_str(allowed)}")
            return
        pv = self.port_vlan(vf)
        if pv is not None:
            if cfg.proto == "802.1Q" and outer_key(data) != UNTAGGED:
                if cfg.spoofchk:
                    self._spoofed(vf, trace, f"VLAN anti-spoof: VF {vf.index} has port VLAN "
                                  f"{cfg.vlan} and may not tag frames itself")
                    return
                stats.tx_dropped += 1
                if trace is not None:
                    trace.drop(self.pf.where, f"VF {vf.index} has 802.1Q port VLAN "
                               f"{cfg.vlan}: a frame it tagged itself cannot take a second "
                               "802.1Q tag", DropReason.VLAN_FILTER)
                return
            data = insert_tag(data, pv[0], pv[1], cfg.qos)
            if trace is not None:
                trace.add(self.pf.where, f"VF {vf.index} port VLAN: insert {cfg.proto} tag "
                          f"vid {cfg.vlan} pcp {cfg.qos}", EventKind.ENCAP)
        stats.tx_packets += 1
        stats.tx_bytes += len(skb.data)
        self.switch(vf, Skb(data, trace))

    def _spoofed(self, vf: VfDevice, trace: TraceNode | None, why: str) -> None:
        stats = vf.cfg.stats
        stats.tx_dropped += 1
        stats.tx_spoofed += 1
        self.pf.tx_spoofed += 1
        if trace is not None:
            trace.drop(self.pf.where, f"spoofchk: {why}", DropReason.VF_SPOOFCHK)

    def from_pf(self, skb: Skb) -> None:
        """The host's stack transmits on the PF: the e-switch may keep it inside."""
        self.switch(self.pf, skb)

    def from_wire(self, skb: Skb) -> None:
        """A frame arrives on the physical port."""
        self.switch(None, skb)

    # -- the decision -------------------------------------------------------------------
    def switch(self, origin: Function, skb: Skb) -> None:
        data = skb.data
        trace = skb.trace
        key = outer_key(data)
        dst = data[0:6]
        pf = self.pf
        vfs = self._vfs()
        promisc = [v for v in vfs if v is not origin and v.nic_promisc
                   and self.vf_member(v, key)]
        if dst[0] & 1:
            targets: list[Function] = [] if origin is None else [None]
            if origin is not pf and self.pf_member(key):
                targets.append(pf)
            targets += [v for v in vfs if v is not origin and self.vf_member(v, key)]
            if trace is not None:
                names = ", ".join(self._name(t) for t in targets) or "nobody"
                what = "broadcast" if dst == BROADCAST else "multicast"
                trace.add(pf.where, f"VEB: {what} in {key_text(key)} to {names}",
                          EventKind.FLOOD)
            self._send_all(targets, skb, key)
            return
        owner: Function = None
        found = False
        if dst == pf.mac and self.pf_member(key):
            owner, found = pf, True
        else:
            for v in vfs:
                if v.mac == dst and self.vf_member(v, key):
                    owner, found = v, True
                    break
        if found and owner is origin:
            if trace is not None:
                trace.drop(pf.where, f"VEB: {mac_to_str(dst)} is the sender itself; the "
                           "switch does not send a frame back where it came from",
                           DropReason.BRIDGE_FWD_SAME_PORT)
            return
        extra = [v for v in promisc if v is not owner]
        if found:
            if trace is not None:
                trace.add(pf.where, f"VEB: {mac_to_str(dst)} in {key_text(key)} is "
                          f"{self._name(owner)}" + (" (inside the NIC)" if origin is not None
                                                    else ""), EventKind.DECISION)
            self._send_all([owner, *extra], skb, key)
            return
        if origin is None:  # from the wire, for no function
            targets = list(extra)
            if wants_promisc(pf):
                targets.insert(0, pf)
            if not targets:
                if trace is not None:
                    trace.drop(pf.where, f"VEB: no function has {mac_to_str(dst)} in "
                               f"{key_text(key)}; the NIC's MAC filter drops it",
                               DropReason.VEB_NO_DEST)
                return
            if trace is not None:
                trace.add(pf.where, f"VEB: {mac_to_str(dst)} unknown in {key_text(key)}: "
                          "to the promiscuous functions", EventKind.DECISION)
            self._send_all(targets, skb, key)
            return
        if trace is not None:
            trace.add(pf.where, f"VEB: {mac_to_str(dst)} is no function of {key_text(key)}: "
                      "out of the wire", EventKind.DECISION)
        targets = [None, *extra]
        if origin is not pf and wants_promisc(pf):
            targets.append(pf)
        self._send_all(targets, skb, key)

    def _name(self, fn: Function) -> str:
        if fn is None:
            return "the wire"
        if isinstance(fn, VfDevice):
            return f"VF {fn.index} ({fn.where})"
        return f"the PF ({fn.where})"

    def _send_all(self, targets: list[Function], skb: Skb, key: Key) -> None:
        many = len(targets) > 1
        for t in targets:
            one = skb.clone(f"VEB copy to {self._name(t)}") if many else skb
            self._send(t, one, key)

    def _send(self, target: Function, skb: Skb, key: Key) -> None:
        pf = self.pf
        if target is None:
            pf.to_wire(skb)
            return
        if isinstance(target, VfDevice):
            data = skb.data
            if self.port_vlan(target) is not None and key != UNTAGGED:
                data = strip_tag(data)
                if skb.trace is not None:
                    skb.trace.add(pf.where, f"VF {target.index} port VLAN: strip the tag",
                                  EventKind.DECAP)
            stats = target.cfg.stats
            stats.rx_packets += 1
            stats.rx_bytes += len(data)
            if data[0] & 1:
                if data[0:6] == BROADCAST:
                    stats.broadcast += 1
                else:
                    stats.multicast += 1
            pf.sched.after(VEB_NS, target.ring_rx, Skb(data, skb.trace))
            return
        pf.sched.after(VEB_NS + RX_DELIVER_NS, pf.host_rx, skb)
