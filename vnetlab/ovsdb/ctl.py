"""The database commands every ``*-ctl`` tool shares: get, list, find, set, add, remove,
clear, create, destroy, wait-until and show, with their command-line parsing.

Design note
-----------
Mirrors ``lib/db-ctl-base.c``. A command line is split at ``--`` into commands
(``ctl_parse_commands``), each with its own ``--option``s checked against the command's
syntax entry. Commands run in two passes as in OVS: every ``pre`` (prerequisite) first,
which is where unknown tables and columns are reported, then every ``run`` inside one
transaction. An error raises ``CtlFatal`` with OVS's message; the caller (``vsctl.py``)
prints it as ``ovs-vsctl: MESSAGE`` and exits 1 with nothing committed.

Tables, columns and rows are found as ``get_table``/``get_column``/``ctl_get_row`` find
them: unique case-insensitive prefixes (``-`` = ``_``), UUIDs, UUID prefixes of at least 4
digits, ``.`` for a table's only row, and names through ``ROW_IDS``.

``destroy`` of a row in a non-root table sends nothing to the server, as OVS's IDL does:
the row goes only if garbage collection takes it at commit. The invocation itself no
longer sees it (``Context.hidden``), as the IDL's view does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from vnetlab.ovsdb.data import (
    DataError,
    Pair,
    SymbolTable,
    Uuid,
    atom_from_string,
    datum_from_string,
    datum_to_string,
    is_uuid,
    token_parse,
)
from vnetlab.ovsdb.db import Database, Row, Transaction, from_pairs, to_pairs
from vnetlab.ovsdb.schema import UNLIMITED, Column, ColumnType, TableSchema
from vnetlab.ovsdb.table_fmt import Table
from vnetlab.ovsdb.vswitch_schema import ROW_IDS


class CtlFatal(Exception):
    """``ctl_fatal``: the message ovs-vsctl prints after ``ovs-vsctl: ``."""


class CtlExit(Exception):
    """``vsctl_exit(status)``: stop without a message (``br-exists`` -> 2)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class Context:
    """``struct ctl_context`` for one command."""

    db: Database
    txn: Transaction
    symtab: SymbolTable
    argv: list[str]
    options: dict[str, str | None]
    last_command: bool
    warn: Callable[[str, str], None]
    invalidate: Callable[[], None]
    output: list[str] = field(default_factory=list)
    table: Table | None = None
    #: the tool's own state (ovs-vsctl's bridge cache)
    tool: object = None
    #: rows this invocation deleted in its view of the database but left to garbage
    #: collection (the IDL sends no delete for non-root rows): later commands of the
    #: same invocation no longer see them; shared by all its commands
    hidden: set[Uuid] = field(default_factory=set)

    def rows(self, table: str) -> list[Row]:
        """The rows of ``table`` as this invocation sees them."""
        return [r for r in self.db.rows(table) if r.uuid not in self.hidden]

    def get(self, table: str, uuid: str) -> Row | None:
        row = self.db.get(table, uuid)
        return None if row is None or row.uuid in self.hidden else row

    def opt(self, name: str) -> bool:
        return name in self.options


@dataclass(frozen=True)
class Syntax:
    """``struct ctl_command_syntax``."""

    name: str
    min_args: int
    max_args: int
    options: str
    pre: Callable[[Context], None] | None
    run: Callable[[Context], None] | None
    post: Callable[[Context], None] | None = None
    rw: bool = False


@dataclass
class Command:
    syntax: Syntax
    argv: list[str]
    options: dict[str, str | None]


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & 0xFFFFFFFF


def _mhash_add(h: int, data: int) -> int:
    if data:
        data = (data * 0xCC9E2D51) & 0xFFFFFFFF
        data = _rotl(data, 15)
        data = (data * 0x1B873593) & 0xFFFFFFFF
        h ^= data
    h = _rotl(h, 13)
    return (h * 5 + 0xE6546B64) & 0xFFFFFFFF


def hash_string(text: str, basis: int = 0) -> int:
    """``hash_string`` (lib/hash.c ``hash_bytes``, the murmur3-style word hash)."""
    data = text.encode()
    h = basis
    for i in range(0, len(data) - len(data) % 4, 4):
        h = _mhash_add(h, int.from_bytes(data[i:i + 4], "little"))
    if len(data) % 4:
        h = _mhash_add(h, int.from_bytes(data[len(data) - len(data) % 4:], "little"))
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    return h ^ (h >> 16)


def shash_order(names: list[str]) -> list[str]:
    """The order ``SHASH_FOR_EACH`` visits names added in this order: buckets by
    ``hash & mask``, newest first in a bucket, the table growing as ``hmap_insert``
    grows it. ovs-vsctl checks a command's options in this order, so it decides which
    of two bad options an error names."""
    mask = 0
    buckets: list[list[tuple[str, int]]] = [[]]
    for n, name in enumerate(names, 1):
        h = hash_string(name)
        buckets[h & mask].insert(0, (name, h))
        if n // 2 > mask:
            new_mask = n // 2
            for shift in (1, 2, 4, 8, 16, 32):
                new_mask |= new_mask >> shift
            new_mask |= (new_mask & 1) << 1
            if new_mask > mask:
                grown: list[list[tuple[str, int]]] = [[] for _ in range(new_mask + 1)]
                for bucket in buckets:
                    for item in bucket:
                        grown[item[1] & new_mask].insert(0, item)
                buckets, mask = grown, new_mask
    return [name for bucket in buckets for name, _ in bucket]


def parse_command(args: list[str], local: dict[str, str | None],
                  commands: dict[str, Syntax]) -> Command:
    """``parse_command``: leading ``--opt[=val]`` words, the name, its arguments."""
    options = dict(local)
    local.clear()
    i = 0
    while i < len(args) and args[i].startswith("-"):
        key, eq, text = args[i].partition("=")
        if key in options:
            raise CtlFatal(f"'{args[i]}' option specified multiple times")
        options[key] = text if eq else None
        i += 1
    if i == len(args):
        raise CtlFatal("missing command name (use --help for help)")
    syntax = commands.get(args[i])
    if syntax is None:
        raise CtlFatal(f"unknown command '{args[i]}'; use --help for help")
    for name in shash_order(list(options)):
        value = options[name]
        pos = syntax.options.find(name)
        end: str | None = None
        if pos >= 0:
            after = pos + len(name)
            end = syntax.options[after] if after < len(syntax.options) else ""
        if end is None or end not in ("=", ",", "?", " ", ""):
            raise CtlFatal(f"'{args[i]}' command has no '{name}' option")
        if end != "?" and (end == "=") != (value is not None):
            if end == "=":
                raise CtlFatal(f"missing argument to '{name}' option on '{args[i]}' command")
            raise CtlFatal(f"'{name}' option on '{args[i]}' does not accept an argument")
    n_arg = len(args) - i - 1
    if n_arg < syntax.min_args:
        raise CtlFatal(f"'{syntax.name}' command requires at least {syntax.min_args} "
                       "arguments")
    if n_arg > syntax.max_args:
        if any(a.startswith("-") for a in args[i + 1:]):
            raise CtlFatal(f"'{syntax.name}' command takes at most {syntax.max_args} "
                           "arguments (note that options must precede command names and "
                           'follow a "--" argument)')
        raise CtlFatal(f"'{syntax.name}' command takes at most {syntax.max_args} arguments")
    return Command(syntax, args[i:], options)


def parse_commands(args: list[str], local: dict[str, str | None],
                   commands: dict[str, Syntax]) -> list[Command]:
    """``ctl_parse_commands``: split at ``--``."""
    out: list[Command] = []
    start = 0
    for i in range(len(args) + 1):
        if i == len(args) or args[i] == "--":
            if i > start:
                out.append(parse_command(args[start:i], local, commands))
            elif local:
                raise CtlFatal("missing command name (use --help for help)")
            start = i + 1
    if not out:
        raise CtlFatal("missing command name (use --help for help)")
    return out


# --- finding tables, columns, rows -----------------------------------------------------
def _score(name: str, s: str) -> int:
    """``score_partial_match``."""
    if name == s:
        return 2**32 - 1
    def low(c: str) -> str:
        return "_" if c == "-" else c.lower()
    n = 0
    for a, b in zip(name + "\0", s + "\0", strict=False):
        if low(a) != low(b):
            break
        if a == "\0":
            return 2**32 - 2
        n += 1
    return n if n == len(s) else 0


def _best(names: list[str], s: str) -> list[str]:
    best: list[str] = []
    best_score = 0
    for name in names:
        score = _score(name, s)
        if score and score >= best_score:
            if score > best_score:
                best = []
            best.append(name)
            best_score = score
    return best


def get_table(db: Database, name: str) -> TableSchema:
    best = _best(list(db.schema), name)
    if not best:
        raise CtlFatal(f'unknown table "{name}"')
    if len(best) > 1:
        raise CtlFatal(f'"{name}" matches multiple table names: {", ".join(sorted(best))}')
    return db.schema[best[0]]


def get_column(table: TableSchema, name: str) -> Column:
    best = _best(list(table.columns), name)
    if not best:
        raise CtlFatal(f'{table.name} does not contain a column whose name matches "{name}"')
    if len(best) > 1:
        raise CtlFatal(f'{table.name} contains more than one column whose name matches '
                       f'"{name}": {", ".join(sorted(best))}')
    return table.columns[best[0]]


def _partial_uuid_len(s: str) -> int:
    """``uuid_is_partial_string``: length of ``s`` if it is a UUID prefix, else 0."""
    tmpl = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
    if len(s) > len(tmpl):
        return 0
    for c, t in zip(s, tmpl, strict=False):
        if (t == "-") != (c == "-") or (t == "x" and c not in "0123456789abcdefABCDEF"):
            return 0
    return len(s)


def get_row(ctx: Context, table: TableSchema, record: str, must_exist: bool) -> Row | None:
    """``ctl_get_row``."""
    db = ctx.db
    row: Row | None = None
    if is_uuid(record):
        row = ctx.get(table.name, record.lower())
    if row is None and record == ".":
        rows = ctx.rows(table.name)
        row = rows[0] if len(rows) == 1 else None
    if row is None and table.name in ROW_IDS:
        name_table, name_col, uuid_col = ROW_IDS[table.name]
        ntype = db.schema[name_table].columns[name_col].type
        digits = record and record.isdigit()
        referrer: Row | None = None
        if ntype.key.type == "string" or digits:
            for r in ctx.rows(name_table):
                pairs = to_pairs(r[name_col], ntype)
                if len(pairs) != 1:
                    continue
                name = pairs[0][0]
                if ntype.key.type == "string":
                    hit = name == record or (len(record) >= 4 and is_uuid(str(name))
                                             and str(name).startswith(record))
                else:
                    hit = name == int(record)
                if hit:
                    if referrer is not None:
                        raise CtlFatal(f'multiple rows in {name_table} match "{record}"')
                    referrer = r
        if referrer is not None:
            if uuid_col is None:
                row = referrer
            else:
                refs = referrer.refs(uuid_col)
                row = ctx.get(table.name, refs[0]) if len(refs) == 1 else None
    if row is None and _partial_uuid_len(record) >= 4:
        for r in ctx.rows(table.name):
            if r.uuid.startswith(record.lower()):
                if row is not None:
                    raise CtlFatal(f"{table.name} contains 2 or more rows whose UUIDs begin "
                                   f"with {record}: at least {row.uuid} and {r.uuid}")
                row = r
    if must_exist and row is None:
        raise CtlFatal(f'no row "{record}" in table {table.name}')
    return row


def parse_column_key_value(arg: str, table: TableSchema, operators: list[str] | None,
                           want_value: bool) -> tuple[Column, str | None, int, str | None]:
    """``parse_column_key_value``: ``COLUMN[:KEY][OP VALUE]``."""
    try:
        col_name, pos = token_parse(arg)
        if col_name == "":
            raise CtlFatal(f"{arg}: missing column name")
        column = get_column(table, col_name)
        key: str | None = None
        if pos < len(arg) and arg[pos] == ":":
            key, pos = token_parse(arg, pos + 1)
    except DataError as e:
        raise CtlFatal(str(e)) from None
    if not want_value:
        if pos < len(arg):
            raise CtlFatal(f'{arg}: trailing garbage "{arg[pos:]}" in argument')
        return column, key, -1, None
    ops = operators or ["="]
    best, best_len = -1, 0
    for n, op in enumerate(ops):
        if len(op) > best_len and arg.startswith(op, pos) and len(arg) > pos + len(op):
            best, best_len = n, len(op)
    if best < 0:
        if len(ops) == 1:
            allowed = f'"{ops[0]}"'
        elif len(ops) == 2:
            allowed = f'"{ops[0]}" or "{ops[1]}"'
        else:
            allowed = ", ".join(f'"{o}"' for o in ops[:-1]) + f', or "{ops[-1]}"'
        raise CtlFatal(f"{arg}: argument does not end in {allowed} followed by a value.")
    return column, key, best, arg[pos + best_len:]


def pre_column_arg(ctx: Context, table: TableSchema, arg: str) -> None:
    """``pre_parse_column_key_value``: only the column name is checked up front."""
    try:
        name, _ = token_parse(arg)
    except DataError as e:
        raise CtlFatal(str(e)) from None
    if name == "":
        raise CtlFatal(f"{arg}: missing column name")
    get_column(table, name)


def _datum(ctx: Context, ctype: ColumnType, text: str) -> list[Pair]:
    try:
        return datum_from_string(ctype, text, ctx.symtab)
    except DataError as e:
        raise CtlFatal(str(e)) from None


def _atom(ctx: Context, base_type: ColumnType, text: str, value: bool = False) -> object:
    base = base_type.value if value else base_type.key
    assert base is not None
    try:
        return atom_from_string(base, text, ctx.symtab)[0]
    except DataError as e:
        raise CtlFatal(str(e)) from None


def _is_mutable(ctx: Context, row: Row, column: Column) -> None:
    """``check_mutable``: read-only columns may only be set on rows inserted now."""
    if not column.mutable and row.uuid not in ctx.txn.inserted:
        raise CtlFatal(f"cannot modify read-only column {column.name} in table {row.table}")


def _write(ctx: Context, row: Row, column: Column, pairs: list[Pair]) -> None:
    try:
        ctx.txn.write(row, column.name, from_pairs(pairs, column.type))
    except DataError as e:
        raise CtlFatal(str(e)) from None


def union(a: list[Pair], b: list[Pair]) -> list[Pair]:
    """``ovsdb_datum_union``: keys of ``a`` win over the same keys in ``b``."""
    have = {k for k, _ in a}
    return sorted(a + [p for p in b if p[0] not in have], key=lambda p: p[0])


def set_column(ctx: Context, table: TableSchema, row: Row, arg: str) -> None:
    """``set_column``: ``COLUMN=VALUE`` or ``COLUMN:KEY=VALUE``."""
    column, key, _, value = parse_column_key_value(arg, table, None, True)
    if value is None:
        raise CtlFatal(f"{arg}: missing value")
    _is_mutable(ctx, row, column)
    ctype = column.type
    if key is not None:
        if ctype.value is None:
            raise CtlFatal(f"cannot specify key to set for non-map column {column.name}")
        k = _atom(ctx, ctype, key)
        v = _atom(ctx, ctype, value, value=True)
        new = union([(k, v)], to_pairs(row[column.name], ctype))  # type: ignore[list-item]
        _write(ctx, row, column, new)
    else:
        _write(ctx, row, column, _datum(ctx, ctype, value))


def format_value(row: Row, column: Column) -> str:
    return datum_to_string(to_pairs(row[column.name], column.type), column.type)


def wide(ctype: ColumnType) -> ColumnType:
    """The column's type with any number of elements (``n_max = UINT_MAX``)."""
    return ColumnType(ctype.key, ctype.value, 1, UNLIMITED)
