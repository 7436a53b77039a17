"""Small pieces of the emulated vswitchd on their own: MAC learning and VLAN settings."""

from __future__ import annotations

from vnetlab.sim.ovs.bundle import ACCESS, NATIVE_UNTAGGED, TRUNK, XBundle
from vnetlab.sim.ovs.mac_learning import MacLearning


def test_mac_learning_moves_refreshes_and_expires() -> None:
    ml = MacLearning(idle_time=20)
    assert ml.update(0x02, 10, "p1", 0.0)
    assert not ml.update(0x02, 10, "p1", 0.5)  # same second, same port: nothing to do
    assert ml.update(0x02, 10, "p2", 1.0)  # a move
    assert ml.total_moved == 1
    assert ml.lookup(0x02, 10) is not None and ml.lookup(0x02, 20) is None
    assert ml.lookup(0x010000000002, 10) is None  # multicast is never learned
    assert not ml.update(0x010000000002, 10, "p1", 1.0)
    e = ml.lookup(0x02, 10)
    assert e is not None and ml.age(e, 5.0) == 4
    ml.run(20.9)
    assert ml.lookup(0x02, 10) is not None
    ml.run(21.0)
    assert ml.lookup(0x02, 10) is None


def test_mac_learning_clamps_idle_time_and_evicts_from_the_busiest_port() -> None:
    assert MacLearning(idle_time=1).idle_time == 15
    assert MacLearning(idle_time=99999).idle_time == 3600
    ml = MacLearning(max_entries=3)
    for mac, port in ((1, "p1"), (2, "p1"), (3, "p2")):
        ml.update(mac, 0, port, 0.0)
    ml.update(4, 0, "p2", 1.0)
    assert sorted(m for m, _ in ml.table) == [2, 3, 4]  # p1's oldest went


def test_bundle_vlan_modes_as_bridge_c_configures_them() -> None:
    access = XBundle.configure("p", 10, [20, 30], None)
    assert (access.vlan_mode, access.vlan, access.trunks) == (ACCESS, 10, None)
    assert access.input_vid_is_valid(5) == (
        "dropping VLAN 5 tagged packet received on port p configured as VLAN 10 access port")
    trunk = XBundle.configure("t", None, [10, 20], None)
    assert trunk.vlan_mode == TRUNK and trunk.includes_vlan(10) and not trunk.includes_vlan(0)
    native = XBundle.configure("n", 10, [20], "native-untagged")
    assert native.vlan_mode == NATIVE_UNTAGGED
    assert native.trunks == frozenset({10, 20})  # the native VLAN is always trunked
    assert native.input_translate(0) == 10 and native.output_translate(10) == 0
    assert native.output_translate(20) == 20
