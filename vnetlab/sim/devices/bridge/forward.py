"""Egress decisions (net/bridge/br_forward.c): ``should_deliver``, ``br_forward``, ``br_flood``.

Design note
-----------
A frame may leave by a port only if the port is forwarding and it is not the port the frame
came in on, unless that port is in hairpin mode. Flooding walks the port list in the
kernel's order (``br_add_if`` inserts at the head, so the newest port comes first) and
honours the per-port flood flags by packet type: ``flood`` (unknown unicast),
``mcast_flood`` and ``bcast_flood``. ``br_dev_queue_push_xmit`` drops frames longer than
the egress device accepts (``is_skb_forwardable``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.devices.bridge.port import BR_STATE_FORWARDING
from vnetlab.sim.devices.bridge.storm import STORM_BUDGET, storm_flood_allowed
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.netfilter.bridge_hooks import br_nf_hook
from vnetlab.sim.sched.qdisc import dev_queue_xmit
from vnetlab.sim.trace import DropReason, EventKind
from vnetlab.wire.mac import mac_to_str

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.device import BridgeDevice
    from vnetlab.sim.devices.bridge.port import BridgePort

VLAN_ETH_HLEN = 18

UNICAST, MULTICAST, BROADCAST = 0, 1, 2


def should_deliver(port: BridgePort, ingress: NetDevice | None) -> bool:
    """``should_deliver``: hairpin or a different port, the port is forwarding, and not
    from an isolated port to another isolated one (``br_skb_isolated``)."""
    if port.isolated and ingress is not None:
        src = ingress.br_port
        if src is not None and src.isolated:
            return False
    return (port.hairpin or port.dev is not ingress) and port.state == BR_STATE_FORWARDING


def br_dev_queue_push_xmit(br: BridgeDevice, port: BridgePort, skb: Skb) -> None:
    dev = port.dev
    if len(skb.data) > dev.mtu + VLAN_ETH_HLEN:
        # kfree_skb without a counter: neither the bridge nor the port counts this drop
        # (measured: tests/pins/test_pin_kernel.py)
        if skb.trace is not None:
            skb.trace.drop(
                br.where,
                f"frame of {len(skb.data)} bytes exceeds MTU {dev.mtu} of port {dev.name}",
                DropReason.PKT_TOO_BIG,
            )
        return
    if dev.qdisc is None:  # dev_queue_xmit without a qdisc: one attribute test
        dev.xmit(skb)
    else:
        dev_queue_xmit(dev, skb)


def br_forward(br: BridgeDevice, port: BridgePort, skb: Skb, ingress: NetDevice | None) -> bool:
    """``br_forward``: deliver to one known port. False when should_deliver refuses."""
    if not should_deliver(port, ingress):
        return False
    if br.ns.ebt is not None and not br_nf_hook(
            br, "FORWARD" if ingress is not None else "OUTPUT", skb, ingress, port.dev):
        return True
    br_dev_queue_push_xmit(br, port, skb)
    return True


def flood_ports(br: BridgeDevice, pkt_type: int, ingress: NetDevice | None,
                proxyarp_replied: bool = False) -> list[BridgePort]:
    out = []
    for port in br.port_list:  # newest first, as the kernel's list
        if proxyarp_replied and port.neigh_suppress:
            continue
        if pkt_type == UNICAST:
            if not port.flood:
                continue
        elif pkt_type == BROADCAST:
            if not port.bcast_flood:
                continue
        elif not port.mcast_flood:
            continue
        if should_deliver(port, ingress):
            out.append(port)
    return out


def br_flood(
    br: BridgeDevice, skb: Skb, pkt_type: int, ingress: NetDevice | None, why: str = "",
    miss: bytes | None = None, proxyarp_replied: bool = False,
) -> None:
    """``br_flood``: a copy to every eligible port (the last gets the original).

    ``why`` (or, for an unknown unicast, the ``miss``ed MAC) only feeds the trace, so the
    text is built only when the frame is traced."""
    g = br.storm
    g.credit -= 1
    if g.credit < 0 and not storm_flood_allowed(br):
        if skb.trace is not None:
            skb.trace.drop(br.where, f"broadcast storm: more than {STORM_BUDGET} floods in "
                           "one virtual second (storm guard; a loop without STP?)",
                           DropReason.BRIDGE_STORM_GUARD)
        return
    ports = flood_ports(br, pkt_type, ingress, proxyarp_replied)
    hook = "FORWARD" if ingress is not None else "OUTPUT"  # __br_forward's br_hook
    if skb.trace is not None:
        if miss is not None:
            why = f"fdb miss for {mac_to_str(miss)}"
        names = ", ".join(p.name for p in ports) or "no port"
        skb.trace.add(br.where, f"{why} -> flood to {names}", EventKind.FLOOD)
        if not ports:
            skb.trace.drop(br.where, f"{why} and no port to flood to",
                           DropReason.BRIDGE_NO_EGRESS_PORT)
        for p in ports:
            copy = skb.clone(f"copy to {p.name}")
            if br.ns.ebt is None or br_nf_hook(br, hook, copy, ingress, p.dev):
                br_dev_queue_push_xmit(br, p, copy)
        return
    if br.ns.ebt is not None:
        ports = [p for p in ports if br_nf_hook(br, hook, skb, ingress, p.dev)]
    for p in ports:
        br_dev_queue_push_xmit(br, p, skb)
