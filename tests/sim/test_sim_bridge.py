"""The Linux bridge (vnetlab/sim/devices/bridge/ vs net/bridge/br_*.c)."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

from simlab import (
    BCAST,
    Captures,
    count,
    fdb_entries,
    fdb_ports_of,
    four_port_bridge,
    icmp_type,
    is_arp,
    lab_of,
    link,
    mac_bytes,
    realize,
)

from vnetlab.sim.clock import MS, S
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.engine import SimEngine
from vnetlab.tools.trace_render import render_trace

NS2 = IPv4Address("10.0.0.2")
PORTS = ["host:veth1", "host:veth2", "host:veth3", "host:veth4"]
NS2_MAC = "02:00:00:00:00:02"


def _mac(engine: SimEngine, node: str) -> bytes:
    return mac_bytes(engine, node, "eth0")


def test_learning_on_ingress_puts_each_sender_on_its_port() -> None:
    engine, _ = realize(four_port_bridge())
    assert fdb_ports_of(engine, "host", "br0", _mac(engine, "ns1")) == []
    assert engine.ping("ns1", NS2).received == 1
    assert fdb_ports_of(engine, "host", "br0", _mac(engine, "ns1")) == ["veth1"]
    assert fdb_ports_of(engine, "host", "br0", _mac(engine, "ns2")) == ["veth2"]
    # silent hosts are never learned
    assert fdb_ports_of(engine, "host", "br0", _mac(engine, "ns3")) == []
    learned = [f for f in fdb_entries(engine, "host", "br0") if not f.flags]
    assert len(learned) == 2


def _last_learned_update(engine: SimEngine) -> int:
    br = engine.namespaces["host"].devices["br0"]
    assert isinstance(br, BridgeDevice)
    return max(e.updated for e in br.fdb.values() if not e.static)


def test_ageing_removes_learned_entries_but_not_static_or_permanent() -> None:
    engine, _ = realize(
        four_port_bridge(bridge_opts=", fdb: [{mac: '02:aa:00:00:00:09', dev: veth4}]")
    )
    engine.ping("ns1", NS2)
    # ns2's neighbour entry goes DELAY -> PROBE 5 s later: its unicast ARP request and
    # ns1's reply refresh the bridge's entries, as on Linux. Let that traffic end first.
    engine.advance(10)
    before = fdb_entries(engine, "host", "br0")
    assert len([f for f in before if not f.flags]) == 2
    permanent = {f.mac for f in before if f.flags == ("permanent",)}
    assert len(permanent) == 5  # br0 itself and its 4 ports
    engine.advance(300 + 1)  # default ageing_time 300 s
    after = fdb_entries(engine, "host", "br0")
    assert [f for f in after if not f.flags] == []
    assert {f.mac for f in after if f.flags == ("permanent",)} == permanent
    assert [(f.mac, f.port) for f in after if f.flags == ("static",)] == [
        ("02:aa:00:00:00:09", "veth4")
    ]


def test_ageing_time_10_ages_at_10s_not_before() -> None:
    engine, _ = realize(four_port_bridge(bridge_opts=", ageing_time: 10"))
    engine.ping("ns1", NS2)
    engine.advance(6)  # past the neighbour's DELAY -> PROBE exchange at 5 s
    last = _last_learned_update(engine)
    ns1 = _mac(engine, "ns1")
    engine.sched.run(until=last + 10 * S - 1 * MS)
    assert fdb_ports_of(engine, "host", "br0", ns1) == ["veth1"]
    engine.sched.run(until=last + 10 * S)  # br_fdb_cleanup: gone when updated + 10 s <= now
    assert fdb_ports_of(engine, "host", "br0", ns1) == []
    assert fdb_ports_of(engine, "host", "br0", _mac(engine, "ns2")) == []


def test_traffic_refreshes_an_entry_before_it_ages() -> None:
    engine, _ = realize(four_port_bridge(bridge_opts=", ageing_time: 10"))
    engine.ping("ns1", NS2)
    engine.advance(6)
    first = _last_learned_update(engine)
    engine.ping("ns1", NS2)  # neighbours are REACHABLE now: two frames, no ARP
    assert _last_learned_update(engine) > first
    engine.sched.run(until=first + 10 * S + 500 * MS)  # would have aged without the ping
    assert fdb_ports_of(engine, "host", "br0", _mac(engine, "ns1")) == ["veth1"]
    assert fdb_ports_of(engine, "host", "br0", _mac(engine, "ns2")) == ["veth2"]


def _static_lab(extra_p2: str = ", bridge_port: {learning: false}") -> str:
    return four_port_bridge(
        bridge_opts=f", fdb: [{{mac: '{NS2_MAC}', dev: veth2}}]", p2=extra_p2
    ).replace(
        "{eth0: {addresses: [10.0.0.2/24]}}",
        f"{{eth0: {{addresses: [10.0.0.2/24], mac: '{NS2_MAC}'}}}}",
    )


def test_static_fdb_entry_forwards_without_learning(tmp_path: Path) -> None:
    engine, _ = realize(_static_lab())
    cap = Captures(engine, tmp_path, PORTS)
    assert engine.ping("ns1", NS2, count=2).received == 2
    seen = cap.stop()
    # the echo requests went to veth2 only: the static entry, not a flood
    assert count(seen["host:veth2"], lambda f: icmp_type(f) == 8) == 2
    assert count(seen["host:veth3"], lambda f: icmp_type(f) is not None) == 0
    assert count(seen["host:veth4"], lambda f: icmp_type(f) is not None) == 0
    entries = [f for f in fdb_entries(engine, "host", "br0") if f.mac == NS2_MAC]
    assert [(f.port, f.flags) for f in entries] == [("veth2", ("static",))]


def test_static_fdb_entry_roams_like_linux_when_mac_appears_elsewhere() -> None:
    # the static entry points ns2's MAC at veth3, but ns2 really sits behind veth2
    lab = _static_lab(extra_p2="").replace("dev: veth2}", "dev: veth3}")
    engine, _ = realize(lab)
    engine.ping("ns2", IPv4Address("10.0.0.1"))
    entries = [f for f in fdb_entries(engine, "host", "br0") if f.mac == NS2_MAC]
    assert [(f.port, f.flags) for f in entries] == [("veth2", ("static",))]


def test_static_entry_does_not_age() -> None:
    engine, _ = realize(_static_lab().replace("{type: bridge", "{type: bridge, ageing_time: 5"))
    engine.ping("ns1", NS2)
    engine.advance(60)
    assert fdb_ports_of(engine, "host", "br0", bytes.fromhex(NS2_MAC.replace(":", ""))) == [
        "veth2"
    ]


def test_learning_off_port_learns_nothing_and_flood_off_gets_no_unknown_unicast(
    tmp_path: Path,
) -> None:
    engine, _ = realize(
        four_port_bridge(p2=", bridge_port: {learning: false}", p4=", bridge_port: {flood: false}")
    )
    cap = Captures(engine, tmp_path, PORTS)
    assert engine.ping("ns1", NS2, count=2).received == 2
    seen = cap.stop()
    assert fdb_ports_of(engine, "host", "br0", _mac(engine, "ns2")) == []
    assert fdb_ports_of(engine, "host", "br0", _mac(engine, "ns1")) == ["veth1"]
    # ns2 is never learned, so echo requests to it are unknown unicast: flooded to veth3
    assert count(seen["host:veth3"], lambda f: icmp_type(f) == 8) == 2
    # ... but not to veth4 (flood off), which still gets the broadcast ARP request
    assert count(seen["host:veth4"], lambda f: icmp_type(f) is not None) == 0
    assert count(seen["host:veth4"], lambda f: is_arp(f, 1) and f[0:6] == BCAST) == 1


def test_broadcast_floods_to_every_port_but_ingress(tmp_path: Path) -> None:
    engine, _ = realize(four_port_bridge())
    before = link(engine, "ns1", "eth0").stats  # br0's IGMP joins arrived during bring-up
    cap = Captures(engine, tmp_path, PORTS)
    engine.ping("ns1", NS2)
    seen = cap.stop()
    src = _mac(engine, "ns1")

    def first_request(f: bytes) -> bool:
        return is_arp(f, 1) and f[0:6] == BCAST and f[6:12] == src

    for ep in ("host:veth2", "host:veth3", "host:veth4"):
        assert count(seen[ep], first_request) == 1, ep
    # on the ingress port the request shows once (received), never sent back out
    assert count(seen["host:veth1"], first_request) == 1
    ns1 = link(engine, "ns1", "eth0").stats
    # the ARP reply and the echo reply, no echo of its request
    assert ns1.rx_packets - before.rx_packets == 2


def test_known_unicast_goes_to_one_port_only(tmp_path: Path) -> None:
    engine, _ = realize(four_port_bridge())
    cap = Captures(engine, tmp_path, PORTS)
    engine.ping("ns1", NS2, count=3)
    seen = cap.stop()
    assert count(seen["host:veth2"], lambda f: icmp_type(f) == 8) == 3
    assert count(seen["host:veth1"], lambda f: icmp_type(f) == 0) == 3
    for ep in ("host:veth3", "host:veth4"):
        assert count(seen[ep], lambda f: icmp_type(f) is not None) == 0, ep
        assert count(seen[ep], lambda f: is_arp(f, 2)) == 0, ep


def _hairpin_lab(hairpin: bool) -> str:
    # the static entry claims ns2 is behind veth1, the port ns1's frames come in on
    lab = _static_lab().replace("dev: veth2}", "dev: veth1}")
    if hairpin:
        lab = lab.replace(
            "veth1: {master: br0}", "veth1: {master: br0, bridge_port: {hairpin: true}}"
        )
    return lab


def test_hairpin_off_drops_frame_whose_destination_is_behind_ingress_port() -> None:
    engine, _ = realize(_hairpin_lab(hairpin=False))
    before = link(engine, "host", "veth1").stats.tx_packets
    trace = engine.trace("ns1", NS2)
    assert trace.verdict() == (
        "dropped at host:br0: destination is behind the ingress port veth1 and hairpin is off"
    )
    # only the ARP reply went back out veth1, not the echo request
    assert link(engine, "host", "veth1").stats.tx_packets == before + 1


def test_hairpin_on_sends_it_back_out_the_ingress_port() -> None:
    engine, _ = realize(_hairpin_lab(hairpin=True))
    before = link(engine, "host", "veth1").stats.tx_packets
    trace = engine.trace("ns1", NS2)
    text = render_trace(trace)
    assert "hairpin is off" not in text
    assert "host:veth1: veth -> ns1:eth0" in text
    # hairpin also floods the broadcast ARP request back: request + reply + echo request
    assert link(engine, "host", "veth1").stats.tx_packets == before + 3
    assert trace.verdict().startswith("dropped at ns1:eth0: frame for")  # otherhost at ns1


BRIDGE_ONE_PORT = """
name: brdown
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  host:
    interfaces:
      br0: {type: bridge}
      veth1: {master: br0}
  ns1:
    interfaces: {eth0: {addresses: [10.0.0.1/24], up: false}}
links:
  - endpoints: [host:veth1, ns1:eth0]
"""


def test_bridge_without_live_ports_is_down_no_carrier() -> None:
    engine, _ = realize(BRIDGE_ONE_PORT)
    br = engine.namespaces["host"].devices["br0"]
    assert br.admin_up and not br.carrier
    assert link(engine, "host", "br0").operstate == "DOWN"


def test_bridge_gets_carrier_when_a_port_comes_up() -> None:
    engine, _ = realize(BRIDGE_ONE_PORT)
    br = engine.namespaces["host"].devices["br0"]
    assert not br.carrier
    assert link(engine, "host", "br0").operstate != "UP"
    engine.namespaces["ns1"].devices["eth0"].set_admin(True)
    assert br.carrier
    assert link(engine, "host", "br0").operstate == "UP"
    assert link(engine, "host", "veth1").operstate == "UP"
    engine.namespaces["ns1"].devices["eth0"].set_admin(False)
    assert not br.carrier


def test_own_and_port_macs_are_permanent_entries() -> None:
    engine, _ = realize(four_port_bridge())
    entries = {(f.port, f.mac): f.flags for f in fdb_entries(engine, "host", "br0")}
    for dev in ("br0", "veth1", "veth2", "veth3", "veth4"):
        mac = link(engine, "host", dev).mac
        assert entries[(dev, mac)] == ("permanent",), dev
    assert len(entries) == 5


def test_stp_bridge_listens_then_forwards() -> None:
    # issue 12: STP is emulated (tests/stp has the protocol); a lone bridge's ports listen
    # for forward_delay, learn for forward_delay, then forward
    lab = lab_of(four_port_bridge(bridge_opts=", stp: true"))
    engine = SimEngine()
    engine.realize(lab)
    assert engine.stp_status("host", "br0")["ports"]["veth1"] == "listening"
    engine.advance(30)
    assert set(engine.stp_status("host", "br0")["ports"].values()) == {"forwarding"}
