"""The dummy kind on the real kernel: the same lab as the emulator's where the kernel has
``CONFIG_DUMMY``; where it has not (this CI kernel), a refusal that names the detected
reason before anything is built."""

from __future__ import annotations

import os

import pytest

from vnetlab.api import run
from vnetlab.engine import UnsupportedError
from vnetlab.kernel import features
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.model import load_lab_text

pytestmark = pytest.mark.kernel


def _lab_text() -> str:
    return f"""
name: dm{os.getpid() % 100000}
nodes:
  a:
    interfaces:
      d0: {{type: dummy, addresses: [10.9.0.1/24]}}
    routes: [{{dst: 10.8.0.0/16, dev: d0}}]
checks:
  - ping: a -> 10.9.0.1
  - {{ping: a -> 10.8.1.1, expect: unreachable, count: 1}}
"""


def test_dummy_lab_agrees_with_the_emulator_or_is_refused_with_the_reason() -> None:
    lab = load_lab_text(_lab_text())
    sim = run(lab)
    assert sim.ok, sim
    missing = features.unsupported_kinds(["dummy"]).get("dummy")
    if missing is not None:
        e = LinuxEngine()
        try:
            with pytest.raises(UnsupportedError, match="a:d0 is a dummy") as err:
                e.realize(lab)
            assert missing in str(err.value) and e.record is None
        finally:
            e.teardown()
        pytest.skip(f"this kernel has no dummy devices ({missing}); refusal checked")
    linux = run(lab, engine="linux")  # pragma: no cover - only on kernels with dummy
    assert [r.status for r in linux.results] == [r.status for r in sim.results]
