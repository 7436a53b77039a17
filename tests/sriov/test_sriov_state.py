"""sriov_numvfs transitions, ip link set PF vf N validation, and VF link state."""

from __future__ import annotations

import errno

import pytest
from sriovlab import build, lab_text, pf, ping_ok, vf

from vnetlab.sim.devices.sriov.vf import VfDevice
from vnetlab.sim.errors import NetdevError


def _errno(fn: object, *args: object, **kw: object) -> tuple[int, str]:
    with pytest.raises(NetdevError) as e:
        fn(*args, **kw)  # type: ignore[operator]
    return e.value.errno, str(e.value)


def test_numvfs_above_totalvfs_is_erange() -> None:
    eng, _ = build(lab_text(sriov_extra="totalvfs: 4"))
    sr = pf(eng).sriov
    assert sr is not None and sr.numvfs == 3
    assert _errno(sr.set_numvfs, 5)[0] == errno.ERANGE
    assert sr.numvfs == 3


def test_numvfs_nonzero_to_another_nonzero_is_ebusy_in_the_kernels_words() -> None:
    eng, _ = build(lab_text())
    sr = pf(eng).sriov
    assert sr is not None
    code, text = _errno(sr.set_numvfs, 2)
    assert code == errno.EBUSY
    assert text == "3 VFs already enabled. Disable before enabling 2 VFs"
    sr.set_numvfs(3)  # the same count: nothing to do, no error (sriov_numvfs_store)
    assert sr.numvfs == 3


def test_numvfs_zero_removes_every_vf_netdev_wherever_it_lives() -> None:
    eng, _ = build(lab_text())
    sr = pf(eng).sriov
    assert sr is not None
    assert "vf0" in eng.ns("ns0").devices and "vf2" in eng.ns("ns2").devices
    assert ping_ok(eng, "ns0", "10.0.0.2")
    sr.set_numvfs(0)
    for k in range(3):
        assert f"vf{k}" not in eng.ns(f"ns{k}").devices
    assert sr.vfs == [] and sr.vf_netdev(0) is None
    assert sr.pool.free == sr.pool.total
    sr.set_numvfs(2)  # back in the PF's namespace, systemd's names, default settings
    host = eng.ns("host").devices
    assert isinstance(host["eth0v0"], VfDevice) and isinstance(host["eth0v1"], VfDevice)
    assert len(sr.vfs) == 2 and sr.vfs[0].spoofchk and not sr.vfs[0].trust
    assert _errno(sr.set_numvfs, 3)[0] == errno.EBUSY


def test_unplaced_vfs_stay_next_to_their_pf() -> None:
    eng, lab = build(lab_text(numvfs=1).replace("numvfs: 1", "numvfs: 3"))
    host = eng.ns("host").devices
    assert isinstance(host["eth0v1"], VfDevice) and isinstance(host["eth0v2"], VfDevice)
    assert lab.nodes["host"].interfaces["eth0v2"].type == "vf"


def test_set_vf_is_validated_like_do_setvfinfo() -> None:
    eng, _ = build(lab_text())
    sr = pf(eng).sriov
    assert sr is not None
    assert _errno(sr.set_vf, 3, vlan=5)[0] == errno.EINVAL
    assert _errno(sr.set_vf, 0, vlan=4096)[0] == errno.EINVAL
    assert _errno(sr.set_vf, 0, vlan=10, qos=8)[0] == errno.EINVAL
    assert _errno(sr.set_vf, 0, proto="802.1x")[0] == errno.EPROTONOSUPPORT
    assert _errno(sr.set_vf, 0, max_tx_rate=20000)[0] == errno.EINVAL  # above 10000 Mb/s
    assert _errno(sr.set_vf, 0, max_tx_rate=100, min_tx_rate=200)[0] == errno.EINVAL
    assert _errno(sr.set_vf, 0, mac="01:00:5e:00:00:01")[0] == errno.EINVAL
    assert _errno(sr.set_vf, 0, colour="blue")[0] == errno.EINVAL
    cfg = sr.vfs[0]
    assert (cfg.vlan, cfg.qos, cfg.max_tx_rate) == (0, 0, 0)  # nothing half-applied
    sr.set_vf(0, vlan=4095, qos=7, proto="802.1ad", mac="00:11:22:33:44:55")
    assert (cfg.vlan, cfg.qos, cfg.proto) == (4095, 7, "802.1ad")
    assert vf(eng, 0).mac == bytes.fromhex("001122334455")  # the VF driver took it


def test_link_state_auto_follows_the_pf_enable_and_disable_do_not() -> None:
    eng, _ = build(lab_text())
    p = pf(eng)
    sr = p.sriov
    assert sr is not None
    assert vf(eng, 0).operstate == "UP"
    p.set_admin(False)
    assert not vf(eng, 0).carrier and vf(eng, 0).operstate == "DOWN"
    assert not ping_ok(eng, "ns0", "10.0.0.2")
    sr.set_vf(0, state="enable")
    sr.set_vf(1, state="enable")
    assert vf(eng, 0).carrier and ping_ok(eng, "ns0", "10.0.0.2")  # inside the NIC
    sr.set_vf(1, state="disable")
    p.set_admin(True)
    assert not vf(eng, 1).carrier and vf(eng, 2).carrier
    assert not ping_ok(eng, "ns0", "10.0.0.2")
    sr.set_vf(1, state="auto")
    assert ping_ok(eng, "ns0", "10.0.0.2")


def test_an_unplugged_port_has_no_carrier_and_neither_have_its_auto_vfs() -> None:
    eng, _ = build(lab_text(wire=False))
    assert not pf(eng).carrier and not vf(eng, 0).carrier
    assert pf(eng).operstate == "DOWN"
    assert not ping_ok(eng, "ns0", "10.0.0.2")
    sr = pf(eng).sriov
    assert sr is not None
    sr.set_vf(0, state="enable")
    sr.set_vf(1, state="enable")
    assert ping_ok(eng, "ns0", "10.0.0.2")


def test_the_peer_port_going_down_takes_the_link_down() -> None:
    eng, _ = build(lab_text())
    ext = eng.dev("ext", "eth0")
    ext.set_admin(False)
    assert not pf(eng).carrier and not vf(eng, 0).carrier
    ext.set_admin(True)
    assert pf(eng).carrier and vf(eng, 0).carrier


def test_resizing_a_ring_reserves_anew_or_refuses() -> None:
    eng, _ = build(lab_text(sriov_extra="descriptors: 64\n          ring: 16"))
    sr = pf(eng).sriov
    assert sr is not None and sr.pool.free == 16
    sr.set_vf(1, ring=8)
    assert sr.rings[1].capacity == 8 and sr.pool.free == 24
    assert vf(eng, 1).ring is sr.rings[1]
    code, _ = _errno(sr.set_vf, 2, ring=100)
    assert code == errno.ENOMEM
    assert sr.rings[2].capacity == 16 and sr.pool.free == 24  # the old ring kept
    sr.set_vf(0, stalled=True)
    eng.inject("ext", "eth0", b"".join([vf(eng, 0).mac, eng.dev("ext", "eth0").mac,
                                        b"\x88\xb5"]).ljust(64, b"\0"), 3, 0.0)
    assert _errno(sr.set_vf, 0, ring=4)[0] == errno.EBUSY  # frames still in the ring
