"""The plaintext-VXLAN lab over IPsec ESP in the emulator: the spy reads only ciphertext,
its forged plaintext VXLAN fails the in policy, a tampered ESP packet fails its ICV and a
replayed one the replay window — each counted where the kernel counts it."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.security.labs_run import run_example
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.stack.xfrm import XfrmDb


@pytest.fixture(scope="module")
def outcome() -> tuple[list[str], Counter[str], Counter[str], XfrmDb, XfrmDb]:
    e = SimEngine()
    try:
        out = run_example(e, "security-plaintext-vxlan-esp", program="underlay:spy0")
        evil = Counter(e.programs["underlay:evil0"].counters)
        db1, db2 = e.ns("vtep1").stack.xfrm, e.ns("vtep2").stack.xfrm
        assert db1 is not None and db2 is not None
    finally:
        e.teardown()
    return out.failed, out.attacker, evil, db1, db2


def test_checks_pass(outcome: tuple[list[str], Counter[str], Counter[str], XfrmDb, XfrmDb],
                     ) -> None:
    assert not outcome[0], outcome[0]


def test_spy_reads_only_ciphertext(
        outcome: tuple[list[str], Counter[str], Counter[str], XfrmDb, XfrmDb]) -> None:
    _, spy, evil, _, _ = outcome
    assert spy["frames"] > 0 and spy["vxlan"] == 0 and spy["found"] == 0
    assert evil["esp"] > 0 and evil["found"] == 0
    assert spy["injected"] == 1


def test_forgeries_dropped_and_counted(
        outcome: tuple[list[str], Counter[str], Counter[str], XfrmDb, XfrmDb]) -> None:
    _, _, evil, db1, db2 = outcome
    assert evil["tampered"] == 1 and evil["replayed"] == 1
    # the spy's plaintext VXLAN: the in policy wants ESP; the tampered packet: ICV; the
    # replay: the window. Nothing else failed, on either side.
    assert {k: v for k, v in db1.stats.items() if v} == {
        "XfrmInTmplMismatch": 1, "XfrmInStateProtoError": 1, "XfrmInStateSeqError": 1}
    assert not any(db2.stats.values())
    inbound = next(sa for sa in db1.states if sa.cfg.spi == 0x1002)
    assert inbound.integrity_failed == 1 and inbound.replay_errs == 1
    # the tenant's traffic went through ESP both ways
    outbound = next(sa for sa in db1.states if sa.cfg.spi == 0x1001)
    assert outbound.oseq > 0 and inbound.seq > 0 and inbound.packets == inbound.seq
