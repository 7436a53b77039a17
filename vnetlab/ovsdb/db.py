"""An in-memory OVSDB database: rows, transactions, referential integrity, garbage
collection, a change sequence number and reproducible UUIDs.

Design note
-----------
Plays the part of ``ovsdb-server`` for the emulator. A commit runs the checks of
``ovsdb_txn_precommit`` (ovsdb/transaction.c) in its order: drop no-op changes; strong
references must point at rows that exist and a deleted row must not be referenced any
more ("referential integrity violation"); non-root rows nobody references strongly are
garbage collected (repeatedly, a dead Port takes its Interfaces with it); ``maxRows``;
weak references to rows that are gone are removed (a column that must not be empty then
fails); unique indexes. Any failure rolls the whole transaction back and raises
``TxnError`` whose ``json()`` is the ``{"details":..,"error":..}`` text ovs-vsctl prints.

Invariants: every committed state satisfies the checks above; ``seqno`` grows by one on
every commit that changed something (vswitchd reconfigures when it changes).

Values: a row hands out scalars for ``min = max = 1`` columns, sorted ``list`` for sets
(also ``0..1`` optionals), ``dict`` (sorted by key) for maps, references as ``Uuid``.

UUIDs are not random as ovsdb-server's: the n-th row a database creates gets
``NNNNNNNN-xxxx-4xxx-yxxx-xxxxxxxxxxxx`` with the counter in the first group and the
rest hashed from (seed, n), so runs are reproducible and sets of references (sorted by
UUID, as OVS sorts them) come out in creation order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager

from vnetlab.ovsdb.data import (
    ZERO_UUID,
    Atom,
    DataError,
    Pair,
    Uuid,
    check_constraints,
    datum_to_string,
)
from vnetlab.ovsdb.schema import BOOLEAN, INTEGER, REAL, STRING, Column, ColumnType, TableSchema
from vnetlab.ovsdb.vswitch_schema import TABLES

Value = Atom | list[Atom] | dict[Atom, Atom]


class TxnError(Exception):
    """A transaction the server refused: OVSDB error tag and details."""

    def __init__(self, error: str, details: str, syntax: str | None = None) -> None:
        super().__init__(f"{error}: {details}")
        self.error = error
        self.details = details
        self.syntax = syntax

    def json(self) -> str:
        obj = {"details": self.details, "error": self.error}
        if self.syntax is not None:
            obj["syntax"] = self.syntax
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def default_pairs(ctype: ColumnType) -> list[Pair]:
    """``ovsdb_datum_init_default``: empty for sets and maps, 0/""/false/zero-UUID."""
    if ctype.n_min == 0:
        return []
    t = ctype.key.type
    atom: Atom = (0 if t == INTEGER else 0.0 if t == REAL else False if t == BOOLEAN
                  else "" if t == STRING else ZERO_UUID)
    return [(atom, None)]


def to_pairs(value: Value, ctype: ColumnType) -> list[Pair]:
    """A Python value as the sorted pairs of a datum (no constraint checks)."""
    if isinstance(value, dict):
        return sorted(value.items(), key=lambda kv: kv[0])
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(((a, None) for a in value), key=lambda kv: kv[0])
    return [(value, None)]


def from_pairs(pairs: list[Pair], ctype: ColumnType) -> Value:
    if ctype.is_map:
        return {k: v for k, v in pairs if v is not None}
    if ctype.is_scalar:
        return pairs[0][0]
    return [k for k, _ in pairs]


def _atom_ok(atom: object, t: str) -> bool:
    if t == INTEGER:
        return isinstance(atom, int) and not isinstance(atom, bool)
    if t == REAL:
        return isinstance(atom, int | float) and not isinstance(atom, bool)
    if t == BOOLEAN:
        return isinstance(atom, bool)
    return isinstance(atom, str)


def normalize(column: Column, value: Value) -> Value:
    """Checks ``value`` against the column's type and returns its canonical form."""
    ctype = column.type
    pairs = to_pairs(value, ctype)
    for k, v in pairs:
        for atom, base in ((k, ctype.key), (v, ctype.value)):
            if base is None:
                continue
            if not _atom_ok(atom, base.type):
                raise DataError(f"column {column.name}: {atom!r} is not a {base.type}")
            assert atom is not None
            check_constraints(atom, base)
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise DataError(f"column {column.name}: duplicate {'key' if ctype.is_map else 'value'}")
    if not ctype.n_min <= len(pairs) <= ctype.n_max:
        raise DataError(f"column {column.name}: {len(pairs)} values, type is "
                        f"{ctype.to_english()}")
    if ctype.key.type == "uuid":
        pairs = [(Uuid(k), v) for k, v in pairs]
    if ctype.value is not None and ctype.value.type == "uuid":
        pairs = [(k, Uuid(str(v))) for k, v in pairs]
    return from_pairs(pairs, ctype)


def _copy(value: Value) -> Value:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def _ref_atoms(value: Value, pos: int) -> list[Uuid]:
    """The UUIDs in a reference column's keys (``pos`` 0) or map values (``pos`` 1)."""
    if isinstance(value, dict):
        return [Uuid(str(v)) for v in (value.values() if pos else value.keys())]
    if isinstance(value, list):
        return [Uuid(str(v)) for v in value]
    return [Uuid(str(value))]


class Row:
    """One row: ``row.uuid``, ``row.table`` and ``row[column]`` (a copy of the value)."""

    __slots__ = ("uuid", "table", "_data")

    def __init__(self, table: str, uuid: Uuid, data: dict[str, Value]) -> None:
        self.table = table
        self.uuid = uuid
        self._data = data

    def __getitem__(self, column: str) -> Value:
        return _copy(self._data[column])

    def opt(self, column: str) -> Atom | None:
        """The element of an optional (``0..1``) column, or None."""
        v = self._data[column]
        assert isinstance(v, list)
        return v[0] if v else None

    def refs(self, column: str) -> list[Uuid]:
        """The UUIDs of a reference column (set, optional or scalar)."""
        v = self._data[column]
        items = v if isinstance(v, list) else list(v.values()) if isinstance(v, dict) else [v]
        return [Uuid(str(u)) for u in items]

    def __repr__(self) -> str:
        return f"Row({self.table}, {self.uuid})"


class Database:
    """The tables of one OVSDB database (the ``Open_vSwitch`` schema by default)."""

    def __init__(self, seed: int = 0, tables: dict[str, TableSchema] | None = None) -> None:
        self.schema = tables if tables is not None else TABLES
        self.seed = seed
        self.seqno = 0
        self._n_uuids = 0
        self._rows: dict[str, dict[Uuid, Row]] = {t: {} for t in self.schema}
        self._txn: Transaction | None = None
        self._ref_cols: dict[tuple[str, bool], list[tuple[Column, str, int]]] = {}

    def ref_columns(self, table: str, strong: bool) -> list[tuple[Column, str, int]]:
        """The (column, referenced table, 0 for keys / 1 for map values) of ``table``'s
        strong or weak reference columns (computed once per table)."""
        key = (table, strong)
        cached = self._ref_cols.get(key)
        if cached is None:
            cached = []
            for col in self.schema[table].columns.values():
                for base, pos in ((col.type.key, 0), (col.type.value, 1)):
                    if base is not None and base.ref_table is not None \
                            and base.ref_strong == strong:
                        cached.append((col, base.ref_table, pos))
            self._ref_cols[key] = cached
        return cached

    # --- reading -------------------------------------------------------------------
    def rows(self, table: str) -> list[Row]:
        return list(self._rows[table].values())

    def get(self, table: str, uuid: str) -> Row | None:
        return self._rows[table].get(Uuid(uuid))

    def find(self, table: str, column: str, value: Value) -> list[Row]:
        return [r for r in self._rows[table].values() if r._data[column] == value]

    def first(self, table: str) -> Row | None:
        return next(iter(self._rows[table].values()), None)

    def new_uuid(self) -> Uuid:
        self._n_uuids += 1
        n = self._n_uuids
        h = hashlib.sha256(f"{self.seed}:{n}".encode()).hexdigest()
        return Uuid(f"{n & 0xFFFFFFFF:08x}-{h[0:4]}-4{h[4:7]}-"
                    f"{'89ab'[int(h[7], 16) & 3]}{h[8:11]}-{h[11:23]}")

    # --- writing -------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """``with db.transaction() as txn:`` commits at the end of the block, or rolls
        everything back (and re-raises) when the block or the commit checks fail."""
        if self._txn is not None:
            raise RuntimeError("a transaction is already open")
        txn = Transaction(self)
        self._txn = txn
        try:
            yield txn
            if not txn.done:
                txn.commit()
        except BaseException:
            txn.rollback()
            raise
        finally:
            self._txn = None


class Transaction:
    """Changes applied in place with an undo log (``ovsdb_txn``)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._tables = {t: dict(rows) for t, rows in db._rows.items()}
        self._old: dict[Uuid, dict[str, Value]] = {}  # rows changed: data before
        self.inserted: set[Uuid] = set()
        self._deleted: dict[Uuid, str] = {}  # explicitly deleted row -> table
        self._n_uuids = db._n_uuids
        self._failure: TxnError | None = None
        self.done = False

    def fail_at_commit(self, error: TxnError) -> None:
        """The server will refuse this transaction (an operation it cannot apply)."""
        if self._failure is None:
            self._failure = error

    def _column(self, table: str, column: str) -> Column:
        return self.db.schema[table].columns[column]

    def insert(self, table: str, values: dict[str, Value] | None = None,
               uuid: Uuid | None = None) -> Row:
        schema = self.db.schema[table]
        data: dict[str, Value] = {c: from_pairs(default_pairs(col.type), col.type)
                                  for c, col in schema.columns.items()}
        row = Row(table, uuid if uuid is not None else self.db.new_uuid(), data)
        for c, v in (values or {}).items():
            data[c] = normalize(schema.columns[c], v)
        self.db._rows[table][row.uuid] = row
        self.inserted.add(row.uuid)
        return row

    def write(self, row: Row, column: str, value: Value) -> None:
        new = normalize(self._column(row.table, column), value)
        if row.uuid not in self._old and row.uuid not in self.inserted:
            self._old[row.uuid] = dict(row._data)
        row._data[column] = new

    def delete(self, row: Row) -> None:
        if self.db._rows[row.table].pop(row.uuid, None) is not None:
            self._deleted[row.uuid] = row.table

    def rollback(self) -> None:
        if self.done:
            return
        for uuid, data in self._old.items():
            for rows in self._tables.values():
                if uuid in rows:
                    rows[uuid]._data = data
        self.db._rows = self._tables
        self.db._n_uuids = self._n_uuids
        self.done = True

    # --- commit ----------------------------------------------------------------------
    def _changes(self) -> tuple[set[Uuid], set[Uuid], dict[Uuid, str]]:
        changed = set()
        for u, old in self._old.items():
            row = self._live(u)
            if row is not None and row._data != old:
                changed.add(u)
        inserted = {u for u in self.inserted if self._live(u) is not None}
        deleted = {u: t for u, t in self._deleted.items() if u not in self.inserted}
        return changed, inserted, deleted

    def has_changes(self) -> bool:
        return any(self._changes())

    def commit(self, dry_run: bool = False) -> None:
        """``ovsdb_txn_precommit`` then make it permanent (or, for a dry run, check and
        roll back)."""
        if self.done:
            return
        if self._failure is not None:
            raise self._failure
        db = self.db
        changed, inserted, deleted = self._changes()
        if not (changed or inserted or deleted):
            self.done = True
            return
        self._check_strong_refs(changed | inserted, deleted)
        self._collect_garbage()
        self._check_max_rows()
        self._update_weak_refs(changed | inserted)
        self._check_indexes()
        if dry_run:
            self.rollback()
            return
        db.seqno += 1
        self.done = True

    def _live(self, uuid: Uuid) -> Row | None:
        for rows in self.db._rows.values():
            if uuid in rows:
                return rows[uuid]
        return None

    def _strong_refs(self, row: Row) -> Iterator[tuple[Column, str, Uuid]]:
        for col, ref_table, pos in self.db.ref_columns(row.table, strong=True):
            for target in _ref_atoms(row._data[col.name], pos):
                yield col, ref_table, target

    def _check_strong_refs(self, touched: set[Uuid], deleted: dict[Uuid, str]) -> None:
        """``update_ref_counts``: new references must resolve; deleted rows must not be
        referenced any more."""
        rows = self.db._rows
        n_refs: dict[Uuid, int] = {}
        for table in rows.values():
            for row in table.values():
                for col, ref_table, target in self._strong_refs(row):
                    if target == row.uuid:
                        continue  # self-references don't count
                    if target in deleted:
                        n_refs[target] = n_refs.get(target, 0) + 1
                    elif row.uuid in touched and target not in rows[ref_table]:
                        raise TxnError(
                            "referential integrity violation",
                            f"Table {row.table} column {col.name} row {row.uuid} references "
                            f"nonexistent row {target} in table {ref_table}.")
        for target, n in n_refs.items():
            raise TxnError("referential integrity violation",
                           f"cannot delete {deleted[target]} row {target} because of {n} "
                           "remaining reference(s)")

    def _collect_garbage(self) -> None:
        """``collect_garbage``: delete non-root rows without strong references, until
        none is left (deleting one may orphan others)."""
        rows = self.db._rows
        while True:
            referenced: set[Uuid] = set()
            for table in rows.values():
                for row in table.values():
                    referenced.update(t for _, _, t in self._strong_refs(row) if t != row.uuid)
            dead = [(name, u) for name, table in rows.items()
                    if not self.db.schema[name].is_root
                    for u in table if u not in referenced]
            if not dead:
                return
            for name, u in dead:
                del rows[name][u]

    def _check_max_rows(self) -> None:
        for name, table in self.db._rows.items():
            limit = self.db.schema[name].max_rows
            if limit is not None and len(table) > limit:
                raise TxnError("constraint violation",
                               f'transaction causes "{name}" table to contain {len(table)} '
                               f"rows, greater than the schema-defined limit of {limit} row(s)")

    def _update_weak_refs(self, touched: set[Uuid]) -> None:
        """``assess_weak_refs``: weak references to rows that do not exist vanish."""
        rows = self.db._rows
        for name, table in rows.items():
            weak_cols = self.db.ref_columns(name, strong=False)
            if not weak_cols:
                continue
            for row in table.values():
                for col, ref_table, pos in weak_cols:
                    ctype = col.type
                    pairs = to_pairs(row._data[col.name], ctype)
                    kept = [p for p in pairs if str(p[pos]) in rows[ref_table]]
                    if len(kept) == len(pairs):
                        continue
                    if len(kept) < ctype.n_min:
                        was = "" if row.uuid not in self.inserted \
                            else "(inserted within this transaction) "
                        raise TxnError(
                            "constraint violation",
                            f"Deletion of {len(pairs) - len(kept)} weak reference(s) to deleted "
                            f'(or never-existing) rows from column "{col.name}" in '
                            f'"{name}" row {row.uuid} {was}caused this column to become '
                            "empty, but constraints on this column disallow an empty column.")
                    if row.uuid not in self._old and row.uuid not in self.inserted:
                        self._old[row.uuid] = dict(row._data)
                    row._data[col.name] = from_pairs(kept, ctype)

    def _check_indexes(self) -> None:
        """``check_index_uniqueness``."""
        for name, table in self.db._rows.items():
            schema = self.db.schema[name]
            for index in schema.indexes:
                seen: dict[tuple[str, ...], Row] = {}
                for row in table.values():
                    key = tuple(repr(row._data[c]) for c in index)
                    other = seen.get(key)
                    if other is None:
                        seen[key] = row
                        continue
                    raise TxnError("constraint violation",
                                   self._duplicate_text(schema, index, other, row))

    def _duplicate_text(self, schema: TableSchema, index: tuple[str, ...],
                        a: Row, b: Row) -> str:
        def values(data: dict[str, Value]) -> str:
            return ", ".join(
                datum_to_string(to_pairs(data[c], schema.columns[c].type),
                                schema.columns[c].type) for c in index)

        def describe(row: Row, title: str) -> str:
            text = f"{title} row, with UUID {row.uuid}, "
            old = self._old.get(row.uuid)
            if row.uuid in self.inserted:
                return text + "was inserted by this transaction."
            if old is None or old == row._data:
                return text + ("existed in the database before this transaction and was "
                               "not modified by the transaction.")
            if all(old[c] == row._data[c] for c in index):
                return text + ("existed in the database before this transaction, which "
                               "modified some of the row's columns but not any columns in "
                               "this index.")
            return text + ("had the following index values before the transaction: "
                           f"{values(old)}.")

        # the row that existed first is "First", as OVS orders them by content
        first, second = (a, b) if b.uuid in self.inserted else (b, a)
        cols = ", ".join(index)
        what = f'column "{cols}"' if len(index) == 1 else f"columns {cols}"
        return (f'Transaction causes multiple rows in "{schema.name}" table to have identical '
                f"values ({values(first._data)}) for index on {what}.  "
                f"{describe(first, 'First')}  {describe(second, 'Second')}")
