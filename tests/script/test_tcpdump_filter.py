"""The pcap-filter(7) subset of ``tcpdump EXPRESSION``: which frames each filter matches."""

from __future__ import annotations

import pytest

from vnetlab.script.apps.tcpdump_filter import FilterSyntax, compile_filter, decode

A_MAC = bytes.fromhex("020000000001")
B_MAC = bytes.fromhex("020000000002")
BCAST = b"\xff" * 6


def _ipv4(src: str, dst: str, proto: int, l4: bytes) -> bytes:
    ip = bytes([0x45, 0, 0, 20 + len(l4), 0, 0, 0, 0, 64, proto, 0, 0])
    return ip + bytes(int(x) for x in src.split(".")) + bytes(
        int(x) for x in dst.split(".")) + l4


def _eth(dst: bytes, src: bytes, etype: int, payload: bytes, vid: int | None = None) -> bytes:
    tag = b"" if vid is None else b"\x81\x00" + vid.to_bytes(2, "big")
    return dst + src + tag + etype.to_bytes(2, "big") + payload


def _udp(sport: int, dport: int) -> bytes:
    return sport.to_bytes(2, "big") + dport.to_bytes(2, "big") + b"\x00\x08\x00\x00"


def _arp(spa: str, tpa: str) -> bytes:
    def ip(s: str) -> bytes:
        return bytes(int(x) for x in s.split("."))

    return (b"\x00\x01\x08\x00\x06\x04\x00\x01" + A_MAC + ip(spa) + b"\x00" * 6 + ip(tpa))


FRAMES = {
    "icmp": _eth(B_MAC, A_MAC, 0x0800, _ipv4("10.0.0.1", "10.0.0.2", 1, b"\x08\x00" + b"\0" * 6)),
    "udp": _eth(B_MAC, A_MAC, 0x0800, _ipv4("10.0.0.1", "10.0.1.9", 17, _udp(40000, 4789))),
    "arp": _eth(BCAST, A_MAC, 0x0806, _arp("10.0.0.1", "10.0.0.2")),
    "tagged": _eth(B_MAC, A_MAC, 0x0800,
                   _ipv4("10.0.0.1", "10.0.0.2", 1, b"\x08\x00" + b"\0" * 6), vid=10),
    "ipv6": _eth(b"\x33\x33\x00\x00\x00\x01", A_MAC, 0x86DD, b"\x60" + b"\0" * 39),
}

CASES = [
    ("", {"icmp", "udp", "arp", "tagged", "ipv6"}),
    ("icmp", {"icmp"}),
    ("udp port 4789", {"udp"}),
    ("udp and dst port 4789", {"udp"}),
    ("src port 4789", set()),
    ("portrange 4000-5000", {"udp"}),
    ("arp or icmp", {"arp", "icmp"}),
    ("not arp", {"icmp", "udp", "tagged", "ipv6"}),
    ("host 10.0.0.2", {"icmp", "arp"}),
    ("src host 10.0.0.1 and not arp", {"icmp", "udp"}),
    ("dst 10.0.0.2", {"icmp", "arp"}),
    ("src or dst host 10.0.1.9", {"udp"}),
    ("dst net 10.0.1.0/24", {"udp"}),
    ("10.0.1.9", {"udp"}),
    ("ip proto 17", {"udp"}),
    ("proto \\icmp", {"icmp"}),
    ("ip", {"icmp", "udp"}),
    ("vlan", {"tagged"}),
    ("vlan 10 and icmp", {"tagged"}),
    ("vlan 11", set()),
    ("ether host 02:00:00:00:00:02", {"icmp", "udp", "tagged"}),
    ("ether src host 02:00:00:00:00:01", set(FRAMES)),
    ("ether dst host 02:00:00:00:00:01", set()),
    ("broadcast", {"arp"}),
    ("ether multicast", {"arp", "ipv6"}),
    ("ip6", {"ipv6"}),
    ("(icmp or udp) and host 10.0.0.1", {"icmp", "udp"}),
]


@pytest.mark.parametrize(("expr", "want"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_filter_matches(expr: str, want: set[str]) -> None:
    pred = compile_filter(expr.split())
    assert {name for name, f in FRAMES.items() if pred(decode(f))} == want


@pytest.mark.parametrize("expr", ["host", "(icmp", "icmp)", "ether proto 1", "src arp",
                                  "net bogus", "port x", "host bogus", "proto foo",
                                  "frobnicate", "ether"])
def test_filter_syntax_errors(expr: str) -> None:
    with pytest.raises(FilterSyntax):
        compile_filter(expr.split())


def test_ip6_icmp6_and_ipv6_hosts_and_nets() -> None:
    """libpcap's reading: icmp6 is the fixed header's next header (an MLD report behind a
    hop-by-hop header is not icmp6), IPv6 hosts and nets never match IPv4 addresses."""
    from vnetlab.script.apps.tcpdump_filter import compile_filter, decode

    def v6(nh: int, src: str, dst: str) -> bytes:
        import ipaddress

        hdr = (bytes([0x60, 0, 0, 0, 0, 8, nh, 255]) + ipaddress.IPv6Address(src).packed
               + ipaddress.IPv6Address(dst).packed)
        return b"\x33\x33\x00\x00\x00\x01" + b"\x02" * 6 + b"\x86\xdd" + hdr + bytes(8)

    ns = decode(v6(58, "fe80::1", "ff02::1:ff00:2"))
    mld = decode(v6(0, "::", "ff02::16"))
    assert compile_filter(["icmp6"])(ns) and not compile_filter(["icmp6"])(mld)
    assert compile_filter(["ip6"])(mld) and not compile_filter(["ip"])(mld)
    assert compile_filter(["src", "host", "fe80::1"])(ns)
    assert not compile_filter(["dst", "fe80::1"])(ns)
    assert compile_filter(["net", "ff02::/16"])(mld)
    assert not compile_filter(["net", "0.0.0.0/0"])(mld)
