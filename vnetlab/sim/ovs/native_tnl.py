"""Native tunnels of the userspace datapath (``tnl_push``/``tnl_pop``).

Design note
-----------
Mirrors ofproto/ofproto-dpif-xlate.c (``native_tunnel_output``, ``build_tunnel_send``,
``terminate_native_tunnel``), lib/ovs-router.c (the route table), lib/tnl-neigh-cache.c
(ARP snooping) and lib/netdev-native-tnl.c (the header a ``tnl_push`` prepends).

On a userspace datapath (``netdev``/``dummy``), output to a vxlan/geneve port looks the
tunnel destination up in OVS's own route table (``ovs/route/add`` entries, then the
namespace's routes and addresses: ``Cached``); the route's device must be a bridge's own
port (the bridge's own or another), else "native tunnel routing failed". The next hop's
MAC comes from the tunnel neighbour cache of that port's bridge; a miss drops the packet
and sends an ARP request into that bridge from the port. A hit emits ``tnl_push(...)`` and
translation goes on in that bridge as a packet entering on the port carrying the outer
headers, with wildcards that do not reach the megaflow (``native_tunnel_output``'s
temporary ``wc``).

Received: output to a bridge's LOCAL port of a UDP packet to one of that bridge's addresses
and MAC on a tunnel port's UDP port becomes ``tnl_pop(PORT)`` (``tnl_port_map_lookup``);
executing it decapsulates and the inner frame re-enters the datapath on the tunnel vport
with ``tun_id``/``tun_src``/``tun_dst`` (``tunnel.receive``). ARP replies output to LOCAL
are snooped into the neighbour cache (``tnl_arp_snoop``), as are the outer source of popped
tunnel packets. ``NATIVE_TUNNELS`` switches the whole path off (then every datapath uses
the kernel's ``set(tunnel(...))`` form). Not modelled: IPv6 underlays, GRE, pkt_mark routes,
neighbour ageing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vnetlab.sim.ovs import odp
from vnetlab.sim.ovs.oftrace import OFT_BRIDGE, OfTraceNode
from vnetlab.sim.sched.qdisc import dev_queue_xmit

if TYPE_CHECKING:
    from vnetlab.sim.ovs.bundle import XPort
    from vnetlab.sim.ovs.ofproto import Ofproto
    from vnetlab.sim.ovs.vswitchd import Vswitchd
    from vnetlab.sim.ovs.xlate import XlateCtx

#: the userspace datapath does tunnels natively (``ovs_native_tunneling_is_on``)
NATIVE_TUNNELS = True

OFPP_LOCAL = 0xFFFE
VPORT_TYPE = {"vxlan": 4, "geneve": 5}  # enum ovs_vport_type


def native_on(ofproto: Ofproto) -> bool:
    return NATIVE_TUNNELS and ofproto.dpif.dp_type != "system"


def _mask(plen: int) -> int:
    return (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0


@dataclass(frozen=True, slots=True)
class OvsRoute:
    """``struct ovs_router_entry``."""

    prefix: int
    plen: int
    dev: str
    gw: int
    src: int
    user: bool
    local: bool = False

    def format(self) -> str:
        s = (f"{'User' if self.user else 'Cached'}: {odp.ip_str(self.prefix)}/{self.plen}"
             f" dev {self.dev}")
        if self.gw:
            s += f" GW {odp.ip_str(self.gw)}"
        s += f" SRC {odp.ip_str(self.src)}"
        return s + (" local" if self.local else "")


def dev_addrs(vs: Vswitchd, dev: str) -> list[tuple[int, int]]:
    """The IPv4 addresses (address, prefix length) of DEV: ``netdev-dummy/ip4addr`` ones
    and, in a namespace, the device's own."""
    out = list(vs.dummy_ip4.get(dev, []))
    if vs.ns is not None:
        nd = vs.ns.devices.get(dev)
        if nd is not None:
            out += [(a.local, a.plen) for a in vs.ns.addrs.get(nd, [])]
    return out


def routes(vs: Vswitchd) -> list[OvsRoute]:
    """The route table ``ovs/route/show`` prints, in lookup order."""
    table: list[OvsRoute] = list(vs.ovs_routes)
    if vs.ns is not None:
        for nd, addrs in vs.ns.addrs.items():
            for a in addrs:
                table.append(OvsRoute(a.local, 32, nd.name, 0, a.local, False, True))
        for r in vs.ns.stack.fib.routes:
            src = r.prefsrc
            if src is None:
                addrs = vs.ns.addrs.get(r.dev, [])
                src = addrs[0].local if addrs else 0
            table.append(OvsRoute(r.dst, r.plen, r.dev.name, r.via or 0, src, False))
    for dev, dummy in vs.dummy_ip4.items():
        for ip, _plen in dummy:
            table.append(OvsRoute(ip, 32, dev, 0, ip, False, True))
    table.sort(key=lambda r: -r.plen)
    return table


def route_lookup(vs: Vswitchd, dst: int) -> OvsRoute | None:
    """``ovs_router_lookup``: the longest prefix that holds DST."""
    for r in routes(vs):
        if dst & _mask(r.plen) == r.prefix & _mask(r.plen):
            return r
    return None


def route_add(vs: Vswitchd, rest: list[str]) -> str:
    """``ovs/route/add IP/PLEN BRIDGE [GW]``: a ``User`` route."""
    from vnetlab.sim.ovs.appctl import AppctlError

    try:
        net = ipaddress.IPv4Interface(rest[0] if "/" in rest[0] else rest[0] + "/32")
        gw = int(ipaddress.IPv4Address(rest[2])) if len(rest) > 2 else 0
    except ValueError:
        raise AppctlError("Invalid parameters") from None
    prefix, plen = int(net.network.network_address), net.network.prefixlen
    # ovs_router_get_netdev_source_address: an address whose subnet holds the gateway
    # (else the prefix)
    target = gw or prefix
    src = next((ip for ip, n in dev_addrs(vs, rest[1])
                if ip & _mask(n) == target & _mask(n)), None)
    if src is None:
        raise AppctlError("Error while inserting route.")
    vs.ovs_routes = [r for r in vs.ovs_routes if (r.prefix, r.plen) != (prefix, plen)]
    vs.ovs_routes.append(OvsRoute(prefix, plen, rest[1], gw, src, True))
    return "OK\n"


def route_show(vs: Vswitchd, _rest: list[str]) -> str:
    return "Route Table:\n" + "".join(r.format() + "\n" for r in routes(vs))


def dummy_ip4addr(vs: Vswitchd, rest: list[str]) -> str:
    """``netdev-dummy/ip4addr DEV IP/PLEN``."""
    from vnetlab.sim.ovs.appctl import AppctlError

    try:
        net = ipaddress.IPv4Interface(rest[1])
    except ValueError:
        raise AppctlError("Invalid parameters") from None
    if vs.find_port(rest[0]) is None:
        raise AppctlError("Unknown Dummy Interface")
    vs.dummy_ip4.setdefault(rest[0], []).append((int(net.ip), net.network.prefixlen))
    return "OK\n"


def _out_dev(vs: Vswitchd, dev: str) -> tuple[Ofproto, XPort] | None:
    """``tnl_route_lookup_flow``: the route's device must be a port of a bridge (the
    bridge's own, or any other), else there is no native route."""
    for br in vs.bridges.values():
        for x in br.xports.values():
            if x.name == dev and x.odp_port is not None:
                return br, x
    return None


def native_tunnel_output(ctx: XlateCtx, xport: XPort, dst: int, src: int, tun_id: int,
                         key: bool, udp_dst: int) -> None:
    """``native_tunnel_output`` + ``build_tunnel_send``."""
    vs = ctx.ofproto.vswitchd
    if ctx.flow.get("dl_type", 0) == 0x0800:
        ctx.unwildcard("nw_tos", 0x03)  # tnl_port_send: the outer ECN follows the inner
    ctx.report_detail("output to native tunnel")
    route = route_lookup(vs, dst)
    found = None if route is None else _out_dev(vs, route.dev)
    if route is None or found is None:
        ctx.report_warn("native tunnel routing failed")
        return
    out_br, out_x = found
    ctx.report_detail(f"tunneling to {odp.ip_str(dst)} via {route.dev}")
    smac = (out_br.hwaddr if out_x.ofp_port == OFPP_LOCAL else 0) or out_x.hwaddr
    s_ip = src or route.src
    nh = route.gw or dst
    mac = vs.tnl_neigh.get((out_br.name, odp.ip_str(nh)))
    if mac is None:
        ctx.report_detail(f"neighbor cache miss for {odp.ip_str(nh)} on bridge "
                          f"{out_br.name}, sending ARP request")
        # (OVS sends it whatever the translation is for, ofproto/trace included)
        send_arp_request(vs, out_br, out_x, smac, s_ip, nh)
        return
    dmac = int(mac.replace(":", ""), 16)
    ctx.report_detail(f"tunneling from {odp.mac_str(smac)} {odp.ip_str(s_ip)} to "
                      f"{odp.mac_str(dmac)} {odp.ip_str(dst)}")
    ctx.commit()
    assert xport.odp_port is not None and out_x.odp_port is not None
    opts = xport.options
    ttl = int(opts.get("ttl", "64"))
    df = opts.get("df_default", "true") != "false"
    push = odp.TnlPush(xport.odp_port, xport.type, dmac, smac, s_ip, dst, ttl,
                       0x4000 if df else 0, udp_dst, tun_id,
                       out_x.odp_port)
    start = len(ctx.odp)
    ctx.odp.append(push)
    _continue_in(ctx, out_br, out_x, push)
    if not ctx.last_action:  # later actions must see the packet without the header
        ctx.odp[start:] = [odp.Clone(tuple(ctx.odp[start:]))]


def _continue_in(ctx: XlateCtx, br: Ofproto, x: XPort, push: odp.TnlPush) -> None:
    """Translate the encapsulated packet in the underlay bridge from its LOCAL port
    (the outer headers as the flow; wildcards kept out of the megaflow)."""
    from vnetlab.sim.ovs import xlate

    saved = (dict(ctx.flow), dict(ctx.base_flow), dict(ctx.wc), ctx.ofproto, ctx.trace,
             ctx.mirrors, ctx.table_id, ctx.packet)
    outer = {"in_port": x.ofp_port, "dl_src": push.smac, "dl_dst": push.dmac,
             "dl_type": 0x0800, "nw_src": push.src, "nw_dst": push.dst, "nw_proto": 17,
             "nw_ttl": push.ttl, "nw_tos": 0, "tp_src": 0, "tp_dst": push.udp_dst}
    ctx.flow = dict(outer)
    ctx.base_flow = dict(outer)
    ctx.ofproto = br
    ctx.mirrors = 0
    ctx.packet = None
    if ctx.trace is not None:
        node = OfTraceNode(OFT_BRIDGE, f'bridge("{br.name}")')
        ctx.trace.append(node)
        ctx.trace = node.subs
    ctx.table_action(x.ofp_port, 0)
    xlate.run_action_set(ctx)
    (flow, base, wc, ctx.ofproto, ctx.trace, ctx.mirrors, ctx.table_id,
     ctx.packet) = saved
    ctx.flow, ctx.base_flow, ctx.wc = flow, base, wc


def send_arp_request(vs: Vswitchd, br: Ofproto, x: XPort, smac: int, s_ip: int,
                     d_ip: int) -> None:
    """``tnl_send_arp_request``: a who-has from port X into its bridge (after the current
    packet, as OVS's packet-out is)."""
    from ipaddress import IPv4Address

    from vnetlab.sim.netdev import Skb
    from vnetlab.wire.arp import ArpPacket

    mac = smac.to_bytes(6, "big")
    frame = (b"\xff" * 6 + mac + b"\x08\x06"
             + ArpPacket.request(mac, IPv4Address(s_ip), IPv4Address(d_ip)).emit())
    dev = vs.internal.get(x.name)
    if dev is not None and vs.ns is not None:
        vs.ns.sched.after(0, lambda _a: dev_queue_xmit(dev, Skb(frame, None)))
        return
    # no device (tools, tests): the packet-out's translation, for its learning
    from vnetlab.sim.ovs import xlate

    flow = {"in_port": x.ofp_port, "dl_src": smac, "dl_dst": (1 << 48) - 1,
            "dl_type": 0x0806, "nw_proto": 1, "nw_src": s_ip, "nw_dst": d_ip,
            "arp_sha": smac, "arp_tha": 0}
    xlate.xlate_actions(br, flow, now=vs.now, side_effects=True, trace=None,
                        packet=frame)


def terminate(ctx: XlateCtx, xport: XPort) -> int | None:
    """``terminate_native_tunnel`` for output to LOCAL: the tunnel vport to pop, or
    None (after snooping an ARP reply to one of the bridge's addresses)."""
    flow, vs = ctx.flow, ctx.ofproto.vswitchd
    br = ctx.ofproto
    addrs = {ip for ip, _ in dev_addrs(vs, br.name)}
    dl_type = flow.get("dl_type", 0)
    if dl_type == 0x0806:
        ctx.unwildcard("nw_proto")
        # replies and gratuitous ARPs only (``tnl_arp_snoop``)
        garp = flow.get("nw_src", 0) == flow.get("nw_dst", 0)
        if (flow.get("nw_proto", 0) == 2 or garp) and flow.get("arp_sha", 0):
            ctx.unwildcard("arp_sha", (1 << 48) - 1)
            ctx.unwildcard("nw_src")
            if ctx.side_effects:
                vs.tnl_neigh.pop((br.name, odp.ip_str(flow.get("nw_src", 0))), None)
                vs.tnl_neigh[(br.name, odp.ip_str(flow.get("nw_src", 0)))] = \
                    odp.mac_str(flow["arp_sha"])
        return None
    if dl_type != 0x0800 or not addrs or not any(
            k[0] == br.dpif.dp_type for k in vs.tnl_dp_ports):
        return None  # an empty tnl-ports map: its lookup examines nothing
    ctx.unwildcard("dl_dst")
    if flow.get("dl_dst", 0) != (br.hwaddr or xport.hwaddr):
        return None
    # the classifier's stages of ``tnl_port_map_lookup``: the L3 fields go together
    ctx.unwildcard("nw_dst")
    ctx.unwildcard("nw_proto")
    if flow.get("nw_dst", 0) not in addrs or flow.get("nw_proto", 0) != 17:
        return None
    ctx.unwildcard("tp_dst")
    udp = flow.get("tp_dst", 0)
    port = next((k[1] for k, v in vs.tnl_dp_ports.items()
                 if k[0] == br.dpif.dp_type and v[1] == udp), None)
    if port is None:
        return None
    if ctx.side_effects:  # learn the remote endpoint's MAC from its tunnel packets
        ctx.unwildcard("dl_src")
        ctx.unwildcard("nw_src")
        ip = odp.ip_str(flow.get("nw_src", 0))
        vs.tnl_neigh.pop((br.name, ip), None)
        vs.tnl_neigh[(br.name, ip)] = odp.mac_str(flow.get("dl_src", 0))
    return port


def execute_pop(vs: Vswitchd, dp_type: str, port: int, frame: bytes, trace: Any) -> None:
    """``netdev_vxlan_pop_header`` etc.: strip Ethernet/IPv4/UDP and hand the payload to
    the tunnel vport's receive (which picks the OVS port by remote and key)."""
    from vnetlab.sim.ovs import tunnel

    kind, udp = vs.tnl_dp_ports.get((dp_type, port), ("", 0))
    l3 = odp._l3_offset(frame)
    if not kind or len(frame) < l3 + 28:
        return
    ihl = (frame[l3] & 0x0F) * 4
    src = int.from_bytes(frame[l3 + 12:l3 + 16], "big")
    dst = int.from_bytes(frame[l3 + 16:l3 + 20], "big")
    payload = frame[l3 + ihl + 8:]

    def go(_a: Any) -> None:
        tunnel.receive(vs, kind, udp, src, dst, payload, trace)

    if vs.ns is not None:
        vs.ns.sched.after(0, go)
    else:
        go(None)
