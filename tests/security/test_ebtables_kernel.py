"""Differential: the same ebtables rules on the emulator and on the kernel (real ebtables
in a lab namespace) drop the same frames and count the same packets and bytes; bad
commands get the same words and exit status."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from ipaddress import IPv4Address

import pytest

from tests.security.labs import filtered_bridge
from vnetlab.engine import Engine
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.ops.filters import ebtables_argv, ebtables_listing
from vnetlab.model.filters import EbtablesError
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.netfilter.ebtables import ebtables_command

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(shutil.which("ebtables") is None, reason="ebtables is not installed"),
]

PINGS = [("a", "10.0.0.3", 2), ("a", "10.0.0.4", 2), ("b", "10.0.0.1", 2), ("c", "10.0.0.2", 1)]


#: after the pings, past ``delay_first_probe_time`` (5 s): the neighbour probes of entries
#: the pings left in DELAY are sent (and counted) on both engines before we compare
SETTLE_S = 7.0


def _traffic(e: Engine) -> list[int]:
    got = [e.ping(src, IPv4Address(dst), count=n).received for src, dst, n in PINGS]
    if isinstance(e, SimEngine):
        e.advance(SETTLE_S)
    else:
        time.sleep(SETTLE_S)
    return got


@pytest.fixture
def kernel() -> Iterator[LinuxEngine]:
    e = LinuxEngine()
    try:
        yield e
    finally:
        e.teardown()


def _name(tag: str) -> str:
    return f"sec{tag}{os.getpid() % 100000}"


def test_same_drops_and_counters_on_both_engines(kernel: LinuxEngine) -> None:
    lab = filtered_bridge(_name("d")).model_copy(update={"ipv6": False})  # quiet: counted frames
    sim = SimEngine()
    sim.realize(lab)
    want = _traffic(sim)
    kernel.realize(lab)
    got = _traffic(kernel)
    assert got == want == [2, 0, 2, 0]  # c is cut off both ways (its replies too)
    assert ebtables_listing(kernel._ns("host")) == ebtables_command(sim.ns("host"),
                                                                    ["-L", "--Lc"])


BAD = [
    "-A FORWARD --arp-op Reply -j DROP",
    "-A FORWARD -p ARP --arp-op Bogus -j DROP",
    "-A FORWARD -s zz -j DROP",
    "-A FORWARD -j BLAH",
    "-A FOO -j DROP",
    "-P FORWARD RETURN",
    "-A FORWARD --logical-in br0 -j ACCEPT",
    "-I FORWARD -p IPv4 --arp-op Reply -j DROP",
    "-D FORWARD 3",
    "-D FORWARD -p IPv4 -j ACCEPT",
    "-L FOO",
]


def test_bad_commands_match_the_real_tool(kernel: LinuxEngine) -> None:
    lab = filtered_bridge(_name("b"), rules=["-A INPUT -j CONTINUE"])  # the table exists
    kernel.realize(lab)
    sim = SimEngine()
    sim.realize(lab)
    for words in BAD:
        real = subprocess.run(ebtables_argv(kernel._ns("host"), words.split()),
                              capture_output=True, text=True, timeout=10, check=False)
        with pytest.raises(EbtablesError) as err:
            ebtables_command(sim.ns("host"), words.split())
        assert (err.value.status, err.value.message) == (real.returncode,
                                                         real.stderr.rstrip("\n")), words
