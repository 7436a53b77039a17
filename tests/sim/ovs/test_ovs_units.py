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


def test_execute_arp_and_icmp_sets_rewrite_the_frame() -> None:
    """``set(arp(...))`` rewrites the ARP body; ``set(icmp(...))`` the type/code with a
    recomputed ICMP checksum (odp-execute's set_arp/set_icmp)."""
    from vnetlab.sim.ovs import odp
    from vnetlab.wire.checksum import internet_checksum

    eth = bytes.fromhex("ffffffffffff" "000000000001" "0806")
    arp = bytes.fromhex("0001080006040001" "000000000001" "0a000001" "000000000000" "0a000064")
    outs: list[bytes] = []
    acts: tuple[odp.OdpAction, ...] = (
        odp.SetFields("arp", (("sip", 0x0A000064), ("tip", 0x0A000001), ("op", 2),
                              ("sha", 0x020000000100), ("tha", 0x000000000001))),
        odp.Output(1))
    odp.execute(eth + arp, acts, lambda _p, f, _t: outs.append(f))
    body = outs[0][14:]
    assert body[6:8] == b"\x00\x02"
    assert body[8:14] == bytes.fromhex("020000000100") and body[14:18] == bytes([10, 0, 0, 100])
    assert body[18:24] == bytes.fromhex("000000000001") and body[24:28] == bytes([10, 0, 0, 1])
    assert odp.format_odp_actions(acts) == (
        "set(arp(sip=10.0.0.100,tip=10.0.0.1,op=2,sha=02:00:00:00:01:00,"
        "tha=00:00:00:00:00:01)),1")

    ip = bytearray.fromhex("4500001c00000000400100000a0000010a000002")
    ip[10:12] = internet_checksum(bytes(ip)).to_bytes(2, "big")
    icmp = bytearray.fromhex("0800000000010001")
    icmp[2:4] = internet_checksum(bytes(icmp)).to_bytes(2, "big")
    frame = bytes.fromhex("000000000002000000000001" "0800") + bytes(ip) + bytes(icmp)
    outs.clear()
    odp.execute(frame, (odp.SetFields("icmp", (("type", 0), ("code", 3))), odp.Output(1)),
                lambda _p, f, _t: outs.append(f))
    got = outs[0][34:]
    assert got[0:2] == b"\x00\x03" and internet_checksum(got) == 0
