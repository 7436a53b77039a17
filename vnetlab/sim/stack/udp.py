"""UDP receive: to the bound socket or ICMP port unreachable (net/ipv4/udp.c).

Design note
-----------
``udp_rcv`` is the handler the namespace's ``inet_protos`` table names for IP protocol 17.
A socket is a callable bound to a local port in ``Ipv4Stack.udp_sockets`` (the emulator's
``udp_table``): userspace sockets and the VXLAN/Geneve tunnel sockets register there. A
datagram for a port nobody holds is answered with ICMP port unreachable.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.icmp import icmp_send
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire import icmp as icmpw
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ipv4 import Ipv4Header
from vnetlab.wire.udp import UdpHeader

if TYPE_CHECKING:
    from vnetlab.sim.stack.netns import Namespace

#: a bound socket: (src, sport, dst, payload, trace)
UdpHandler = Callable[[IPv4Address, int, IPv4Address, bytes, TraceNode | None], None]


def udp_rcv(
    ns: Namespace, dev: NetDevice, hdr: Ipv4Header, payload: bytes, trace: TraceNode | None
) -> None:
    """``udp_rcv``: to the socket bound to the destination port, else ICMP port
    unreachable."""
    stack = ns.stack
    try:
        udp, data = UdpHeader.parse(payload)
    except ParseError as e:
        if trace is not None:
            trace.drop(dev.where, f"bad UDP: {e}", DropReason.PKT_TOO_SMALL)
        return
    sock = stack.udp_sockets.get(udp.dport)
    if sock is None:
        if trace is not None:
            trace.drop(dev.where, f"no socket on UDP port {udp.dport}: ICMP port unreachable",
                       DropReason.NO_SOCKET)
        icmp_send(
            stack, hdr.emit(payload), icmpw.ICMP_DEST_UNREACH, icmpw.ICMP_PORT_UNREACH, trace
        )
        return
    if trace is not None:
        flow = f"{hdr.src}:{udp.sport} -> {hdr.dst}:{udp.dport}"
        trace.add(dev.where, f"UDP {flow}: to its socket", EventKind.SOCKET)
    sock(hdr.src, udp.sport, hdr.dst, data, trace)
