"""OVSDB schema types: atomic types, column types, columns and tables.

Design note
-----------
Mirrors ``lib/ovsdb-types.c`` (``ovsdb_base_type``, ``ovsdb_type``) and the table/column
part of ``ovsdb/table.c``. A column type is written in a compact notation (one line per
column in ``vswitch_schema.py``) instead of the JSON schema so the table stays readable:

    TYPE    := [MIN ".." MAX " "] BASE [":" BASE] {" ro" | " eph"}
    BASE    := ATOM | ATOM "(" [LO] ".." [HI] ")" | ATOM "{" V "|" V ... "}"
             | "ref(" TABLE ")" | "wref(" TABLE ")"
    ATOM    := int | real | bool | str | uuid

``MIN..MAX`` defaults to ``1..1`` (a scalar), ``*`` is unlimited, ``K:V`` is a map,
``ro`` a read-only column (``"mutable": false``), ``eph`` an ephemeral one. Integer
bounds are inclusive; ``{a|b}`` is an enum. References are strong unless ``wref``.
"""

from __future__ import annotations

from dataclasses import dataclass

INTEGER = "integer"
REAL = "real"
BOOLEAN = "boolean"
STRING = "string"
UUID = "uuid"

_ATOMS = {"int": INTEGER, "real": REAL, "bool": BOOLEAN, "str": STRING, "uuid": UUID}

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

#: n_max of an unlimited set or map (UINT_MAX in OVS)
UNLIMITED = 2**32 - 1


@dataclass(frozen=True)
class BaseType:
    """``struct ovsdb_base_type``: an atomic type and its constraints."""

    type: str
    enum: tuple[object, ...] | None = None
    min_int: int = INT64_MIN
    max_int: int = INT64_MAX
    ref_table: str | None = None
    ref_strong: bool = True

    @property
    def is_strong_ref(self) -> bool:
        return self.ref_table is not None and self.ref_strong

    @property
    def is_weak_ref(self) -> bool:
        return self.ref_table is not None and not self.ref_strong


@dataclass(frozen=True)
class ColumnType:
    """``struct ovsdb_type``: key (and value, for a map) with the number of elements."""

    key: BaseType
    value: BaseType | None = None
    n_min: int = 1
    n_max: int = 1

    @property
    def is_map(self) -> bool:
        return self.value is not None

    @property
    def is_scalar(self) -> bool:
        return self.n_min == 1 and self.n_max == 1 and self.value is None

    @property
    def is_optional(self) -> bool:
        return self.n_min == 0 and self.n_max == 1

    @property
    def is_set(self) -> bool:
        return self.value is None and not self.is_scalar

    def to_english(self) -> str:
        """``ovsdb_type_to_english``: e.g. "set of up to 4096 integers"."""
        key = self.key.type
        if self.is_scalar:
            return key
        kind = "map" if self.is_map else "set"
        if self.n_max == UNLIMITED:
            text = f"{kind} of {self.n_min} or more" if self.n_min else f"{kind} of"
        elif self.n_min:
            text = f"{kind} of {self.n_min} to {self.n_max}"
        else:
            text = f"{kind} of up to {self.n_max}"
        if self.value is None:
            return f"{text} {key}s"
        return f"{text} ({key}, {self.value.type}) pairs"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    mutable: bool = True
    ephemeral: bool = False


@dataclass(frozen=True)
class TableSchema:
    """One table: its columns sorted by name (the order ``list`` prints them in, as the
    generated IDL sorts them), whether it is in the root set, its row limit and its
    unique indexes."""

    name: str
    columns: dict[str, Column]
    is_root: bool = False
    max_rows: int | None = None
    indexes: tuple[tuple[str, ...], ...] = ()


class SchemaError(ValueError):
    """A malformed line in our own schema table (a programming error)."""


def _parse_base(text: str) -> BaseType:
    if text.startswith(("ref(", "wref(")) and text.endswith(")"):
        strong = text.startswith("ref(")
        return BaseType(UUID, ref_table=text[text.index("(") + 1:-1], ref_strong=strong)
    name, _, rest = text.partition("(")
    if rest:
        lo, _, hi = rest.rstrip(")").partition("..")
        return BaseType(_ATOMS[name], min_int=int(lo) if lo else INT64_MIN,
                        max_int=int(hi) if hi else INT64_MAX)
    name, _, rest = text.partition("{")
    if rest:
        atom = _ATOMS[name]
        words = rest.rstrip("}").split("|")
        if atom == INTEGER:
            return BaseType(atom, enum=tuple(sorted(int(w) for w in words)))
        return BaseType(atom, enum=tuple(sorted(words)))
    if name not in _ATOMS:
        raise SchemaError(f"unknown atomic type {name!r}")
    return BaseType(_ATOMS[name])


def parse_column(name: str, text: str) -> Column:
    words = text.split()
    flags = {w for w in words if w in ("ro", "eph")}
    words = [w for w in words if w not in flags]
    n_min, n_max = 1, 1
    if len(words) == 2:
        lo, _, hi = words[0].partition("..")
        n_min, n_max = int(lo), UNLIMITED if hi == "*" else int(hi)
        words = words[1:]
    if len(words) != 1:
        raise SchemaError(f"column {name}: bad type {text!r}")
    key_text, _, value_text = words[0].partition(":")
    key = _parse_base(key_text)
    value = _parse_base(value_text) if value_text else None
    return Column(name, ColumnType(key, value, n_min, n_max),
                  mutable="ro" not in flags, ephemeral="eph" in flags)


def make_table(name: str, columns: dict[str, str], *, root: bool = False,
               max_rows: int | None = None,
               indexes: tuple[tuple[str, ...], ...] = ()) -> TableSchema:
    cols = {c: parse_column(c, t) for c, t in sorted(columns.items())}
    return TableSchema(name, cols, is_root=root, max_rows=max_rows, indexes=indexes)
