"""The SR-IOV netlink requests on the real kernel, in a private network + mount namespace
(``unshare``: nothing of the machine is visible or touched), with veth ends standing in
for the PF and a VF's netdev (no SR-IOV NIC here): moving and renaming a VF's netdev
into a lab namespace at the plan's ifindex, and ``IFLA_VFINFO_LIST`` requests the kernel
parses as far as the driver (a veth has no ``ndo_set_vf_*``: EOPNOTSUPP, not the EINVAL
or ERANGE a malformed attribute gets)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.kernel,
              pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                 reason="needs root and unshare")]

ROOT = Path(__file__).resolve().parents[3]


def test_vf_move_and_vfinfo_requests_on_the_kernel(tmp_path: Path) -> None:
    p = subprocess.run(
        ["unshare", "--net", "--mount", "--propagation", "private", "--", sys.executable,
         "-m", "tests.kernel.sriov.netlink_child", str(tmp_path / "sys")],
        capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["moved"] == {"ifindex": 42, "ifname": "eth0v0", "address": "02:00:00:00:00:42",
                            "ifalias": "vnetlab:sriovtest:r1"}
    assert got["index_recorded"] == 42
    assert got["left_in_host"] == ["lo", "pf0", "pf0p", "vfnet7p"]
    assert got["malformed"] == "Numerical result out of range"  # what a wrong encoding gets
    for shell, answer in got["set_vf"].items():
        assert answer.startswith(f"the kernel refused `{shell}`: Operation not supported"), \
            (shell, answer)
