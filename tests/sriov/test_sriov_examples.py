"""The SR-IOV examples pass on the emulator, prove what they claim (the same lab with the
protection switched the other way fails the checks that show it), and the linux engine
refuses them here with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from vnetlab.engine import UnsupportedError
from vnetlab.model import LabSpec, load_lab, load_lab_text
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.checks import Report, run_checks

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SRIOV = ["failure-vf-queue-exhaustion.yaml", "security-vf-isolation.yaml"]


def _run(lab: LabSpec) -> Report:
    eng = SimEngine()
    eng.realize(lab)
    try:
        return run_checks(eng, lab)
    finally:
        eng.teardown()


def _failed(report: Report) -> list[str]:
    return [r.subject for r in report.results if r.status == "fail"]


@pytest.mark.parametrize("name", SRIOV)
def test_example_passes_on_the_emulator(name: str) -> None:
    report = _run(load_lab(EXAMPLES / name))
    assert report.ok and _failed(report) == []
    assert {r.status for r in report.results} == {"pass"}


def test_queue_exhaustion_example_fails_its_starvation_checks_with_per_vf_isolation() -> None:
    text = (EXAMPLES / SRIOV[0]).read_text()
    fixed = text.replace("ring: 1024\n          isolation: shared-pool",
                         "ring: 256\n          isolation: per-vf")
    assert fixed != text
    failed = _failed(_run(load_lab_text(fixed)))
    # the starvation the shared pool caused is gone: those checks now fail
    assert failed == ["tor -> 10.0.0.11", "tor -> 10.0.0.12", "app1 -> 10.0.0.12",
                      "app1:shr1 rx_missed_errors", "app2:shr2 rx_out_of_buffer",
                      "tor -> 10.0.0.11"]


def test_security_example_attacks_succeed_on_the_guarded_nic_without_its_protection() -> None:
    text = (EXAMPLES / SRIOV[1]).read_text()
    opened = text.replace("sriov: {numvfs: 2}",
                          "sriov: {numvfs: 2, vfs: {0: {spoofchk: false, trust: true}}}")
    assert opened != text
    failed = _failed(_run(load_lab_text(opened)))
    assert failed == ["host:eth0 tx_spoofed", "host:eth0 vf0_tx_dropped",
                      "tor:p0: frames from victim:vg to 02:00:00:00:00:99",
                      "attacker:ag: icmp echo-request to victim:vg"]


@pytest.mark.parametrize("name", SRIOV)
def test_the_linux_engine_refuses_sriov_examples_here_naming_the_nic(name: str) -> None:
    from vnetlab.kernel.plan import check_supported

    with pytest.raises(UnsupportedError) as e:
        check_supported(load_lab(EXAMPLES / name))
    assert "SR-IOV capable NIC" in str(e.value)
    assert "host:eth0 is a nic" in str(e.value)
