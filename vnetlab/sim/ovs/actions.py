"""Translating OpenFlow actions (``do_xlate_actions`` of ofproto/ofproto-dpif-xlate.c).

Design note
-----------
One function per action kind of ``vnetlab.openflow.actions`` in the explicit table
``XLATORS`` (class -> function). Every action prints as an action node of the trace first,
as OVS does, then changes ``ctx.flow`` (set actions; committed to the datapath only at the
next output) or outputs. Field sets un-wildcard what they read or write as OVS does
(``mf_mask_field_masked``, the IPv4 rewrites also ``nw_proto`` — the "always mask ip
proto" fix). Groups run their buckets on a copy of the flow (``xlate_group_bucket``);
a ``select`` group takes the bucket real OVS's userspace datapath takes (its symmetric
L3/L4 hash into the Webster table) but without recirculation, so its datapath actions
name the bucket's outputs where OVS prints ``hash(sym_l4(0)),recirc(N)``. ``learn``
installs its flow only with side effects (real packets, ``-generate``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vnetlab.openflow import actions as ofp
from vnetlab.openflow.fields import ETH_TYPE_ARP, FIELDS, prereqs_ok
from vnetlab.openflow.flow import flow_hash_symmetric_l3l4
from vnetlab.openflow.match import format_eth, format_ip
from vnetlab.openflow.ofctl_learn import learned_flow
from vnetlab.openflow.ofproto_tables import dp_hash_map
from vnetlab.sim.ovs.oftrace import OFT_BUCKET, OfTraceNode
from vnetlab.sim.ovs.xlate import (
    OFPP_ALL,
    OFPP_FLOOD,
    OFPP_IN_PORT,
    OFPP_LOCAL,
    OFPP_NORMAL,
    OFPP_TABLE,
    VLAN_CFI,
    XlateCtx,
    is_ip,
)

#: a packet's flow is exact in the fields prerequisites read
_EXACT = {"dl_type": 0xFFFF, "nw_proto": 0xFF}

#: the OpenFlow 1.0 rewrites, as OVS translates them (OFPACT_SET_ETH_SRC ...)
_IPV4_RAW = {"mod_nw_src", "mod_nw_dst", "mod_nw_tos", "mod_nw_ecn", "mod_nw_ttl"}
_L4_RAW = {"mod_tp_src", "mod_tp_dst"}


#: returned by a translator that ends the current action list
STOP = "stop"


def do_xlate_actions(ctx: XlateCtx, acts: tuple[Any, ...]) -> None:
    if not acts:
        ctx.report_action("drop")
        return
    was_last = ctx.last_action
    for i, a in enumerate(acts):
        if ctx.error is not None or ctx.exit:
            break
        if ctx.trace is not None:
            ctx.report_action(ofp.format_action(a))
        # ``is_last_action``: nothing can follow this action's datapath actions
        ctx.last_action = was_last and i == len(acts) - 1
        fn = XLATORS.get(type(a))
        if fn is not None and fn(ctx, a) is STOP:
            break  # the rest of this action list is skipped (``compose_dec_ttl``)
    ctx.last_action = was_last


def _output(ctx: XlateCtx, a: ofp.Output) -> None:
    if a.port == OFPP_TABLE:
        ctx.table_action(ctx.flow.get("in_port", 0), 0)
    else:
        ctx.output(a.port, max_len=a.max_len)


def _resubmit(ctx: XlateCtx, a: ofp.Resubmit) -> None:
    """``xlate_ofpact_resubmit``."""
    in_port = ctx.flow.get("in_port", 0) if a.port == OFPP_IN_PORT else a.port
    table = ctx.table_id if a.table == 255 else a.table
    ctx.table_action(in_port, table)


def _goto_table(ctx: XlateCtx, a: ofp.GotoTable) -> None:
    ctx.table_action(ctx.flow.get("in_port", 0), a.table)


def _write_actions(ctx: XlateCtx, a: ofp.WriteActions) -> None:
    """``ofpacts_put_OFPACT_WRITE_ACTIONS``: one action per kind in the set, later wins."""
    for new in a.actions:
        ctx.action_set = [old for old in ctx.action_set if type(old) is not type(new)]
        ctx.action_set.append(new)


def _clear_actions(ctx: XlateCtx, _a: ofp.ClearActions) -> None:
    ctx.action_set = []


#: the order OpenFlow 1.1+ executes an action set in (``ofpacts_execute_action_set``)
_SET_ORDER: tuple[type, ...] = (ofp.StripVlan, ofp.PushVlan, ofp.DecTtl, ofp.SetField,
                                ofp.SetVlanVid, ofp.SetVlanPcp, ofp.SetTunnel, ofp.Group,
                                ofp.Output, ofp.Normal, ofp.Flood, ofp.All, ofp.InPort,
                                ofp.Local, ofp.Controller)


def run_action_set(ctx: XlateCtx) -> None:
    """``xlate_action_set``: an empty set does nothing; a group wins over an output."""
    if not ctx.action_set or ctx.error is not None:
        return
    acts = sorted(ctx.action_set, key=lambda x: _SET_ORDER.index(type(x))
                  if type(x) in _SET_ORDER else len(_SET_ORDER))
    if any(type(x) is ofp.Group for x in acts):
        acts = [x for x in acts if type(x) not in (ofp.Output, ofp.Normal, ofp.Flood,
                                                    ofp.All, ofp.InPort, ofp.Local)]
    ctx.action_set = []
    ctx.report_detail("action set was: " + ofp.format_actions(acts))
    do_xlate_actions(ctx, tuple(acts))


def _write_metadata(ctx: XlateCtx, a: ofp.WriteMetadata) -> None:
    old = ctx.flow.get("metadata", 0)
    ctx.flow["metadata"] = (old & ~a.mask) | (a.value & a.mask)


def _push_vlan(ctx: XlateCtx, _a: ofp.PushVlan) -> None:
    ctx.flow["vlan_tci"] = VLAN_CFI


def _strip_vlan(ctx: XlateCtx, _a: ofp.StripVlan) -> None:
    ctx.flow["vlan_tci"] = 0


def _set_vlan_vid(ctx: XlateCtx, a: ofp.SetVlanVid) -> None:
    ctx.unwildcard("vlan_tci", 0x0FFF | VLAN_CFI)
    tci = ctx.flow.get("vlan_tci", 0)
    if tci & VLAN_CFI or a.push_if_needed:
        ctx.flow["vlan_tci"] = (tci & ~0x0FFF) | a.vid | VLAN_CFI


def _set_vlan_pcp(ctx: XlateCtx, a: ofp.SetVlanPcp) -> None:
    ctx.unwildcard("vlan_tci", 0xE000 | VLAN_CFI)
    tci = ctx.flow.get("vlan_tci", 0)
    if tci & VLAN_CFI or a.push_if_needed:
        ctx.flow["vlan_tci"] = (tci & ~0xE000) | (a.pcp << 13) | VLAN_CFI


def _set_field(ctx: XlateCtx, a: ofp.SetField) -> None:
    mf = FIELDS[a.field]
    flow = ctx.flow
    if a.raw in _IPV4_RAW:
        if not is_ip(flow):
            return
        ctx.unwildcard("nw_proto")
    elif a.raw in _L4_RAW:
        if not is_ip(flow) or flow.get("nw_frag", 0) & 2:
            return
        ctx.unwildcard("nw_proto")
    elif a.raw not in ("mod_dl_src", "mod_dl_dst"):
        if not prereqs_ok(mf.prereq, flow, _EXACT):
            ctx.report_warn(f"unmet prerequisites for {mf.name}, set_field ignored")
            return
        _mask_prereqs(ctx, mf.prereq)
        if flow.get("dl_type", 0) == ETH_TYPE_ARP and mf.prereq == "arp":
            ctx.unwildcard("nw_proto")  # mf_set_mask_l3_prereqs: the ARP opcode's 8 bits
    value, mask = mf.to_member(a.value, a.mask)
    ctx.unwildcard(mf.member, mask)
    flow[mf.member] = (flow.get(mf.member, 0) & ~mask) | (value & mask)


def _mask_prereqs(ctx: XlateCtx, prereq: str) -> None:
    """``mf_are_prereqs_ok`` with a wildcards argument: what it read is now exact."""
    if prereq == "none":
        return
    ctx.unwildcard("dl_type")
    if prereq in ("tcp", "udp", "icmp"):
        ctx.unwildcard("nw_proto")


def _move(ctx: XlateCtx, a: ofp.Move) -> None:
    """``nxm_execute_reg_move``."""
    smf, dmf = a.src.field, a.dst.field
    sval = smf.from_member(ctx.flow.get(smf.member, 0))
    bits = (sval >> a.src.ofs) & ((1 << a.src.nbits) - 1)
    _, smask = smf.to_member(a.src.mask, a.src.mask)
    ctx.unwildcard(smf.member, smask)
    dval = dmf.from_member(ctx.flow.get(dmf.member, 0))
    dval = (dval & ~a.dst.mask) | (bits << a.dst.ofs)
    v, m = dmf.to_member(dval, a.dst.mask)
    ctx.unwildcard(dmf.member, m)
    ctx.flow[dmf.member] = (ctx.flow.get(dmf.member, 0) & ~m) | (v & m)
    if ctx.trace is not None:
        _report_subfield(ctx, a.dst)


def _hex(v: int) -> str:
    return f"{v:#x}" if v else "0"


def _report_subfield(ctx: XlateCtx, sf: ofp.Subfield) -> None:
    """``xlate_report_subfield``: a whole field as ``mf_format`` writes it, a part of one
    in hex (``ds_put_hex``)."""
    mf = sf.field
    whole = mf.from_member(ctx.flow.get(mf.member, 0))
    if sf.ofs == 0 and sf.nbits >= mf.nbits:
        text = (format_eth(whole) if mf.string == "mac" else format_ip(whole)
                if mf.string == "ipv4" else _hex(whole) if mf.string == "hex" else str(whole))
    else:
        part = (whole >> sf.ofs) & ((1 << sf.nbits) - 1)
        text = _hex(part)
    ctx.report_detail(f"{sf.format()} is now {text}")


def _dec_ttl(ctx: XlateCtx, _a: ofp.DecTtl) -> str | None:
    """``compose_dec_ttl``."""
    flow = ctx.flow
    if not is_ip(flow):
        return None
    ctx.unwildcard("nw_ttl")
    ctx.unwildcard("nw_proto")
    ttl = flow.get("nw_ttl", 0)
    if ttl > 1:
        flow["nw_ttl"] = ttl - 1
        return None
    ctx.report_warn("IPv4 decrement TTL exception")
    ctx.controller(0xFFFF, reason=2)  # OFPR_INVALID_TTL: a packet-in nobody reads
    return STOP


def _set_tunnel(ctx: XlateCtx, a: ofp.SetTunnel) -> None:
    ctx.flow["tun_id"] = a.tun_id


def _note(_ctx: XlateCtx, _a: ofp.Note) -> None:
    pass


def _normal(ctx: XlateCtx, _a: ofp.Normal) -> None:
    ctx.output(OFPP_NORMAL)


def _flood(ctx: XlateCtx, _a: ofp.Flood) -> None:
    ctx.output(OFPP_FLOOD)


def _all(ctx: XlateCtx, _a: ofp.All) -> None:
    ctx.output(OFPP_ALL)


def _in_port(ctx: XlateCtx, _a: ofp.InPort) -> None:
    ctx.output(OFPP_IN_PORT)


def _local(ctx: XlateCtx, _a: ofp.Local) -> None:
    ctx.output(OFPP_LOCAL)


def _controller(ctx: XlateCtx, a: ofp.Controller) -> None:
    ctx.controller(a.max_len)


def _group(ctx: XlateCtx, a: ofp.Group) -> None:
    """``xlate_group_action``."""
    group = ctx.ofproto.group_lookup(a.group_id)
    if group is None:
        return
    if not ctx.resource_check():
        return
    buckets = list(group.buckets)
    gtype = group.type
    if gtype == "select" and buckets:
        buckets = _select_bucket(ctx, buckets)
    elif gtype == "indirect":
        buckets = buckets[:1]
    elif gtype in ("ff", "fast_failover"):
        # the first bucket whose watched port is live (``group_first_live_bucket``)
        live = [b for b in buckets if ctx.ofproto.port_is_live(b.watch_port)]
        buckets = live[:1]
    ctx.ofproto.credit_group(group, ctx)
    for i, bucket in enumerate(buckets):
        _xlate_bucket(ctx, bucket, getattr(bucket, "bucket_id", i))


def _select_bucket(ctx: XlateCtx, buckets: list[Any]) -> list[Any]:
    """The bucket OVS 3.1's userspace datapath picks: ``hash(sym_l4(0))`` of the packet
    indexes the group's Webster-spread ``dp_hash`` table. OVS gets there by recirculating
    (``hash(sym_l4(0)),recirc(N)`` in its datapath actions); the emulator picks the same
    bucket in one pass, so its megaflow matches the hashed fields instead."""
    table = dp_hash_map(buckets)
    if not table:
        return []
    flow = ctx.flow
    for f in ("dl_src", "dl_dst", "dl_type", "vlan_tci"):
        ctx.unwildcard(f)
    if is_ip(flow):
        for f in ("nw_src", "nw_dst", "nw_proto", "nw_frag", "tp_src", "tp_dst"):
            ctx.unwildcard(f)
    h = flow_hash_symmetric_l3l4(flow, 0)
    return [buckets[table[h & (len(table) - 1)]]]


def _xlate_bucket(ctx: XlateCtx, bucket: Any, bucket_id: int) -> None:
    """``xlate_group_bucket``: the bucket's actions on a copy of the flow."""
    old_trace = ctx.trace
    if ctx.trace is not None:
        node = OfTraceNode(OFT_BUCKET, f"bucket {bucket_id}")
        ctx.trace.append(node)
        ctx.trace = node.subs
    old_flow = dict(ctx.flow)
    ctx.depth += 1
    do_xlate_actions(ctx, tuple(bucket.actions))
    ctx.depth -= 1
    ctx.flow = old_flow
    ctx.trace = old_trace


def _learn(ctx: XlateCtx, a: ofp.Learn) -> None:
    """``xlate_learn_action``: build the flow from the packet (what the source fields are
    read from is now exact), show it, and add it with side effects only."""
    for spec in a.specs:
        if spec.src is not None:
            m = spec.src.field
            _, mask = m.to_member(spec.src.mask, spec.src.mask)
            ctx.unwildcard(m.member, mask)
    match, acts = learned_flow(a, ctx.flow)
    if ctx.trace is not None:
        text = f"table={a.table} " + match.format().rstrip(",") + f" priority={a.priority}"
        if a.cookie:
            text += f" cookie={a.cookie:#x}"
        if a.idle_timeout:
            text += f" idle={a.idle_timeout}"
        if a.hard_timeout:
            text += f" hard={a.hard_timeout}"
        if a.send_flow_rem:
            text += " send_flow_rem"
        ctx.report_detail(text + " actions=" + ofp.format_actions(acts))
    if ctx.side_effects:
        ctx.ofproto.learn(a, ctx)


XLATORS: dict[type, Callable[[XlateCtx, Any], str | None]] = {
    ofp.Output: _output,
    ofp.Normal: _normal,
    ofp.Flood: _flood,
    ofp.All: _all,
    ofp.InPort: _in_port,
    ofp.Local: _local,
    ofp.Controller: _controller,
    ofp.Resubmit: _resubmit,
    ofp.GotoTable: _goto_table,
    ofp.WriteActions: _write_actions,
    ofp.ClearActions: _clear_actions,
    ofp.WriteMetadata: _write_metadata,
    ofp.Group: _group,
    ofp.PushVlan: _push_vlan,
    ofp.StripVlan: _strip_vlan,
    ofp.SetVlanVid: _set_vlan_vid,
    ofp.SetVlanPcp: _set_vlan_pcp,
    ofp.SetField: _set_field,
    ofp.Move: _move,
    ofp.DecTtl: _dec_ttl,
    ofp.SetTunnel: _set_tunnel,
    ofp.Note: _note,
    ofp.Learn: _learn,
}
