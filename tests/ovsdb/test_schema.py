"""Our schema table against the installed ``vswitch.ovsschema`` (skipped without it), and
the notation it is written in."""

from __future__ import annotations

import json

import pytest

from tests.ovsdb.oracle import SCHEMA
from vnetlab.ovsdb.schema import INT64_MAX, INT64_MIN, UNLIMITED, BaseType, parse_column
from vnetlab.ovsdb.vswitch_schema import DB_VERSION, ROW_IDS, TABLES


def _base(b: object) -> BaseType:
    if isinstance(b, str):
        return BaseType(b)
    assert isinstance(b, dict)
    enum = None
    if "enum" in b:
        e = b["enum"]
        enum = tuple(sorted(e[1] if isinstance(e, list) and e[0] == "set" else [e]))
    return BaseType(b["type"], enum=enum, min_int=b.get("minInteger", INT64_MIN),
                    max_int=b.get("maxInteger", INT64_MAX), ref_table=b.get("refTable"),
                    ref_strong=b.get("refType", "strong") == "strong")


def test_the_table_is_the_installed_schema() -> None:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is missing (openvswitch-common not installed)")
    real = json.loads(SCHEMA.read_text())
    assert real["version"] == DB_VERSION
    assert set(real["tables"]) == set(TABLES)
    for name, t in real["tables"].items():
        ours = TABLES[name]
        assert ours.is_root == t.get("isRoot", False), name
        assert ours.max_rows == t.get("maxRows"), name
        assert [list(i) for i in ours.indexes] == t.get("indexes", []), name
        assert set(ours.columns) == set(t["columns"]), name
        for cname, c in t["columns"].items():
            col = ours.columns[cname]
            ty = c["type"]
            if isinstance(ty, str):
                ty = {"key": ty}
            assert col.type.key == _base(ty["key"]), (name, cname)
            assert col.type.value == (_base(ty["value"]) if "value" in ty else None)
            assert col.type.n_min == ty.get("min", 1), (name, cname)
            n_max = ty.get("max", 1)
            assert col.type.n_max == (UNLIMITED if n_max == "unlimited" else n_max)
            assert col.mutable == c.get("mutable", True), (name, cname)
            assert col.ephemeral == c.get("ephemeral", False), (name, cname)


def test_notation() -> None:
    c = parse_column("tag", "0..1 int(0..4095)")
    assert (c.type.n_min, c.type.n_max, c.type.key.min_int, c.type.key.max_int) == \
        (0, 1, 0, 4095)
    m = parse_column("flow_tables", "0..* int(0..254):ref(Flow_Table)")
    assert m.type.is_map and m.type.value is not None and m.type.value.is_strong_ref
    w = parse_column("output_port", "0..1 wref(Port)")
    assert w.type.key.is_weak_ref and w.mutable
    ro = parse_column("name", "str ro")
    assert not ro.mutable and ro.type.is_scalar
    assert parse_column("x", "0..4096 int(0..4095)").type.to_english() == \
        "set of up to 4096 integers"
    assert parse_column("x", "0..* str:str").type.to_english() == "map of (string, string) pairs"


def test_row_ids_name_existing_columns() -> None:
    for table, (name_table, name_col, uuid_col) in ROW_IDS.items():
        assert table in TABLES and name_col in TABLES[name_table].columns
        if uuid_col is not None:
            assert TABLES[name_table].columns[uuid_col].type.key.ref_table == table
