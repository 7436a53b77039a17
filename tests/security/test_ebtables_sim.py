"""The emulator's ebtables filter table: rule walk, counters, listing, hooks and trace."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from tests.security.labs import filtered_bridge
from vnetlab.model.filters import EbtablesError, parse_ebtables
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.netfilter.ebtables import EbTable, ebtables_command
from vnetlab.sim.trace import DropReason
from vnetlab.wire.arp import ARPOP_REPLY, ARPOP_REQUEST, ArpPacket

A, B = b"\x02\x00\x00\x00\x00\x0a", b"\x02\x00\x00\x00\x00\x0b"


def arp(op: int, sha: bytes = A, spa: str = "10.0.0.2", dst: bytes = b"\xff" * 6) -> bytes:
    return dst + sha + b"\x08\x06" + ArpPacket(op, sha, IPv4Address(spa), b"\0" * 6,
                                                IPv4Address("10.0.0.1")).emit()


def table(*lines: str) -> EbTable:
    t = EbTable()
    for line in lines:
        t.apply(parse_ebtables(line.split()))
    return t


def test_seed_rule_drops_replies_and_counts_them() -> None:
    t = table("-A FORWARD -p ARP --arp-op Reply -j DROP")
    assert t.do_table("FORWARD", arp(ARPOP_REQUEST), "va", "vb").accept
    v = t.do_table("FORWARD", arp(ARPOP_REPLY), "va", "vb")
    assert not v.accept and v.number == 1 and v.chain == "FORWARD"
    e = t.chains["FORWARD"].entries[0]
    assert (e.pcnt, e.bcnt) == (1, 28)  # skb->len: the ARP packet without the MAC header


def test_validated_source_is_accepted_before_the_drop() -> None:
    t = table("-A FORWARD -p ARP --arp-op Reply -i vgw --arp-ip-src 10.0.0.1 "
              "--arp-mac-src 02:00:00:00:00:0a -j ACCEPT",
              "-A FORWARD -p ARP --arp-op Reply -j DROP")
    assert t.do_table("FORWARD", arp(ARPOP_REPLY, spa="10.0.0.1"), "vgw", "vb").accept
    assert not t.do_table("FORWARD", arp(ARPOP_REPLY, spa="10.0.0.1"), "vatk", "vb").accept
    assert not t.do_table("FORWARD", arp(ARPOP_REPLY, sha=B, spa="10.0.0.1"), "vgw", "vb").accept


def test_jump_return_continue_and_policies() -> None:
    t = table("-N sub", "-A sub -s 02:00:00:00:00:0a -j RETURN", "-A sub -j DROP",
              "-A FORWARD -j sub", "-A FORWARD -j CONTINUE", "-P FORWARD DROP")
    v = t.do_table("FORWARD", arp(ARPOP_REQUEST), "x", "y")  # returns, then policy DROP
    assert not v.accept and v.rule is None
    assert [e.pcnt for e in t.chains["FORWARD"].entries] == [1, 1]
    v = t.do_table("FORWARD", arp(ARPOP_REQUEST, sha=B), "x", "y")
    assert not v.accept and v.chain == "sub" and v.number == 2
    t2 = table("-N acc", "-P acc ACCEPT", "-A FORWARD -j acc", "-A FORWARD -j DROP")
    assert t2.do_table("FORWARD", arp(ARPOP_REQUEST), "x", "y").accept


def test_negations_masks_and_interface_wildcards() -> None:
    t = table("-A FORWARD -s ! 02:00:00:00:00:00/ff:ff:ff:ff:ff:00 -j DROP",
              "-A FORWARD -i ! veth+ -j DROP", "-A FORWARD -p ! ARP -j DROP")
    assert t.do_table("FORWARD", arp(ARPOP_REQUEST), "veth1", "y").accept
    assert not t.do_table("FORWARD", arp(ARPOP_REQUEST), "tap1", "y").accept
    assert not t.do_table("FORWARD", arp(ARPOP_REQUEST, sha=b"\x04" + A[1:]), "veth1", "y").accept


@pytest.mark.parametrize(("words", "status", "first"), [
    ("-A FORWARD --arp-op Reply -j DROP", 4,
     "ebtables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain "
     "FORWARD"),
    ("-A FORWARD -p ARP --arp-op Bogus -j DROP", 2,
     "ebtables v1.8.9 (nf_tables): Problem with specified ARP opcode"),
    ("-A FORWARD -s zz -j DROP", 2,
     "ebtables v1.8.9 (nf_tables): Problem with specified source mac 'zz'"),
    ("-A FORWARD -j BLAH", 2, "ebtables v1.8.9 (nf_tables): Chain 'BLAH' does not exist"),
    ("-A FOO -j DROP", 1, "ebtables: No chain/target/match by that name"),
])
def test_bad_commands_get_the_tools_words(words: str, status: int, first: str) -> None:
    e = SimEngine()
    e.realize(filtered_bridge("ebt-bad", rules=[]))
    with pytest.raises(EbtablesError) as err:
        ebtables_command(e.ns("host"), words.split())
    assert err.value.status == status
    assert err.value.message.splitlines()[0] == first


def test_forward_drop_is_traced_with_the_rule() -> None:
    e = SimEngine()
    e.realize(filtered_bridge("ebt-trace"))
    t = e.trace("a", IPv4Address("10.0.0.4"))
    ev = t.verdict_event()
    assert ev is not None and ev.reason is DropReason.NETFILTER_DROP
    assert ev.where == "host:br0"
    assert "ebtables FORWARD rule 3 (-p IPv4 --ip-dst 10.0.0.4 --ip-proto icmp -j DROP)" \
        in ev.what and ev.what.endswith("in va, out vc")
    assert e.ping("a", IPv4Address("10.0.0.4"), count=2).received == 0
    listing = ebtables_command(e.ns("host"), ["-L", "--Lc"])
    line = next(x for x in listing.splitlines() if "--ip-dst 10.0.0.4" in x)
    assert line.endswith("-j DROP , pcnt = 3 -- bcnt = 252")  # 3 x (20 + 8 + 56)


def test_lab_with_a_bad_rule_is_refused_at_load() -> None:
    from pydantic import ValidationError

    from tests.security.labs import filtered_bridge_raw
    from vnetlab.model.spec import LabSpec

    raw = filtered_bridge_raw("ebt-load", rules=["-A FORWARD -p ARP --arp-op Nope -j DROP"])
    with pytest.raises(ValidationError, match="Problem with specified ARP opcode"):
        LabSpec.model_validate(raw)


def test_delete_and_numbered_listing() -> None:
    e = SimEngine()
    e.realize(filtered_bridge("ebt-del", rules=[]))
    ns = e.ns("host")
    for words in ("-A FORWARD -p ARP -j DROP", "-A FORWARD -p IPv4 -j ACCEPT"):
        ebtables_command(ns, words.split())
    assert ebtables_command(ns, ["-L", "FORWARD", "--Ln", "--Lc"]).splitlines()[3:] == [
        "1 -p ARP -j DROP , pcnt = 0 -- bcnt = 0", "2 -p IPv4 -j ACCEPT , pcnt = 0 -- bcnt = 0"]
    ebtables_command(ns, ["-D", "FORWARD", "1"])
    ebtables_command(ns, ["-D", "FORWARD", "-p", "IPv4", "-j", "ACCEPT"])
    assert ebtables_command(ns, ["-L", "FORWARD"]) == (
        "Bridge table: filter\n\nBridge chain: FORWARD, entries: 0, policy: ACCEPT\n")
