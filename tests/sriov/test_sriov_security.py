"""spoofchk and trust: what a VF may send, what it may see, what it may change."""

from __future__ import annotations

import errno

import pytest
from sriovlab import build, frames_seen, lab_text, pf, ping_ok, vf
from test_sriov_veb import BCAST, _frame, _ours

from vnetlab.sim.errors import NetdevError

FORGED = bytes.fromhex("02000000abcd")
ADMIN = "02:00:00:00:00:aa"


def test_spoofchk_drops_forged_sources_and_counts_them_on_the_pf() -> None:
    eng, _ = build(lab_text())
    wire = frames_seen(eng, "ext", "eth0")
    seen1 = frames_seen(eng, "ns1", "vf1")
    v0 = vf(eng, 0)
    eng.inject("ns0", "vf0", _frame(BCAST, FORGED), 4, 0.0)
    assert _ours(wire) == [] and _ours(seen1) == []
    assert eng.counter("host", "eth0", "tx_spoofed") == 4
    assert eng.counter("host", "eth0", "vf0_tx_dropped") == 4
    assert eng.counter("host", "eth0", "vf0_tx_spoofed") == 4
    assert eng.counter("host", "eth0", "vf1_tx_dropped") == 0
    # the VF driver handed them to the NIC: its own netdev counted them as sent
    assert v0.tx_packets >= 4 and eng.counter("ns0", "vf0", "tx_dropped") == 0
    # its own MAC passes
    eng.inject("ns0", "vf0", _frame(BCAST, v0.mac), 1, 0.0)
    assert len(_ours(wire)) == 1 and pf(eng).tx_spoofed == 4


def test_spoofchk_off_lets_the_forged_frames_out() -> None:
    eng, _ = build(lab_text("0: {spoofchk: false}"))
    wire = frames_seen(eng, "ext", "eth0")
    eng.inject("ns0", "vf0", _frame(BCAST, FORGED), 4, 0.0)
    assert [f[6:12] for f in _ours(wire)] == [FORGED] * 4
    assert eng.counter("host", "eth0", "tx_spoofed") == 0


def test_spoofchk_checks_against_the_administrative_mac() -> None:
    eng, lab = build(lab_text(f'0: {{mac: "{ADMIN}"}}'))
    v0 = vf(eng, 0)
    assert v0.mac == bytes.fromhex(ADMIN.replace(":", ""))
    assert lab.nodes["ns0"].interfaces["vf0"].mac == ADMIN
    assert ping_ok(eng, "ns0", "10.0.0.100")
    assert pf(eng).tx_spoofed == 0


def test_untrusted_promiscuous_request_is_ignored_and_logged() -> None:
    eng, _ = build(lab_text())
    v0 = vf(eng, 0)
    seen0 = frames_seen(eng, "ns0", "vf0")
    v0.set_promiscuity(1)
    assert v0.promisc == 1 and not v0.nic_promisc  # the flag shows, the NIC ignores it
    assert "eth0: Unprivileged VF 0 is attempting to configure promiscuous mode" in \
        pf(eng).messages
    assert ping_ok(eng, "ext", "10.0.0.2")
    icmp_for_vf1 = [f for f in seen0 if f[0:6] == vf(eng, 1).mac and f[12:14] == b"\x08\x00"]
    assert icmp_for_vf1 == []


def test_trusted_promiscuous_vf_gets_a_copy_of_its_vlan() -> None:
    eng, _ = build(lab_text("0: {trust: true}, 2: {vlan: 9}"))
    v0 = vf(eng, 0)
    seen0 = frames_seen(eng, "ns0", "vf0")
    v0.set_promiscuity(1)
    assert v0.nic_promisc and not pf(eng).messages[1:]
    assert ping_ok(eng, "ext", "10.0.0.2")
    assert ping_ok(eng, "ns1", "10.0.0.254")
    mac1 = vf(eng, 1).mac
    got = [f for f in seen0 if f[0:6] == mac1 and f[12:14] == b"\x08\x00"]
    assert len(got) >= 1  # the echo requests for VF 1, from the wire
    assert [f for f in seen0 if f[6:12] == mac1 and f[0:6] == pf(eng).mac]  # VF1 -> PF
    # VF 2 is in another VLAN: promiscuous does not cross it
    eng.inject("ns2", "vf2", _frame(pf(eng).mac, vf(eng, 2).mac), 1, 0.0)
    assert [f for f in _ours(seen0) if f[6:12] == vf(eng, 2).mac] == []


def test_untrusted_vf_cannot_override_the_administrative_mac() -> None:
    eng, _ = build(lab_text(f'0: {{mac: "{ADMIN}"}}'))
    v0 = vf(eng, 0)
    with pytest.raises(NetdevError) as e:
        v0.set_mac_address(FORGED)
    assert e.value.errno == errno.EPERM
    assert v0.mac == bytes.fromhex(ADMIN.replace(":", ""))
    assert any("override administratively set MAC" in m for m in pf(eng).messages)


def test_trusted_vf_may_change_its_mac() -> None:
    eng, _ = build(lab_text(f'0: {{mac: "{ADMIN}", trust: true, spoofchk: false}}'))
    v0 = vf(eng, 0)
    v0.set_mac_address(FORGED)
    assert v0.mac == FORGED


def test_without_an_administrative_mac_the_vf_picks_its_own_and_spoofchk_follows() -> None:
    eng, _ = build(lab_text())
    v0 = vf(eng, 0)
    wire = frames_seen(eng, "ext", "eth0")
    v0.set_mac_address(FORGED)  # allowed: the PF set no MAC for it (i40e)
    eng.inject("ns0", "vf0", _frame(BCAST, FORGED), 1, 0.0)
    assert len(_ours(wire)) == 1 and pf(eng).tx_spoofed == 0


def _bridged(settings: str) -> str:
    """VF 0 is a port of a bridge in ns0; a container behind it has 10.0.0.50."""
    text = lab_text(settings, numvfs=1)
    text = text.replace(
        "      vf0: {type: vf, link: host:eth0, vf: 0, addresses: [10.0.0.1/24]}",
        "      vf0: {type: vf, link: host:eth0, vf: 0, master: br0}\n"
        "      br0: {type: bridge}\n"
        "      c0: {master: br0}\n"
        "  c:\n    interfaces:\n      eth0: {addresses: [10.0.0.50/24]}")
    return text.replace("checks: []", "links: [{endpoints: [ns0:c0, c:eth0]}]\nchecks: []")


def test_a_bridge_behind_an_untrusted_vf_gets_only_the_vfs_own_mac() -> None:
    eng, _ = build(_bridged(""))
    assert vf(eng, 0).br_port is not None and not vf(eng, 0).nic_promisc
    assert not ping_ok(eng, "ext", "10.0.0.50")
    eng2, _ = build(_bridged("0: {trust: true}"))
    assert not ping_ok(eng2, "ext", "10.0.0.50")  # in, but the replies are spoofed
    assert pf(eng2).tx_spoofed > 0
    eng3, _ = build(_bridged("0: {trust: true, spoofchk: false}"))
    assert ping_ok(eng3, "ext", "10.0.0.50")
