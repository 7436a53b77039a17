"""Ingress (net/bridge/br_input.c): ``br_handle_frame`` and ``br_pass_frame_up``.

Design note
-----------
This is the emulator's hottest path (every frame through every bridge), so it is one flat
function: drop frames with a multicast source, learn the source on the ingress port
(``br_fdb_update``), then by destination: broadcast/multicast are flooded and also passed
up to the bridge device; a known local address goes up; a known remote address is
forwarded to its port; an unknown unicast is flooded (and passed up only when the bridge
is promiscuous, e.g. while tcpdump listens on it). Tracing costs one ``is not None`` test
per decision when it is off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.devices.bridge.fdb import br_fdb_update, invalid_source
from vnetlab.sim.devices.bridge.forward import (
    BROADCAST,
    MULTICAST,
    UNICAST,
    VLAN_ETH_HLEN,
    br_flood,
    br_forward,
)
from vnetlab.sim.devices.bridge.neigh_suppress import (
    br_do_proxy_suppress_arp,
    neigh_suppress_enabled,
)
from vnetlab.sim.devices.bridge.port import (
    BR_STATE_FORWARDING,
    BR_STATE_LEARNING,
    BridgePort,
)
from vnetlab.sim.devices.bridge.storm import storm_hop_limit
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.netfilter.bridge_hooks import br_nf_hook
from vnetlab.sim.trace import DropReason, EventKind
from vnetlab.wire.mac import mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.device import BridgeDevice

_BCAST = b"\xff\xff\xff\xff\xff\xff"


def br_handle_frame(br: BridgeDevice, dev: NetDevice, skb: Skb) -> None:
    """The rx_handler installed on every port device."""
    port: BridgePort = dev.br_port  # type: ignore[assignment]
    data = skb.data
    # fast path: untraced, forwarding port, bridge not promiscuous, source already learned
    # here, known unicast — the steady state of a busy bridge. The tests are pure reads,
    # ordered so the common frame pays the fewest; MACs are sliced only for the lookups.
    if (skb.trace is None and port.state == BR_STATE_FORWARDING and not port.isolated
            and not br.promisc and not br.storm_mode and br.ns.ebt is None):
        fdb = br.fdb
        e = fdb.get(data[6:12])
        if e is not None and e.port is port and not (
                data[12] == 8 and data[13] == 6 and neigh_suppress_enabled(br)):
            e.updated = br.sched.now  # harmless on a static entry: those never age
            if not data[0] & 1:
                d = fdb.get(data[0:6])
                if d is not None and not d.local:
                    out = d.port
                    odev = out.dev  # type: ignore[union-attr]
                    if (
                        (odev is not dev or out.hairpin)  # type: ignore[union-attr]
                        and out.state == BR_STATE_FORWARDING  # type: ignore[union-attr]
                        and len(data) <= odev.mtu + VLAN_ETH_HLEN
                        and odev.qdisc is None  # with a qdisc: the slow path's seam
                    ):
                        odev.xmit(skb)
                        return
    br_handle_frame_slow(br, dev, port, skb)


def port_admits(br: BridgeDevice, dev: NetDevice, port: BridgePort, skb: Skb) -> bool:
    """What ``br_handle_frame`` checks first on every port: the port is learning or
    forwarding, and the source MAC is a valid one. (Dropped frames are not counted in the
    device's statistics on Linux either.)"""
    state = port.state
    if state != BR_STATE_FORWARDING and state != BR_STATE_LEARNING:
        if skb.trace is not None:
            skb.trace.drop(br.where, f"port {dev.name} is {port.state_name}",
                           DropReason.BRIDGE_INGRESS_STP_STATE)
        return False
    bad = invalid_source(skb.data[6:12])
    if bad is not None:
        if skb.trace is not None:
            skb.trace.drop(br.where, bad, DropReason.MAC_INVALID_SOURCE)
        return False
    return True


def br_handle_frame_slow(br: BridgeDevice, dev: NetDevice, port: BridgePort, skb: Skb) -> None:
    """Every case the fast path does not take, with the trace told about each decision."""
    if br.storm_mode and storm_hop_limit(br, skb):
        return
    data = skb.data
    trace = skb.trace
    state = port.state
    dst = data[0:6]
    if (dst[0] & 1 and dst[0:5] == _LINK_LOCAL and invalid_source(data[6:12]) is None
            and link_local_consumed(br, dev, skb, dst)):
        return  # br_handle_frame looks at link-local groups before the port's state
    if not port_admits(br, dev, port, skb):
        return
    src = data[6:12]
    if port.locked and not locked_port_admits(br, dev, port, skb):
        return
    if port.learning:
        br_fdb_update(br, port, src, 0, trace)
    if state == BR_STATE_LEARNING:
        if trace is not None:
            trace.drop(br.where, f"port {dev.name} is learning (not forwarding yet)",
                       DropReason.BRIDGE_INGRESS_STP_STATE)
        return
    replied = (data[12:14] == b"\x08\x06" and neigh_suppress_enabled(br)
               and br_do_proxy_suppress_arp(br, dev, port, skb))
    if dst[0] & 1:
        kind = BROADCAST if dst == _BCAST else MULTICAST
        what = "broadcast" if kind == BROADCAST else "multicast"
        br_flood(br, skb if trace is None else skb.clone("flooded copies"), kind, dev, what,
                 proxyarp_replied=replied)
        if br.admin_up:
            br_pass_frame_up(br, skb, dev)
        return
    e = br.fdb.get(dst)
    if e is not None:
        if e.local:
            if trace is not None:
                trace.add(br.where, f"fdb: {mac_to_str(dst)} is local -> up to {br.name}",
                          EventKind.DECISION)
            br_pass_frame_up(br, skb, dev)
            return
        out: BridgePort = e.port  # type: ignore[assignment]
        if trace is not None:
            trace.add(br.where, f"fdb hit {mac_to_str(dst)} -> port {out.name}", EventKind.DECISION)
        if br.promisc:
            # a promiscuous bridge (tcpdump -i br0) also gets a copy of forwarded frames
            br_forward(br, out, skb if trace is None else skb.clone("forwarded"), dev)
            br_pass_frame_up(br, skb, dev)
            return
        if not br_forward(br, out, skb, dev) and trace is not None:
            trace.drop(
                br.where, f"destination is behind the ingress port {dev.name} and hairpin is off",
                DropReason.BRIDGE_FWD_SAME_PORT
            )
        return
    if br.promisc:
        br_flood(br, skb.clone("flooded copies"), UNICAST, dev, miss=dst,
                 proxyarp_replied=replied)
        br_pass_frame_up(br, skb, dev)
        return
    br_flood(br, skb, UNICAST, dev, miss=dst, proxyarp_replied=replied)


_LINK_LOCAL = b"\x01\x80\xc2\x00\x00"


def locked_port_admits(br: BridgeDevice, dev: NetDevice, port: BridgePort, skb: Skb) -> bool:
    """``br_handle_frame_finish`` on a locked port (BR_PORT_LOCKED, no MAB): the source
    needs an FDB entry pointing at this very port that is not a local one; nothing is
    learned from a locked port, so only entries the administrator added let a host in."""
    src = skb.data[6:12]
    e = br.fdb.get(src)
    if e is not None and e.port is port and not e.local:
        return True
    if skb.trace is not None:
        skb.trace.drop(br.where, f"port {dev.name} is locked and {mac_to_str(src)} has no "
                       "FDB entry on it", DropReason.NOT_SPECIFIED)
    return False


def link_local_consumed(br: BridgeDevice, dev: NetDevice, skb: Skb, dst: bytes) -> bool:
    """``br_handle_frame`` for IEEE 802.1D link-local groups 01:80:C2:00:00:0X: never
    flooded like other multicast (group_fwd_mask 0). 00 (STP BPDUs) is forwarded while
    STP is off; 01 (pause) is dropped; the rest (LLDP 0E, LACP 02 ...) go to the port
    device's own stack (RX_HANDLER_PASS). True when the frame was consumed here."""
    if dst[0:5] != _LINK_LOCAL or dst[5] > 0x0F:
        return False
    if dst[5] == 0 and not br.stp:
        return False
    if dst[5] == 0:
        # STP on: __br_handle_local_finish learns the sender, then LLC hands the BPDU to
        # br_stp_rcv (called directly here: the LLC layer has no other user in a lab)
        port: BridgePort = dev.br_port  # type: ignore[assignment]
        if port.learning and port.state in (BR_STATE_LEARNING, BR_STATE_FORWARDING):
            br_fdb_update(br, port, skb.data[6:12], 0, skb.trace)
        br.stp_rcv(port, skb)
        return True
    if skb.trace is not None:
        what = "pause frame: dropped" if dst[5] == 1 else f"to {dev.name}'s own stack"
        skb.trace.add(br.where, f"link-local group {mac_to_str(dst)}: {what}", EventKind.DECISION)
    if dst[5] != 1:
        dev.ns.rcv(dev, skb)
    return True


def br_pass_frame_up(br: BridgeDevice, skb: Skb, port: NetDevice | None = None) -> None:
    """Hand the frame to the bridge device as if it had received it itself (after the
    ``NF_BR_LOCAL_IN`` hook, with ``port`` the ingress port)."""
    if not br.admin_up:
        if skb.trace is not None:
            skb.trace.drop(br.where, "bridge device is down", DropReason.DEV_READY)
        return
    br.rx_packets += 1  # counted before the hook, as br_pass_frame_up does
    br.rx_bytes += len(skb.data)
    if br.ns.ebt is not None and not br_nf_hook(br, "INPUT", skb, port, None):
        return
    if br.taps is not None:
        br.tap_tx(skb.data)
    if skb.trace is not None:
        skb.trace.add(br.where, f"up to {br.name}'s own stack", EventKind.DECISION)
    receive_on_bridge(br, skb)


def receive_on_bridge(br: BridgeDevice, skb: Skb) -> None:
    """``netif_receive_skb`` with skb->dev = the bridge: an rx_handler on the bridge device
    itself (a macvlan or ipvlan stacked on br0) sees the frame first, then its stack."""
    handler = br.rx_handler
    if handler is not None:
        handler(br, skb)
    else:
        br.ns.rcv(br, skb)
