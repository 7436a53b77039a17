"""Fixtures of the OpenFlow tests (helpers in ``tests.openflow.oflab``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.openflow.oflab import SKIP_REASON, RealOvs, real_ovs


@pytest.fixture(scope="module")
def ovs() -> Iterator[RealOvs]:
    """A private real ovs-vswitchd with br0 (p1..p3); skips when OVS is not installed."""
    if SKIP_REASON:
        pytest.skip(SKIP_REASON)
    yield from real_ovs()
