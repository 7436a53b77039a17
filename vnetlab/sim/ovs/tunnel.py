"""VXLAN and Geneve ports of the emulated OVS (ofproto/tunnel.c, the tunnel vports).

Design note
-----------
Output (``tnl_port_send``): the port's options give the outer addresses and the key —
``remote_ip``/``local_ip`` fixed or ``flow`` (taken from ``tun_dst``/``tun_src`` the
pipeline set), ``key`` a number or ``flow`` (``tun_id``, set by ``set_tunnel``). The
translation emits ``set(tunnel(...))`` and an output to the tunnel vport
(``vxlan_sys_4789``) on the kernel datapath: the vport builds real outer headers
(VXLAN/Geneve + UDP) and hands the packet to the namespace's IPv4 stack, which routes it
and resolves the next hop. The userspace datapath pushes the outer headers itself
(``tnl_push`` through the bridge that owns the underlay route): ``native_tnl.py``.

Input (``tnl_port_receive``): one UDP socket per destination port in the namespace; the
outer source, destination and VNI pick the OVS port (exact remote_ip before ``flow``, a
matching key before ``key=flow``), and the inner frame enters the datapath on the vport
with ``tun_id``/``tun_src``/``tun_dst`` in its flow key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vnetlab.sim.devices.udp_tunnel import flow_src_port
from vnetlab.sim.ovs import odp
from vnetlab.sim.trace import DropReason, EventKind
from vnetlab.wire.errors import ParseError
from vnetlab.wire.geneve import GeneveHeader
from vnetlab.wire.udp import UdpHeader
from vnetlab.wire.vxlan import VxlanHeader

if TYPE_CHECKING:
    from ipaddress import IPv4Address

    from vnetlab.sim.ovs.bundle import XPort
    from vnetlab.sim.ovs.dpif import Dpif, DpPort
    from vnetlab.sim.ovs.ofproto import Ofproto
    from vnetlab.sim.ovs.vswitchd import Vswitchd
    from vnetlab.sim.ovs.xlate import XlateCtx

DEFAULT_PORTS = {"vxlan": 4789, "geneve": 6081}
IPPROTO_UDP = 17


def _ip(text: str) -> int:
    a = [int(x) for x in text.split(".")]
    return (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]


def dst_port(x: XPort) -> int:
    return int(x.options.get("dst_port", DEFAULT_PORTS.get(x.type, 4789)))


def tunnel_output(ctx: XlateCtx, xport: XPort) -> odp.Output | None:
    """``tnl_port_send`` + the kernel-style ``commit_odp_tunnel_action``."""
    opts = xport.options
    flow = ctx.flow
    remote = opts.get("remote_ip", "")
    if remote == "flow":
        dst = flow.get("tun_dst", 0)
        ctx.unwildcard("tun_dst")
    else:
        dst = _ip(remote) if remote else 0
    local = opts.get("local_ip", "")
    src = flow.get("tun_src", 0) if local == "flow" else _ip(local) if local else 0
    key = opts.get("out_key", opts.get("key", ""))
    tun_id = flow.get("tun_id", 0) if key == "flow" else int(key, 0) if key else 0
    if not dst or xport.odp_port is None:
        ctx.report_warn("Tunneling decided against output")
        return None
    from vnetlab.sim.ovs import native_tnl

    if native_tnl.native_on(ctx.ofproto):
        native_tnl.native_tunnel_output(ctx, xport, dst, src, tun_id, bool(key),
                                        dst_port(xport))
        return None
    ctx.report_detail("output to kernel tunnel")
    ctx.commit()
    flags = "df|key" if key else "df"
    ctx.odp.append(odp.SetTunnel(tun_id, src, dst, int(opts.get("ttl", "64")),
                                 dst_port(xport), flags))
    out = odp.Output(xport.odp_port)
    ctx.odp.append(out)
    return out


def send(vs: Vswitchd, dpif: Dpif, port: DpPort, frame: bytes,
         tunnel: odp.SetTunnel | None, trace: Any) -> None:
    """The tunnel vport transmits: outer headers, then the namespace's IP output."""
    del dpif
    if vs.ns is None or tunnel is None:
        return
    if port.type == "geneve":
        payload = GeneveHeader(tunnel.tun_id).emit(frame)
    else:
        payload = VxlanHeader(tunnel.tun_id & 0xFFFFFF).emit(frame)
    udp = UdpHeader(flow_src_port(frame), tunnel.tp_dst).emit(payload)
    if trace is not None:
        trace.add(f"{vs.ns.name}:{port.name}",
                  f"encap {port.type} vni {tunnel.tun_id} -> {odp.ip_str(tunnel.dst)}:"
                  f"{tunnel.tp_dst}", EventKind.ENCAP)
    from vnetlab.sim.stack.ipv4 import MessageTooLong, NoRoute

    try:
        vs.ns.stack.ip_output(tunnel.dst, IPPROTO_UDP, udp, trace, src=tunnel.src or None,
                              ttl=tunnel.ttl, pmtudisc="do" if "df" in tunnel.flags else "dont")
    except (NoRoute, MessageTooLong) as e:
        if trace is not None:
            trace.drop(f"{vs.ns.name}:{port.name}", f"tunnel output failed: {e}",
                       DropReason.IP_OUTNOROUTES)


def open_socket(vs: Vswitchd, kind: str, port: int) -> None:
    """The vport's UDP socket (``udp_sock_create``), once per destination port."""
    if vs.ns is None:
        return
    stack = vs.ns.stack
    if port in stack.udp_sockets:
        return

    def rcv(src: IPv4Address, _sport: int, dst: IPv4Address, data: bytes, trace: Any) -> None:
        receive(vs, kind, port, int(src), int(dst), data, trace)

    stack.udp_sockets[port] = rcv


def receive(vs: Vswitchd, kind: str, port: int, src: int, dst: int, data: bytes,
            trace: Any) -> None:
    """Decapsulate and hand the inner frame to the datapath on the tunnel vport."""
    try:
        if kind == "geneve":
            g, inner = GeneveHeader.parse(data)
            vni = g.vni
        else:
            v, inner = VxlanHeader.parse(data)
            vni = v.vni
    except ParseError:
        return
    found = tnl_port_receive(vs, kind, port, src, dst, vni)
    if found is None:
        if trace is not None:
            trace.drop(f"{vs.ns.name if vs.ns else 'ovs'}:{kind}_sys_{port}",
                       f"no OVS {kind} port for {odp.ip_str(src)} vni {vni}",
                       DropReason.NO_SOCKET)
        return
    br, x = found
    if trace is not None:
        trace.add(f"{vs.ns.name if vs.ns else 'ovs'}:{x.name}",
                  f"decap {kind} vni {vni} from {odp.ip_str(src)}", EventKind.DECAP)
    assert x.odp_port is not None
    tun = {"tun_id": vni, "tun_src": src, "tun_dst": dst}
    from vnetlab.sim.netdev import Skb

    vs.dp_input(br.dpif, x.odp_port, Skb(inner, trace), tun)


def tnl_port_receive(vs: Vswitchd, kind: str, port: int, src: int, dst: int,
                     vni: int) -> tuple[Ofproto, XPort] | None:
    """``tnl_find``: the most specific OVS port matching the outer headers."""
    best: tuple[int, Ofproto, XPort] | None = None
    for br in vs.bridges.values():
        for x in br.xports.values():
            if x.type != kind or dst_port(x) != port:
                continue
            o = x.options
            remote, local = o.get("remote_ip", ""), o.get("local_ip", "")
            key = o.get("in_key", o.get("key", ""))
            if remote not in ("flow", "") and _ip(remote) != src:
                continue
            if local not in ("flow", "") and _ip(local) != dst:
                continue
            if key not in ("flow", "") and int(key, 0) != vni:
                continue
            if key == "" and vni != 0:
                continue
            score = (2 if remote not in ("flow", "") else 0) + (1 if key != "flow" else 0)
            if best is None or score > best[0]:
                best = (score, br, x)
    return None if best is None else (best[1], best[2])
