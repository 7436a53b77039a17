"""A stand-in for ``vnetlab.ovsdb.Database`` with the few calls the vswitchd makes
(rows by table, references, a seqno, transactions) while the real one is not merged."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_DEFAULTS: dict[str, dict[str, Any]] = {
    "Open_vSwitch": {"bridges": []},
    "Bridge": {"name": "", "ports": [], "mirrors": [], "fail_mode": [], "datapath_type": "",
               "other_config": {}},
    "Port": {"name": "", "interfaces": [], "tag": [], "trunks": [], "vlan_mode": []},
    "Interface": {"name": "", "type": "", "options": {}, "ofport_request": [], "mac": [],
                  "ofport": [], "mac_in_use": []},
    "Mirror": {"name": "", "select_all": False, "select_src_port": [], "select_dst_port": [],
               "select_vlan": [], "output_port": [], "output_vlan": []},
}


class Row:
    def __init__(self, table: str, uuid: str, data: dict[str, Any]) -> None:
        self.table, self.uuid, self._data = table, uuid, data

    def __getitem__(self, col: str) -> Any:
        return self._data[col]

    def opt(self, col: str) -> Any:
        v = self._data[col]
        return v[0] if v else None

    def refs(self, col: str) -> list[str]:
        v = self._data[col]
        return list(v) if isinstance(v, list) else [v]


class Txn:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def insert(self, table: str, values: dict[str, Any] | None = None) -> Row:
        uuid = f"u{next(self.db.ids)}"
        data = {k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                for k, v in _DEFAULTS[table].items()}
        data.update(values or {})
        row = Row(table, uuid, data)
        self.db.tables[table][uuid] = row
        return row

    def set(self, row: Row, col: str, value: Any) -> None:
        row._data[col] = value


class FakeDb:
    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Row]] = {t: {} for t in _DEFAULTS}
        self.seqno = 0
        self.ids = itertools.count(1)

    def rows(self, table: str) -> list[Row]:
        return list(self.tables[table].values())

    def get(self, table: str, uuid: str) -> Row | None:
        return self.tables[table].get(uuid)

    def first(self, table: str) -> Row | None:
        return next(iter(self.tables[table].values()), None)

    @contextmanager
    def transaction(self) -> Iterator[Txn]:
        yield Txn(self)
        self.seqno += 1

    # -- ovs-vsctl-like helpers -------------------------------------------------------
    def add_br(self, name: str, **cols: Any) -> Row:
        with self.transaction() as t:
            iface = t.insert("Interface", {"name": name, "type": "internal"})
            port = t.insert("Port", {"name": name, "interfaces": [iface.uuid]})
            br = t.insert("Bridge", {"name": name, "ports": [port.uuid],
                                     "datapath_type": "netdev", **cols})
            root = self.first("Open_vSwitch")
            assert root is not None
            root._data["bridges"].append(br.uuid)
        return br

    def add_port(self, br: str, name: str, iface: dict[str, Any] | None = None,
                 **cols: Any) -> Row:
        b = next(r for r in self.rows("Bridge") if r["name"] == br)
        with self.transaction() as t:
            i = t.insert("Interface", {"name": name, **(iface or {})})
            p = t.insert("Port", {"name": name, "interfaces": [i.uuid], **cols})
            b._data["ports"].append(p.uuid)
        return p

    def add_mirror(self, br: str, name: str, **cols: Any) -> Row:
        b = next(r for r in self.rows("Bridge") if r["name"] == br)
        with self.transaction() as t:
            m = t.insert("Mirror", {"name": name, **cols})
            b._data["mirrors"].append(m.uuid)
        return m

    def port_uuid(self, name: str) -> str:
        return next(r.uuid for r in self.rows("Port") if r["name"] == name)
