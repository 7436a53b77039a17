"""Geneve (drivers/net/geneve.c, RFC 8926): point to point, with option TLVs.

Design note
-----------
A Linux geneve netdev sends every frame to its one ``remote`` (no FDB, no learning);
the receiver demultiplexes by VNI on its port (6081) and requires the inner protocol to be
Transparent Ethernet Bridging (0x6558). The emulator lets a lab attach option TLVs to every
packet a device sends — what OVN sets through OVS in real deployments — so they can be
seen in traces and pcaps; a receiver reports them in the trace and ignores them, as the
netdev does.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Unpack

from vnetlab.model.spec import GeneveSpec
from vnetlab.sim.devices.udp_tunnel import TunnelArgs, TunnelSocket, UdpTunnelDevice
from vnetlab.sim.netdev import Skb
from vnetlab.sim.stack.addr import ip_int
from vnetlab.sim.trace import DropReason, EventKind, TraceNode
from vnetlab.wire.errors import ParseError
from vnetlab.wire.geneve import ETH_P_TEB, GENEVE_BASE_HEADROOM, GeneveHeader, GeneveOption
from vnetlab.wire.mac import mac_to_bytes

if TYPE_CHECKING:
    from vnetlab.sim.netdev import Lower
    from vnetlab.sim.stack.netns import Namespace


def describe_options(opts: tuple[GeneveOption, ...]) -> str:
    return ", ".join(
        f"class 0x{o.opt_class:04x} type 0x{o.type:02x}{' (critical)' if o.critical else ''} "
        f"data {o.data.hex() or '-'}"
        for o in opts
    )


class GeneveDevice(UdpTunnelDevice):
    kind = "geneve"
    __slots__ = ("options", "_hdr", "headroom")

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int, *,
                 options: tuple[GeneveOption, ...] = (), **kw: Unpack[TunnelArgs]) -> None:
        super().__init__(ns, name, mac, mtu, **kw)
        self.options = options
        self._hdr = GeneveHeader(self.vni, options=options)
        # the options are fixed for the device's life: its headroom is too
        self.headroom = GENEVE_BASE_HEADROOM + self._hdr.options_len

    def encap_header(self, frame: bytes) -> bytes:
        return self._hdr.emit(frame)

    def xmit(self, skb: Skb) -> None:
        trace = skb.trace
        if not self.admin_up or self.remote is None:
            self.tx_dropped += 1
            if trace is not None:
                trace.drop(self.where, "geneve device is down or has no remote",
                           DropReason.DEV_READY)
            return
        if trace is not None and self.options:
            trace.add(self.where, f"geneve options: {describe_options(self.options)}",
                      EventKind.ENCAP)
        self.xmit_one(skb, self.remote, trace)

    def encap_rcv(
        self, sock: TunnelSocket, src: IPv4Address, dst: IPv4Address, data: bytes,
        trace: TraceNode | None,
    ) -> None:
        where = f"{sock.ns.name}:udp/{sock.port}"
        try:
            hdr, inner = GeneveHeader.parse(data)
        except ParseError as e:
            if trace is not None:
                trace.drop(where, f"malformed Geneve: {e}", DropReason.PKT_TOO_SMALL)
            return
        dev = sock.devices.get(hdr.vni)
        if not isinstance(dev, GeneveDevice) or hdr.protocol != ETH_P_TEB:
            if trace is not None:
                trace.drop(where, f"no geneve device for VNI {hdr.vni} (protocol "
                           f"0x{hdr.protocol:04x}) on port {sock.port}",
                           DropReason.GENEVE_VNI_NOT_FOUND)
            return
        if not dev.admin_up:
            dev.rx_dropped += 1
            if trace is not None:
                trace.drop(dev.where, "geneve device is down", DropReason.DEV_READY)
            return
        if trace is not None:
            opts = f"; options: {describe_options(hdr.options)}" if hdr.options else ""
            trace.add(dev.where, f"decap vni {hdr.vni} from {src}{opts}", EventKind.DECAP)
        dev.deliver_inner(inner, trace)


def newlink(ns: Namespace, name: str, spec: GeneveSpec, lower: Lower) -> GeneveDevice:
    """``geneve_newlink`` (``geneve_nl2info``); the lab's option TLVs go on every packet."""
    opts = tuple(GeneveOption(o.opt_class, o.type, bytes.fromhex(o.data)) for o in spec.options)
    return GeneveDevice(
        ns, name, mac_to_bytes(spec.mac or ""), spec.mtu or 1500, options=opts,
        vni=spec.id, dstport=spec.dstport,
        remote=ip_int(spec.remote) if spec.remote is not None else None,
        local=None, lower=None, ttl=spec.ttl, df=spec.df,
    )
