"""Differential: isolated and locked ports pass and drop the same pings on the kernel
(flags set through rtnetlink, as ``bridge link set ... isolated on locked on``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from ipaddress import IPv4Address

import pytest

from tests.security.labs import PORT_FLAG_PINGS, port_flags
from tests.security.test_port_flags import WANT
from vnetlab.kernel.engine import LinuxEngine

pytestmark = pytest.mark.kernel


@pytest.fixture
def kernel() -> Iterator[LinuxEngine]:
    e = LinuxEngine()
    try:
        yield e
    finally:
        e.teardown()


def test_isolated_and_locked_ports_on_the_kernel(kernel: LinuxEngine) -> None:
    kernel.realize(port_flags(f"secf{os.getpid() % 100000}"))
    got = [kernel.ping(s, IPv4Address(d)).received for s, d in PORT_FLAG_PINGS]
    assert got == WANT
