"""The NORMAL action: a learning L2 switch with VLANs and mirrors (``xlate_normal``).

Design note
-----------
Mirrors ``xlate_normal``, ``output_normal``, ``xlate_normal_flood`` and ``mirror_packet``
of ofproto/ofproto-dpif-xlate.c with lib/mac-learning.c (``mac_learning.py``). In order:
un-wildcard the MACs and the VLAN; drop on a mirror output port, a partial VLAN tag, a VID
the input port does not admit (``input_vid_is_valid``, OVS's words), or a reserved
01:80:c2:00:00:0x destination unless ``forward-bpdu``; learn the source in its VLAN (with
side effects only: real packets and ``-generate``; every datapath hit of the flow refreshes
it again, as the xlate cache does); forward to the learned port or flood to every
floodable bundle carrying the VLAN except the input one and mirror outputs. Each output
translates the VLAN for the port (access: untagged, native-untagged: untagged in the native
VLAN) and applies the mirrors selecting that port as a destination. Multicast snooping is
off (the OVS default), so multicast floods like broadcast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.ovs.bundle import XBundle
from vnetlab.sim.ovs.odp import mac_str
from vnetlab.sim.ovs.xlate import ETH_TYPE_ARP, VLAN_CFI

if TYPE_CHECKING:
    from vnetlab.sim.ovs.xlate import XlateCtx

#: 01:80:c2:00:00:00 .. 01:80:c2:00:00:0f (``eth_addr_is_reserved`` also covers a few
#: Cisco groups, which this emulator leaves out)
_RESERVED_BASE = 0x0180C2000000


def eth_addr_is_reserved(mac: int) -> bool:
    return (mac & ~0xF) == _RESERVED_BASE


def _vid(flow: dict[str, int]) -> int:
    tci = flow.get("vlan_tci", 0)
    return tci & 0x0FFF if tci & VLAN_CFI else 0


def output_normal(ctx: XlateCtx, out: XBundle, vlan: int) -> None:
    """``output_normal``: send in VLAN (the bridge-internal one) out of bundle OUT."""
    if not out.ofports:
        return
    vid = out.output_translate(vlan)
    old = ctx.flow.get("vlan_tci", 0)
    pcp = old & 0xE000 if old & VLAN_CFI else 0
    ctx.flow["vlan_tci"] = (pcp | VLAN_CFI | vid) if vid else 0
    ctx.compose_output(out.ofports[0])
    ctx.flow["vlan_tci"] = old


def is_gratuitous_arp(ctx: XlateCtx) -> bool:
    """``is_gratuitous_arp`` (un-wildcards what it reads)."""
    flow = ctx.flow
    if flow.get("dl_type", 0) != ETH_TYPE_ARP:
        return False
    ctx.unwildcard("dl_dst")
    if flow.get("dl_dst", 0) != 0xFFFFFFFFFFFF:
        return False
    ctx.unwildcard("nw_proto")
    op = flow.get("nw_proto", 0)
    if op == 2:
        return True
    if op == 1:
        ctx.unwildcard("nw_src")
        ctx.unwildcard("nw_dst")
        return flow.get("nw_src", 0) == flow.get("nw_dst", 0)
    return False


def xlate_normal_flood(ctx: XlateCtx, in_bundle: XBundle, vlan: int) -> None:
    """``xlate_normal_flood``."""
    mb = ctx.ofproto.mbridge
    for b in ctx.ofproto.bundles_in_order():
        if (b is not in_bundle and b.includes_vlan(vlan) and b.floodable
                and not mb.bundle_out(b.name)):
            output_normal(ctx, b, vlan)


def xlate_normal(ctx: XlateCtx) -> None:
    """``xlate_normal``."""
    flow = ctx.flow
    ofproto = ctx.ofproto
    ctx.unwildcard("dl_src")
    ctx.unwildcard("dl_dst")
    ctx.unwildcard("vlan_tci", 0x0FFF | VLAN_CFI)
    xport = ofproto.xports.get(flow.get("in_port", 0))
    in_bundle = xport.bundle if xport is not None else None
    if in_bundle is None:
        ctx.report_warn("no input bundle, dropping")
        return
    if ofproto.mbridge.bundle_out(in_bundle.name):
        if ctx.packet is not None:
            ctx.report_error(f"dropping packet received on port {in_bundle.name}, "
                             "which is reserved exclusively for mirroring")
        ctx.report_warn("input port is mirror output port, dropping")
        return
    vid = _vid(flow)
    why = in_bundle.input_vid_is_valid(vid)
    if why is not None:
        ctx.report_error(why)
        ctx.report_warn("disallowed VLAN VID for this input port, dropping")
        return
    vlan = in_bundle.input_translate(vid)
    dl_dst = flow.get("dl_dst", 0)
    if not ofproto.forward_bpdu and eth_addr_is_reserved(dl_dst):
        ctx.report_detail("packet has reserved destination MAC, dropping")
        return
    grat = is_gratuitous_arp(ctx)
    dl_src = flow.get("dl_src", 0)
    ml = ofproto.ml
    if ctx.side_effects:
        if ml.update(dl_src, vlan, in_bundle.name, ctx.now):
            ctx.report_detail(f"learned that {mac_str(dl_src)} is on port "
                              f"{in_bundle.name} in VLAN {vlan}")
    name = in_bundle.name

    def refresh(_n: int, now: float, mac: int = dl_src, v: int = vlan) -> None:
        ml.update(mac, v, name, now)

    ctx.xcache.append(refresh)
    del grat
    entry = ml.lookup(dl_dst, vlan)
    if entry is None:
        ctx.report_detail("no learned MAC for destination, flooding")
        xlate_normal_flood(ctx, in_bundle, vlan)
        return
    out = ofproto.bundles.get(entry.port)
    if out is not None and ofproto.mbridge.bundle_out(out.name):
        ctx.report_warn("learned port is a mirror port, dropping")
        return
    if out is None:
        ctx.report_warn("learned port is unknown, dropping")
    elif out is in_bundle:
        ctx.report_detail("learned port is input port, dropping")
    else:
        ctx.report_detail("forwarding to learned port")
        output_normal(ctx, out, vlan)


def mirror_packet(ctx: XlateCtx, bundle_name: str, mirrors: int) -> None:
    """``mirror_packet``: copy to every mirror in MIRRORS not yet served."""
    ofproto = ctx.ofproto
    bundle = ofproto.bundles.get(bundle_name)
    if bundle is None:
        return
    vid = _vid(ctx.flow)
    if bundle.input_vid_is_valid(vid) is not None:
        return
    vlan = bundle.input_translate(vid)
    mirrors &= ~ctx.mirrors
    mb = ofproto.mbridge
    while mirrors:
        low = mirrors & -mirrors
        m = mb.get(low.bit_length() - 1)
        if m is None:
            mirrors &= ~low
            continue
        if m.vlans is not None:
            ctx.unwildcard("vlan_tci", 0x0FFF | VLAN_CFI)
            if vlan not in m.vlans:
                mirrors &= ~low
                continue
        ctx.mirrors |= m.dup_mirrors
        mirror = m

        def count(n: int, _now: float, mirror: object = mirror) -> None:
            mirror.n_packets += 1  # type: ignore[attr-defined]
            mirror.n_bytes += n  # type: ignore[attr-defined]

        ctx.xcache.append(count)
        if m.out is not None:
            out = ofproto.bundles.get(m.out)
            if out is not None:
                output_normal(ctx, out, vlan)
        elif vlan != m.out_vlan and not eth_addr_is_reserved(ctx.flow.get("dl_dst", 0)):
            for b in ofproto.bundles_in_order():
                if b.includes_vlan(m.out_vlan) and not mb.bundle_out(b.name):
                    output_normal(ctx, b, m.out_vlan)
        mirrors &= ~ctx.mirrors
