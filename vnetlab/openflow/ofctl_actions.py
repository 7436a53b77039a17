"""The ``ovs-ofctl`` action syntax (``ofpacts_parse__`` and the ``parse_*`` functions of
``lib/ofp-actions.c``) and the small scanners the flow syntax shares with it.

Design note: :func:`parse_actions` returns the actions and the set of protocols that can carry
them (``of10``/``of11``, see ``ofctl_parse.py``). It also runs the checks OVS runs before it
sends anything (``ofpacts_verify``: instruction order; ``ofpacts_check``: a field an action
writes must have its prerequisites in the match), with OVS's messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from vnetlab.openflow.actions import (
    OFPP_CONTROLLER,
    OFPP_IN_PORT,
    OFPP_MAX,
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
    Subfield,
    WriteActions,
    WriteMetadata,
)
from vnetlab.openflow.fields import FIELDS, FIELDS_BY_NXM, MfField, field_by_name, prereqs_ok
from vnetlab.openflow.match import RESERVED_PORTS, Match
from vnetlab.openflow.ofctl_errors import OfctlError

__all__ = [
    "PortNumber",
    "parse_actions",
    "parse_actions_nested",
    "parse_key_values",
    "parse_port",
    "parse_subfield",
    "parse_table",
    "strtoull",
]

#: port name -> OpenFlow port number, or None when the bridge has no such port
PortNumber = Callable[[str], "int | None"] | None

_RESERVED_BY_NAME = {name: num for num, name in RESERVED_PORTS.items()}
_RESERVED_BY_NAME["NONE"] = 0xFFFF


def strtoull(text: str) -> tuple[int, str] | None:
    """C ``strtoull(s, &tail, 0)``: the value and the unparsed tail, or None if no digits."""
    s = text.lstrip(" \t\r\n\f\v")
    neg = False
    if s[:1] in "+-" and s:
        neg = s[0] == "-"
        s = s[1:]
    if s[:2].lower() == "0x" and len(s) > 2 and s[2] in "0123456789abcdefABCDEF":
        base, body = 16, s[2:]
        digits = "0123456789abcdefABCDEF"
    elif s[:1] == "0":
        base, body, digits = 8, s, "01234567"
    else:
        base, body, digits = 10, s, "0123456789"
    j = 0
    while j < len(body) and body[j] in digits:
        j += 1
    if j == 0:
        return None
    value = int(body[:j], base)
    if value >= 1 << 64:
        value = (1 << 64) - 1
    if neg:
        value = (-value) & ((1 << 64) - 1)
    return value, body[j:]


def _parse_value_end(s: str, delims: str) -> int:
    """``parse_value``: where a value ends, skipping balanced parentheses."""
    n = 0
    while n < len(s) and s[n] not in delims:
        if s[n] == "(":
            level = 0
            while True:
                if n >= len(s):
                    return n
                if s[n] == "(":
                    level += 1
                elif s[n] == ")":
                    level -= 1
                n += 1
                if level <= 0:
                    break
        else:
            n += 1
    return n


def parse_key_values(text: str) -> Iterator[tuple[str, str]]:
    """``ofputil_parse_key_value``: ``key``, ``key=value``, ``key:value``, ``key(value)``."""
    s = text
    while True:
        i = 0
        while i < len(s) and s[i] in ", \t\r\n":
            i += 1
        s = s[i:]
        if not s:
            return
        k = 0
        while k < len(s) and s[k] not in ":=(, \t\r\n":
            k += 1
        key, delim = s[:k], s[k:k + 1]
        s = s[k + 1:] if delim else ""
        if delim in (":", "="):
            delims = ", \t\r\n"
        elif delim == "(":
            delims = ")"
        else:
            yield key, ""
            continue
        n = _parse_value_end(s, delims)
        value = s[:n]
        end = s[n:n + 1]
        if end == ")" and s[n + 1:n + 3] == "->":
            # "(x)->y": the value runs on past the closing parenthesis
            m = _parse_value_end(s[n + 1:], ", \t\r\n")
            value = s[:n + 1 + m]
            n = n + 1 + m
            end = s[n:n + 1]
        s = s[n + 1:] if end else ""
        yield key, value


def parse_port(text: str, port_number: PortNumber) -> int | None:
    """``ofputil_port_from_string``: a number, a reserved name, or a bridge port's name."""
    if not text:
        return None
    if text.isdigit():
        n = int(text)
        if n < OFPP_MAX:
            return n
        if n <= 0xFFFF:
            return n if n >= 0xFFF8 else None
        return None
    if text.upper() in _RESERVED_BY_NAME:
        return _RESERVED_BY_NAME[text.upper()]
    name = text
    if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
        name = name[1:-1]
    if port_number is not None:
        return port_number(name)
    return None


def parse_table(text: str, error: str) -> int:
    """``ofputil_table_from_string``: 0..255 (255 = all/current)."""
    parsed = strtoull(text)
    if parsed is None or parsed[1] or parsed[0] > 255:
        raise OfctlError(error)
    return parsed[0]


def parse_subfield(text: str) -> Subfield:
    """``mf_parse_subfield``: ``NXM_NX_REG0[0..3]``, ``reg0[]``, ``eth_src``."""
    sub, rest = _parse_subfield_prefix(text)
    if rest:
        raise OfctlError("unexpected input following field syntax")
    return sub


def _parse_subfield_prefix(text: str) -> tuple[Subfield, str]:
    n = 0
    while n < len(text) and text[n] not in "[-":
        n += 1
    name = text[:n]
    mf = FIELDS_BY_NXM.get(name) or field_by_name(name)
    if mf is None:
        raise OfctlError(f"{text}: unknown field `{name}'")
    rest = text[n:]
    start, end = 0, mf.nbits - 1
    if rest.startswith("["):
        close = rest.find("]")
        inner = rest[1:close] if close >= 0 else None
        if inner == "":
            pass
        elif inner is not None and ".." in inner and all(
                p.strip().lstrip("-").isdigit() for p in inner.split("..", 1)):
            a, b = inner.split("..", 1)
            start, end = int(a), int(b)
        elif inner is not None and inner.strip().lstrip("-").isdigit():
            start = end = int(inner)
        else:
            raise OfctlError(f"{text}: syntax error expecting [] or [<bit>] or "
                             "[<start>..<end>]")
        rest = rest[close + 1:]
    if start > end:
        raise OfctlError(f"{text}: starting bit {start} is after ending bit {end}")
    if start >= mf.nbits:
        raise OfctlError(f"{text}: starting bit {start} is not valid because field is only "
                         f"{mf.nbits} bits wide")
    if end >= mf.nbits:
        raise OfctlError(f"{text}: ending bit {end} is not valid because field is only "
                         f"{mf.nbits} bits wide")
    return Subfield(mf, start, end - start + 1), rest


def _str_to_u(text: str, name: str, limit: int) -> int:
    parsed = strtoull(text) if text else None
    if parsed is None or parsed[1] or parsed[0] > limit:
        raise OfctlError(f'invalid {name} "{text}"')
    return parsed[0]


def _str_to_u32(text: str) -> int:
    if not text:
        raise OfctlError("missing required numeric argument")
    parsed = strtoull(text)
    if parsed is None or parsed[1] or parsed[0] > 0xFFFFFFFF:
        raise OfctlError(f"invalid numeric format {text}")
    return parsed[0]


def _str_to_u64(text: str) -> int:
    if not text:
        raise OfctlError("missing required numeric argument")
    parsed = strtoull(text)
    if parsed is None or parsed[1]:
        raise OfctlError(f"invalid numeric format {text}")
    return parsed[0]


def _split_arrow(arg: str) -> tuple[str, str]:
    """``set_field_split_str``: ``value->key`` (value may be parenthesised)."""
    if arg.startswith("("):
        close = arg.find(")")
        if close >= 0 and arg[close + 1:close + 3] == "->":
            return arg[1:close], arg[close + 3:]
    at = arg.find("->")
    if at < 0:
        raise OfctlError(f"{arg}: missing `->'")
    key = arg[at + 2:]
    if not key:
        raise OfctlError(f"{arg}: missing field name following `->'")
    return arg[:at], key


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
            return [Controller(_str_to_u(arg, "max_len", 0xFFFF))]
        max_len, reason, cid = 0xFFFF, "", 0
        for name, value in parse_key_values(arg):
            if name == "reason":
                if value not in ("action", "no_match", "invalid_ttl", "action_set",
                                 "group", "packet_out"):
                    raise OfctlError(f'unknown reason "{value}"')
                reason = "" if value == "action" else value
            elif name == "max_len":
                max_len = _str_to_u(value, "max_len", 0xFFFF)
            elif name == "id":
                cid = _str_to_u(value, "id", 0xFFFF)
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
        return [Enqueue(port, _str_to_u32(":".join(parts[1:])))]

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
        value = _str_to_u64(value_s)
        mask = _str_to_u64(mask_s) if slash else (1 << 64) - 1
        return [WriteMetadata(value & mask, mask)]

    def group(self, arg: str) -> list[Action]:
        return [Group(_str_to_u32(arg))]

    def mod_vlan_vid(self, arg: str, push: bool = True) -> list[Action]:
        vid = _str_to_u(arg, "VLAN VID", 0xFFFF)
        if vid & ~0xFFF:
            raise OfctlError(f"{arg}: not a valid VLAN VID")
        return [SetVlanVid(vid, push)]

    def set_vlan_vid(self, arg: str) -> list[Action]:
        return self.mod_vlan_vid(arg, False)

    def mod_vlan_pcp(self, arg: str, push: bool = True) -> list[Action]:
        pcp = _str_to_u(arg, "VLAN PCP", 0xFF)
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
        ethertype = _str_to_u(arg, "ethertype", 0xFFFF)
        if ethertype not in (0x8100, 0x88A8):
            raise OfctlError(f"{arg}: not a valid VLAN ethertype")
        return [PushVlan(ethertype)]

    def _mod_mac(self, arg: str, field: str, raw: str) -> list[Action]:
        from vnetlab.openflow.ofctl_parse import parse_mac
        mac = parse_mac(arg)
        if mac is None:
            raise OfctlError(f"invalid mac address {arg}")
        return [SetField(field, mac, (1 << 48) - 1, raw)]

    def mod_dl_src(self, arg: str) -> list[Action]:
        return self._mod_mac(arg, "eth_src", "mod_dl_src")

    def mod_dl_dst(self, arg: str) -> list[Action]:
        return self._mod_mac(arg, "eth_dst", "mod_dl_dst")

    def _mod_ip(self, arg: str, field: str, raw: str) -> list[Action]:
        from vnetlab.openflow.ofctl_parse import parse_ip_masked
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
        tos = _str_to_u(arg, "TOS", 0xFF)
        if tos & ~0xFC:
            raise OfctlError(f"{arg}: not a valid TOS")
        return [SetField("nw_tos", tos, 0xFC, "mod_nw_tos")]

    def mod_nw_ecn(self, arg: str) -> list[Action]:
        ecn = _str_to_u(arg, "ECN", 0xFF)
        if ecn & ~3:
            raise OfctlError(f"{arg}: not a valid ECN")
        return [SetField("nw_ecn", ecn, 3, "mod_nw_ecn")]

    def mod_nw_ttl(self, arg: str) -> list[Action]:
        return [SetField("nw_ttl", _str_to_u(arg, "TTL", 0xFF), 0xFF, "mod_nw_ttl")]

    def mod_tp_src(self, arg: str) -> list[Action]:
        return [SetField("tcp_src", _str_to_u(arg, "source port", 0xFFFF), 0xFFFF,
                         "mod_tp_src")]

    def mod_tp_dst(self, arg: str) -> list[Action]:
        return [SetField("tcp_dst", _str_to_u(arg, "destination port", 0xFFFF), 0xFFFF,
                         "mod_tp_dst")]

    def set_field(self, arg: str) -> list[Action]:
        from vnetlab.openflow.ofctl_parse import parse_field_value
        value_s, key = _split_arrow(arg)
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
        value_s, key = _split_arrow(arg)
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
        src, rest = _parse_subfield_prefix(arg)
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
        return [SetTunnel(_str_to_u64(arg), wide)]

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
