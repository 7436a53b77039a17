"""Translation: a flow through a bridge's OpenFlow pipeline -> datapath actions + megaflow.

Design note
-----------
Mirrors ofproto/ofproto-dpif-xlate.c. ``XlateCtx`` is ``struct xlate_ctx``: the flow being
translated (changed by set actions), ``base_flow`` (what the datapath packet looks like so
far; ``commit`` emits set/push/pop actions for the difference before every output, as
``commit_odp_actions``), the wildcards ``wc`` (every field a lookup or an action examined,
OR-ed in; they become the megaflow mask), the datapath actions, the trace node list being
written, and the resubmit depth/count with OVS's limits (64 deep, 4096 resubmits).

What stays in this module: the ctx, output (``compose_output_action__`` incl. patch ports
and mirrors), flooding, commit, the table lookup (``xlate_table_action``) and the entry
point. OpenFlow actions are translated by ``actions.py``; NORMAL by ``normal.py``; tunnels
by ``tunnel.py`` (``set(tunnel(...))`` on the kernel datapath) and ``native_tnl.py``
(``tnl_push``/``tnl_pop`` on the userspace one). Not modelled: bonds, STP/RSTP port
states, CFM/BFD/LACP, conntrack, recirculation (but ``tnl_pop``'s), MPLS, NSH, IPv6
rewrites; FLOOD/ALL list ports in OpenFlow order where OVS uses its hash-map order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vnetlab.sim.ovs import odp
from vnetlab.sim.ovs.oftrace import (
    OFT_ACTION,
    OFT_BRIDGE,
    OFT_DETAIL,
    OFT_ERROR,
    OFT_TABLE,
    OFT_WARN,
    OfTraceNode,
)

if TYPE_CHECKING:
    from vnetlab.sim.ovs.bundle import XPort
    from vnetlab.sim.ovs.ofproto import Ofproto

OFPP_MAX = 0xFF00
OFPP_IN_PORT = 0xFFF8
OFPP_TABLE = 0xFFF9
OFPP_NORMAL = 0xFFFA
OFPP_FLOOD = 0xFFFB
OFPP_ALL = 0xFFFC
OFPP_CONTROLLER = 0xFFFD
OFPP_LOCAL = 0xFFFE
OFPP_NONE = 0xFFFF

MAX_DEPTH = 64  # xlate_resubmit_resource_check: MAX_DEPTH
MAX_RESUBMITS = MAX_DEPTH * MAX_DEPTH  # 4096

VLAN_CFI = 0x1000
ETH_TYPE_IP = 0x0800
ETH_TYPE_ARP = 0x0806

FULL: dict[str, int] = {
    "in_port": 0xFFFF, "dl_src": (1 << 48) - 1, "dl_dst": (1 << 48) - 1, "dl_type": 0xFFFF,
    "vlan_tci": 0xFFFF, "nw_src": 0xFFFFFFFF, "nw_dst": 0xFFFFFFFF, "nw_proto": 0xFF,
    "nw_tos": 0xFF, "nw_ttl": 0xFF, "nw_frag": 0x03, "tp_src": 0xFFFF, "tp_dst": 0xFFFF,
    "tun_id": (1 << 64) - 1, "tun_src": 0xFFFFFFFF, "tun_dst": 0xFFFFFFFF,
}

#: fields that are metadata, never part of a datapath flow (flow_wildcards_clear_non_packet_fields)
NON_PACKET = frozenset({"metadata", *(f"reg{i}" for i in range(16)), "actset_output"})

XLATE_OK = None


def is_ip(flow: dict[str, int]) -> bool:
    return flow.get("dl_type", 0) == ETH_TYPE_IP


class XlateCtx:
    """``struct xlate_ctx`` (with the parts of ``xlate_in``/``xlate_out`` it needs)."""

    def __init__(self, ofproto: Ofproto, flow: dict[str, int], *, now: float,
                 side_effects: bool, trace: list[OfTraceNode] | None) -> None:
        self.ofproto = ofproto
        self.flow = dict(flow)
        self.base_flow = dict(flow)
        self.upcall_flow = dict(flow)
        self.wc: dict[str, int] = {}
        self.odp: list[odp.OdpAction] = []
        self.trace = trace
        self.now = now
        self.side_effects = side_effects
        self.depth = 0
        self.resubmits = 0
        self.mirrors = 0
        self.error: str | None = None
        self.exit = False
        self.table_id = 0
        self.rule: Any = None
        self.action_set: list[Any] = []
        #: side effects a datapath hit repeats (``xlate_cache``): fn(n_bytes, now)
        self.xcache: list[Callable[[int, float], None]] = []
        #: the packet (``-generate`` or a real one): learning and controller side effects
        self.packet: bytes | None = None
        self.userspace_outputs = 0
        #: ``xout->slow``: an action the datapath cannot do (SLOW_ACTION)
        self.slow = False
        #: ``is_last_action``: no datapath action can follow (a tnl_push needs no clone)
        self.last_action = True

    # -- wildcards ----------------------------------------------------------------------
    def unwildcard(self, field: str, mask: int | None = None) -> None:
        m = FULL.get(field, (1 << 64) - 1) if mask is None else mask
        self.wc[field] = self.wc.get(field, 0) | m

    # -- reporting (xlate_report*) --------------------------------------------------------
    def report(self, type_: str, text: str) -> list[OfTraceNode] | None:
        if self.trace is None:
            return None
        node = OfTraceNode(type_, text)
        self.trace.append(node)
        return node.subs

    def report_error(self, text: str) -> None:
        self.report(OFT_ERROR, text)

    def report_detail(self, text: str) -> None:
        self.report(OFT_DETAIL, text)

    def report_warn(self, text: str) -> None:
        self.report(OFT_WARN, text)

    def report_action(self, text: str) -> None:
        self.report(OFT_ACTION, text)

    # -- commit (commit_odp_actions) ------------------------------------------------------
    def commit(self) -> None:
        """Emit the datapath set/push/pop actions that make the packet look like ``flow``,
        in ``commit_odp_actions``' order: Ethernet, the L3 header (IPv4 or ARP), TCP/UDP
        ports, ICMP type/code, then VLAN. ARP and ICMP rewrites are ``SLOW_ACTION``."""
        flow, base, wc = self.flow, self.base_flow, self.wc
        self._commit_set("eth", odp.ETH_FIELDS)
        proto = flow.get("nw_proto", 0)
        dl_type = base.get("dl_type", 0)
        if proto and dl_type == ETH_TYPE_IP:
            # ``ipv4_proto``/``ipv4_frag`` are not writable: never a whole-key set
            self._commit_set("ipv4", odp.IPV4_FIELDS, exact_possible=False)
        elif proto and dl_type == ETH_TYPE_ARP:
            if self._commit_set("arp", odp.ARP_FIELDS):
                self.slow = True
        if proto in (6, 17) and dl_type == ETH_TYPE_IP:
            self._commit_set("tcp" if proto == 6 else "udp", odp.L4_FIELDS)
        if proto == 1 and flow.get("dl_type", 0) == ETH_TYPE_IP:
            if self._commit_set("icmp", odp.ICMP_FIELDS, use_masked=False):
                self.slow = True
        old = base.get("vlan_tci", 0)
        new = flow.get("vlan_tci", 0)
        if old != new:
            if old & VLAN_CFI:
                self.odp.append(odp.PopVlan())
                wc["vlan_tci"] = 0xFFFF
            if new & VLAN_CFI:
                self.odp.append(odp.PushVlan(new & 0x0FFF, new >> 13))
            base["vlan_tci"] = new

    def _commit_set(self, header: str, fields: tuple[tuple[str, str, int], ...], *,
                    use_masked: bool = True, exact_possible: bool = True) -> bool:
        """``commit()``: when a field differs from the base flow, a set of the header.
        ``keycmp_mask`` keeps the wildcard bits of the fields that differ; if those cover
        the whole key (``odp_mask_is_exact``) or masked sets are off, it is a plain set of
        every field (and then every field is exact in the megaflow), else a masked set
        of the differing fields (a partial mask prints /MASK)."""
        flow, base, wc = self.flow, self.base_flow, self.wc
        mask: dict[str, int] = {}
        for dpname, member, full in fields:
            if flow.get(member, 0) != base.get(member, 0):
                mask[dpname] = wc.get(member, 0) & full
        if not mask:
            return False
        fully = exact_possible and all(
            mask.get(dp, 0) == full for dp, _, full in fields)
        if use_masked and not fully:
            values = tuple((dp, flow.get(member, 0) & mask[dp])
                           for dp, member, _ in fields if mask.get(dp))
            partial = tuple((dp, mask[dp]) for dp, _, full in fields
                            if mask.get(dp) and mask[dp] != full)
            action = odp.SetFields(header, values, partial)
        else:
            for _, member, full in fields:
                wc[member] = wc.get(member, 0) | full
            action = odp.SetFields(header, tuple((dp, flow.get(member, 0))
                                                 for dp, member, _ in fields))
        for _, member, _ in fields:
            base[member] = flow.get(member, 0)
        if action.values or not use_masked:
            self.odp.append(action)
        return True

    # -- output (compose_output_action__, xlate_output_action) -------------------------------
    def output(self, port: int, *, max_len: int = 0) -> None:
        """``xlate_output_action``."""
        from vnetlab.sim.ovs import normal

        in_port = self.flow.get("in_port", 0)
        if port == OFPP_IN_PORT:
            self.compose_output(in_port)
        elif port == OFPP_TABLE:
            self.table_action(in_port, 0)
        elif port == OFPP_NORMAL:
            was_last, self.last_action = self.last_action, False  # output_normal: never last
            normal.xlate_normal(self)
            self.last_action = was_last
        elif port == OFPP_FLOOD:
            self.flood(False)
        elif port == OFPP_ALL:
            self.flood(True)
        elif port == OFPP_CONTROLLER:
            self.controller(max_len or 65535)
        elif port == OFPP_NONE:
            pass
        elif port != in_port:
            self.compose_output(port)
        else:
            self.report(OFT_WARN, "skipping output to input port")

    def flood(self, all_ports: bool) -> None:
        """``flood_packets``: every port but the input one (FLOOD also skips
        OFPPC_NO_FLOOD ports, which this emulator never sets). OVS walks its ports in
        hash-map order; here they go in OpenFlow port order, so the *order* of FLOOD/ALL
        outputs in the datapath actions may differ from real OVS (the set does not)."""
        in_port = self.flow.get("in_port", 0)
        was_last, self.last_action = self.last_action, False
        for ofp_port in sorted(self.ofproto.xports):
            if ofp_port != in_port:
                self.compose_output(ofp_port)
        self.last_action = was_last

    def controller(self, max_len: int, reason: int = 1) -> None:
        """``execute_controller_action``: no controller is ever connected; the packet-in is
        counted and dropped (the datapath action is still the userspace one OVS emits)."""
        self.commit()
        self.userspace_outputs += 1
        cookie = self.rule.cookie if self.rule is not None else 0
        ctext = f"{cookie:#x}" if cookie else "0"  # C's %#x prints 0 as "0"
        self.odp.append(odp.Userspace(
            f"pid=0,controller(reason={reason},dont_send=1,continuation=0,recirc_id="
            f"{self.ofproto.next_recirc_id()},rule_cookie={ctext},controller_id=0,"
            f"max_len={max_len})"))

    def compose_output(self, ofp_port: int) -> None:
        """``compose_output_action__``."""
        xport = self.ofproto.xports.get(ofp_port)
        if xport is None:
            self.report_warn("Nonexistent output port")
            return
        if xport.peer is not None:
            self.patch_port_output(xport)
            return
        saved_vlan = self.flow.get("vlan_tci", 0)
        saved_tos = self.flow.get("nw_tos", 0)
        saved_src, saved_dst = self.flow.get("dl_src", 0), self.flow.get("dl_dst", 0)
        if xport.is_tunnel:
            from vnetlab.sim.ovs import tunnel

            out = tunnel.tunnel_output(self, xport)
            if out is None:
                self._restore(saved_vlan, saved_tos, saved_src, saved_dst)
                return
        elif xport.odp_port is not None:
            self.commit()
            pop = None
            if ofp_port == OFPP_LOCAL:
                from vnetlab.sim.ovs import native_tnl

                if native_tnl.native_on(self.ofproto):
                    pop = native_tnl.terminate(self, xport)
            self.odp.append(odp.Output(xport.odp_port) if pop is None else odp.TnlPop(pop))
        if self.ofproto.mbridge.has_mirrors() and xport.bundle is not None:
            from vnetlab.sim.ovs import normal

            normal.mirror_packet(self, xport.bundle.name,
                                 self.ofproto.mbridge.bundle_dst(xport.bundle.name))
        self._restore(saved_vlan, saved_tos, saved_src, saved_dst)

    def _restore(self, vlan: int, tos: int, src: int, dst: int) -> None:
        self.flow["vlan_tci"] = vlan
        self.flow["nw_tos"] = tos
        self.flow["dl_src"] = src
        self.flow["dl_dst"] = dst

    def patch_port_output(self, xport: XPort) -> None:
        """``patch_port_output``: continue in the peer bridge with fresh metadata."""
        peer = self.ofproto.vswitchd.find_port(xport.peer or "")
        if peer is None:
            self.report_warn("Nonexistent output port")
            return
        peer_bridge, peer_xport = peer
        old_flow = dict(self.flow)
        old_ofproto = self.ofproto
        old_trace = self.trace
        old_mirrors = self.mirrors
        old_table = self.table_id
        for k in list(self.flow):
            if k.startswith("reg") or k in ("metadata", "actset_output"):
                del self.flow[k]
        self.flow["in_port"] = peer_xport.ofp_port
        self.ofproto = peer_bridge
        self.mirrors = 0
        if self.trace is not None:
            node = OfTraceNode(OFT_BRIDGE, f'bridge("{peer_bridge.name}")')
            self.trace.append(node)
            self.trace = node.subs
        self.table_action(peer_xport.ofp_port, 0)
        run_action_set(self)
        self.flow = old_flow
        self.ofproto = old_ofproto
        self.trace = old_trace
        self.mirrors = old_mirrors
        self.table_id = old_table

    # -- tables (xlate_table_action) ------------------------------------------------------
    def resource_check(self) -> bool:
        """``xlate_resubmit_resource_check``."""
        if self.depth >= MAX_DEPTH:
            self.report_error(f"over max translation depth {MAX_DEPTH}")
            self.error = "Recursion too deep"
            return False
        if self.resubmits >= MAX_RESUBMITS:
            self.report_error(f"over {MAX_RESUBMITS} resubmit actions")
            self.error = "Too many resubmits"
            return False
        return True

    def table_action(self, in_port: int, table_id: int, *, deepens: bool = True) -> None:
        """``xlate_table_action``: look the flow up in TABLE_ID (as if it came in on
        IN_PORT) and translate the rule's actions, one level deeper."""
        from vnetlab.sim.ovs import actions

        if not self.resource_check():
            return
        old_in_port = self.flow.get("in_port", 0)
        old_table = self.table_id
        self.flow["in_port"] = in_port
        self.table_id = table_id
        rule = self.ofproto.rule_lookup(self, table_id)
        self.flow["in_port"] = old_in_port
        saved_trace = self.trace
        self.report_table(rule, table_id)
        deepens = deepens and table_id <= old_table
        if rule is not None:
            old_rule = self.rule
            self.resubmits += 1
            self.depth += 1 if deepens else 0
            self.rule = rule
            actions.do_xlate_actions(self, rule.actions)
            self.rule = old_rule
            self.depth -= 1 if deepens else 0
        else:
            self.report_action("drop")  # the no_packet_in_rule: no controller asks
        self.trace = saved_trace
        self.table_id = old_table

    def report_table(self, rule: Any, table_id: int) -> None:
        """``xlate_report_table``: a table node that the actions nest under."""
        if self.trace is None:
            return
        text = f"{table_id:2d}. "
        if rule is None:
            text += self.ofproto.miss_text()
        else:
            m = rule.match.format()
            text += m + (", " if m else "") + f"priority {rule.priority}"
            if rule.cookie:
                text += f", cookie {rule.cookie:#x}"
        node = OfTraceNode(OFT_TABLE, text)
        self.trace.append(node)
        self.trace = node.subs

    def finish_wc(self) -> dict[str, int]:
        """``xlate_wc_finish``: the mask a datapath flow can carry."""
        wc = {f: m for f, m in self.wc.items() if m and f not in NON_PACKET}
        up = self.upcall_flow
        if up.get("nw_proto") == 1 and is_ip(up):
            for f in ("tp_src", "tp_dst"):
                if f in wc:
                    wc[f] &= 0xFF
        if wc.get("vlan_tci"):
            wc["vlan_tci"] |= VLAN_CFI
        if not up.get("vlan_tci", 0) & VLAN_CFI:
            wc.pop("vlan_tci", None)
        if not up.get("tun_dst", 0):
            for f in [f for f in wc if f.startswith("tun_")]:
                del wc[f]
        return {f: m for f, m in wc.items() if m}


def xlate_wc_init(ctx: XlateCtx) -> None:
    """``xlate_wc_init``: fields always examined."""
    ctx.unwildcard("in_port")
    ctx.unwildcard("dl_type")
    if is_ip(ctx.flow):
        ctx.unwildcard("nw_frag", 0x03)
    if ctx.flow.get("tun_dst", 0):  # tnl_wc_init
        ctx.unwildcard("tun_id")
        ctx.unwildcard("tun_src")
        ctx.unwildcard("tun_dst")  # (OVS also matches tun_tos and the df/csum/key flags)


def xlate_actions(ofproto: Ofproto, flow: dict[str, int], *, now: float,
                  side_effects: bool, trace: list[OfTraceNode] | None,
                  packet: bytes | None = None) -> XlateCtx:
    """``xlate_actions``: the whole pipeline for FLOW entering OFPROTO."""
    from vnetlab.sim.ovs import normal

    ctx = XlateCtx(ofproto, flow, now=now, side_effects=side_effects, trace=trace)
    ctx.packet = packet
    xlate_wc_init(ctx)
    if ctx.trace is not None:
        node = OfTraceNode(OFT_BRIDGE, f'bridge("{ofproto.name}")')
        ctx.trace.append(node)
        ctx.trace = node.subs
    in_port = flow.get("in_port", 0)
    xport = ofproto.xports.get(in_port)
    bundle = xport.bundle if xport is not None else None
    if bundle is not None and ofproto.mbridge.bundle_out(bundle.name):
        # the rule is looked up (and shown) before the input port is refused
        ctx.report_table(ofproto.rule_lookup(ctx, 0), 0)
        ctx.report_error(f"dropping packet received on port {bundle.name}, "
                         "which is reserved exclusively for mirroring")
    else:
        if bundle is not None and ofproto.mbridge.has_mirrors():
            normal.mirror_packet(ctx, bundle.name, ofproto.mbridge.bundle_src(bundle.name))
        ctx.table_action(in_port, 0, deepens=False)
        run_action_set(ctx)
    if ctx.error is not None:
        ctx.odp = []
    return ctx


def run_action_set(ctx: XlateCtx) -> None:
    """``xlate_action_set``: the OpenFlow 1.1+ action set, executed at pipeline end."""
    from vnetlab.sim.ovs import actions

    actions.run_action_set(ctx)
