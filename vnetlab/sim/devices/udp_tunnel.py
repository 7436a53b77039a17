"""What VXLAN and Geneve share (net/ipv4/udp_tunnel_core.c, net/ipv4/ip_tunnel_core.c).

Design note
-----------
A UDP tunnel device lives in the namespace of its underlay: it encapsulates the inner
Ethernet frame in outer IPv4/UDP (plus its own header) and sends it through that
namespace's routing, neighbour and fragmentation code like any locally generated packet;
one UDP socket per port receives, demultiplexes by VNI and hands the inner frame to the
device as if it had arrived on it.

Before encapsulating, ``skb_tunnel_check_pmtu`` compares the inner packet with the path MTU
minus the headroom. Too big: the inner route's PMTU is lowered (the local sender's next
``ping -M do`` fails with "message too long"), and when the device is a bridge port the
bridged sender gets an ICMP "fragmentation needed" built from the inner headers
(``iptunnel_pmtud_build_icmp``) and the frame is dropped — if the inner packet had DF.
Outer DF follows ``df``: ``unset`` (Linux's default: the outer packet may be fragmented),
``set``, or ``inherit`` (copied from the inner IPv4 header). The outer UDP source port is
a hash of the inner flow within 32768-60999 (``udp_flow_src_port``), so it is stable.
"""

from __future__ import annotations

import errno
import zlib
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, TypedDict, Unpack

from vnetlab.sim.clock import S
from vnetlab.sim.errors import NetdevError
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.stack.addr import ip_str
from vnetlab.sim.stack.ipv4 import MessageTooLong, NoRoute
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire import icmp as icmpw
from vnetlab.wire.errors import ParseError
from vnetlab.wire.ipv4 import IPPROTO_ICMP, IPPROTO_UDP, Ipv4Header
from vnetlab.wire.udp import UdpHeader

if TYPE_CHECKING:
    from vnetlab.sim.stack.netns import Namespace

PORT_MIN, PORT_MAX = 32768, 60999
ETH_P_IP = b"\x08\x00"


def flow_src_port(frame: bytes) -> int:
    """A stable outer source port for the inner flow (udp_flow_src_port)."""
    key = frame[0:14]
    if frame[12:14] == ETH_P_IP and len(frame) >= 34:
        key += frame[23:24] + frame[26:34]
    return PORT_MIN + zlib.crc32(key) % (PORT_MAX - PORT_MIN + 1)


@dataclass(slots=True)
class TunnelSocket:
    """The UDP socket a tunnel port opens in its namespace (one per port, shared by VNIs)."""

    ns: Namespace
    port: int
    devices: dict[int, UdpTunnelDevice] = field(default_factory=dict)

    def rcv(
        self, src: IPv4Address, sport: int, dst: IPv4Address, data: bytes,
        trace: TraceNode | None,
    ) -> None:
        first = next(iter(self.devices.values()), None)
        if first is None:
            return
        first.encap_rcv(self, src, dst, data, trace)


class TunnelArgs(TypedDict):
    """What every UDP tunnel is made with (``vxlan_config``/``geneve_config`` share it)."""

    vni: int
    dstport: int
    remote: int | None
    local: int | None
    lower: NetDevice | None
    ttl: int | None
    df: str


class UdpTunnelDevice(NetDevice):
    """Base of VxlanDevice and GeneveDevice: outer IPv4/UDP transmit and receive."""

    headroom = 50
    operstate_unknown = True  # vxlan/geneve never call netif_carrier_off
    __slots__ = ("vni", "dstport", "remote", "local", "lower", "ttl", "df", "sock")

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int,
                 **kw: Unpack[TunnelArgs]) -> None:
        super().__init__(ns, name, mac, mtu)
        vni, dstport = kw["vni"], kw["dstport"]
        self.vni = vni
        self.dstport = dstport
        self.remote = kw["remote"]
        self.local = kw["local"]
        self.lower = kw["lower"]
        self.ttl = kw["ttl"]
        self.df = kw["df"]
        socks = ns.udp_tunnels
        sock = socks.get(dstport)
        if sock is None:
            sock = socks[dstport] = TunnelSocket(ns, dstport)
            ns.stack.udp_sockets[dstport] = sock.rcv
        if vni in sock.devices:
            raise NetdevError(errno.EEXIST,
                              f"VNI {vni} on port {dstport} is used by {sock.devices[vni].name}")
        sock.devices[vni] = self
        self.sock = sock

    def uninit(self) -> None:
        """``vxlan_uninit``/``geneve_uninit`` + ``udp_tunnel_sock_release``: the VNI is
        free again; the port's socket closes with its last device."""
        sock = self.sock
        if sock.devices.get(self.vni) is self:
            del sock.devices[self.vni]
            if not sock.devices:
                sock.ns.udp_tunnels.pop(sock.port, None)
                sock.ns.stack.udp_sockets.pop(sock.port, None)

    # -- transmit ----------------------------------------------------------------------
    def encap_header(self, frame: bytes) -> bytes:  # pragma: no cover - per kind
        raise NotImplementedError

    def xmit_one(self, skb: Skb, dst: int, trace: TraceNode | None) -> None:
        """``vxlan_xmit_one`` / ``geneve_xmit_skb`` towards one remote VTEP."""
        stack = self.ns.stack
        frame = skb.data
        group = dst >> 28 == 0xE
        try:
            rt = stack.route_output(dst) if not group or self.lower is None else None
        except NoRoute:
            self.tx_dropped += 1
            if trace is not None:
                trace.drop(self.where, f"no route to remote VTEP {ip_str(dst)}",
                           DropReason.IP_OUTNOROUTES)
            return
        out_dev = self.lower if rt is None else rt.dev
        assert out_dev is not None
        path_mtu = stack.path_mtu(out_dev, dst)
        inner_len = len(frame) - 14
        limit = path_mtu - self.headroom  # the inner IP packet may use what the outer leaves
        if inner_len > limit and self._pmtu_exceeded(skb, limit, trace):
            return
        inner_df = frame[12:14] == ETH_P_IP and len(frame) > 20 and bool(frame[20] & 0x40)
        df = self.df == "set" or (self.df == "inherit" and inner_df)
        payload = self.encap_header(frame)
        udp = UdpHeader(flow_src_port(frame), self.dstport).emit(payload)  # no UDP checksum
        ttl = self.ttl or (1 if group else 64)
        src = self.local
        self.tx_packets += 1
        self.tx_bytes += len(frame)
        self.tap_tx(frame)
        if trace is not None:
            trace.add(
                self.where,
                f"encap {self.kind} vni {self.vni} -> {ip_str(dst)}:{self.dstport}, outer "
                f"{20 + len(udp)} bytes{' DF' if df else ''}, ttl {ttl}",
                EventKind.ENCAP,
            )
        try:
            stack.ip_output(dst, IPPROTO_UDP, udp, trace, src=src, ttl=ttl,
                            pmtudisc="do" if df else "dont", dev=out_dev if group else None)
        except MessageTooLong as e:
            self.tx_dropped += 1
            stack.update_pmtu(dst, e.mtu)
            if trace is not None:
                trace.drop(self.where, f"outer packet of {20 + len(udp)} bytes has DF set and "
                           f"exceeds MTU {e.mtu} towards {ip_str(dst)}: dropped (df set)",
                           DropReason.PKT_TOO_BIG)

    def _pmtu_exceeded(self, skb: Skb, limit: int, trace: TraceNode | None) -> bool:
        """``skb_tunnel_check_pmtu``; True when the frame was consumed (ICMP sent back)."""
        frame = skb.data
        is_ip = frame[12:14] == ETH_P_IP and len(frame) >= 34
        if trace is not None:
            trace.add(self.where, f"inner packet of {len(frame) - 14} bytes exceeds the tunnel "
                      f"path MTU {limit} (path MTU - {self.headroom} bytes of encapsulation)",
                      EventKind.ROUTE)
        if not is_ip:
            return False
        inner_dst = int.from_bytes(frame[30:34], "big")
        if self.br_port is None:
            self.ns.stack.update_pmtu(inner_dst, limit, trace)
            return False
        if not frame[20] & 0x40 or limit < 576:
            return False  # no DF: sent anyway, the outer packet gets fragmented
        self._pmtud_icmp(frame, limit, trace)
        return True

    def _pmtud_icmp(self, frame: bytes, mtu: int, trace: TraceNode | None) -> None:
        """``iptunnel_pmtud_build_icmp``: the bridged sender hears "frag needed" from the
        inner destination, as if the tunnel's far side had said it."""
        try:
            inner, _ = Ipv4Header.parse(frame[14:])
        except ParseError:
            return
        msg = icmpw.IcmpMessage.dest_unreach(icmpw.ICMP_FRAG_NEEDED, frame[14:], mtu=mtu)
        ip = Ipv4Header(src=inner.dst, dst=inner.src, proto=IPPROTO_ICMP, ttl=64).emit(msg.emit())
        reply = frame[6:12] + frame[0:6] + ETH_P_IP + ip
        self.tx_dropped += 1
        t = None
        if trace is not None:
            trace.drop(self.where, f"DF set and {len(frame) - 14} bytes exceed the tunnel MTU "
                       f"{mtu}: ICMP frag needed (mtu {mtu}) back to {inner.src}",
                       DropReason.PKT_TOO_BIG)
            t = trace.branch(f"ICMP frag needed (mtu {mtu}) {inner.dst} -> {inner.src}",
                             probe=False)
        self.sched.after(1_000, self.netif_receive, Skb(reply, t))

    # -- receive -------------------------------------------------------------------------
    def encap_rcv(
        self, sock: TunnelSocket, src: IPv4Address, dst: IPv4Address, data: bytes,
        trace: TraceNode | None,
    ) -> None:  # pragma: no cover - per kind
        raise NotImplementedError

    def deliver_inner(self, inner: bytes, trace: TraceNode | None) -> None:
        if len(inner) < 14:
            self.rx_dropped += 1
            return
        self.sched.after(1_000, self.netif_receive, Skb(inner, trace))


LEARNED_AGEING = 300 * S
