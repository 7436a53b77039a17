"""The scanners the ``ovs-ofctl`` syntax is made of: C-style numbers (``strtoull`` base 0),
``key=value`` lists (``ofputil_parse_key_value``), ports (``ofputil_port_from_string``),
tables and subfields (``mf_parse_subfield``), with OVS's error wording.

Design note: shared by the flow, action, group and learn parsers so each of them reads
numbers and names exactly the same way OVS's do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from vnetlab.openflow.actions import OFPP_MAX, Subfield
from vnetlab.openflow.fields import FIELDS_BY_NXM, field_by_name
from vnetlab.openflow.match import RESERVED_PORTS
from vnetlab.openflow.ofctl_errors import OfctlError

__all__ = [
    "PortNumber",
    "parse_key_values",
    "parse_port",
    "parse_subfield",
    "parse_subfield_prefix",
    "parse_table",
    "split_arrow",
    "str_to_int",
    "str_to_u",
    "str_to_u16",
    "str_to_u32",
    "str_to_u64",
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
    sub, rest = parse_subfield_prefix(text)
    if rest:
        raise OfctlError("unexpected input following field syntax")
    return sub


def parse_subfield_prefix(text: str) -> tuple[Subfield, str]:
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


def str_to_u(text: str, name: str, limit: int) -> int:
    parsed = strtoull(text) if text else None
    if parsed is None or parsed[1] or parsed[0] > limit:
        raise OfctlError(f'invalid {name} "{text}"')
    return parsed[0]


def str_to_u32(text: str) -> int:
    if not text:
        raise OfctlError("missing required numeric argument")
    parsed = strtoull(text)
    if parsed is None or parsed[1] or parsed[0] > 0xFFFFFFFF:
        raise OfctlError(f"invalid numeric format {text}")
    return parsed[0]


def str_to_u64(text: str) -> int:
    if not text:
        raise OfctlError("missing required numeric argument")
    parsed = strtoull(text)
    if parsed is None or parsed[1]:
        raise OfctlError(f"invalid numeric format {text}")
    return parsed[0]


def split_arrow(arg: str) -> tuple[str, str]:
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


def str_to_int(text: str) -> int | None:
    """``str_to_int`` with base 0: the whole string must be a C integer."""
    parsed = strtoull(text)
    if parsed is None or parsed[1]:
        return None
    return parsed[0]


def str_to_u16(text: str, name: str) -> int:
    value = str_to_int(text)
    if value is None or not 0 <= value <= 65535:
        raise OfctlError(f'invalid {name} "{text}"')
    return value
