"""The text of OpenFlow replies as ``ovs-ofctl`` prints them (``lib/ofp-print.c``,
``ofp-flow.c``, ``ofp-group.c``, ``ofp-port.c``, ``ofp-table.c``).

Design note: pure functions from the tables' state to text, one per reply kind, with
``of13`` choosing the OpenFlow 1.3 wording where it differs (the version tag in headers,
flags, how actions come back). The ``ovs-ofctl`` front-end (``ofctl.py``) only picks what
to print.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from vnetlab.openflow.actions import format_actions, through_of10
from vnetlab.openflow.fields import field_by_name, prereqs_ok
from vnetlab.openflow.match import PortNamer, format_eth, format_port
from vnetlab.openflow.ofctl_of13 import format_actions_of13
from vnetlab.openflow.ofproto_tables import OfGroup, OfprotoTables, Rule, outputs_to_group

__all__ = [
    "PortInfo",
    "PortStats",
    "format_duration",
    "format_flow_stats",
    "format_group",
    "format_group_stats",
    "format_port_stats",
    "format_features",
    "format_table_stats",
    "nx_flow_stats_len",
    "sorted_rules",
]


@dataclass(frozen=True)
class PortInfo:
    """One OpenFlow port as ``show`` prints it (``struct ofputil_phy_port``)."""

    ofport: int
    name: str
    hwaddr: int
    admin_down: bool = False
    link_down: bool = False
    current: str = ""
    speed_now: int = 0
    speed_max: int = 0


@dataclass(frozen=True)
class PortStats:
    """Port counters (None prints ``?``, as OVS does for what a netdev cannot count)."""

    rx_packets: int | None = 0
    rx_bytes: int | None = 0
    rx_dropped: int | None = None
    rx_errors: int | None = None
    rx_frame_errors: int | None = None
    rx_over_errors: int | None = None
    rx_crc_errors: int | None = None
    tx_packets: int | None = 0
    tx_bytes: int | None = 0
    tx_dropped: int | None = None
    tx_errors: int | None = None
    collisions: int | None = None


def _ver(of13: bool) -> str:
    return " (OF1.3)" if of13 else ""


def format_duration(seconds: float) -> str:
    """``ofp_print_duration`` of a millisecond-resolution age: ``0.022s``, ``5s``."""
    ms = max(0, int(math.floor(seconds * 1000 + 1e-6)))
    sec, frac = divmod(ms, 1000)
    text = str(sec)
    if frac:
        text += "." + f"{frac:03d}".rstrip("0")
    return text + "s"


def format_flow_stats(r: Rule, now: float, namer: PortNamer, stats: bool, raw: bool,
                      of13: bool) -> str:
    """``ofputil_flow_stats_format``: one dump-flows line (without the leading space);
    ``raw`` is the header-printing mode, whose Nicira replies carry idle/hard ages."""
    parts: list[str] = []
    duration = now - r.created
    if stats or r.cookie:
        parts.append(f"cookie={r.cookie:#x}, " if r.cookie else "cookie=0x0, ")
    if stats:
        parts.append(f"duration={format_duration(duration)}, ")
    if stats or r.table_id:
        parts.append(f"table={r.table_id}, ")
    if stats:
        parts.append(f"n_packets={r.n_packets}, n_bytes={r.n_bytes}, ")
    if r.idle_timeout:
        parts.append(f"idle_timeout={r.idle_timeout}, ")
    if r.hard_timeout:
        parts.append(f"hard_timeout={r.hard_timeout}, ")
    if of13:
        # OpenFlow 1.0 flow stats carry no flags; 1.3 ones do
        for f in ("send_flow_rem", "reset_counts", "no_packet_counts", "no_byte_counts"):
            if f in r.flags:
                parts.append(f + " ")
    if r.importance:
        parts.append(f"importance={r.importance}, ")
    if stats and raw and not of13:
        parts.append(f"idle_age={int(max(0.0, now - r.used))}, ")
        hard_age = int(max(0.0, now - r.modified))
        if hard_age != int(max(0.0, duration)):
            parts.append(f"hard_age={hard_age}, ")
    m = r.match.format(namer, r.priority)
    if m:
        parts.append(m + " ")
    # the reply re-encodes the actions for the connection's OpenFlow version
    acts = format_actions_of13(r.actions, r.match, namer) if of13 else \
        format_actions(through_of10(r.actions), namer)
    parts.append("actions=" + acts)
    return "".join(parts)


def sorted_rules(rules: list[Rule], criteria: list[tuple[str, bool]]) -> list[Rule]:
    """``compare_flows`` (``--sort``/``--rsort``): by each criterion; flows without the
    field sort last either way; ties keep the dump order."""
    def cmp(a: Rule, b: Rule) -> int:
        for name, asc in criteria:
            if name == "priority":
                ret = (a.priority > b.priority) - (a.priority < b.priority)
            else:
                mf = field_by_name(name)
                assert mf is not None
                ina = bool(a.match.masks.get(mf.member, 0) & mf.member_mask) and prereqs_ok(
                    mf.prereq, a.match.values, a.match.masks)
                inb = bool(b.match.masks.get(mf.member, 0) & mf.member_mask) and prereqs_ok(
                    mf.prereq, b.match.values, b.match.masks)
                if ina != inb:
                    return -1 if ina else 1
                va = mf.from_member(a.match.values.get(mf.member, 0))
                vb = mf.from_member(b.match.values.get(mf.member, 0))
                ret = (va > vb) - (va < vb)
            if ret:
                return ret if asc else -ret
        return 0
    return sorted(rules, key=functools.cmp_to_key(cmp))


def format_group(g: OfGroup, namer: PortNamer, of13: bool) -> str:
    """``ofp_print_group``."""
    text = f"group_id={g.group_id},type={g.type}"
    if g.selection_method and not of13:
        text += f",selection_method={g.selection_method}"
        if len(g.fields) == 1:
            text += f",fields={g.fields[0]}"
        elif g.fields:
            text += ",fields(" + ",".join(g.fields) + ")"
    buckets = []
    for b in g.buckets:
        s = "bucket="
        if not of13:
            s += f"bucket_id:{b.bucket_id},"
        if b.weight != (1 if g.type == "select" else 0):
            s += f"weight:{b.weight},"
        if b.watch_port != 0xFFFFFFFF and b.watch_port != 0xFFFF:
            s += f"watch_port:{format_port(b.watch_port, namer)},"
        if b.watch_group != 0xFFFFFFFF:
            s += f"watch_group:{b.watch_group},"
        acts = format_actions_of13(b.actions, None, namer) if of13 else \
            format_actions(through_of10(b.actions), namer)
        buckets.append(s + "actions=" + acts)
    if buckets:
        text += "," + ",".join(buckets)
    return text


def format_group_stats(g: OfGroup, tables: OfprotoTables, now: float) -> str:
    """One ``dump-group-stats`` line (``ofputil_group_stats_format``)."""
    refs = sum(1 for r in tables.rules() if outputs_to_group(r.actions, g.group_id))
    line = (f" group_id={g.group_id},duration={format_duration(now - g.created)},"
            f"ref_count={refs},packet_count={g.n_packets},byte_count={g.n_bytes}")
    for i, b in enumerate(g.buckets):
        line += f",bucket{i}:packet_count={b.n_packets},byte_count={b.n_bytes}"
    return line + "\n"


def format_features(dpid: int, ports: list[PortInfo], of13: bool) -> str:
    """``ofctl_show``: the features reply, the port list and the get-config reply."""
    if of13:
        out = [f"OFPT_FEATURES_REPLY (OF1.3) (xid=0x2): dpid:{dpid:016x}\n"
               "n_tables:254, n_buffers:0\ncapabilities: FLOW_STATS TABLE_STATS "
               "PORT_STATS GROUP_STATS QUEUE_STATS\nOFPST_PORT_DESC reply (OF1.3) (xid=0x3):\n"]
    else:
        out = [f"OFPT_FEATURES_REPLY (xid=0x2): dpid:{dpid:016x}\n"
               "n_tables:254, n_buffers:0\ncapabilities: FLOW_STATS TABLE_STATS "
               "PORT_STATS QUEUE_STATS ARP_MATCH_IP\nactions: output enqueue "
               "set_vlan_vid set_vlan_pcp strip_vlan mod_dl_src mod_dl_dst "
               "mod_nw_src mod_nw_dst mod_nw_tos mod_tp_src mod_tp_dst\n"]
    for p in ports:
        state = "LINK_DOWN" if p.link_down else ("LIVE" if of13 else "0")
        out.append(f" {format_port(p.ofport)}({p.name}): addr:{format_eth(p.hwaddr)}\n"
                   f"     config:     {'PORT_DOWN' if p.admin_down else '0'}\n"
                   f"     state:      {state}\n")
        if p.current:
            out.append(f"     current:    {p.current}\n")
        out.append(f"     speed: {p.speed_now} Mbps now, {p.speed_max} Mbps max\n")
    xid = "0x5" if of13 else "0x4"
    out.append(f"OFPT_GET_CONFIG_REPLY{_ver(of13)} (xid={xid}): frags=normal "
               "miss_send_len=0\n")
    return "".join(out)


def format_port_stats(port: int, s: PortStats, namer: PortNamer) -> str:
    """``ofputil_format_port_stats`` (OpenFlow 1.0: no duration line)."""
    def v(x: int | None) -> str:
        return "?" if x is None else str(x)
    pad = " " if port < 10 else ""
    return (f"  port {pad}{format_port(port, namer)}: rx pkts={v(s.rx_packets)}, "
            f"bytes={v(s.rx_bytes)}, drop={v(s.rx_dropped)}, errs={v(s.rx_errors)}, "
            f"frame={v(s.rx_frame_errors)}, over={v(s.rx_over_errors)}, "
            f"crc={v(s.rx_crc_errors)}\n"
            f"           tx pkts={v(s.tx_packets)}, bytes={v(s.tx_bytes)}, "
            f"drop={v(s.tx_dropped)}, errs={v(s.tx_errors)}, coll={v(s.collisions)}\n")


def format_table_stats(t: OfprotoTables, of13: bool) -> str:
    """``ofp_print_table_stats_reply``: tables 0..253, runs of identical ones as
    ``ditto``."""
    out = [f"OFPST_TABLE reply{_ver(of13)} (xid=0x2):"]
    features = "" if of13 else (
        "    max_entries=1000000\n    matching:\n      exact match or wildcard: in_port "
        "eth_{src,dst,type} vlan_{vid,pcp} ip_{src,dst} nw_{proto,tos} tcp_{src,dst}\n")
    first = last = -1
    prev: tuple[int, int, int] | None = None

    def ditto() -> None:
        if first >= 0:
            out.append(f"\n  table {first}: ditto\n" if first == last
                       else f"\n  tables {first}...{last}: ditto\n")

    for i in range(254):
        stats = (len(t.tables[i]), t.n_lookup[i], t.n_matched[i])
        if prev is not None and stats == prev:
            first = i if first < 0 else first
            last = i
            continue
        ditto()
        first = -1
        out.append(f"\n  table {i}:\n    active={stats[0]}, lookup={stats[1]}, "
                   f"matched={stats[2]}\n")
        if prev is None:
            out.append(features)
        elif features:
            out.append("    (same features)\n")
        prev = stats
    ditto()
    return "".join(out)


# --- how long a flow is on the wire (NXST_FLOW replies split at 64 kB) ---------------------
#: the Nicira flow stats reply header; a reply message holds at most 65535 bytes
NXST_FLOW_HEADER = 24
OFP_MAX_MSG = 0xFFFF

#: member -> bytes of its NXM value (the entry is 4 + value, or 4 + 2 * value if masked)
_NXM_BYTES = {"in_port": 2, "dl_src": 6, "dl_dst": 6, "dl_type": 2, "vlan_tci": 2,
              "nw_src": 4, "nw_dst": 4, "nw_ttl": 1, "arp_sha": 6, "arp_tha": 6,
              "tcp_flags": 2, "tun_id": 8, "tun_src": 4, "tun_dst": 4, "tun_flags": 2,
              "metadata": 8, "pkt_mark": 4, **{f"reg{i}": 4 for i in range(16)}}


def _nxm_len(r: Rule) -> int:
    """``nx_put_match``'s length for the match (before padding to 8)."""
    total = 0
    m, v = r.match.masks, r.match.values
    is_arp = v.get("dl_type") in (0x0806, 0x8035) and m.get("dl_type")
    is_icmp = v.get("nw_proto") in (1, 58) and v.get("dl_type") in (0x0800, 0x86DD)
    for member, mask in m.items():
        if member == "nw_tos":
            total += (5 if mask & 0xFC else 0) + (5 if mask & 0x03 else 0)
            continue
        if member == "nw_frag":
            total += 5 if mask & 3 == 3 else 6
            continue
        if member == "nw_proto":
            total += 6 if is_arp else 5
            continue
        if member in ("tp_src", "tp_dst") and is_icmp:
            total += 5
            continue
        n = _NXM_BYTES.get(member, 2 if member in ("tp_src", "tp_dst") else 8)
        full = (1 << (8 * n)) - 1
        total += 4 + (n if mask == full else 2 * n)
    return total


def _pad8(n: int) -> int:
    return (n + 7) // 8 * 8


def _action_len(a: object) -> int:
    """The OpenFlow 1.0/Nicira encoding length of one (already OpenFlow 1.0) action."""
    from vnetlab.openflow import actions as A
    if isinstance(a, A.Controller):
        return 8 if not a.reason and not a.controller_id else 16
    if isinstance(a, A.Output | A.Normal | A.Flood | A.All | A.InPort | A.Local
                  | A.SetVlanVid | A.SetVlanPcp | A.StripVlan):
        return 8
    if isinstance(a, A.SetField):
        if a.raw in ("mod_dl_src", "mod_dl_dst"):
            return 16
        if a.raw.startswith("mod_"):
            return 8
        return 24 * max(1, len(A._load_segments(a)))
    if isinstance(a, A.OutputReg | A.Move):
        return 24
    if isinstance(a, A.SetTunnel):
        return 24 if a.wide or a.tun_id > 0xFFFFFFFF else 16
    if isinstance(a, A.DecTtl):
        return _pad8(16 + 2 * len(a.ids)) if a.ids else 16
    if isinstance(a, A.Note):
        return _pad8(10 + len(a.data))
    if isinstance(a, A.WriteMetadata):
        return 32
    if isinstance(a, A.Learn):
        specs = 0
        for s in a.specs:
            # a field source is an NXM header + offset; an immediate, whole 16-bit words
            nbits = s.dst.nbits if s.dst is not None else 16
            src = 6 if s.src is not None else 2 * ((nbits + 15) // 16)
            specs += 2 + src + (0 if s.kind == "output" else 6)
        return _pad8(32 + specs)
    return 16      # resubmit, enqueue, group and the other Nicira actions


def nx_flow_stats_len(r: Rule) -> int:
    """One flow's length in an NXST_FLOW reply (``struct nx_flow_stats`` + match + actions),
    which decides where ovs-vswitchd starts a new reply message."""
    return 48 + _pad8(_nxm_len(r)) + sum(_action_len(a) for a in through_of10(r.actions))
