"""Bridge VLAN filtering (net/bridge/br_vlan.c and the VLAN paths of br_input/br_forward).

Design note
-----------
Every port and the bridge device itself ("self") have a ``VlanGroup`` (``net_bridge_vlan_group``):
VID → egress-untagged flag, plus the PVID (0: none). Linux gives a new port and a new bridge
the bridge's ``default_pvid`` (1) as PVID and egress untagged (``nbp_vlan_init``,
``br_vlan_init``); the lab's ``vlans:`` list replaces that default. The groups exist whether
or not the bridge filters; ``vlan_filtering`` decides whether they are used.

While a bridge filters, its ports' rx_handler is ``br_handle_frame_vlan`` instead of the
fast ``br_handle_frame`` (so the non-filtering fast path pays nothing), and:

* ingress — ``br_allowed_ingress``/``__allowed_ingress``: an untagged or priority-tagged
  (VID 0) frame gets the port's PVID and is dropped when the port has none; a tagged frame
  is dropped unless its VID is in the port's group. Inside the bridge a frame is its
  untagged bytes plus the VID (Linux keeps the VID in ``skb->vlan_tci``); the PCP of a
  priority tag is not kept.
* learning and lookups use (MAC, VID) keys (``fdb.fdb_key``), so the FDB records the VLAN.
* egress — ``br_allowed_egress`` (the port must be a member of the VID, otherwise the port
  is skipped when flooding and the frame dropped when forwarding) and ``br_handle_vlan``
  (untag when the VID is egress-untagged on that port, else send it tagged). Flooding is
  therefore confined to the VLAN's member ports.
* the bridge device is a member like a port: frames sent by the host (``br_dev_xmit``) are
  admitted by the bridge's own group, frames passed up (``br_pass_frame_up``) need the
  bridge to be a member (unless promiscuous) and are untagged or left tagged for a vlan
  device on top of the bridge (``br0.100``).

Drops by the VLAN filter are not counted in device counters (Linux frees them with a drop
reason only); the trace names the rule: ``vlan 100 not allowed on port veth1: dropped``,
``ingress untagged -> pvid 100``, ``egress veth2: vlan 100 untagged``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.devices.bridge.fdb import br_fdb_update, fdb_key
from vnetlab.sim.devices.bridge.forward import (
    BROADCAST,
    MULTICAST,
    UNICAST,
    br_dev_queue_push_xmit,
    flood_ports,
    should_deliver,
)
from vnetlab.sim.devices.bridge.input import (
    link_local_consumed,
    port_admits,
    receive_on_bridge,
)
from vnetlab.sim.devices.bridge.port import (
    BR_STATE_LEARNING,
    VlanGroup,
)
from vnetlab.sim.devices.bridge.storm import storm_hop_limit
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire.mac import mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.device import BridgeDevice
    from vnetlab.sim.devices.bridge.port import BridgePort

__all__ = [
    "VlanGroup",
    "allowed_ingress",
    "br_dev_xmit_vlan",
    "br_flood_vlan",
    "br_forward_vlan",
    "br_handle_frame_vlan",
    "br_pass_frame_up_vlan",
]

_BCAST = b"\xff\xff\xff\xff\xff\xff"
_TPID = b"\x81\x00"


def allowed_ingress(
    vg: VlanGroup, data: bytes, who: str, where: str, trace: TraceNode | None
) -> tuple[int, bytes] | None:
    """``br_allowed_ingress``: (VID, untagged frame) when admitted, None when dropped."""
    tagged_vid = -1
    if len(data) >= 18 and data[12:14] == _TPID:
        tagged_vid = ((data[14] & 0x0F) << 8) | data[15]
        inner = data[:12] + data[16:]
    else:
        inner = data
    if tagged_vid > 0:
        if tagged_vid not in vg.vlans:
            if trace is not None:
                trace.drop(where, f"vlan {tagged_vid} not allowed on {who}: dropped",
                           DropReason.VLAN_FILTER)
            return None
        if trace is not None:
            trace.add(where, f"ingress {who}: tagged vlan {tagged_vid} allowed", EventKind.FILTER)
        return tagged_vid, inner
    pvid = vg.pvid
    if not pvid:
        if trace is not None:
            what = "priority-tagged" if tagged_vid == 0 else "untagged"
            trace.drop(where, f"{what} frame on {who}, which has no pvid: dropped",
                       DropReason.VLAN_FILTER)
        return None
    if trace is not None:
        what = "priority-tagged" if tagged_vid == 0 else "untagged"
        trace.add(where, f"ingress {who}: {what} -> pvid {pvid}", EventKind.FILTER)
    return pvid, inner


def _egress(port: BridgePort, vid: int, inner: bytes) -> bytes | None:
    """``br_handle_vlan`` for a member port: the bytes it sends (None: not a member)."""
    untagged = port.vlgrp.vlans.get(vid)
    if untagged is None:
        return None
    return inner if untagged else inner[:12] + _TPID + vid.to_bytes(2, "big") + inner[12:]


def br_forward_vlan(
    br: BridgeDevice, port: BridgePort, inner: bytes, vid: int, ingress: NetDevice | None,
    trace: TraceNode | None,
) -> None:
    """``br_forward`` with ``should_deliver``'s ``br_allowed_egress`` and ``br_handle_vlan``."""
    if not should_deliver(port, ingress):
        if trace is not None:
            trace.drop(
                br.where,
                f"destination is behind the ingress port {port.name} and hairpin is off",
                DropReason.BRIDGE_FWD_SAME_PORT,
            )
        return
    data = _egress(port, vid, inner)
    if data is None:
        if trace is not None:
            trace.drop(br.where, f"egress {port.name}: vlan {vid} not allowed: dropped",
                       DropReason.VLAN_FILTER)
        return
    if trace is not None:
        how = "untagged" if data is inner else "tagged"
        trace.add(br.where, f"egress {port.name}: vlan {vid} {how}", EventKind.FILTER)
    br_dev_queue_push_xmit(br, port, Skb(data, trace))


def br_flood_vlan(
    br: BridgeDevice, inner: bytes, vid: int, pkt_type: int, ingress: NetDevice | None,
    why: str, trace: TraceNode | None,
) -> None:
    """``br_flood`` confined to the ports that are members of VID."""
    ports = [p for p in flood_ports(br, pkt_type, ingress) if vid in p.vlgrp.vlans]
    if trace is not None:
        names = ", ".join(p.name for p in ports) or "no port"
        trace.add(br.where, f"{why} vlan {vid} -> flood to {names}", EventKind.FLOOD)
        if not ports:
            trace.drop(br.where, f"{why} and no port in vlan {vid} to flood to",
                       DropReason.BRIDGE_NO_EGRESS_PORT)
    tagged: bytes | None = None
    for p in ports:
        untagged = p.vlgrp.vlans[vid]
        if untagged:
            data = inner
        else:
            if tagged is None:
                tagged = inner[:12] + _TPID + vid.to_bytes(2, "big") + inner[12:]
            data = tagged
        t = None
        if trace is not None:
            t = trace.branch(f"copy to {p.name}")
            t.add(br.where, f"egress {p.name}: vlan {vid} {'untagged' if untagged else 'tagged'}",
                  EventKind.FILTER)
        br_dev_queue_push_xmit(br, p, Skb(data, t))


def br_pass_frame_up_vlan(
    br: BridgeDevice, inner: bytes, vid: int, trace: TraceNode | None, *, copy: bool = False
) -> None:
    """``br_pass_frame_up``: the bridge must be a member of VID (``br_allowed_egress``)."""
    if not br.admin_up:
        if trace is not None:
            trace.drop(br.where, "bridge device is down", DropReason.DEV_READY, copy=copy)
        return
    untagged = br.vlgrp.vlans.get(vid)
    if untagged is None and not br.promisc:
        if trace is not None:
            trace.drop(br.where, f"vlan {vid} not allowed on {br.name} (self): not passed up",
                       DropReason.VLAN_FILTER, copy=copy)
        return
    if untagged is None or untagged:
        data = inner
    else:
        data = inner[:12] + _TPID + vid.to_bytes(2, "big") + inner[12:]
    br.rx_packets += 1
    br.rx_bytes += len(data)
    if br.taps is not None:
        br.tap_tx(data)
    if trace is not None:
        how = "untagged" if data is inner else "tagged"
        trace.add(br.where, f"up to {br.name}'s own stack: vlan {vid} {how}", EventKind.DECISION)
    skb = Skb(data, trace)
    if data is not inner and br.vlans is not None and br.vlan_rx(skb):
        return
    receive_on_bridge(br, skb)


def br_handle_frame_vlan(br: BridgeDevice, dev: NetDevice, skb: Skb) -> None:
    """The rx_handler of every port while the bridge filters VLANs (``br_handle_frame_finish``)."""
    port: BridgePort = dev.br_port  # type: ignore[assignment]
    if br.storm_mode and storm_hop_limit(br, skb):
        return
    data = skb.data
    trace = skb.trace
    state = port.state
    if (data[0] == 0x01 and data[1:5] == b"\x80\xc2\x00\x00" and br.stp
            and data[5] == 0 and not data[6] & 1):
        link_local_consumed(br, dev, skb, data[0:6])  # BPDUs reach STP in every port state
        return
    if not port_admits(br, dev, port, skb):
        return
    src = data[6:12]
    admitted = allowed_ingress(port.vlgrp, data, f"port {dev.name}", br.where, trace)
    if admitted is None:
        return
    vid, inner = admitted
    if port.learning:
        br_fdb_update(br, port, src, vid, trace)
    if state == BR_STATE_LEARNING:
        if trace is not None:
            trace.drop(br.where, f"port {dev.name} is learning (not forwarding yet)",
                       DropReason.BRIDGE_INGRESS_STP_STATE)
        return
    if data[0] & 1 and link_local_consumed(br, dev, skb, data[0:6]):
        return
    br_deliver_vlan(br, inner, vid, dev, trace)


def br_deliver_vlan(
    br: BridgeDevice, inner: bytes, vid: int, ingress: NetDevice | None, trace: TraceNode | None
) -> None:
    """By destination: flood (+ up), up for a local address, forward, or flood on a miss."""
    dst = inner[0:6]
    if dst[0] & 1:
        kind = BROADCAST if dst == _BCAST else MULTICAST
        what = "broadcast" if kind == BROADCAST else "multicast"
        ft = trace.branch("flooded copies") if trace is not None else None
        br_flood_vlan(br, inner, vid, kind, ingress, what, ft)
        if ingress is not None and br.admin_up:
            br_pass_frame_up_vlan(br, inner, vid, trace, copy=True)
        return
    e = br.fdb.get(fdb_key(dst, vid))
    if e is not None:
        if e.local:
            if ingress is None:
                # br_dev_xmit to one of the bridge's own addresses: the host talks to itself
                if trace is not None:
                    trace.add(br.where, f"{mac_to_str(dst)} is the bridge's own: local",
                              EventKind.DECISION)
            elif trace is not None:
                trace.add(br.where, f"fdb: {mac_to_str(dst)} vlan {vid} is local -> up to "
                          f"{br.name}", EventKind.DECISION)
            br_pass_frame_up_vlan(br, inner, vid, trace)
            return
        out: BridgePort = e.port  # type: ignore[assignment]
        if trace is not None:
            trace.add(br.where, f"fdb hit {mac_to_str(dst)} vlan {vid} -> port {out.name}",
                      EventKind.DECISION)
        if br.promisc and ingress is not None:
            br_forward_vlan(br, out, inner, vid, ingress,
                            trace.branch("forwarded") if trace is not None else None)
            br_pass_frame_up_vlan(br, inner, vid, trace, copy=True)
            return
        br_forward_vlan(br, out, inner, vid, ingress, trace)
        return
    why = f"fdb miss for {mac_to_str(dst)}"
    if br.promisc and ingress is not None:
        br_flood_vlan(br, inner, vid, UNICAST, ingress, why,
                      trace.branch("flooded copies") if trace is not None else None)
        br_pass_frame_up_vlan(br, inner, vid, trace, copy=True)
        return
    br_flood_vlan(br, inner, vid, UNICAST, ingress, why, trace)


def br_dev_xmit_vlan(br: BridgeDevice, skb: Skb) -> None:
    """``br_dev_xmit`` while filtering: admitted by the bridge's own VLANs, then delivered."""
    admitted = allowed_ingress(br.vlgrp, skb.data, f"{br.name} (self)", br.where, skb.trace)
    if admitted is None:
        return
    vid, inner = admitted
    br_deliver_vlan(br, inner, vid, None, skb.trace)
