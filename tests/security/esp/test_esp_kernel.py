"""The ESP lab on the linux engine: realized where the kernel has ESP, refused at plan
time with the detected reason where it has not (this project's CI kernel: no esp4)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.security.labs_run import EXAMPLES
from vnetlab.engine import UnsupportedError
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.ops.xfrm import esp_unsupported
from vnetlab.model.load import load_lab

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(shutil.which("ip") is None, reason="iproute2 is not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


def test_esp_lab_refused_with_the_detected_reason_or_built() -> None:
    why = esp_unsupported()
    lab = load_lab(EXAMPLES / "security-plaintext-vxlan-esp.yaml")
    lab = lab.model_copy(update={"name": f"{lab.name}-{os.getpid() % 10000}"})
    e = LinuxEngine()
    try:
        if why is None:
            pytest.skip("this kernel has ESP: the lab builds (tests/kernel/test_examples.py "
                        "runs its checks)")
        with pytest.raises(UnsupportedError) as ei:
            e.realize(lab)
        assert "vtep1 has ip xfrm states/policies" in str(ei.value)
        assert why in str(ei.value) and "esp4" in why
        assert e.record is None  # nothing was built
    finally:
        e.teardown()
