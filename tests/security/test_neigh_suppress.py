"""neigh_suppress (br_do_proxy_suppress_arp): the bridge answers a's ARP request for b from
its own neighbour table, out of a's port, and floods the request to no suppressing port —
on the emulator and, the same checks, on the kernel."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.security.labs import suppress_raw
from vnetlab.engine import Engine
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.model.resolver import resolve
from vnetlab.model.spec import LabSpec
from vnetlab.sim.engine import SimEngine


def _run(e: Engine, name: str) -> list[str]:
    from vnetlab.tools.checks import run_checks

    lab = resolve(LabSpec.model_validate(suppress_raw(name)))
    e.realize(lab)
    return [f"{r.subject}: {r.got}" for r in run_checks(e, lab).results if not r.passed]


def test_neigh_suppress_in_the_emulator() -> None:
    assert _run(SimEngine(), "sup-sim") == []


def test_without_the_flag_the_request_is_flooded() -> None:
    from vnetlab.tools.checks import run_checks

    raw = suppress_raw("sup-off")
    for p in ("vb", "vc"):
        raw["nodes"]["host"]["interfaces"][p] = {"master": "br0"}
    lab = resolve(LabSpec.model_validate(raw))
    e = SimEngine()
    e.realize(lab)
    failed = [r.subject for r in run_checks(e, lab).results if not r.passed]
    assert failed == ["b:eth0: arp request from 02:00:00:00:00:0a",
                      "c:eth0: arp request from 02:00:00:00:00:0a"]


@pytest.fixture
def kernel() -> Iterator[LinuxEngine]:
    e = LinuxEngine()
    try:
        yield e
    finally:
        e.teardown()


@pytest.mark.kernel
def test_neigh_suppress_on_the_kernel(kernel: LinuxEngine) -> None:
    assert _run(kernel, f"secs{os.getpid() % 100000}") == []
