"""Tables of cells printed the ways ``ovs-vsctl`` prints ``list`` and ``find`` results.

Design note
-----------
Mirrors ``lib/table.c``: a table is headings plus rows of cells, printed as ``list``
(the default: ``heading : value`` per line, a blank line between records), ``table``,
``csv`` or ``json``, with cells as ``string`` (the default, ``[a, b]``/``{k=v}``),
``bare`` (``a b``, ``k=v``, no quotes) or ``json``. Like OVS, every table after the first
printed by one invocation starts with a blank line (``first_table``), so ``Style`` carries
that state.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from vnetlab.ovsdb.data import Pair, Uuid, datum_to_bare, datum_to_string
from vnetlab.ovsdb.schema import UUID, BaseType, ColumnType

_UUID_BASE = BaseType(UUID)
_UUID_AT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                      r"[0-9a-fA-F]{12}")


@dataclass
class Cell:
    pairs: list[Pair]
    type: ColumnType


@dataclass
class Table:
    headings: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


@dataclass
class Style:
    """``struct table_style`` (+ the ``first_table`` flag of lib/table.c)."""

    format: str = "list"
    cell_format: str = "string"
    headings: bool = True
    pretty: bool = False
    max_column_width: int = 0
    first_table: bool = True


def _atom_json(atom: object, t: str) -> object:
    return ["uuid", str(atom)] if t == "uuid" else atom


def cell_json(cell: Cell, force_set: bool = False) -> object:
    """``ovsdb_datum_to_json``: a single element of a set is written bare."""
    ctype = cell.type
    if ctype.is_map:
        assert ctype.value is not None
        return ["map", [[_atom_json(k, ctype.key.type), _atom_json(v, ctype.value.type)]
                        for k, v in cell.pairs]]
    if len(cell.pairs) == 1 and not force_set:
        return _atom_json(cell.pairs[0][0], ctype.key.type)
    return ["set", [_atom_json(k, ctype.key.type) for k, _ in cell.pairs]]


def _pretty(obj: object, depth: int) -> str:
    """``json_serialize`` with ``JSSF_PRETTY``: closing brackets stay on the last line."""
    pad = "\n" + "  " * (depth + 1)
    if isinstance(obj, list):
        if not obj:
            return "[]"
        return "[" + pad + ("," + pad).join(_pretty(e, depth + 1) for e in obj) + "]"
    if isinstance(obj, dict):
        items = [f"{_json(k)}: {_pretty(v, depth + 1)}" for k, v in sorted(obj.items())]
        return "{" + pad + ("," + pad).join(items) + "}"
    return _json(obj)


def _json(obj: object, pretty: bool = False) -> str:
    if pretty:
        return _pretty(obj, 0)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def cell_text(cell: Cell, style: Style) -> str:
    if style.cell_format == "json":
        return _json(cell_json(cell))
    if style.cell_format == "bare":
        return datum_to_bare(cell.pairs, cell.type)
    return datum_to_string(cell.pairs, cell.type)


def uuid_cell(uuid: Uuid) -> Cell:
    return Cell([(uuid, None)], ColumnType(_UUID_BASE))


def _escape_html(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _html_cell(element: str, content: str) -> str:
    """``table_print_html_cell__``: UUIDs become links to their row."""
    parts = []
    i = 0
    while i < len(content):
        m = _UUID_AT.match(content, i)
        if m:
            u = m.group(0)
            parts.append(f'<a href="#{u}">{u[:8]}</a>')
            i += 36
        else:
            parts.append(_escape_html(content[i]))
            i += 1
    return f"    <{element}>{''.join(parts)}</{element}>\n"


def _html(table: Table, style: Style) -> str:
    """``table_print_html__``."""
    out = ["<table border=1>\n"]
    if style.headings:
        out.append("  <tr>\n")
        out += [_html_cell("th", h) for h in table.headings]
        out.append("  </tr>\n")
    for row in table.rows:
        out.append("  <tr>\n")
        for heading, cell in zip(table.headings, row, strict=True):
            text = cell_text(cell, style)
            if heading == "_uuid":
                out.append(f'    <td><a name="{_escape_html(text)}">'
                           f"{_escape_html(text[:8])}</a></td>\n")
            else:
                out.append(_html_cell("td", text))
        out.append("  </tr>\n")
    out.append("</table>\n")
    return "".join(out)


def format_table(table: Table, style: Style) -> str:
    """``table_format``."""
    out: list[str] = []
    if style.format not in ("json", "html"):
        if style.first_table:
            style.first_table = False
        else:
            out.append("\n")
    if style.format == "list":
        for y, row in enumerate(table.rows):
            if y:
                out.append("\n")
            for heading, cell in zip(table.headings, row, strict=True):
                text = cell_text(cell, style)
                out.append(f"{heading:<20}: {text}\n" if style.headings else f"{text}\n")
    elif style.format == "table":
        texts = [[cell_text(c, style) for c in row] for row in table.rows]
        widths = []
        for x, heading in enumerate(table.headings):
            w = max((len(r[x]) for r in texts), default=0)
            if style.max_column_width > 0:
                w = min(w, style.max_column_width)
            if style.headings:
                w = max(w, len(heading))
            widths.append(w)
        if style.headings:
            out.append(" ".join(f"{h:<{w}}" for h, w in
                                zip(table.headings, widths, strict=True)).rstrip(" ") + "\n")
            out.append(" ".join("-" * w for w in widths).rstrip(" ") + "\n")
        for r in texts:
            out.append(" ".join(f"{t[:w]:<{w}}" for t, w in
                                zip(r, widths, strict=True)).rstrip(" ") + "\n")
    elif style.format == "csv":
        def csv(text: str) -> str:
            if not any(c in text for c in '\n",'):
                return text
            return '"' + text.replace('"', '""') + '"'
        if style.headings:
            out.append(",".join(csv(h) for h in table.headings) + "\n")
        for row in table.rows:
            out.append(",".join(csv(cell_text(c, style)) for c in row) + "\n")
    elif style.format == "html":
        out.append(_html(table, style))
    else:
        data = [[cell_json(c) for c in row] for row in table.rows]
        out.append(_json({"data": data, "headings": table.headings}, style.pretty) + "\n")
    return "".join(out)

