"""The namespace's protocol tables (ptype_base, inet_protos) and the split IPv4 stack."""

from __future__ import annotations

from ipaddress import IPv4Address

from simlab import realize
from test_sim_trace import ROUTED

from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.stack import arp, icmp, ip6_input, ipv4, ipv6, udp
from vnetlab.sim.stack.netns import INET_PROTOS, PTYPE_BASE, Namespace
from vnetlab.sim.trace import DropReason, Event, EventKind, Trace, TraceNode
from vnetlab.wire.ipv4 import IPPROTO_ICMP, IPPROTO_UDP, Ipv4Header


def test_tables_name_the_ipv4_handlers() -> None:
    assert {
        ipv4.ETH_P_IP: ipv4.ip_rcv, arp.ETH_P_ARP: arp.arp_rcv, ipv6.ETH_P_IPV6: ip6_input.ip6_rcv
    } == PTYPE_BASE
    assert {IPPROTO_ICMP: icmp.icmp_rcv, IPPROTO_UDP: udp.udp_rcv} == INET_PROTOS
    engine, _ = realize(ROUTED % 1)
    ns = engine.namespaces["a"]
    assert ns.ptype_base is PTYPE_BASE and ns.inet_protos is INET_PROTOS


def test_a_protocol_added_to_the_table_is_delivered_to() -> None:
    # what IPv6 or another IP protocol will do: one table entry, ipv4.py untouched
    engine, _ = realize(ROUTED % 1)
    ns = engine.namespaces["b"]
    seen: list[tuple[str, int, bytes]] = []

    def proto_253(
        ns: Namespace, dev: NetDevice, hdr: Ipv4Header, payload: bytes, trace: TraceNode | None
    ) -> None:
        seen.append((dev.name, hdr.proto, payload))
        if trace is not None:
            trace.deliver(dev.where, "experimental protocol 253")

    ns.inet_protos = {**INET_PROTOS, 253: proto_253}
    a = engine.namespaces["a"]
    t = Trace("proto 253")
    a.stack.ip_output(int(IPv4Address("10.0.2.2")), 253, b"hello", t.root)
    engine.advance(1)
    assert seen == [("eth0", 253, b"hello")]
    assert t.verdict() == "delivered to b:eth0 (experimental protocol 253)"


def test_an_unknown_protocol_is_protocol_unreachable() -> None:
    engine, _ = realize(ROUTED % 1)
    a = engine.namespaces["a"]
    t = Trace("proto 253")
    a.stack.ip_output(int(IPv4Address("10.0.2.2")), 253, b"hello", t.root)
    engine.advance(1)
    ev = t.verdict_event()
    assert ev is not None and ev.reason is DropReason.IP_NOPROTO
    assert ev.what == "no handler for IP protocol 253"


def test_an_ethertype_without_a_handler_is_dropped_typed() -> None:
    engine, _ = realize(ROUTED % 1)
    b = engine.namespaces["b"]
    dev = b.devices["eth0"]
    t = Trace("ethertype 0x88b5")
    b.rcv(dev, Skb(dev.mac + b"\x02" * 6 + b"\x88\xb5" + b"\x00" * 46, t.root))
    ev = t.verdict_event()
    assert ev is not None and ev.reason is DropReason.UNHANDLED_PROTO
    assert ev.what == "ethertype 0x88b5 has no handler"
    t = Trace("otherhost")
    b.rcv(dev, Skb(b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + b"\x00" * 46, t.root))
    ev = t.verdict_event()
    assert ev is not None and ev.reason is DropReason.OTHERHOST


def test_arp_is_answered_through_the_table() -> None:
    engine, _ = realize(ROUTED % 1)
    t = engine.trace("a", IPv4Address("10.0.1.1"))
    assert t.delivered
    kinds = [e.kind for e in _events(t.root)]
    assert EventKind.NEIGH in kinds


def _events(node: TraceNode) -> list[Event]:
    out: list[Event] = []
    stack = [node]
    while stack:
        n = stack.pop()
        for item in n.items:
            if isinstance(item, Event):
                out.append(item)
            else:
                stack.append(item)
    return out
