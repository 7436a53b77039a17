"""``run_vsctl`` against a real ``ovs-vsctl`` + ``ovsdb-server``: the same command
sequences on both, stdout (UUIDs as placeholders), stderr and exit status compared
command by command. Skipped with the reason when Open vSwitch is not installed."""

from __future__ import annotations

import json
import os

import pytest

from tests.ovsdb.oracle import RealOvsdb, compare, missing_tools, real_ovsdb
from tests.ovsdb.record_golden import GOLDEN
from tests.ovsdb.sequences import SEQUENCES
from vnetlab.ovsdb.db import Database


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_sequence_matches_real_ovs_vsctl(server: RealOvsdb, name: str) -> None:
    db = Database()
    golden = json.loads(GOLDEN.read_text())[name]
    for argv, recorded in zip(SEQUENCES[name], golden, strict=True):
        real, ours = compare(server, db, argv)
        assert ours == real, argv
        assert list(real) == recorded, f"{argv}: vsctl_golden.json is out of date"


def test_the_oracle_server_is_stopped_and_removed() -> None:
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    servers = real_ovsdb()
    server = next(servers)
    pid, where = server.pid, server.dir
    assert pid is not None and where.exists()
    servers.close()
    assert not where.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
