"""The linux engine on this very host: its SR-IOV examples are refused at plan time,
naming what the host lacks (read from the real /sys and /proc), before anything is made."""

from __future__ import annotations

from pathlib import Path

import pytest

from vnetlab.engine import UnsupportedError
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.kernel.kinds.sriov_host import Host
from vnetlab.model.load import load_lab

pytestmark = pytest.mark.kernel

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize("name", ["failure-vf-queue-exhaustion", "security-vf-isolation"])
def test_sriov_examples_are_refused_here_naming_what_is_missing(name: str) -> None:
    host = Host()
    if host.capable():
        pytest.skip(f"this host has SR-IOV: {host.missing()}")
    lab = load_lab(EXAMPLES / f"{name}.yaml")
    with pytest.raises(UnsupportedError) as e:
        LinuxEngine().plan(lab)
    msg = str(e.value)
    assert msg.startswith("the linux engine cannot build this lab on this host: ")
    assert "host:eth0 is a nic " in msg
    assert "without 'device': on the linux engine a nic names the host's SR-IOV physical " \
           "function (device: enp3s0f0)" in msg
    assert host.missing() in msg
    assert "this host has no SR-IOV capable NIC (no /sys/class/net/*/device/sriov_totalvfs)" \
           in msg
