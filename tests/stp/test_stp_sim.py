"""The emulator's 802.1D spanning tree (br_stp*.c) on the issue's triangle and variations:
election, root path cost, designated and blocked ports, timers, topology change, link
failure, per-bridge and per-port settings, STP on and off."""

from __future__ import annotations

from ipaddress import IPv4Address

from stplab import S, bridge, run, states, triangle

from vnetlab.sim.devices.bridge import stp
from vnetlab.sim.netdev import Skb
from vnetlab.wire.stp import ConfigBpdu, bridge_id, emit_config


def test_triangle_elects_the_lowest_mac_and_blocks_br3_towards_br2() -> None:
    e = run(triangle())
    e.advance(0.5)
    assert set(states(e).values()) == {"listening"}
    e.advance(3)  # the first config BPDUs
    assert states(e)["a32"] == "blocking"
    e.advance(30)
    assert states(e) == {"a12": "forwarding", "a13": "forwarding", "a21": "forwarding",
                         "a23": "forwarding", "p2": "forwarding", "a31": "forwarding",
                         "a32": "blocking", "p3": "forwarding"}
    br1, br2, br3 = (bridge(e, n) for n in ("br1", "br2", "br3"))
    assert stp.br_is_root_bridge(br1)
    assert br2.designated_root == br3.designated_root == br1.bridge_id
    assert (br2.root_path_cost, br3.root_path_cost) == (2, 2)  # a veth's cost: 2 (10 Gb/s)
    assert stp.br_get_port(br2, br2.root_port).name == "a21"  # type: ignore[union-attr]
    assert stp.br_get_port(br3, br3.root_port).name == "a31"  # type: ignore[union-attr]


def test_the_kernel_timeline_listening_learning_forwarding() -> None:
    e = run(triangle())
    e.advance(60)
    log = {(p, s): t / S for br in e.bridges() for t, p, s in br.stp_log or []}
    assert log[("a32", "blocking")] < 4  # kernel: ~3.0 s
    for port in ("a12", "a13", "a21", "a23", "a31"):
        assert 14.5 <= log[(port, "learning")] <= 15.5
        assert 29.5 <= log[(port, "forwarding")] <= 30.5
    assert ("a32", "learning") not in log


def test_after_convergence_every_bridge_has_topology_change_and_short_ageing() -> None:
    e = run(triangle())
    e.advance(32)
    for name in ("br1", "br2", "br3"):
        br = bridge(e, name)
        assert br.topology_change, name
        assert br.ageing_time_ns == 30 * S  # 2 x forward_delay, as sysfs shows
        assert br.hold_time() == 15 * S  # entries age after forward_delay
    assert bridge(e, "br1").topology_change_detected
    e.advance(40)  # topology_change_timer: forward_delay + max_age after the last change
    assert not bridge(e, "br1").topology_change
    assert bridge(e, "br1").ageing_time_ns == 300 * S


def test_tcns_flow_to_the_root_and_are_acknowledged() -> None:
    e = run(triangle())
    e.advance(35)
    br1, br2, br3 = (bridge(e, n) for n in ("br1", "br2", "br3"))
    # br2 and br3 each detected their own change (ports forwarding) and told the root
    assert sum(p.tx_tcn for p in br2.port_list) >= 1
    assert sum(p.tx_tcn for p in br3.port_list) >= 1
    assert sum(p.rx_tcn for p in br1.port_list) >= 2
    # the root acknowledged: the TCN timers stopped
    assert not br2.tcn_timer.pending() and not br3.tcn_timer.pending()
    assert not br2.topology_change_detected and not br3.topology_change_detected


def test_link_failure_reconverges_after_max_age_and_two_forward_delays() -> None:
    e = run(triangle())
    e.advance(40)
    e.set_link("sw", "a12", False)
    e.advance(60)
    log = [(t / S, p, s) for br in e.bridges() for t, p, s in br.stp_log or []
           if p == "a32" and t > 40 * S]
    assert [s for _, _, s in log] == ["listening", "learning", "forwarding"]
    first = log[0][0]
    assert 40 + 17 <= first <= 40 + 21  # max_age after br3 last heard br1 through br2
    assert abs(log[2][0] - first - 30) < 0.01
    br2 = bridge(e, "br2")
    assert stp.br_get_port(br2, br2.root_port).name == "a23"  # type: ignore[union-attr]
    assert e.ping("h2", IPv4Address("10.0.0.3")).reachable


def test_bridge_priority_moves_the_root() -> None:
    e = run(triangle(br3="priority: 4096"))
    e.advance(35)
    br3 = bridge(e, "br3")
    assert stp.br_is_root_bridge(br3)
    assert states(e)["a21"] == "blocking"  # br2's port towards br1 now loses


def test_port_cost_moves_the_root_port() -> None:
    lab = triangle()
    lab_text = lab.model_dump_json()
    assert "a31" in lab_text
    e = run(lab)
    br3 = bridge(e, "br3")
    stp.br_stp_set_path_cost(stp.br_get_port(br3, 2) or br3.port_list[0], 2)  # no change
    a31 = next(p for p in br3.port_list if p.name == "a31")
    stp.br_stp_set_path_cost(a31, 100)  # the direct link to the root gets expensive
    e.advance(35)
    assert stp.br_get_port(br3, br3.root_port).name == "a32"  # type: ignore[union-attr]
    assert states(e)["a31"] == "blocking" or states(e)["a13"] == "blocking"


def test_port_priority_breaks_a_tie_between_parallel_links() -> None:
    text_extra = ""
    lab = triangle(text_extra)
    e = run(lab)
    br2 = bridge(e, "br2")
    a23 = next(p for p in br2.port_list if p.name == "a23")
    stp.br_stp_set_port_priority(a23, 10)
    assert a23.port_id == (10 << 10) | a23.port_no


def test_stp_off_ports_forward_at_once_and_no_bpdu_is_sent() -> None:
    from vnetlab.model import load_lab_text

    e = run(load_lab_text(
        "name: x\nnodes:\n  h:\n    interfaces:\n      br0: {type: bridge}\n"
        "      p1: {master: br0}\n  o:\n    interfaces: {e: {}}\n"
        "links:\n  - endpoints: [h:p1, o:e]\n"))
    br0 = bridge(e, "br0", "h")
    assert br0.port_list[0].state_name == "forwarding"
    e.advance(10)
    assert br0.port_list[0].tx_bpdu == 0 and not br0.hello_timer.pending()
    # ip link set br0 type bridge stp_state 1: the forwarding port keeps forwarding, the
    # bridge starts sending hellos
    br0.set_stp(True)
    e.advance(5)
    assert br0.port_list[0].tx_bpdu >= 2
    assert br0.port_list[0].state_name == "forwarding"


def test_bpdus_are_ignored_when_stp_is_off_on_the_receiver_and_forwarded() -> None:
    e = run(triangle(br2="stp: false".replace("stp: false", "priority: 32768")))
    br2 = bridge(e, "br2")
    br2.set_stp(False)  # br2 floods the BPDUs of br1 and br3 (Linux: "keep loop detection")
    e.advance(35)
    assert all(p.rx_bpdu == 0 for p in br2.port_list)
    # br1 and br3 see each other's BPDUs through br2: still one port blocked in the loop
    blocked = [p for p, s in states(e).items() if s == "blocking"]
    assert len(blocked) == 1


def test_message_age_beyond_max_age_is_dropped() -> None:
    e = run(triangle())
    br3 = bridge(e, "br3")
    a32 = next(p for p in br3.port_list if p.name == "a32")
    before = a32.rx_bpdu
    bad = ConfigBpdu(False, False, bridge_id(0, b"\x02" * 6), 0, bridge_id(0, b"\x02" * 6),
                     0x8001, 21 * S, 20 * S, 2 * S, 15 * S)
    br3.stp_rcv(a32, Skb(emit_config(b"\x02\x00\x00\x00\x09\x09", bad)))
    assert a32.rx_bpdu == before
    assert not stp.br_is_root_bridge(br3) or br3.designated_root != bridge_id(0, b"\x02" * 6)


def test_carrier_loss_disables_the_port_and_flushes_its_fdb() -> None:
    e = run(triangle())
    e.advance(35)
    assert e.ping("h2", IPv4Address("10.0.0.3")).reachable
    br2 = bridge(e, "br2")
    assert any(en.port is not None and en.port.name == "a21" and not en.local
               for en in br2.fdb.values())
    e.set_link("sw", "a12", False)  # the peer of a21 goes down: carrier off on a21
    assert next(p for p in br2.port_list if p.name == "a21").state_name == "disabled"
    assert not any(en.port is not None and en.port.name == "a21" and not en.local
                   for en in br2.fdb.values())


def test_four_bridge_ring_blocks_the_far_port_and_reconverges() -> None:
    from stplab import RING4

    from vnetlab.model import load_lab_text
    from vnetlab.tools.checks import run_checks

    lab = load_lab_text(RING4)
    e = run(lab)
    report = run_checks(e, lab)
    assert [(r.subject, r.got) for r in report.results if r.status != "pass"] == []
