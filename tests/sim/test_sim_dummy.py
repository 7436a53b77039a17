"""dummy devices (vnetlab/sim/devices/dummy.py vs drivers/net/dummy.c): the kind added by
following CONTRIBUTING.md's checklist, and the device flags ip link prints per kind."""

from __future__ import annotations

import json
from ipaddress import IPv4Address

from simlab import link, realize

from vnetlab.script import run_script
from vnetlab.sim.trace import DropReason, Outcome

LAB = """
name: dm
nodes:
  a:
    interfaces:
      d0: {type: dummy, addresses: [10.9.0.1/24]}
    routes: [{dst: 10.8.0.0/16, dev: d0}]
"""


def test_own_address_answers_and_routed_traffic_vanishes_counted_as_sent() -> None:
    engine, _ = realize(LAB)
    assert engine.ping("a", IPv4Address("10.9.0.1"), count=1).received == 1  # via lo
    d0 = engine.namespaces["a"].devices["d0"]
    before = d0.tx_packets
    r = engine.ping("a", IPv4Address("10.8.1.1"), count=2)
    assert r.received == 0 and not r.errors  # no ARP (NOARP), no ICMP error: just gone
    assert d0.tx_packets - before == 2 and d0.tx_dropped == 0 and d0.rx_packets == 0
    st = link(engine, "a", "d0")
    assert st.operstate == "UNKNOWN" and st.kind == "dummy"


def test_trace_ends_at_the_dummy_with_a_typed_drop() -> None:
    engine, _ = realize(LAB)
    t = engine.trace("a", IPv4Address("10.8.1.1"))
    assert t.verdict_outcome() is Outcome.DROPPED
    event = t.verdict_event()
    assert event is not None and event.where == "a:d0" and event.reason is DropReason.NOT_SPECIFIED


def _ip(script: str) -> list[str]:
    out: list[str] = []
    rc, _ = run_script(script, out=out.append, err=out.append, source="t.sh")
    assert rc == 0, out
    return out


def test_ip_link_prints_dummy_tap_and_tun_as_the_kernel_does() -> None:
    lines = _ip("ip link add d0 type dummy\nip link set d0 up\n"
                "ip tuntap add dev tap0 mode tap\nip link set tap0 up\n"
                "ip tuntap add dev tun0 mode tun\nip link set tun0 up\n"
                "ip -d -j link show d0\nip link show tap0\nip link show tun0\n")
    [d0] = json.loads(lines[0])
    assert d0["flags"] == ["BROADCAST", "NOARP", "UP", "LOWER_UP"]  # no IFF_MULTICAST
    assert d0["operstate"] == "UNKNOWN" and d0["link_type"] == "ether"
    assert (d0["min_mtu"], d0["max_mtu"]) == (0, 0)  # dummy_setup: any MTU
    assert d0["linkinfo"] == {"info_kind": "dummy"}
    text = "\n".join(lines[1:])
    # measured on Linux 6.18: a TAP is an Ethernet device, without a program NO-CARRIER
    assert "tap0: <NO-CARRIER,BROADCAST,MULTICAST,UP>" in text and "state DOWN" in text
    assert "link/ether" in text
    assert "tun0: <NO-CARRIER,POINTOPOINT,MULTICAST,NOARP,UP>" in text and "link/none" in text
