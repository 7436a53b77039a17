"""The ``ovs-ofctl`` flow syntax (``parse_ofp_str__`` in ``lib/ofp-flow.c``).

Design note: :func:`parse_flow` turns one flow text into a :class:`FlowMod`, raising
:class:`OfctlError` whose message is exactly what ``ovs-ofctl`` prints after ``ovs-ofctl: ``.
Port names resolve through the caller's ``port_number`` (``None`` = unknown), so the same
parser serves ``parse-flow`` (no bridge) and ``add-flow BRIDGE``. Values parse as OVS's
scanners do (``strtoull`` base 0, ``%hhu`` dotted quads) so odd inputs land where OVS's land.

``usable`` tracks which wire protocols can carry the flow, reduced to what matters here:
``"of10"`` (OpenFlow 1.0 + Nicira extensions, ``ovs-ofctl``'s default) and ``"of11"`` (needs
OpenFlow 1.1+, e.g. ``push_vlan``). Normalisation (``ofputil_normalize_match``: fields whose
prerequisites the match lacks are dropped) is applied by :func:`normalize`, as the
OpenFlow 1.0 path of ``ovs-ofctl`` does before sending the flow. Actions are in
``ofctl_actions.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vnetlab.openflow.actions import Action
from vnetlab.openflow.fields import field_by_name
from vnetlab.openflow.match import OFP_DEFAULT_PRIORITY, Match
from vnetlab.openflow.ofctl_actions import parse_actions, parse_actions_nested
from vnetlab.openflow.ofctl_errors import OfctlError
from vnetlab.openflow.ofctl_scan import (
    PortNumber,
    parse_key_values,
    parse_port,
    parse_table,
    str_to_u16,
    str_to_u32,
    str_to_u64,
)
from vnetlab.openflow.ofctl_values import parse_field_into

__all__ = [
    "FlowMod",
    "GroupMod",
    "OfctlError",
    "PortNumber",
    "needs_nxm",
    "parse_field_into",
    "normalize",
    "parse_flow",
    "parse_group",
]

FLOW_COMMANDS = ("add", "modify", "modify_strict", "delete", "delete_strict")


@dataclass
class FlowMod:
    """``struct ofputil_flow_mod`` as far as the emulated switch needs it.

    ``table`` 255 = not given (all tables for delete/modify, table 0 for add); ``out_port``
    0xffff = any; ``cookie``/``cookie_mask`` select flows for modify/delete;
    ``new_cookie`` is None when a modify leaves cookies alone.
    """

    command: str
    match: Match = field(default_factory=Match)
    priority: int = OFP_DEFAULT_PRIORITY
    table: int = 255
    actions: tuple[Action, ...] = ()
    cookie: int = 0
    cookie_mask: int = 0
    new_cookie: int | None = 0
    idle_timeout: int = 0
    hard_timeout: int = 0
    importance: int = 0
    flags: frozenset[str] = frozenset()
    out_port: int = 0xFFFF
    out_group: int = 0xFFFFFFFF
    usable: frozenset[str] = frozenset({"of10", "of11"})


@dataclass
class Bucket:
    """``struct ofputil_bucket``."""

    bucket_id: int
    actions: tuple[Action, ...]
    weight: int = 0
    watch_port: int = 0xFFFFFFFF
    watch_group: int = 0xFFFFFFFF
    n_packets: int = 0
    n_bytes: int = 0


@dataclass
class GroupMod:
    """``struct ofputil_group_mod``: ``command`` add|modify|add_or_mod|delete."""

    command: str
    group_id: int
    type: str = "all"
    buckets: list[Bucket] = field(default_factory=list)
    selection_method: str = ""
    fields: tuple[str, ...] = ()


PROTOCOLS: dict[str, tuple[int, int]] = {
    "ip": (0x0800, 0), "ipv4": (0x0800, 0), "ip4": (0x0800, 0), "arp": (0x0806, 0),
    "icmp": (0x0800, 1), "tcp": (0x0800, 6), "udp": (0x0800, 17), "sctp": (0x0800, 132),
    "ipv6": (0x86DD, 0), "ip6": (0x86DD, 0), "icmp6": (0x86DD, 58), "tcp6": (0x86DD, 6),
    "udp6": (0x86DD, 17), "sctp6": (0x86DD, 132), "rarp": (0x8035, 0), "mpls": (0x8847, 0),
    "mplsm": (0x8848, 0),
}


def parse_flow(text: str, cmd: str, port_number: PortNumber) -> FlowMod:
    """``parse_ofp_str``: one flow in ``ovs-ofctl`` syntax for command ``cmd``."""
    if cmd not in FLOW_COMMANDS:
        raise ValueError(cmd)
    allow_actions = cmd in ("add", "modify", "modify_strict")
    allow_out_port = cmd in ("delete", "delete_strict")
    allow_priority = cmd != "delete"
    fm = FlowMod(cmd)
    if cmd in ("modify", "modify_strict"):
        fm.new_cookie = None
    act_text = ""
    if allow_actions:
        at = text.find("action")
        if at < 0:
            raise OfctlError("must specify an action")
        eq = text.find("=", at + 1)
        if eq < 0:
            raise OfctlError("must specify an action")
        act_text = text[eq + 1:]
        text = text[:at]
    usable = {"of10", "of11"}
    match = Match()
    for name, value in parse_key_values(text):
        mf = field_by_name(name)
        if name in PROTOCOLS:
            dl_type, proto = PROTOCOLS[name]
            match.set("dl_type", dl_type, 0xFFFF)
            if proto:
                match.set("nw_proto", proto, 0xFF)
        elif allow_actions and name in ("send_flow_rem", "check_overlap", "reset_counts",
                                        "no_packet_counts", "no_byte_counts"):
            fm.flags = fm.flags | {name}
            if name != "send_flow_rem" and name != "check_overlap":
                usable.discard("of10")
        elif name in ("no_readonly_table", "allow_hidden_fields"):
            pass
        elif mf is not None:
            parse_field_into(match, mf, value, port_number)
        elif not value:
            raise OfctlError(f"field {name} missing value")
        elif name == "table":
            fm.table = parse_table(value, f'unknown table "{value}"')
        elif allow_out_port and name == "out_port":
            port = parse_port(value, port_number)
            if port is None:
                raise OfctlError(f"{value} is not a valid OpenFlow port")
            fm.out_port = port
        elif allow_priority and name == "priority":
            fm.priority = str_to_u16(value, name)
        elif allow_actions and name in ("idle_timeout", "hard_timeout"):
            setattr(fm, name, str_to_u16(value, name))
        elif cmd == "add" and name == "importance":
            fm.importance = str_to_u16(value, name)
        elif name == "cookie":
            if "/" in value:
                if cmd == "add":
                    raise OfctlError("flow additions cannot use a cookie mask")
                val, _, mask = value.partition("/")
                fm.cookie = str_to_u64(val)
                fm.cookie_mask = str_to_u64(mask)
            else:
                if cmd not in ("add", "modify", "modify_strict"):
                    raise OfctlError("cannot set cookie (to match on a cookie, specify a "
                                     f"mask, e.g. cookie={value}/-1)")
                fm.new_cookie = str_to_u64(value)
        elif name in ("duration", "n_packets", "n_bytes", "idle_age", "hard_age"):
            pass
        else:
            raise OfctlError(f"unknown keyword {name}")
    if not fm.cookie_mask and fm.new_cookie is None and cmd in ("modify", "modify_strict"):
        fm.new_cookie = 0
    fm.match = match
    if allow_actions:
        acts, act_usable = parse_actions(act_text, port_number, match, fm.table)
        usable &= act_usable
        if not usable:
            raise OfctlError("actions are invalid with specified match "
                             "(OFPBAC_MATCH_INCONSISTENT)")
        fm.actions = acts
    fm.usable = frozenset(usable)
    return fm


def needs_nxm(fm: FlowMod) -> bool:
    """Whether the flow's match needs the Nicira extended match (``NXT_FLOW_MOD``) rather
    than the OpenFlow 1.0 ``ofp10_match`` (``ofputil_usable_protocols``)."""
    m = fm.match.masks
    if fm.cookie_mask or any(getattr(a, "field", "").startswith("tun_metadata")
                             for a in fm.actions):
        return True
    for member, mask in m.items():
        if member in ("in_port", "dl_type", "nw_proto"):
            continue
        if member in ("dl_src", "dl_dst"):
            if mask != (1 << 48) - 1:
                return True
        elif member == "vlan_tci":
            if mask not in (0xFFFF, 0x1FFF, 0xF000):
                return True
        elif member in ("nw_src", "nw_dst"):
            inv = ~mask & 0xFFFFFFFF
            if inv & (inv + 1):
                return True
        elif member == "nw_tos":
            if mask != 0xFC:
                return True
        elif member in ("tp_src", "tp_dst"):
            if mask != 0xFFFF:
                return True
        else:
            return True
    return fm.match.values.get("dl_type") == 0x86DD


def normalize(fm: FlowMod) -> bool:
    """``ofputil_normalize_match``: drop match fields whose prerequisites are missing.

    Returns True when the match changed (OVS then logs "normalization changed ofp_match")."""
    m = fm.match
    dl_type = m.values.get("dl_type", 0) if m.masks.get("dl_type") else None
    proto = m.values.get("nw_proto", 0) if m.masks.get("nw_proto") else None
    is_ip = dl_type in (0x0800, 0x86DD)
    is_arp = dl_type in (0x0806, 0x8035)
    may_tp = is_ip and proto in (1, 6, 17, 132, 58)
    drop: list[str] = []
    if not may_tp:
        drop += ["tp_src", "tp_dst"]
    if not (is_ip and proto == 6):
        drop.append("tcp_flags")
    if not (is_ip or is_arp):
        drop += ["nw_proto", "nw_src", "nw_dst"]
    if not is_ip:
        drop += ["nw_tos", "nw_ttl", "nw_frag"]
    if not is_arp:
        drop += ["arp_sha", "arp_tha"]
    changed = False
    for member in drop:
        if m.masks.get(member):
            m.clear(member)
            changed = True
    return changed


def parse_group(text: str, cmd: str, port_number: PortNumber) -> GroupMod:
    """``parse_ofp_group_mod_str__``: ``group_id=N,type=T,bucket=...`` for ``cmd``
    add|modify|add_or_mod|delete."""
    fields_ok = cmd != "delete"
    gm = GroupMod(cmd, 0xFFFFFFFF)
    if cmd == "delete" and not text:
        gm.group_id = 0xFFFFFFFC
        return gm
    at = text.find("bucket=")
    bkt = text[at:] if at >= 0 else None
    if bkt is not None:
        if not fields_ok:
            raise OfctlError("bucket is not needed")
        text = text[:at]
    had_type = False
    for name, value in parse_key_values(text):
        if name == "group_id":
            if value == "all":
                gm.group_id = 0xFFFFFFFC
            else:
                gm.group_id = str_to_u32(value)
                if gm.group_id > 0xFFFFFF00:
                    raise OfctlError(f"invalid group id {gm.group_id}")
        elif name == "type":
            if not fields_ok:
                raise OfctlError("type is not needed")
            types = {"all": "all", "select": "select", "indirect": "indirect",
                     "ff": "ff", "fast_failover": "ff"}
            if value not in types:
                raise OfctlError(f"invalid group type {value}")
            gm.type = types[value]
            had_type = True
        elif name == "selection_method":
            if not fields_ok:
                raise OfctlError("selection method is not needed")
            gm.selection_method = value
        elif name == "fields":
            if not fields_ok:
                raise OfctlError("fields are not needed")
            gm.fields = tuple(n for n, _ in parse_key_values(value))
        else:
            raise OfctlError(f"unknown keyword {name}")
    if gm.group_id == 0xFFFFFFFF:
        raise OfctlError("must specify a group_id")
    if fields_ok and not had_type:
        raise OfctlError("must specify a type")
    if gm.selection_method != "hash" and gm.fields:
        raise OfctlError('fields may only be specified with "selection_method=hash"')
    while bkt is not None:
        eq = bkt.find("=", 1)
        if eq < 0:
            raise OfctlError("must specify bucket content")
        body = bkt[eq + 1:]
        nxt = body.find("bucket=")
        bkt = body[nxt:] if nxt >= 0 else None
        if nxt >= 0:
            body = body[:nxt]
        bucket = _parse_bucket(body, gm.type, port_number)
        if gm.type != "select" and bucket.weight:
            raise OfctlError("Only select groups can have bucket weights.")
        gm.buckets.append(bucket)
    if gm.type == "indirect" and len(gm.buckets) > 1:
        raise OfctlError("Indirect groups can have at most one bucket.")
    return gm


def _parse_bucket(text: str, group_type: str, port_number: PortNumber) -> Bucket:
    """``parse_bucket_str``."""
    bucket = Bucket(0xFFFFFFFF, (), 1 if group_type == "select" else 0)
    actions: list[str] = []
    for key, value in parse_key_values(text):
        lkey = key.lower()
        if lkey == "weight":
            bucket.weight = str_to_u16(value, "weight")
        elif lkey == "watch_port":
            port = parse_port(value, port_number)
            if port is None or (port >= 0xFF00 and port not in (0xFFFF, 0xFFFD)):
                raise OfctlError(f"{value}: invalid watch_port")
            bucket.watch_port = port
        elif lkey == "watch_group":
            bucket.watch_group = str_to_u32(value)
            if bucket.watch_group > 0xFFFFFF00:
                raise OfctlError(f"invalid watch_group id {bucket.watch_group}")
        elif lkey == "bucket_id":
            bucket.bucket_id = str_to_u32(value)
            if bucket.bucket_id > 0xFFFFFF00:
                raise OfctlError(f"invalid bucket_id id {bucket.bucket_id}")
        elif lkey in ("action", "actions"):
            actions.append(value)
        else:
            actions.append(f"{key}({value})")
    if not actions:
        raise OfctlError("bucket must specify actions")
    if group_type == "ff" and bucket.watch_port == 0xFFFFFFFF \
            and bucket.watch_group == 0xFFFFFFFF:
        raise OfctlError("fast failover bucket requires watch_port or watch_group")
    bucket.actions, _ = parse_actions_nested(",".join(actions), port_number)
    return bucket

