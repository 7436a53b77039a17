"""Fixtures of the script's OVS tests: a private real Open vSwitch (skipped with the reason
when it is not installed) and the check that the emulated vswitchd runs at all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.script.ovs.script_realovs import RealOvs, missing_reason, real_ovs


@pytest.fixture
def real() -> Iterator[RealOvs]:
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    yield from real_ovs()
