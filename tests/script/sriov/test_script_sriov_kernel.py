"""Checked against Linux and iproute2 in the kernel sandbox (``vnetlab.script.sandbox``):
``ip link set DEV vf N ...`` on a device without SR-IOV (a veth: this machine has no
SR-IOV NIC) gives the same words and exit status in the emulator as iproute2 6.1 and the
kernel give for real — iproute2's own parser errors, and the kernel's EOPNOTSUPP/EINVAL
(``do_setvfinfo``) — and ``cat`` of a missing sriov file fails alike."""

from __future__ import annotations

import re

import pytest

from vnetlab.script import run_script
from vnetlab.script.sandbox import run_in_sandbox, unavailable

pytestmark = [pytest.mark.kernel,
              pytest.mark.skipif(unavailable() is not None,
                                 reason=f"kernel sandbox: {unavailable()}")]

VETH = "ip link add veth0 type veth peer name veth1\n"

LINES = [
    "ip link set veth0 vf x trust on",
    "ip link set veth0 vf 0",
    "ip link set veth0 vf 0 foo",
    "ip link set veth0 vf 0 vlan 4096",
    "ip link set veth0 vf 0 vlan 5 qos x",
    "ip link set veth0 vf 0 vlan 5 qos 9",
    "ip link set veth0 vf 0 vlan 5 proto foo",
    "ip link set veth0 vf 0 vlan 5 proto ip",
    "ip link set veth0 vf 0 vlan 5 proto 802.1ad",
    "ip link set veth0 vf 0 spoofchk maybe",
    "ip link set veth0 vf 0 state foo",
    "ip link set veth0 vf 0 mac 00:11",
    "ip link set veth0 vf 0 mac zz:11:22:33:44:55",
    "ip link set veth0 vf 0 mac 00:11:22:33:44:55 vlan 100",
    "ip link set veth0 vf 0 min_tx_rate 100 max_tx_rate 10",
    "ip link set veth0 vf 0 max_tx_rate x",
    "ip link set veth0 vf 0 rate 100",
    "ip link set veth0 vf 0 trust on",
    "ip link set veth0 vf 0 query_rss on",
    "ip link set veth0 vf 0 state enable",
    "ip link set veth0 vf -1 spoofchk off",
    "cat /sys/class/net/veth0/device/sriov_numvfs",
]

_PREFIX = re.compile(r"^t\.sh:\d+: ")


def emulator(lines: list[str]) -> list[tuple[list[str], int]]:
    got = []
    for line in lines:
        err: list[str] = []
        rc, _ = run_script(VETH + line + "\n", out=lambda s: None, err=err.append,
                           source="t.sh")
        lines_ = [_PREFIX.sub("", e) for e in err]
        while lines_ and not lines_[-1]:  # invarg's empty line: the sandbox's rstrip drops it
            lines_.pop()
        got.append((lines_, rc))
    return got


def kernel(lines: list[str]) -> list[tuple[list[str], int]]:
    """Each line in its own sandbox run; stderr and status as ``sh`` saw them."""
    got = []
    for line in lines:
        r = run_in_sandbox(VETH + line + "\necho \"rc=$?\"\n", timeout=30)
        rc = int(r.stdout.strip().rsplit("rc=", 1)[1])
        got.append((r.stderr.rstrip("\n").split("\n"), rc))
    return got


def test_vf_errors_on_a_device_without_sriov_agree_with_the_kernel() -> None:
    emu, ker = emulator(LINES), kernel(LINES)
    diffs = [(line, e, k) for line, e, k in zip(LINES, emu, ker, strict=True) if e != k]
    assert not diffs, "\n".join(f"{line}\n  emulator: {e}\n  kernel:   {k}"
                                for line, e, k in diffs)
