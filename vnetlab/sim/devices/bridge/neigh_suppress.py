"""ARP suppression on bridge ports (net/bridge/br_arp_nd_proxy.c, ``neigh_suppress``).

Design note
-----------
Once any port has ``neigh_suppress`` (BROPT_NEIGH_SUPPRESS_ENABLED), every ARP frame
entering by a port that does not have it goes through ``br_do_proxy_suppress_arp``:
gratuitous ARP (sender IP 0 or equal to the target) and requests for the bridge's own
addresses are marked ``proxyarp_replied``; a request for an IP the *bridge device's*
neighbour table holds in a valid state, whose MAC the FDB knows behind a suppressing port,
is answered by the bridge itself (``arp_send`` out of the ingress port, sender = the
neighbour's IP and MAC) and marked too. ``br_flood`` then leaves out the suppressing ports
for marked frames: their hosts never see those broadcasts. Frames from a suppressing port
are left alone (that is the EVPN design: VXLAN ports suppress, local ports ask).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.sched.qdisc import dev_queue_xmit
from vnetlab.sim.stack.neigh import NUD_DELAY, NUD_PERMANENT, NUD_PROBE, NUD_REACHABLE, NUD_STALE
from vnetlab.sim.trace import EventKind
from vnetlab.wire.arp import ARPOP_REPLY, ARPOP_REQUEST

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.device import BridgeDevice
    from vnetlab.sim.devices.bridge.port import BridgePort

_NUD_VALID = (NUD_PERMANENT, NUD_REACHABLE, NUD_STALE, NUD_DELAY, NUD_PROBE)
ARPOP_RREQUEST, ARPOP_RREPLY = 3, 4


def neigh_suppress_enabled(br: BridgeDevice) -> bool:
    return any(p.neigh_suppress for p in br.port_list)


def br_do_proxy_suppress_arp(br: BridgeDevice, dev: NetDevice, port: BridgePort,
                             skb: Skb) -> bool:
    """True when the frame is ``proxyarp_replied`` (not to be flooded to suppressing ports)."""
    a = skb.data[14:]
    if len(a) < 28 or a[2:4] != b"\x08\x00" or a[4] != 6 or a[5] != 4:
        return False
    op = int.from_bytes(a[6:8], "big")
    sha, sip, tip = a[8:14], a[14:18], a[24:28]
    tip_i = int.from_bytes(tip, "big")
    if tip[0] == 127 or 224 <= tip[0] <= 239:
        return False
    if port.neigh_suppress:
        return False
    if op not in (ARPOP_RREQUEST, ARPOP_RREPLY) and (sip == b"\0\0\0\0" or sip == tip):
        return True
    if op != ARPOP_REQUEST:
        return False
    ns = br.ns
    if any(x.local == tip_i for x in ns.addrs.get(br, [])):  # br_is_local_ip
        return True
    n = ns.stack.neigh.entries.get((br, tip_i))
    if n is None or n.state not in _NUD_VALID or n.lladdr is None:
        return False
    f = br.fdb.get(n.lladdr)
    if f is None:
        return False
    dst = f.port
    if dst is not None and dst.neigh_suppress:
        # arp_send(ARPOP_REPLY, dest_ip=sip, dev=port, src_ip=tip, dest_hw=sha,
        # src_hw=n->ha, target_hw=sha): straight out of the ingress port
        reply = (sha + n.lladdr + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04"
                 + ARPOP_REPLY.to_bytes(2, "big") + n.lladdr + tip + sha + sip)
        if skb.trace is not None:
            skb.trace.add(br.where, f"neigh_suppress: {br.name} answers for "
                          f"{'.'.join(str(x) for x in tip)} itself", EventKind.DECISION)
        dev_queue_xmit(dev, Skb(reply, None))
    return True
