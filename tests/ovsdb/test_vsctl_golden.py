"""``run_vsctl`` against what the real ovs-vsctl printed for the same sequences
(``vsctl_golden.json``, recorded by ``record_golden.py``): runs without Open vSwitch."""

from __future__ import annotations

import json

import pytest

from tests.ovsdb.oracle import normalize, our_labels
from tests.ovsdb.record_golden import GOLDEN
from tests.ovsdb.sequences import SEQUENCES
from vnetlab.ovsdb.db import Database
from vnetlab.ovsdb.vsctl import run_vsctl


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_sequence_prints_what_ovs_vsctl_printed(name: str) -> None:
    golden = json.loads(GOLDEN.read_text())[name]
    db = Database()
    for argv, recorded in zip(SEQUENCES[name], golden, strict=True):
        ours = normalize(run_vsctl(db, ["--no-wait", *argv]), our_labels(db))
        assert list(ours) == recorded, argv
