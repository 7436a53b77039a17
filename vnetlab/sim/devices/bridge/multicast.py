"""The bridge's own multicast presence (net/bridge/br_multicast.c, net/ipv4/igmp.c).

Design note
-----------
With multicast snooping on (Linux's default), opening a bridge makes it join the
all-snoopers group 224.0.0.106 (``br_multicast_join_snoopers``, RFC 4286). Joining a
group sends unsolicited IGMPv3 membership reports (``igmp_ifc_event``): one a jiffy
later, then ``qrv`` - 1 more within the unsolicited-report interval (1 s for v3; Linux
picks a random moment, the emulator the middle of it, to stay deterministic). The
report leaves from 0.0.0.0 when the bridge has no address, to 224.0.0.22 with TTL 1,
TOS 0xc0, DF and the Router Alert option, as ``igmpv3_newpack`` builds it. Bridges and
VXLAN devices that receive it learn the sending bridge's MAC, exactly as on a real host.

The joins also put the groups' MACs on the bridge's own multicast list (``dev.mc``) when it
opens, before NETDEV_UP: 01:00:5e:00:00:6a for 224.0.0.106 and, through IPv6's group list
(``ipv6_dev_mc_inc``, even with IPv6 disabled: measured), 33:33:00:00:00:6a for ff02::6a,
the all-MLD-snoopers group. ``bridge fdb show`` lists both as "self permanent" on the
bridge; MLD reports ff02::6a like any group once the bridge's IPv6 link is ready.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from vnetlab.sim.netdev import Skb
from vnetlab.sim.sched.qdisc import dev_queue_xmit
from vnetlab.wire.checksum import internet_checksum
from vnetlab.wire.ipv4 import Ipv4Header

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.device import BridgeDevice

IPPROTO_IGMP = 2
IGMPV3_REPORT = 0x22
IGMPV3_CHANGE_TO_EXCLUDE = 4
ALL_SNOOPERS = IPv4Address("224.0.0.106")
IGMPV3_ROUTERS = IPv4Address("224.0.0.22")
ROUTER_ALERT = b"\x94\x04\x00\x00"  # RFC 2113
JIFFY_NS = 4_000_000  # HZ=250
REPORT_DELAYS_NS = (JIFFY_NS, 500_000_000)  # qrv = 2 reports


def igmpv3_join_report(group: IPv4Address) -> bytes:
    """An IGMPv3 report with one TO_EX record and no sources: "join GROUP, any source"."""
    record = bytes([IGMPV3_CHANGE_TO_EXCLUDE, 0, 0, 0]) + group.packed
    body = bytes([IGMPV3_REPORT, 0, 0, 0, 0, 0, 0, 1]) + record
    csum = internet_checksum(body)
    return body[:2] + csum.to_bytes(2, "big") + body[4:]


ALL_SNOOPERS6 = 0xFF02 << 112 | 0x6A


def join_snoopers_groups(br: BridgeDevice) -> None:
    """``br_ip4/ip6_multicast_join_snoopers``: the groups (and their MACs on dev.mc)."""
    from vnetlab.sim.stack.igmp import ip_mc_filter_add
    from vnetlab.sim.stack.mcast6 import ipv6_dev_mc_inc

    ip_mc_filter_add(br, int(ALL_SNOOPERS))
    ipv6_dev_mc_inc(br.ns, br, ALL_SNOOPERS6)


def leave_snoopers_groups(br: BridgeDevice) -> None:
    """``br_multicast_leave_snoopers`` when the bridge stops."""
    from vnetlab.sim.stack.igmp import ip_mc_filter_del
    from vnetlab.sim.stack.mcast6 import ipv6_dev_mc_dec

    ip_mc_filter_del(br, int(ALL_SNOOPERS))
    ipv6_dev_mc_dec(br.ns, br, ALL_SNOOPERS6)


def join_snoopers(br: BridgeDevice) -> None:
    """``br_multicast_join_snoopers`` when the bridge opens: schedule the reports."""
    for delay in REPORT_DELAYS_NS:
        br.sched.after(delay, _send_report, br)


def _send_report(br: BridgeDevice) -> None:
    if not br.admin_up:
        return
    addrs = br.ns.addrs.get(br, [])
    src = IPv4Address(addrs[0].local) if addrs else IPv4Address(0)
    ip = Ipv4Header(src=src, dst=IGMPV3_ROUTERS, proto=IPPROTO_IGMP, ttl=1, tos=0xC0, df=True,
                    options=ROUTER_ALERT)
    packet = ip.emit(igmpv3_join_report(ALL_SNOOPERS))
    mac = b"\x01\x00\x5e\x00\x00\x16"  # ip_eth_mc_map(224.0.0.22)
    dev_queue_xmit(br, Skb(mac + br.mac + b"\x08\x00" + packet))
