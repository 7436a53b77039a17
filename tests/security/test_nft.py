"""The nftables bridge family in the emulator, and (kernel) against the real nft: same
drops, the same ``nft list ruleset`` with the same counters, the same first error line."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from ipaddress import IPv4Address

import pytest

from tests.security.labs import NFT_RULES, filtered_bridge_raw
from vnetlab.engine import Engine
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.ops.filters import nft_listing
from vnetlab.model.nft import NftError, tokenize
from vnetlab.model.spec import LabSpec
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.netfilter.nft import nft_command

PINGS = [("a", "10.0.0.3", 2), ("a", "10.0.0.4", 2), ("b", "10.0.0.1", 2)]
SETTLE_S = 7.0


def nft_lab(name: str, rules: list[str]) -> LabSpec:
    from vnetlab.model.resolver import resolve

    raw = filtered_bridge_raw(name, rules=[])
    raw["nodes"]["host"]["nft"] = rules
    raw["ipv6"] = "off"  # quiet: counted frames
    return resolve(LabSpec.model_validate(raw))


def _traffic(e: Engine) -> list[int]:
    got = [e.ping(s, IPv4Address(d), count=n).received for s, d, n in PINGS]
    if isinstance(e, SimEngine):
        e.advance(SETTLE_S)
    else:
        time.sleep(SETTLE_S)
    return got


def test_nft_rules_drop_and_count_in_the_emulator() -> None:
    e = SimEngine()
    e.realize(nft_lab("nft-sim", NFT_RULES))
    assert _traffic(e) == [2, 0, 2]
    text = nft_command(e.ns("host"), ["list", "ruleset"])
    assert "\t\tip daddr 10.0.0.4 ip protocol icmp counter packets 2 bytes 168 drop\n" in text
    t = e.trace("a", IPv4Address("10.0.0.4"))
    assert "nft chain filter forward rule 3" in t.verdict()


def test_bad_nft_rule_is_refused_at_load() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="Could not parse ARP operation"):
        nft_lab("nft-bad", ["add table bridge filter",
                            "add chain bridge filter forward { type filter hook forward "
                            "priority 0; }",
                            "add rule bridge filter forward arp operation bogus drop"])


@pytest.fixture
def kernel() -> Iterator[LinuxEngine]:
    e = LinuxEngine()
    try:
        yield e
    finally:
        e.teardown()


@pytest.mark.kernel
@pytest.mark.skipif(shutil.which("nft") is None, reason="nft is not installed")
def test_nft_same_on_the_kernel(kernel: LinuxEngine) -> None:
    lab = nft_lab(f"secn{os.getpid() % 100000}", NFT_RULES)
    sim = SimEngine()
    sim.realize(lab)
    want = _traffic(sim)
    kernel.realize(lab)
    assert _traffic(kernel) == want
    assert nft_listing(kernel._ns("host")) == nft_command(sim.ns("host"), ["list", "ruleset"])


BAD = [
    "add rule bridge filter forward arp operation bogus drop",
    "add rule bridge filter nochain drop",
    "add rule bridge filter forward ether saddr zz drop",
]


@pytest.mark.kernel
@pytest.mark.skipif(shutil.which("nft") is None, reason="nft is not installed")
def test_nft_errors_match(kernel: LinuxEngine) -> None:
    lab = nft_lab(f"secm{os.getpid() % 100000}", NFT_RULES[:2])
    kernel.realize(lab)
    sim = SimEngine()
    sim.realize(lab)
    for line in BAD:
        real = subprocess.run(["ip", "netns", "exec", kernel._ns("host"), "nft", line],
                              capture_output=True, text=True, timeout=10, check=False)
        with pytest.raises(NftError) as err:
            nft_command(sim.ns("host"), tokenize(line))
        assert (err.value.status, err.value.message) == (
            real.returncode, real.stderr.splitlines()[0]), line


def test_prerouting_chain_is_refused_not_ignored() -> None:
    from vnetlab.engine import UnsupportedError

    lab = nft_lab("nft-pre", ["add table bridge filter",
                              "add chain bridge filter pre { type filter hook prerouting "
                              "priority 0; }"])
    with pytest.raises(UnsupportedError, match="does not run bridge prerouting chains"):
        SimEngine().realize(lab)
