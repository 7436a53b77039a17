"""Every example: built in the emulator, collected with the emulator's own ``ip -j``/
``bridge -j``/``ovs-vsctl``/``ovs-ofctl`` (iproute2's and OVS's JSON and text, held to
the real tools by tests/script) -> snapshot -> the emulator again: same check verdicts,
same observed state (tests/diff/normalize.py). No root; the kernel round trip is
tests/snapshot/test_kernel_roundtrip.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from emucollect import collect
from roundtrip import compare, snapshot_lab, with_programs, with_unseen_nic_state

from vnetlab.model.load import load_lab
from vnetlab.snapshot import snapshot

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))

_PROGRAM = ("a TUN/TAP device's userspace program is not carried by a snapshot (the "
            "header says so): nothing answers behind the device, so the checks that need "
            "it fail")
_WIRE = ("a NIC's cable (`wire`) cannot be seen from the host (its other end is another "
         "machine; the header says so): without it the NIC has no carrier, so the PF and "
         "its VFs are down and the checks across the wire or between VFs fail")
_QUEUES = (_WIRE + "; also the driver's descriptor pool, rings, isolation mode and the "
           "stalled VF consumer (a test knob) are in no sysfs file or `ip` output")
_MACVLAN_MODE = (
    "the emulator's `ip -d link` prints no macvlan info_data (the kernel prints "
    "\"mode\"), so the collected dump does not say the mode; the kernel round trip "
    "carries it")
#: example -> why its snapshot cannot behave like it (strict xfail: fixed means remove)
CANNOT: dict[str, str] = {
    "exercise5-sriov": _WIRE,
    "failure-vf-queue-exhaustion": _QUEUES,
    "security-vf-isolation": _WIRE,
    "impaired-vpn": _PROGRAM,
    "exercise3-macvlan": _MACVLAN_MODE,
    # everything IPv6 of it round-trips (addresses, ipv6 on); its MACVLAN children come
    # back in vepa mode and no longer reach each other
    "ipv6-dualstack": _MACVLAN_MODE,
    "ovs-vxlan": _PROGRAM,
    "security-arp-spoofing": _PROGRAM,
    "security-arp-spoofing-mitigated": _PROGRAM,
    "security-arp-spoofing-ovs": _PROGRAM,
    "security-bridge-bypass": _PROGRAM,
    "security-bridge-bypass-mitigated": _PROGRAM,
    "security-plaintext-vxlan": _PROGRAM,
    "security-plaintext-vxlan-mitigated": _PROGRAM,
    "security-plaintext-vxlan-esp": _PROGRAM,
    "vm-tap": _PROGRAM,
    "vpn-tun": _PROGRAM,
}


def _params() -> list[object]:
    return [pytest.param(p, id=p.stem, marks=[pytest.mark.xfail(strict=True,
                                                                reason=CANNOT[p.stem])]
                         if p.stem in CANNOT else []) for p in EXAMPLES]


@pytest.mark.parametrize("path", _params())
def test_snapshot_of_an_emulated_example_behaves_like_it(path: Path) -> None:
    lab = load_lab(path)
    snap = snapshot(collect(lab), name=lab.name, source=f"{path.name} (emulator)")
    diff = compare(lab, snapshot_lab(snap.yaml, lab))
    assert not diff, "\n".join(diff)


@pytest.mark.parametrize("stem", sorted(k for k, v in CANNOT.items() if v == _PROGRAM))
def test_with_its_programs_put_back_the_snapshot_behaves_like_the_example(stem: str) -> None:
    """Everything else round-trips, IPsec too (collected here on purpose, keys and all)."""
    lab = load_lab(next(p for p in EXAMPLES if p.stem == stem))
    snap = snapshot(collect(lab), name=lab.name)
    diff = compare(lab, with_programs(snapshot_lab(snap.yaml, lab), lab))
    assert not diff, "\n".join(diff)


@pytest.mark.parametrize("stem", sorted(k for k, v in CANNOT.items() if v in (_WIRE, _QUEUES)))
def test_with_its_cables_and_queues_put_back_the_snapshot_behaves_like_the_example(
        stem: str) -> None:
    """Everything else of SR-IOV round-trips: NICs, speed, numvfs/totalvfs, the per-VF
    settings (vfinfo_list) and the VF netdevs in their namespaces (sysfs's physfn)."""
    lab = load_lab(next(p for p in EXAMPLES if p.stem == stem))
    snap = snapshot(collect(lab), name=lab.name)
    diff = compare(lab, with_unseen_nic_state(snapshot_lab(snap.yaml, lab), lab))
    assert not diff, "\n".join(diff)


def test_the_header_says_a_program_is_not_carried() -> None:
    lab = load_lab(next(p for p in EXAMPLES if p.stem == "vm-tap"))
    text = snapshot(collect(lab), name=lab.name).yaml
    header = [ln for ln in text.splitlines() if ln.startswith("#")]
    assert any("host:tap0: a tap device; the program behind it is not carried" in ln
               for ln in header)
    assert any("processes and userspace programs" in ln for ln in header)
