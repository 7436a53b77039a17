"""The ARP-spoofing labs on the kernel (real ebtables in the host namespace, the attacker
on a TAP device): same verdicts as the emulator, and the DROP rule counts the forged
replies the attacker says it sent."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.security.labs_run import drop_count, run_example
from vnetlab.kernel.engine import LinuxEngine

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(shutil.which("ebtables") is None, reason="ebtables is not installed"),
]


@pytest.fixture
def kernel() -> Iterator[LinuxEngine]:
    e = LinuxEngine()
    try:
        yield e
    finally:
        e.teardown()


def test_attack_succeeds_on_the_kernel(kernel: LinuxEngine) -> None:
    out = run_example(kernel, "security-arp-spoofing")
    assert not out.failed, out.failed
    assert out.attacker["intercepted_icmp"] > 0


def test_mitigation_holds_on_the_kernel(kernel: LinuxEngine) -> None:
    out = run_example(kernel, "security-arp-spoofing-mitigated", listing="linux")
    assert not out.failed, out.failed
    assert out.attacker["intercepted_icmp"] == 0
    assert drop_count(out.listing) >= out.attacker["forged_replies"] > 0


@pytest.mark.skipif(shutil.which("ovs-vswitchd") is None, reason="Open vSwitch is not installed")
def test_ovs_arp_inspection_on_real_ovs(kernel: LinuxEngine) -> None:
    out = run_example(kernel, "security-arp-spoofing-ovs")
    assert not out.failed, out.failed
    assert out.attacker["forged_replies"] > 0 and out.attacker["intercepted_icmp"] == 0
