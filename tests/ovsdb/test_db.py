"""The in-memory OVSDB: values, transactions, referential integrity, garbage collection,
weak references, indexes, seqno and reproducible UUIDs (ovsdb/transaction.c's rules)."""

from __future__ import annotations

import re

import pytest

from vnetlab.ovsdb.data import DataError, Uuid
from vnetlab.ovsdb.db import Database, Row, Transaction, TxnError


def bridge(txn: Transaction, name: str) -> tuple[Row, Row, Row]:
    iface = txn.insert("Interface", {"name": name, "type": "internal"})
    port = txn.insert("Port", {"name": name, "interfaces": [iface.uuid]})
    br = txn.insert("Bridge", {"name": name, "ports": [port.uuid]})
    return br, port, iface


def db_with_bridge() -> tuple[Database, Row]:
    db = Database()
    with db.transaction() as txn:
        ovs = txn.insert("Open_vSwitch")
        br, _, _ = bridge(txn, "br0")
        txn.write(ovs, "bridges", [br.uuid])
    return db, br


def test_values_have_python_shapes() -> None:
    db, br = db_with_bridge()
    assert br["name"] == "br0"            # scalar
    assert br["fail_mode"] == []          # optional: a list of 0 or 1
    assert br["other_config"] == {}       # map
    assert br["stp_enable"] is False      # default of a boolean
    ports = br["ports"]
    assert isinstance(ports, list) and isinstance(ports[0], Uuid)
    assert br.opt("fail_mode") is None
    copy = br["ports"]
    assert isinstance(copy, list)
    copy.clear()                          # a copy: the row does not change
    assert br["ports"] == ports


def test_uuids_are_reproducible_and_look_like_uuids() -> None:
    a, _ = db_with_bridge()
    b, _ = db_with_bridge()
    ua = [r.uuid for t in ("Open_vSwitch", "Bridge", "Port", "Interface") for r in a.rows(t)]
    ub = [r.uuid for t in ("Open_vSwitch", "Bridge", "Port", "Interface") for r in b.rows(t)]
    assert ua == ub
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}"
                            r"-[0-9a-f]{12}", u) for u in ua)
    assert Database(seed=1).new_uuid() != Database(seed=2).new_uuid()
    assert sorted(ua) == sorted(ua, key=lambda u: int(u[:8], 16))  # creation order


def test_seqno_grows_only_on_real_changes() -> None:
    db, br = db_with_bridge()
    assert db.seqno == 1
    with db.transaction() as txn:
        txn.write(br, "fail_mode", ["secure"])
    assert db.seqno == 2
    with db.transaction() as txn:
        txn.write(br, "fail_mode", ["secure"])  # same value: nothing changed
    assert db.seqno == 2


def test_a_failing_block_rolls_everything_back() -> None:
    db, br = db_with_bridge()
    n = db.new_uuid  # the UUID counter is rolled back as well
    before = n()
    db2, br2 = db_with_bridge()
    with pytest.raises(RuntimeError), db2.transaction() as txn:
        txn.write(br2, "fail_mode", ["secure"])
        bridge(txn, "br1")
        raise RuntimeError("boom")
    assert br2["fail_mode"] == []
    assert [r["name"] for r in db2.rows("Bridge")] == ["br0"]
    assert db2.new_uuid() == before
    assert db2.seqno == 1


def test_reference_to_a_missing_row_is_refused() -> None:
    db, br = db_with_bridge()
    ghost = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(TxnError) as e, db.transaction() as txn:
        txn.write(br, "mirrors", [Uuid(ghost)])
    assert e.value.error == "referential integrity violation"
    assert e.value.details == (f"Table Bridge column mirrors row {br.uuid} references "
                               f"nonexistent row {ghost} in table Mirror.")
    assert e.value.json().startswith('{"details":"Table Bridge column mirrors row ')
    assert br["mirrors"] == []


def test_deleting_a_referenced_root_row_is_refused() -> None:
    db = Database()
    with db.transaction() as txn:
        q = txn.insert("Queue")
        qos = txn.insert("QoS", {"queues": {0: q.uuid}})
    with pytest.raises(TxnError) as e, db.transaction() as txn:
        txn.delete(q)
    assert e.value.details == (f"cannot delete Queue row {q.uuid} because of 1 remaining "
                               "reference(s)")
    assert db.get("QoS", qos.uuid) is not None and db.get("Queue", q.uuid) is not None


def test_unreferenced_rows_are_garbage_collected_transitively() -> None:
    db, br = db_with_bridge()
    (ovs,) = db.rows("Open_vSwitch")
    with db.transaction() as txn:
        orphan = txn.insert("Mirror", {"name": "m"})  # nobody refers to it
        txn.write(ovs, "bridges", [])
    assert db.get("Mirror", orphan.uuid) is None
    assert db.rows("Bridge") == db.rows("Port") == db.rows("Interface") == []
    assert db.rows("Open_vSwitch") == [ovs]  # root: stays without references


def test_weak_references_to_deleted_rows_vanish() -> None:
    db, br = db_with_bridge()
    with db.transaction() as txn:
        iface = txn.insert("Interface", {"name": "p1"})
        p1 = txn.insert("Port", {"name": "p1", "interfaces": [iface.uuid]})
        m = txn.insert("Mirror", {"name": "m0", "select_src_port": [p1.uuid],
                                  "output_port": [p1.uuid]})
        txn.write(br, "ports", [*br.refs("ports"), p1.uuid])
        txn.write(br, "mirrors", [m.uuid])
    with db.transaction() as txn:
        txn.write(br, "ports", [u for u in br.refs("ports") if u != p1.uuid])
    assert db.get("Port", p1.uuid) is None
    assert m["select_src_port"] == [] and m["output_port"] == []


def test_max_rows_and_unique_names() -> None:
    db, _ = db_with_bridge()
    with pytest.raises(TxnError) as e, db.transaction() as txn:
        txn.insert("Open_vSwitch")
    assert e.value.details == ('transaction causes "Open_vSwitch" table to contain 2 rows, '
                               "greater than the schema-defined limit of 1 row(s)")
    (old,) = db.find("Port", "name", "br0")
    (br,) = db.rows("Bridge")
    with pytest.raises(TxnError) as e, db.transaction() as txn:
        _, port, _ = bridge(txn, "x")
        txn.write(port, "name", "br0")  # the API may write a read-only column
        txn.write(br, "ports", [*br.refs("ports"), port.uuid])
    assert e.value.error == "constraint violation"
    assert e.value.details == (
        'Transaction causes multiple rows in "Port" table to have identical values (br0) '
        f'for index on column "name".  First row, with UUID {old.uuid}, existed in the '
        "database before this transaction and was not modified by the transaction.  "
        f"Second row, with UUID {port.uuid}, was inserted by this transaction.")


def test_values_are_checked_against_the_schema() -> None:
    db, br = db_with_bridge()
    with pytest.raises(DataError), db.transaction() as txn:
        txn.write(br, "fail_mode", ["bogus"])
    with pytest.raises(DataError), db.transaction() as txn:
        txn.write(br, "stp_enable", "yes")
    (port,) = db.find("Port", "name", "br0")
    with pytest.raises(DataError), db.transaction() as txn:
        txn.write(port, "tag", [4096])
    with pytest.raises(DataError), db.transaction() as txn:
        txn.write(port, "interfaces", [])  # 1..* must not be empty
    with db.transaction() as txn:
        txn.write(port, "trunks", [20, 10, 30])
    assert port["trunks"] == [10, 20, 30]


def test_dry_run_checks_then_changes_nothing() -> None:
    db, br = db_with_bridge()
    with db.transaction() as txn:
        txn.write(br, "fail_mode", ["secure"])
        txn.commit(dry_run=True)
    assert br["fail_mode"] == [] and db.seqno == 1


def test_nested_transactions_are_refused() -> None:
    db = Database()
    with db.transaction(), pytest.raises(RuntimeError), db.transaction():
        pass
