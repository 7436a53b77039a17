"""The lab format for SR-IOV: defaults resolve() makes explicit, and the kernel's refusals
with the YAML line, the kernel's words and a hint."""

from __future__ import annotations

import pytest
from sriovlab import lab_text

from vnetlab.model import LabError, load_lab_text
from vnetlab.model.kinds.nic import NicSpec, SriovSpec
from vnetlab.model.kinds.vf import VfSpec
from vnetlab.model.resolver import generated_mac


def _errors(text: str) -> str:
    with pytest.raises(LabError) as e:
        load_lab_text(text, source="lab.yaml")
    return str(e.value)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_unplaced_vfs_are_added_next_to_their_pf_with_generated_macs() -> None:
    lab = load_lab_text(lab_text(numvfs=1).replace("numvfs: 1", "numvfs: 4"))
    host = lab.nodes["host"].interfaces
    assert [i for i in host if i.startswith("eth0v")] == ["eth0v1", "eth0v2", "eth0v3"]
    spec = host["eth0v2"]
    assert isinstance(spec, VfSpec) and (spec.link, spec.vf, spec.mtu) == ("eth0", 2, 1500)
    assert spec.mac == generated_mac("sriov-t", "host", "eth0v2")
    placed = lab.nodes["ns0"].interfaces["vf0"]
    assert placed.mac == generated_mac("sriov-t", "ns0", "vf0")
    again = load_lab_text(lab_text(numvfs=1).replace("numvfs: 1", "numvfs: 4"))
    assert again == lab  # deterministic


def test_the_administrative_mac_becomes_the_vfs_mac() -> None:
    lab = load_lab_text(lab_text('0: {mac: "02:00:00:00:00:10"}, 2: {mac: "02:00:00:00:00:12"}',
                                 numvfs=1).replace("numvfs: 1", "numvfs: 3"))
    assert lab.nodes["ns0"].interfaces["vf0"].mac == "02:00:00:00:00:10"
    assert lab.nodes["host"].interfaces["eth0v2"].mac == "02:00:00:00:00:12"


def test_the_cable_is_explicit_on_both_ends_after_resolve() -> None:
    lab = load_lab_text(lab_text())
    ext = lab.nodes["ext"].interfaces["eth0"]
    assert isinstance(ext, NicSpec) and ext.wire == "host:eth0"


def test_default_rings_shrink_to_fit_a_per_vf_pool_given_ones_must_fit() -> None:
    sr = SriovSpec(totalvfs=8, numvfs=8)
    assert sr.effective_rings() == [512] * 8  # 8 x 1024 > 4096: the pool divided evenly
    load_lab_text(lab_text(numvfs=1).replace("numvfs: 1", "numvfs: 8"))  # no error
    text = lab_text(sriov_extra="ring: 2048")
    out = _errors(text)
    assert f"lab.yaml:{_line_of(text, 'sriov:')}:" in out
    assert "3 VFs need 6144 descriptors, but host:eth0 has 4096" in out
    assert "isolation: shared-pool" in out  # the hint
    shared = SriovSpec(numvfs=8, ring=2048, isolation="shared-pool")
    assert shared.effective_rings() == [2048] * 8  # oversubscribing is the point


def test_numvfs_above_totalvfs_is_erange_with_the_line() -> None:
    text = lab_text(sriov_extra="totalvfs: 2")
    out = _errors(text)
    assert f"lab.yaml:{_line_of(text, 'numvfs:')}: nodes.host.interfaces.eth0.sriov.numvfs:" \
        in out
    assert "Numerical result out of range" in out and "hint: enable at most 2 VFs" in out


def test_vf_settings_out_of_range_are_einval() -> None:
    text = lab_text("0: {vlan: 4096, qos: 8}, 5: {trust: true}, 1: {max_tx_rate: 40000}")
    out = _errors(text)
    assert "vlan 4096 for VF 0 of host:eth0 is out of range" in out
    assert "qos 8 for VF 0 of host:eth0 is out of range" in out
    assert "vfs[5] sets VF 5 of host:eth0, which has numvfs 3 (VFs 0-2)" in out
    assert "max_tx_rate 40000 Mb/s for VF 1 of host:eth0 is above the link speed" in out
    assert out.count("RTNETLINK answers: Invalid argument") == 4
    assert f"lab.yaml:{_line_of(text, ' vfs: {')}:" in out
    # 4095 is the kernel's limit (do_setvfinfo), not 802.1Q's 4094
    load_lab_text(lab_text("0: {vlan: 4095, qos: 7}"))


def test_vf_references_are_checked() -> None:
    base = lab_text(numvfs=2)
    bad = base.replace("vf1: {type: vf, link: host:eth0, vf: 1",
                       "vf1: {type: vf, link: host:eth0, vf: 0")
    assert "VF 0 of host:eth0 is already ns0:vf0" in _errors(bad)
    bad = base.replace("vf1: {type: vf, link: host:eth0, vf: 1",
                       "vf1: {type: vf, link: host:eth0, vf: 7")
    out = _errors(bad)
    assert "VF 7 of host:eth0 does not exist: numvfs is 2" in out and "Cannot find device" in out
    bad = base.replace("vf1: {type: vf, link: host:eth0,", "vf1: {type: vf, link: host:eth9,")
    assert 'the kernel says: Cannot find device "eth9"' in _errors(bad)
    bad = base.replace("vf1: {type: vf, link: host:eth0,", "vf1: {type: vf, link: ext:eth0,")
    assert "ext:eth0 has no SR-IOV capability" in _errors(bad)
    bad = (base + "  br:\n    interfaces:\n      b0: {type: bridge}\n"
           "      v: {type: vf, link: b0, vf: 0}\n").replace("checks: []\n", "")
    assert "vf br:v needs a physical function, but br:b0 is a bridge" in _errors(bad)


def test_a_vf_may_not_contradict_its_administrative_mac() -> None:
    text = lab_text('0: {mac: "02:00:00:00:00:10"}').replace(
        "vf0: {type: vf, link: host:eth0, vf: 0,",
        'vf0: {type: vf, link: host:eth0, vf: 0, mac: "02:00:00:00:00:77",')
    assert "the PF's administrative MAC wins" in _errors(text)


def test_wires_join_two_nics_once() -> None:
    base = lab_text()
    out = _errors(base.replace("wire: ext:eth0", "wire: ns0:vf0"))
    assert "names a vf; a cable joins two physical ports" in out
    out = _errors(base.replace("wire: ext:eth0", "wire: ext:eth1"))
    assert "names interface 'eth1', which node ext does not have" in out
    out = _errors(base.replace("wire: ext:eth0", "wire: host:eth0"))
    assert "plugs it into itself" in out
    two = base.replace("eth0: {type: nic, addresses: [10.0.0.100/24]}",
                       "eth0: {type: nic, addresses: [10.0.0.100/24], wire: ext:eth1}\n"
                       "      eth1: {type: nic}")
    assert "but ext:eth0 says its wire goes to ext:eth1" in _errors(two)


def test_an_unplaced_vf_name_that_is_taken_is_reported() -> None:
    text = lab_text(numvfs=1).replace("numvfs: 1", "numvfs: 2").replace(
        "      eth0:\n        type: nic",
        "      eth0v1: {type: bridge}\n      eth0:\n        type: nic", 1)
    out = _errors(text)
    assert "VF 1 of host:eth0 stays in node host as eth0v1, but the node already has" in out


def test_counter_and_inject_checks_are_validated() -> None:
    ok = lab_text(checks="{counter: 'ns0:vf0', name: rx_missed_errors, at_least: 1}, "
                  "{inject: 'ns0:vf0', src: 'ns1:vf1', dst: broadcast, count: 3}")
    lab = load_lab_text(ok)
    assert lab.checks[0].expected() == ">= 1"  # type: ignore[union-attr]
    out = _errors(lab_text(checks="{counter: 'ns0:vf0', name: rx_missed_errors}"))
    assert "a counter check needs at_least or at_most" in out
    out = _errors(lab_text(checks="{counter: 'ns0:vf9', name: rx_packets, at_most: 1}"))
    assert "names interface 'vf9', which node ns0 does not have" in out
    out = _errors(lab_text(checks="{counter: 'ns0:vf0', name: rx_packets, at_least: 3, "
                           "at_most: 1}"))
    assert "at_least 3 is above at_most 1" in out
    out = _errors(lab_text(checks="{inject: 'ns0:vf0', dst: 'nobody:x'}"))
    assert "names node 'nobody'" in out


def test_the_schema_knows_the_new_kinds() -> None:
    from vnetlab.model.schema import lab_json_schema

    text = str(lab_json_schema())
    for word in ("NicSpec", "VfSpec", "SriovSpec", "VfSettings", "CounterCheck", "InjectStep"):
        assert word in text
