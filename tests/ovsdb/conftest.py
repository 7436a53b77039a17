"""Fixtures of the OVSDB tests: a real ovsdb-server (skipped, with the reason, when Open
vSwitch is not installed) that is always stopped and removed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ovsdb.oracle import RealOvsdb, missing_tools, real_ovsdb


@pytest.fixture
def server() -> Iterator[RealOvsdb]:
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    yield from real_ovsdb()
