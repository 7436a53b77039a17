"""The ``ovs-ofctl`` action syntax (``ofpacts_parse__`` and the ``parse_*`` functions of
``lib/ofp-actions.c``); the scanners it shares with the flow syntax are in ``ofctl_scan``.

Design note: :func:`parse_actions` returns the actions and the set of protocols that can carry
them (``of10``/``of11``, see ``ofctl_parse.py``). It also runs the checks OVS runs before it
sends anything (``ofpacts_verify``: instruction order; ``ofpacts_check``: a field an action
writes must have its prerequisites in the match), with OVS's messages.
"""

from __future__ import annotations

from collections.abc import Callable

from vnetlab.openflow.actions import (
    OFPP_CONTROLLER,
    OFPP_IN_PORT,
    Action,
    All,
    ClearActions,
    Controller,
    DecTtl,
    Enqueue,
    Flood,
    GotoTable,
    Group,
    InPort,
    Learn,
    Local,
    Move,
    Normal,
    Note,
    Output,
    OutputReg,
    PushVlan,
    Resubmit,
    SetField,
    SetTunnel,
    SetVlanPcp,
    SetVlanVid,
    StripVlan,
    WriteActions,
    WriteMetadata,
)
from vnetlab.openflow.fields import FIELDS, MfField, field_by_name, prereqs_ok
from vnetlab.openflow.match import Match
from vnetlab.openflow.ofctl_errors import OfctlError
from vnetlab.openflow.ofctl_scan import (
    PortNumber,
    parse_key_values,
    parse_port,
    parse_subfield,
    parse_subfield_prefix,
    parse_table,
    split_arrow,
    str_to_u,
    str_to_u32,
    str_to_u64,
    strtoull,
)
from vnetlab.openflow.ofctl_values import parse_field_value, parse_ip_masked, parse_mac

__all__ = ["parse_actions", "parse_actions_nested"]


def _output_for(port: int, max_len: int = 0) -> Action:
    """Reserved ports become their own action classes (see ``actions.py``)."""
    special: dict[int, Action] = {
        0xFFFA: Normal(), 0xFFFB: Flood(), 0xFFFC: All(), OFPP_IN_PORT: InPort(),
        0xFFFE: Local(), OFPP_CONTROLLER: Controller(0xFFFF),
    }
    return special.get(port, Output(port, max_len))


class _ActionParser:
    """One ``ofpacts_parse__`` run: collects actions and the usable protocols."""

    def __init__(self, port_number: PortNumber) -> None:
        self.port_number = port_number
        self.usable = {"of10", "of11"}

    def parse(self, text: str, allow_instructions: bool) -> tuple[Action, ...]:
        acts: list[Action] = []
        drop = False
        for key, value in parse_key_values(text):
            lkey = key.lower()
            handler = _HANDLERS.get(lkey)
            if handler is not None:
                acts.extend(handler(self, value))
            elif lkey == "drop":
                drop = True
            elif lkey == "apply_actions":
                raise OfctlError("apply_actions is the default instruction")
            else:
                port = parse_port(key, self.port_number)
                if port is None:
                    raise OfctlError(f"unknown action {key}")
                acts.append(_output_for(port))
        if drop and acts:
            raise OfctlError('"drop" must not be accompanied by any other action or '
                             "instruction")
        _verify_instructions(acts, allow_instructions)
        return tuple(acts)

    # one method per action keyword -------------------------------------------------------
    def output(self, arg: str) -> list[Action]:
        if "[" in arg:
            return [OutputReg(parse_subfield(arg))]
        port = parse_port(arg, self.port_number)
        if port is None:
            raise OfctlError(f"{arg}: output to unknown port")
        return [_output_for(port)]

    def controller(self, arg: str) -> list[Action]:
        if not arg:
            return [Controller()]
        if arg.isdigit():
            return [Controller(str_to_u(arg, "max_len", 0xFFFF))]
        max_len, reason, cid = 0xFFFF, "", 0
        for name, value in parse_key_values(arg):
            if name == "reason":
                if value not in ("action", "no_match", "invalid_ttl", "action_set",
                                 "group", "packet_out"):
                    raise OfctlError(f'unknown reason "{value}"')
                reason = "" if value == "action" else value
            elif name == "max_len":
                max_len = str_to_u(value, "max_len", 0xFFFF)
            elif name == "id":
                cid = str_to_u(value, "id", 0xFFFF)
            else:
                raise OfctlError(f'unknown key "{name}" parsing controller action')
        return [Controller(max_len, reason, cid)]

    def enqueue(self, arg: str) -> list[Action]:
        parts = [p for p in arg.replace("q", ":").replace(",", ":").split(":") if p]
        if len(parts) < 2:
            raise OfctlError('"enqueue" syntax is "enqueue:PORT:QUEUE" or '
                             '"enqueue(PORT,QUEUE)"')
        port = parse_port(parts[0], self.port_number)
        if port is None:
            raise OfctlError(f"{parts[0]}: enqueue to unknown port")
        return [Enqueue(port, str_to_u32(":".join(parts[1:])))]

    def resubmit(self, arg: str) -> list[Action]:
        parts = arg.split(",")
        port_s = parts[0] if parts else ""
        table_s = parts[1] if len(parts) > 1 else ""
        port = OFPP_IN_PORT
        if port_s:
            got = parse_port(port_s, self.port_number)
            if got is None:
                raise OfctlError(f"{port_s}: resubmit to unknown port")
            port = got
        table = 255
        if table_s:
            table = parse_table(table_s, f"{table_s}: resubmit to unknown table")
        if len(parts) > 2 and parts[2] and parts[2] != "ct":
            raise OfctlError(f"{parts[2]}: unknown parameter")
        if port == OFPP_IN_PORT and table == 255:
            raise OfctlError('at least one "in_port" or "table" must be specified on '
                             "resubmit")
        return [Resubmit(port, table)]

    def goto_table(self, arg: str) -> list[Action]:
        return [GotoTable(parse_table(arg, f'unknown table "{arg}"'))]

    def write_actions(self, arg: str) -> list[Action]:
        return [WriteActions(self.parse(arg, False))]

    def clear_actions(self, arg: str) -> list[Action]:
        return [ClearActions()]

    def write_metadata(self, arg: str) -> list[Action]:
        value_s, slash, mask_s = arg.partition("/")
        value = str_to_u64(value_s)
        mask = str_to_u64(mask_s) if slash else (1 << 64) - 1
        return [WriteMetadata(value & mask, mask)]

    def group(self, arg: str) -> list[Action]:
        return [Group(str_to_u32(arg))]

    def mod_vlan_vid(self, arg: str, push: bool = True) -> list[Action]:
        vid = str_to_u(arg, "VLAN VID", 0xFFFF)
        if vid & ~0xFFF:
            raise OfctlError(f"{arg}: not a valid VLAN VID")
        return [SetVlanVid(vid, push)]

    def set_vlan_vid(self, arg: str) -> list[Action]:
        return self.mod_vlan_vid(arg, False)

    def mod_vlan_pcp(self, arg: str, push: bool = True) -> list[Action]:
        pcp = str_to_u(arg, "VLAN PCP", 0xFF)
        if pcp & ~7:
            raise OfctlError(f"{arg}: not a valid VLAN PCP")
        return [SetVlanPcp(pcp, push)]

    def set_vlan_pcp(self, arg: str) -> list[Action]:
        return self.mod_vlan_pcp(arg, False)

    def strip_vlan(self, arg: str) -> list[Action]:
        return [StripVlan()]

    def pop_vlan(self, arg: str) -> list[Action]:
        return [StripVlan("pop_vlan")]

    def push_vlan(self, arg: str) -> list[Action]:
        self.usable.discard("of10")
        ethertype = str_to_u(arg, "ethertype", 0xFFFF)
        if ethertype not in (0x8100, 0x88A8):
            raise OfctlError(f"{arg}: not a valid VLAN ethertype")
        return [PushVlan(ethertype)]

    def _mod_mac(self, arg: str, field: str, raw: str) -> list[Action]:
        mac = parse_mac(arg)
        if mac is None:
            raise OfctlError(f"invalid mac address {arg}")
        return [SetField(field, mac, (1 << 48) - 1, raw)]

    def mod_dl_src(self, arg: str) -> list[Action]:
        return self._mod_mac(arg, "eth_src", "mod_dl_src")

    def mod_dl_dst(self, arg: str) -> list[Action]:
        return self._mod_mac(arg, "eth_dst", "mod_dl_dst")

    def _mod_ip(self, arg: str, field: str, raw: str) -> list[Action]:
        try:
            ip, mask = parse_ip_masked(arg)
        except OfctlError:
            raise OfctlError(f"{arg}: could not convert to IP address") from None
        if mask != 0xFFFFFFFF:
            raise OfctlError(f"{arg}: could not convert to IP address")
        return [SetField(field, ip, 0xFFFFFFFF, raw)]

    def mod_nw_src(self, arg: str) -> list[Action]:
        return self._mod_ip(arg, "ip_src", "mod_nw_src")

    def mod_nw_dst(self, arg: str) -> list[Action]:
        return self._mod_ip(arg, "ip_dst", "mod_nw_dst")

    def mod_nw_tos(self, arg: str) -> list[Action]:
        tos = str_to_u(arg, "TOS", 0xFF)
        if tos & ~0xFC:
            raise OfctlError(f"{arg}: not a valid TOS")
        return [SetField("nw_tos", tos, 0xFC, "mod_nw_tos")]

    def mod_nw_ecn(self, arg: str) -> list[Action]:
        ecn = str_to_u(arg, "ECN", 0xFF)
        if ecn & ~3:
            raise OfctlError(f"{arg}: not a valid ECN")
        return [SetField("nw_ecn", ecn, 3, "mod_nw_ecn")]

    def mod_nw_ttl(self, arg: str) -> list[Action]:
        return [SetField("nw_ttl", str_to_u(arg, "TTL", 0xFF), 0xFF, "mod_nw_ttl")]

    def mod_tp_src(self, arg: str) -> list[Action]:
        return [SetField("tcp_src", str_to_u(arg, "source port", 0xFFFF), 0xFFFF,
                         "mod_tp_src")]

    def mod_tp_dst(self, arg: str) -> list[Action]:
        return [SetField("tcp_dst", str_to_u(arg, "destination port", 0xFFFF), 0xFFFF,
                         "mod_tp_dst")]

    def set_field(self, arg: str) -> list[Action]:
        value_s, key = split_arrow(arg)
        mf = field_by_name(key)
        if mf is None:
            raise OfctlError(f"{key} is not a valid OXM field name")
        if mf.name in ("ip_frag", "tcp_flags"):
            raise OfctlError(f"{key} is read-only")
        value, mask = parse_field_value(mf, value_s, self.port_number)
        if mf.name in ("dl_vlan", "dl_vlan_pcp"):
            raise OfctlError(f"{key} is not a valid OXM field name")
        full = (1 << mf.nbits) - 1
        return [SetField(mf.name, value & full, mask & full)]

    def load(self, arg: str) -> list[Action]:
        value_s, key = split_arrow(arg)
        dst = parse_subfield(key)
        mf = dst.field
        if value_s[:2].lower() == "0x":
            try:
                value = int(value_s[2:] or "0", 16)
            except ValueError:
                raise OfctlError(f"{arg}: cannot parse integer value") from None
        else:
            parsed = strtoull(value_s)
            if parsed is None or parsed[1]:
                raise OfctlError(f"{arg}: cannot parse integer value")
            value = parsed[0]
        if value >> dst.nbits:
            shown = f"{value:#x}"
            raise OfctlError(f"{arg}: value {shown} does not fit into {dst.nbits} bits")
        return [SetField(mf.name, value << dst.ofs, dst.mask, "load")]

    def move(self, arg: str) -> list[Action]:
        src, rest = parse_subfield_prefix(arg)
        if not rest.startswith("->"):
            raise OfctlError(f"{arg}: missing `->' following source")
        dst = parse_subfield(rest[2:])
        if src.nbits != dst.nbits:
            raise OfctlError(f"{arg}: source field is {src.nbits} bits wide but destination "
                             f"is {dst.nbits} bits wide")
        return [Move(src, dst)]

    def dec_ttl(self, arg: str) -> list[Action]:
        if not arg:
            return [DecTtl()]
        ids = tuple(int(x) if x.isdigit() else 0 for x in arg.replace(" ", ",").split(",")
                    if x)
        if not ids:
            raise OfctlError("dec_ttl_cnt_ids: expected at least one controller id.")
        return [DecTtl(ids)]

    def set_tunnel(self, arg: str, wide: bool = False) -> list[Action]:
        return [SetTunnel(str_to_u64(arg), wide)]

    def set_tunnel64(self, arg: str) -> list[Action]:
        return self.set_tunnel(arg, True)

    def note(self, arg: str) -> list[Action]:
        data = bytearray()
        s = arg
        while True:
            s = s.lstrip(" .\t\r\n")
            if len(s) >= 2 and all(c in "0123456789abcdefABCDEF" for c in s[:2]):
                data.append(int(s[:2], 16))
                s = s[2:]
            else:
                break
        if s:
            raise OfctlError("bad hex digit in `note' argument")
        # the Nicira note action pads its payload so the action is a multiple of 8 bytes
        padded = (len(data) + 10 + 7) // 8 * 8 - 10
        return [Note(bytes(data) + bytes(padded - len(data)))]

    def learn(self, arg: str) -> list[Action]:
        from vnetlab.openflow.ofctl_learn import parse_learn
        return [parse_learn(arg, self.port_number)]


_HANDLERS: dict[str, Callable[[_ActionParser, str], list[Action]]] = {
    "output": _ActionParser.output,
    "controller": _ActionParser.controller,
    "enqueue": _ActionParser.enqueue,
    "resubmit": _ActionParser.resubmit,
    "goto_table": _ActionParser.goto_table,
    "write_actions": _ActionParser.write_actions,
    "clear_actions": _ActionParser.clear_actions,
    "write_metadata": _ActionParser.write_metadata,
    "group": _ActionParser.group,
    "mod_vlan_vid": _ActionParser.mod_vlan_vid,
    "set_vlan_vid": _ActionParser.set_vlan_vid,
    "mod_vlan_pcp": _ActionParser.mod_vlan_pcp,
    "set_vlan_pcp": _ActionParser.set_vlan_pcp,
    "strip_vlan": _ActionParser.strip_vlan,
    "pop_vlan": _ActionParser.pop_vlan,
    "push_vlan": _ActionParser.push_vlan,
    "mod_dl_src": _ActionParser.mod_dl_src,
    "mod_dl_dst": _ActionParser.mod_dl_dst,
    "mod_nw_src": _ActionParser.mod_nw_src,
    "mod_nw_dst": _ActionParser.mod_nw_dst,
    "mod_nw_tos": _ActionParser.mod_nw_tos,
    "mod_nw_ecn": _ActionParser.mod_nw_ecn,
    "mod_nw_ttl": _ActionParser.mod_nw_ttl,
    "set_nw_ttl": _ActionParser.mod_nw_ttl,
    "mod_tp_src": _ActionParser.mod_tp_src,
    "mod_tp_dst": _ActionParser.mod_tp_dst,
    "set_field": _ActionParser.set_field,
    "load": _ActionParser.load,
    "move": _ActionParser.move,
    "dec_ttl": _ActionParser.dec_ttl,
    "set_tunnel": _ActionParser.set_tunnel,
    "set_tunnel64": _ActionParser.set_tunnel64,
    "note": _ActionParser.note,
    "learn": _ActionParser.learn,
}

#: ``ovs_instruction_type`` order OpenFlow 1.1+ requires
_INSTRUCTION_ORDER = ("apply_actions", "clear_actions", "write_actions", "write_metadata",
                      "goto_table")


def _instruction_of(a: Action) -> str:
    if isinstance(a, ClearActions):
        return "clear_actions"
    if isinstance(a, WriteActions):
        return "write_actions"
    if isinstance(a, WriteMetadata):
        return "write_metadata"
    if isinstance(a, GotoTable):
        return "goto_table"
    return "apply_actions"


def _verify_instructions(acts: list[Action], allow_instructions: bool) -> None:
    """``ofpacts_verify``: instructions in OpenFlow 1.1 order, each at most once."""
    last = -1
    seen: set[str] = set()
    for a in acts:
        inst = _instruction_of(a)
        if not allow_instructions and inst != "apply_actions":
            raise OfctlError(f"{inst} instruction not allowed here")
        idx = _INSTRUCTION_ORDER.index(inst)
        if inst != "apply_actions" and inst in seen:
            raise OfctlError(f"duplicate {inst} instruction not allowed, for OpenFlow 1.1+ "
                             "compatibility")
        if idx < last:
            raise OfctlError(f"invalid instruction ordering: {inst} must appear before "
                             f"{_INSTRUCTION_ORDER[last]}, for OpenFlow 1.1+ compatibility")
        seen.add(inst)
        last = max(last, idx)


#: OpenFlow 1.0-style actions: a missing prerequisite only makes them OpenFlow 1.0-only
#: (``inconsistent_match``), where set_field/load/move are refused outright
_LEGACY_RAW = ("mod_nw_src", "mod_nw_dst", "mod_nw_tos", "mod_nw_ecn", "mod_nw_ttl",
               "mod_tp_src", "mod_tp_dst")


def _check_prereqs(acts: tuple[Action, ...], match: Match, usable: set[str]) -> None:
    """``ofpacts_check``: written/read fields need their prerequisites in the match (as the
    actions before them leave the flow: a pushed VLAN counts)."""
    def ok(mf: MfField) -> bool:
        return prereqs_ok(mf.prereq, match.values, match.masks)

    vlan = bool(match.values.get("vlan_tci", 0) & 0x1000)
    proto = match.values.get("nw_proto", 0) if match.masks.get("nw_proto") else -1
    for a in acts:
        bad = False
        if isinstance(a, PushVlan):
            vlan = True
        elif isinstance(a, SetVlanVid | SetVlanPcp):
            if not vlan and not a.push_if_needed:
                usable.discard("of11")
            vlan = True
        elif isinstance(a, StripVlan):
            if not vlan:
                usable.discard("of11")
            vlan = False
        elif isinstance(a, SetField):
            if a.raw in ("mod_tp_src", "mod_tp_dst"):
                if not (prereqs_ok("ip_any", match.values, match.masks)
                        and proto in (6, 17, 132)):
                    usable.discard("of11")
            elif a.raw in _LEGACY_RAW:
                if not prereqs_ok("ip_any", match.values, match.masks):
                    usable.discard("of11")
            elif a.field in ("vlan_vid", "vlan_pcp"):
                bad = not vlan
            elif a.field == "vlan_tci":
                vlan = bool(a.value & 0x1000)
            else:
                bad = not ok(FIELDS[a.field])
        elif isinstance(a, Move):
            bad = not ok(a.src.field) or not ok(a.dst.field)
        elif isinstance(a, Learn):
            bad = not _learn_ok(a, match)
        elif isinstance(a, WriteActions):
            _check_prereqs(a.actions, match, usable)
        if bad:
            raise OfctlError("actions are invalid with specified match "
                             "(OFPBAC_MATCH_INCONSISTENT)")


def _learn_ok(learn: Learn, match: Match) -> bool:
    """``learn_check``: sources against the flow's match; match destinations against the
    learned match as the immediate values before them build it."""
    learned = Match()
    for spec in learn.specs:
        if spec.src is not None and not prereqs_ok(spec.src.field.prereq, match.values,
                                                   match.masks):
            return False
        if spec.dst is None:
            continue
        if not prereqs_ok(spec.dst.field.prereq, learned.values, learned.masks):
            return False
        if spec.kind == "match" and spec.src is None:
            mf = spec.dst.field
            mv, mm = mf.to_member((spec.value or 0) << spec.dst.ofs, spec.dst.mask)
            learned.set(mf.member, mv, mm)
    return True


def parse_actions(text: str, port_number: PortNumber, match: Match | None = None,
                  table: int = 255) -> tuple[tuple[Action, ...], set[str]]:
    """``ofpacts_parse_instructions`` + ``ofpacts_check``: (actions, usable protocols).
    ``table`` is the flow's table (255: not given), which ``goto_table`` must exceed."""
    parser = _ActionParser(port_number)
    acts = parser.parse(text, True)
    _check_prereqs(acts, match if match is not None else Match(), parser.usable)
    for a in acts:
        if isinstance(a, GotoTable) and table != 255 and a.table <= table:
            raise OfctlError("actions are invalid with specified match "
                             "(OFPBIC_BAD_TABLE_ID)")
    return acts, parser.usable


def parse_actions_nested(text: str, port_number: PortNumber) -> tuple[tuple[Action, ...],
                                                                      set[str]]:
    """``ofpacts_parse_actions``: actions only (a group bucket), no instructions."""
    parser = _ActionParser(port_number)
    return parser.parse(text, False), parser.usable
