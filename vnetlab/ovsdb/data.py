"""OVSDB atoms and datums: parsing from and printing to the ``ovs-vsctl`` text syntax.

Design note
-----------
Mirrors ``lib/ovsdb-data.c``: ``ovsdb_token_parse``, ``ovsdb_atom_from_string``,
``ovsdb_datum_from_string``, ``ovsdb_atom_to_string``/``_to_bare`` and
``ovsdb_atom_check_constraints``, with their error texts word for word (the tests hold
them to a real ``ovs-vsctl``).

A datum is handled here as a sorted list of ``(key, value)`` pairs (``value`` is None for
sets and scalars), the shape OVS's ``struct ovsdb_datum`` has; ``db.py`` turns it into the
Python value a row hands out (scalar, ``list`` or ``dict``). Atoms are ``int``, ``float``,
``bool``, ``str`` and ``Uuid`` (a ``str``); Python's own ordering of each is the order
OVSDB sorts them in (strings by UTF-8 bytes = code points, UUIDs by their hex text).

``@name`` in a UUID position is a row id of the command line: ``SymbolTable`` gives it a
UUID on first sight and records whether it was referenced strongly or weakly, as
``ovsdb_symbol_table`` does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from vnetlab.ovsdb.schema import (
    BOOLEAN,
    INT64_MAX,
    INT64_MIN,
    INTEGER,
    REAL,
    STRING,
    UUID,
    BaseType,
    ColumnType,
)


class Uuid(str):
    """A row reference (``["uuid", "..."]`` in OVSDB's JSON)."""

    __slots__ = ()


Atom = int | float | bool | str
Pair = tuple[Atom, Atom | None]

ZERO_UUID = Uuid("00000000-0000-0000-0000-000000000000")

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
                      r"-[0-9a-fA-F]{12}$")
_DELIMS = ":=, []{}!<>"


class DataError(ValueError):
    """A value that does not parse or violates its constraints; the message is OVS's."""


def is_uuid(text: str) -> bool:
    """``uuid_from_string``."""
    return bool(_UUID_RE.match(text))


@dataclass
class Symbol:
    uuid: Uuid
    created: bool = False
    strong_ref: bool = False
    weak_ref: bool = False


@dataclass
class SymbolTable:
    """``struct ovsdb_symbol_table``: ``@name`` -> UUID, in order of first use."""

    new_uuid: Callable[[], Uuid]
    symbols: dict[str, Symbol] = field(default_factory=dict)

    def insert(self, name: str) -> Symbol:
        sym = self.symbols.get(name)
        if sym is None:
            sym = self.symbols[name] = Symbol(self.new_uuid())
        return sym


def token_parse(s: str, pos: int = 0) -> tuple[str, int]:
    """``ovsdb_token_parse``: one token from ``s[pos:]`` up to a delimiter; backslash
    escapes one character, double quotes protect delimiters (and are kept)."""
    out: list[str] = []
    in_quotes = False
    i = pos
    while i < len(s):
        c = s[i]
        i += 1
        if c == "\\":
            if in_quotes:
                out.append("\\")
            if i >= len(s):
                raise DataError(f"{s[pos:]}: backslash at end of argument")
            out.append(s[i])
            i += 1
        elif not in_quotes and c in _DELIMS:
            i -= 1
            break
        else:
            out.append(c)
            if c == '"':
                in_quotes = not in_quotes
    if in_quotes:
        raise DataError(f"{s[pos:]}: quoted string extends past end of argument")
    return "".join(out), i


def _str_to_llong(s: str) -> int | None:
    """``str_to_llong`` (base 10): optional sign, digits, nothing else, in range."""
    if not re.fullmatch(r"\s*[+-]?[0-9]+", s):
        return None
    v = int(s)
    return v if INT64_MIN <= v <= INT64_MAX else None


def _format_real(v: float) -> str:
    """``%.15g``."""
    return f"{v:.15g}"


def json_string(s: str) -> str:
    """A JSON string as OVS's ``json_to_ds`` writes it (UTF-8 kept, controls escaped)."""
    return json.dumps(s, ensure_ascii=False)


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t"}


def _hex4(text: str, i: int, whole: str) -> int:
    if i + 4 > len(text):
        raise DataError(f"{whole}: quoted string ends within \\u escape")
    digits = text[i:i + 4]
    if not all(c in "0123456789abcdefABCDEF" for c in digits):
        raise DataError(f"{whole}: malformed \\u escape")
    value = int(digits, 16)
    if not value:
        raise DataError(f"{whole}: null bytes not supported in quoted strings")
    return value


def json_string_unescape(text: str, whole: str) -> str:
    """``json_string_unescape`` (lib/json.c), its errors prefixed with the argument."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            raise DataError(f'{whole}: quoted string may not include unescaped "')
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= len(text):
            raise DataError(f"{whole}: quoted string may not end with backslash")
        e = text[i]
        i += 1
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
        elif e == "u":
            c0 = _hex4(text, i, whole)
            i += 4
            if 0xD800 <= c0 <= 0xDBFF:
                if text[i:i + 2] != "\\u":
                    raise DataError(f"{whole}: malformed escaped surrogate pair")
                c1 = _hex4(text, i + 2, whole)
                i += 6
                if not 0xDC00 <= c1 <= 0xDFFF:
                    raise DataError(f"{whole}: second half of escaped surrogate pair is not "
                                    "trailing surrogate")
                c0 = 0x10000 + ((c0 - 0xD800) << 10) + (c1 - 0xDC00)
            elif 0xDC00 <= c0 <= 0xDFFF:
                raise DataError("constraint violation: not a valid UTF-8 string: invalid "
                                "UTF-8 sequence")
            out.append(chr(c0))
        else:
            raise DataError(f"{whole}: bad escape \\{e}")
    return "".join(out)


def atom_from_string(base: BaseType, s: str, symtab: SymbolTable | None,
                     allow_range: bool = False) -> list[Atom]:
    """``ovsdb_atom_from_string``: one atom (or, with ``allow_range``, the atoms of an
    integer range ``LO-HI``), constraints checked."""
    t = base.type
    if t == INTEGER:
        m = re.fullmatch(r"\s*([+-]?[0-9]+)-([+-]?[0-9]+)", s) if allow_range else None
        if m and _str_to_llong(m.group(1)) is not None \
                and _str_to_llong(m.group(2)) is not None:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi < lo:
                raise DataError(f'"{s}" is not a valid range. '
                                "Range end cannot be before start.")
            check_constraints(lo, base)
            check_constraints(hi, base)
            if hi - lo >= 4096:
                raise DataError(f'constraint violation: Range "{lo}-{hi}" is too big. '
                                "Maximum allowed size is 4096.")
            return list(range(lo, hi + 1))
        v = _str_to_llong(s)
        if v is None:
            raise DataError(f'"{s}" is not a valid integer or range')
        check_constraints(v, base)
        return [v]
    if t == REAL:
        try:
            f = float(s)
        except ValueError:
            raise DataError(f'"{s}" is not a valid real number') from None
        atom: Atom = f + 0.0
    elif t == BOOLEAN:
        if s in ("true", "yes", "on", "1"):
            atom = True
        elif s in ("false", "no", "off", "0"):
            atom = False
        else:
            raise DataError(f'"{s}" is not a valid boolean (use "true" or "false")')
    elif t == STRING:
        if s == "":
            raise DataError('An empty string is not valid as input; '
                            'use "" to represent the empty string')
        if s.startswith('"'):
            if len(s) < 2 or not s.endswith('"'):
                raise DataError(f"{s}: missing quote at end of quoted string")
            atom = json_string_unescape(s[1:-1], s)
        else:
            atom = s
    else:
        assert t == UUID
        if s.startswith("@") and symtab is not None:
            sym = symtab.insert(s)
            if base.ref_table is not None:
                if base.ref_strong:
                    sym.strong_ref = True
                else:
                    sym.weak_ref = True
            atom = sym.uuid
        elif is_uuid(s):
            atom = Uuid(s.lower())
        else:
            raise DataError(f'"{s}" is not a valid UUID')
    check_constraints(atom, base)
    return [atom]


def check_constraints(atom: Atom, base: BaseType) -> None:
    """``ovsdb_atom_check_constraints`` (UUID references are checked at commit)."""
    if base.enum is not None and atom not in base.enum:
        valid = ", ".join(atom_to_string(v, base.type) for v in base.enum)  # type: ignore[arg-type]
        raise DataError(f"constraint violation: {atom_to_string(atom, base.type)} is not "
                        f"one of the allowed values ([{valid}])")
    if base.type == INTEGER and isinstance(atom, int):
        if base.min_int <= atom <= base.max_int:
            return
        if base.min_int != INT64_MIN:
            if base.max_int != INT64_MAX:
                raise DataError(f"constraint violation: {atom} is not in the valid range "
                                f"{base.min_int} to {base.max_int} (inclusive)")
            raise DataError(f"constraint violation: {atom} is less than minimum allowed "
                            f"value {base.min_int}")
        raise DataError(f"constraint violation: {atom} is greater than maximum allowed "
                        f"value {base.max_int}")


def _needs_quotes(s: str) -> bool:
    """``string_needs_quotes``."""
    if not s or not (s[0].isascii() and (s[0].isalpha() or s[0] == "_")):
        return True
    if any(not (c.isascii() and (c.isalnum() or c in "_-.")) for c in s[1:]):
        return True
    return s in ("true", "false") or is_uuid(s)


def atom_to_string(atom: Atom, atype: str) -> str:
    """``ovsdb_atom_to_string``: the form ``atom_from_string`` reads back."""
    if atype == BOOLEAN:
        return "true" if atom else "false"
    if atype == REAL:
        return _format_real(float(atom))
    if atype == STRING:
        s = str(atom)
        return json_string(s) if _needs_quotes(s) else s
    return str(atom)


def atom_to_bare(atom: Atom, atype: str) -> str:
    """``ovsdb_atom_to_bare``: strings without quotes."""
    return str(atom) if atype == STRING else atom_to_string(atom, atype)


def datum_to_string(pairs: list[Pair], ctype: ColumnType) -> str:
    """``ovsdb_datum_to_string``: ``[a, b]``, ``{k=v}``, or a bare scalar."""
    items = []
    for k, v in pairs:
        text = atom_to_string(k, ctype.key.type)
        if ctype.value is not None:
            assert v is not None
            text += "=" + atom_to_string(v, ctype.value.type)
        items.append(text)
    body = ", ".join(items)
    if ctype.n_max > 1 or not pairs:
        return ("{%s}" if ctype.is_map else "[%s]") % body
    return body


def datum_to_bare(pairs: list[Pair], ctype: ColumnType) -> str:
    """``ovsdb_datum_to_bare``: space separated, no punctuation."""
    items = []
    for k, v in pairs:
        text = atom_to_bare(k, ctype.key.type)
        if ctype.value is not None:
            assert v is not None
            text += "=" + atom_to_bare(v, ctype.value.type)
        items.append(text)
    return " ".join(items)


def _skip_spaces(s: str, i: int) -> int:
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def datum_from_string(ctype: ColumnType, s: str,
                      symtab: SymbolTable | None) -> list[Pair]:
    """``ovsdb_datum_from_string``: atoms separated by spaces or commas, optionally in
    ``[]`` (sets) or ``{}`` (maps), ``k=v`` pairs for maps; integer keys may be ranges."""
    is_map = ctype.is_map
    i = _skip_spaces(s, 0)
    end_delim = ""
    if i < len(s) and s[i] == ("{" if is_map else "["):
        end_delim = "}" if is_map else "]"
        i = _skip_spaces(s, i + 1)
    elif i >= len(s):
        raise DataError('use "{}" to specify the empty map' if is_map
                        else 'use "[]" to specify the empty set')
    pairs: list[Pair] = []
    while i < len(s) and s[i] != end_delim:
        if s[i] in _DELIMS:
            raise DataError(f'{s}: unexpected "{s[i]}" parsing {ctype.to_english()}')
        start = i
        token, i = token_parse(s, i)
        keys = atom_from_string(ctype.key, token, symtab, allow_range=True)
        value: Atom | None = None
        if ctype.value is not None:
            i = _skip_spaces(s, i)
            if i < len(s) and s[i] == "=":
                i = _skip_spaces(s, i + 1)
                vtoken, i = token_parse(s, i)
                value = atom_from_string(ctype.value, vtoken, symtab)[0]
            elif i >= len(s):
                # OVS formats the NUL at the end with %c, which ends its message there
                raise DataError(f'{s[start:]}: syntax error at "')
            else:
                raise DataError(f'{s[start:]}: syntax error at "{s[i]}" expecting "="')
        pairs.extend((k, value) for k in keys)
        i = _skip_spaces(s, i)
        if i < len(s) and s[i] == ",":
            i = _skip_spaces(s, i + 1)
    if (s[i] if i < len(s) else "") != end_delim:
        raise DataError(f'{s}: missing "{end_delim}" at end of data')
    if end_delim and _skip_spaces(s, i + 1) < len(s):
        raise DataError(f'{s}: trailing garbage after "{end_delim}"')
    what = "pair(s)" if is_map else "value(s)"
    if len(pairs) < ctype.n_min:
        raise DataError(f"{s}: {len(pairs)} {what} specified but the minimum number is "
                        f"{ctype.n_min}")
    if len(pairs) > ctype.n_max:
        raise DataError(f"{s}: {len(pairs)} {what} specified but the maximum number is "
                        f"{ctype.n_max}")
    pairs.sort(key=lambda p: p[0])
    if any(a[0] == b[0] for a, b in zip(pairs, pairs[1:], strict=False)):
        raise DataError(f"{s}: map contains duplicate key" if is_map
                        else f"{s}: set contains duplicate value")
    return pairs
