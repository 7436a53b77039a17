"""The generic database commands of ``lib/db-ctl-base.c``: get, list, find, set, add,
remove, clear, create, destroy, wait-until, comment and show.

Design note
-----------
Each command is a ``pre`` (checks its table and column names before anything runs, as
the OVS prerequisites do) and a ``run``; ``create`` also has a ``post`` that ends its
output line after the commit. ``DB_COMMANDS`` is the explicit table ``vsctl.py`` merges
with its own. ``show`` prints a tree described by a ``ShowTable`` list (``struct
cmd_show_table``), which the tool supplies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from vnetlab.ovsdb.ctl import (
    Context,
    CtlFatal,
    Syntax,
    _atom,
    _datum,
    _is_mutable,
    _write,
    format_value,
    get_column,
    get_row,
    get_table,
    parse_column_key_value,
    pre_column_arg,
    set_column,
    union,
    wide,
)
from vnetlab.ovsdb.data import Pair, Symbol, Uuid, atom_to_string, datum_to_string, is_uuid
from vnetlab.ovsdb.db import Row, TxnError, default_pairs, to_pairs
from vnetlab.ovsdb.schema import Column, ColumnType, TableSchema
from vnetlab.ovsdb.table_fmt import Cell, Table, cell_json, uuid_cell


def _table(ctx: Context) -> TableSchema:
    return get_table(ctx.db, ctx.argv[1])


# --- get ---------------------------------------------------------------------------
def pre_get(ctx: Context) -> None:
    table = _table(ctx)
    for arg in ctx.argv[3:]:
        if arg.lower() not in ("_uuid", "-uuid"):
            pre_column_arg(ctx, table, arg)


def _create_symbol(ctx: Context, name: str) -> tuple[Symbol, bool]:
    if not name.startswith("@"):
        raise CtlFatal(f'row id "{name}" does not begin with "@"')
    new = name not in ctx.symtab.symbols
    sym = ctx.symtab.insert(name)
    if sym.created:
        raise CtlFatal(f'row id "{name}" may only be specified on one --id option')
    sym.created = True
    return sym, new


def cmd_get(ctx: Context) -> None:
    ident = ctx.options.get("--id")
    must_exist = not ctx.opt("--if-exists")
    if ident is not None and not must_exist:
        raise CtlFatal("--if-exists and --id may not be specified together")
    table = _table(ctx)
    row = get_row(ctx, table, ctx.argv[2], must_exist)
    if row is None:
        return
    if ident is not None:
        sym, new = _create_symbol(ctx, ident)
        if not new:
            raise CtlFatal(f'row id "{ident}" specified on "get" command was used before it '
                           "was defined")
        sym.uuid = row.uuid
        sym.strong_ref = True
    for arg in ctx.argv[3:]:
        if arg.lower() in ("_uuid", "-uuid"):
            ctx.output.append(f"{row.uuid}\n")
            continue
        column, key, _, _ = parse_column_key_value(arg, table, None, False)
        if key is not None:
            ctype = column.type
            if ctype.value is None:
                raise CtlFatal(f"cannot specify key to get for non-map column {column.name}")
            k = _atom(ctx, ctype, key)
            found = dict(to_pairs(row[column.name], ctype))
            if k not in found:
                if must_exist:
                    raise CtlFatal(f'no key "{key}" in {table.name} record "{ctx.argv[2]}" '
                                   f"column {column.name}")
            else:
                ctx.output.append(atom_to_string(found[k], ctype.value.type))  # type: ignore[arg-type]
        else:
            ctx.output.append(format_value(row, column))
        ctx.output.append("\n")


# --- list / find -------------------------------------------------------------------
def parse_column_names(names: str | None, table: TableSchema) -> list[Column | None]:
    """``parse_column_names``: None stands for ``_uuid``."""
    if names is None:
        return [None, *table.columns.values()]
    out: list[Column | None] = []
    for name in names.replace(",", " ").split():
        out.append(None if name.lower() == "_uuid" else get_column(table, name))
    if not out:
        raise CtlFatal("must specify at least one column name")
    return out


def _make_table(columns: list[Column | None]) -> Table:
    return Table([c.name if c is not None else "_uuid" for c in columns])


def _record(table: Table, row: Row, columns: list[Column | None]) -> None:
    table.rows.append([uuid_cell(row.uuid) if c is None
                       else Cell(to_pairs(row[c.name], c.type), c.type) for c in columns])


def pre_list(ctx: Context) -> None:
    parse_column_names(ctx.options.get("--columns"), _table(ctx))


def cmd_list(ctx: Context) -> None:
    must_exist = not ctx.opt("--if-exists")
    table = _table(ctx)
    columns = parse_column_names(ctx.options.get("--columns"), table)
    out = ctx.table = _make_table(columns)
    if len(ctx.argv) > 2:
        for record in ctx.argv[2:]:
            row = get_row(ctx, table, record, must_exist)
            if row is not None:
                _record(out, row, columns)
    else:
        for row in ctx.rows(table.name):
            _record(out, row, columns)


RELOPS = ["=", "!=", "<", ">", "<=", ">=", "{=}", "{!=}", "{<}", "{>}", "{<=}", "{>=}",
          "{in}", "{not-in}"]


def _cmp3(a: list[Pair], b: list[Pair]) -> int:
    """``ovsdb_datum_compare_3way``: by size, then keys, then values."""
    if len(a) != len(b):
        return -1 if len(a) < len(b) else 1
    for x, y in zip(a, b, strict=True):
        if x[0] != y[0]:
            return -1 if x[0] < y[0] else 1  # type: ignore[operator]
    for x, y in zip(a, b, strict=True):
        if x[1] != y[1]:
            return -1 if x[1] < y[1] else 1  # type: ignore[operator]
    return 0


def _includes_all(a: list[Pair], b: list[Pair]) -> bool:
    have = set(b)
    return all(p in have for p in a)


def _evaluate(a: list[Pair], b: list[Pair], op: str) -> bool:
    if op in ("=", "{=}"):
        return _cmp3(a, b) == 0
    if op in ("!=", "{!=}"):
        return _cmp3(a, b) != 0
    if op == "<":
        return _cmp3(a, b) < 0
    if op == ">":
        return _cmp3(a, b) > 0
    if op == "<=":
        return _cmp3(a, b) <= 0
    if op == ">=":
        return _cmp3(a, b) >= 0
    if op == "{<}":
        return len(b) > len(a) and _includes_all(a, b)
    if op == "{>}":
        return len(a) > len(b) and _includes_all(b, a)
    if op in ("{<=}", "{in}"):
        return _includes_all(a, b)
    if op == "{>=}":
        return _includes_all(b, a)
    assert op == "{not-in}"
    have = set(b)
    return not any(p in have for p in a)


def check_condition(ctx: Context, table: TableSchema, row: Row, arg: str) -> bool:
    """``check_condition``: ``COLUMN[:KEY] OP VALUE``."""
    column, key, op_index, value = parse_column_key_value(arg, table, RELOPS, True)
    if value is None:
        raise CtlFatal(f"{arg}: missing value")
    op = RELOPS[op_index]
    ctype = column.type
    have = to_pairs(row[column.name], ctype)
    if key is not None:
        if ctype.value is None:
            raise CtlFatal(f"cannot specify key to check for non-map column {column.name}")
        k = _atom(ctx, ctype, key)
        vtype = ColumnType(ctype.value, None, ctype.n_min, 2**32 - 1)
        want = _datum(ctx, vtype, value)
        found = dict(have)
        if k not in found and not op.startswith("{"):
            return False
        a: list[Pair] = [(found[k], None)] if k in found else []  # type: ignore[list-item]
        return _evaluate(a, want, op)
    want = _datum(ctx, ColumnType(ctype.key, ctype.value, ctype.n_min, ctype.n_max), value)
    return _evaluate(have, want, op)


def pre_find(ctx: Context) -> None:
    table = _table(ctx)
    parse_column_names(ctx.options.get("--columns"), table)
    for arg in ctx.argv[2:]:
        pre_column_arg(ctx, table, arg)


def cmd_find(ctx: Context) -> None:
    table = _table(ctx)
    columns = parse_column_names(ctx.options.get("--columns"), table)
    out = ctx.table = _make_table(columns)
    for row in ctx.rows(table.name):
        if all(check_condition(ctx, table, row, arg) for arg in ctx.argv[2:]):
            _record(out, row, columns)


# --- set / add / remove / clear ------------------------------------------------------
def pre_set(ctx: Context) -> None:
    table = _table(ctx)
    for arg in ctx.argv[3:]:
        pre_column_arg(ctx, table, arg)


def cmd_set(ctx: Context) -> None:
    table = _table(ctx)
    row = get_row(ctx, table, ctx.argv[2], not ctx.opt("--if-exists"))
    if row is None:
        return
    for arg in ctx.argv[3:]:
        set_column(ctx, table, row, arg)
    ctx.invalidate()


def pre_add_remove(ctx: Context) -> None:
    get_column(_table(ctx), ctx.argv[3])


def _row_and_column(ctx: Context) -> tuple[TableSchema, Row | None, Column]:
    table = _table(ctx)
    column = get_column(table, ctx.argv[3])
    row = get_row(ctx, table, ctx.argv[2], not ctx.opt("--if-exists"))
    if row is not None:
        _is_mutable(ctx, row, column)
    return table, row, column


def _what(ctype: ColumnType) -> str:
    return "values" if ctype.value is None else "pairs"


def cmd_add(ctx: Context) -> None:
    table, row, column = _row_and_column(ctx)
    if row is None:
        return
    ctype = column.type
    old = to_pairs(row[column.name], ctype)
    added: list[Pair] = []
    for arg in ctx.argv[4:]:
        added = union(added, _datum(ctx, wide(ctype), arg))
    new = union(old, added)
    if ctx.last_command:
        # OVS sends the last command's additions as a partial update (a "mutate"), so
        # the server, not ovs-vsctl, refuses too many elements, in its own words
        if len(added) > ctype.n_max:
            kind = "map" if ctype.is_map else "set"
            syntax = json.dumps(cell_json(Cell(added, ctype), force_set=True),
                                separators=(",", ":"))
            ctx.txn.fail_at_commit(TxnError(
                "syntax error", f"{kind} must have 0 to {ctype.n_max} members but "
                f"{len(added)} are present", syntax))
            return
        if len(new) > ctype.n_max:
            ctx.txn.fail_at_commit(TxnError(
                "constraint violation",
                f"Attempted to store {len(new)} elements in {ctype.to_english()}."))
            return
    elif len(new) > ctype.n_max:
        raise CtlFatal(f'"add" operation would put {len(new)} {_what(ctype)} in column '
                       f"{column.name} of table {table.name} but the maximum number is "
                       f"{ctype.n_max}")
    _write(ctx, row, column, new)
    ctx.invalidate()


def cmd_remove(ctx: Context) -> None:
    table, row, column = _row_and_column(ctx)
    if row is None:
        return
    ctype = column.type
    old = to_pairs(row[column.name], ctype)
    for arg in ctx.argv[4:]:
        try:
            rm = _datum(ctx, wide(ctype), arg)
            old = [p for p in old if p not in set(rm)]
        except CtlFatal:
            if not ctype.is_map:
                raise
            keys = {k for k, _ in _datum(ctx, ColumnType(ctype.key, None, 1, 2**32 - 1), arg)}
            old = [p for p in old if p[0] not in keys]
    if len(old) < ctype.n_min:
        raise CtlFatal(f'"remove" operation would put {len(old)} {_what(ctype)} in column '
                       f"{column.name} of table {table.name} but the minimum number is "
                       f"{ctype.n_min}")
    _write(ctx, row, column, old)
    ctx.invalidate()


def pre_clear(ctx: Context) -> None:
    table = _table(ctx)
    for arg in ctx.argv[3:]:
        get_column(table, arg)


def cmd_clear(ctx: Context) -> None:
    table = _table(ctx)
    row = get_row(ctx, table, ctx.argv[2], not ctx.opt("--if-exists"))
    if row is None:
        return
    for arg in ctx.argv[3:]:
        column = get_column(table, arg)
        _is_mutable(ctx, row, column)
        if column.type.n_min > 0:
            raise CtlFatal(f'"clear" operation cannot be applied to column {column.name} of '
                           f"table {table.name}, which is not allowed to be empty")
        _write(ctx, row, column, [])
    ctx.invalidate()


# --- create / destroy ------------------------------------------------------------------
def pre_create(ctx: Context) -> None:
    table = _table(ctx)
    if ctx.options.get("--id") is None and not table.is_root:
        ctx.warn("db_ctl_base", f'applying "create" command to table {table.name} without '
                 "--id option will have no effect")


def cmd_create(ctx: Context) -> None:
    ident = ctx.options.get("--id")
    table = _table(ctx)
    uuid: Uuid | None = None
    if ident is not None:
        if is_uuid(ident):
            uuid = Uuid(ident.lower())
        else:
            sym, _ = _create_symbol(ctx, ident)
            if table.is_root:
                sym.strong_ref = True
            uuid = sym.uuid
    row = ctx.txn.insert(table.name, uuid=uuid)
    for arg in ctx.argv[2:]:
        set_column(ctx, table, row, arg)
    ctx.output.append(str(row.uuid))


def post_create(ctx: Context) -> None:
    ctx.output.append("\n")


def pre_table(ctx: Context) -> None:
    _table(ctx)


def cmd_destroy(ctx: Context) -> None:
    must_exist = not ctx.opt("--if-exists")
    delete_all = ctx.opt("--all")
    table = _table(ctx)
    if delete_all and len(ctx.argv) > 2:
        raise CtlFatal("--all and records argument should not be specified together")
    if delete_all and not must_exist:
        raise CtlFatal("--all and --if-exists should not be specified together")
    if not delete_all and len(ctx.argv) == 2:
        ctx.warn("db_ctl_base", "either --all or records argument should be specified")
        return
    rows = ctx.rows(table.name) if delete_all else [
        r for r in (get_row(ctx, table, rec, must_exist) for rec in ctx.argv[2:])
        if r is not None]
    for row in rows:
        if table.is_root:
            ctx.txn.delete(row)
        else:
            ctx.hidden.add(row.uuid)
    ctx.invalidate()


def cmd_wait_until(ctx: Context) -> None:
    table = _table(ctx)
    row = get_row(ctx, table, ctx.argv[2], False)
    if row is None or not all(check_condition(ctx, table, row, a) for a in ctx.argv[3:]):
        raise CtlFatal("wait-until: the condition is false and nothing else changes the "
                       "emulated database, so it would wait forever")


# --- show ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShowTable:
    """``struct cmd_show_table``: a table, its name column and up to 3 columns."""

    table: str
    name_column: str | None
    columns: tuple[str, ...]


def show(ctx: Context, tables: list[ShowTable]) -> None:
    """``cmd_show``: each row of the first table, references followed depth first."""
    by_name = {t.table: t for t in tables}
    shown: set[str] = set()

    def show_row(row: Row, level: int) -> None:
        st = by_name.get(row.table)
        schema = ctx.db.schema[row.table]
        out = ctx.output
        out.append(" " * (level * 4))
        if st is not None and st.name_column is not None:
            col = schema.columns[st.name_column]
            out.append(f"{row.table} {format_value(row, col)}\n")
        else:
            out.append(f"{row.uuid}\n")
        if st is None or st.table in shown:
            return
        shown.add(st.table)
        for name in st.columns:
            col = schema.columns[name]
            ctype = col.type
            if ctype.key.ref_table is not None and ctype.key.ref_table in by_name:
                for uuid in row.refs(name):
                    ref = ctx.db.get(ctype.key.ref_table, uuid)
                    if ref is not None:
                        show_row(ref, level + 1)
                continue
            pairs = to_pairs(row[name], ctype)
            if pairs != default_pairs(ctype):
                out.append(" " * ((level + 1) * 4)
                           + f"{name}: {datum_to_string(pairs, ctype)}\n")
        shown.discard(st.table)

    for row in ctx.db.rows(tables[0].table):
        show_row(row, 0)


DB_COMMANDS: dict[str, Syntax] = {s.name: s for s in [
    Syntax("comment", 0, 2**31, "", None, None),
    Syntax("get", 2, 2**31, "--if-exists,--id=", pre_get, cmd_get),
    Syntax("list", 1, 2**31, "--if-exists,--columns=", pre_list, cmd_list),
    Syntax("find", 1, 2**31, "--columns=", pre_find, cmd_find),
    Syntax("set", 3, 2**31, "--if-exists", pre_set, cmd_set, rw=True),
    Syntax("add", 4, 2**31, "--if-exists", pre_add_remove, cmd_add, rw=True),
    Syntax("remove", 4, 2**31, "--if-exists", pre_add_remove, cmd_remove, rw=True),
    Syntax("clear", 3, 2**31, "--if-exists", pre_clear, cmd_clear, rw=True),
    Syntax("create", 2, 2**31, "--id=", pre_create, cmd_create, post_create, rw=True),
    Syntax("destroy", 1, 2**31, "--if-exists,--all", pre_table, cmd_destroy, rw=True),
    Syntax("wait-until", 2, 2**31, "", pre_set, cmd_wait_until),
]}
