"""Helpers of the pin tests: inline labs, raw ARP frames, captures (a unique module name)."""

from __future__ import annotations

import textwrap
from ipaddress import IPv4Address
from pathlib import Path

from vnetlab.model import load_lab_text
from vnetlab.sim.engine import SimEngine
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.stack.arp import arp_rcv
from vnetlab.sim.stack.neigh import Neighbour
from vnetlab.wire.arp import ArpPacket
from vnetlab.wire.pcap import read_pcap

BCAST = b"\xff" * 6

PAIR = """
name: pair
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  a:
    interfaces: {eth0: {addresses: [10.0.0.1/24, 10.0.0.5/24]}}
  b:
    interfaces: {eth0: {addresses: [10.0.0.2/24]}}
links:
  - endpoints: [a:eth0, b:eth0]
"""


def realize(yaml_text: str) -> SimEngine:
    engine = SimEngine()
    engine.realize(load_lab_text(textwrap.dedent(yaml_text)))
    return engine


def arp_in(engine: SimEngine, node: str, ifname: str, op: int, sha: bytes, sip: str,
           tip: str, dst: bytes | None = None) -> None:
    """Hand NODE:IFNAME's ARP receive path one frame (``arp_rcv``), as if it came off the
    wire addressed to DST (default: the device's own MAC)."""
    ns = engine.namespaces[node]
    dev = ns.devices[ifname]
    body = ArpPacket(op, sha, IPv4Address(sip), b"\x00" * 6, IPv4Address(tip)).emit()
    frame = (dst or dev.mac) + sha + b"\x08\x06" + body
    arp_rcv(ns, dev, Skb(frame, None))


def entry(engine: SimEngine, node: str, ifname: str, ip: str) -> Neighbour | None:
    ns = engine.namespaces[node]
    dev: NetDevice = ns.devices[ifname]
    return ns.stack.neigh.entries.get((dev, int(IPv4Address(ip))))


def run_for(engine: SimEngine, ns_: int) -> None:
    engine.sched.run(until=engine.sched.now + ns_)


def pcap_frames(path: Path) -> list[tuple[int, bytes]]:
    return list(read_pcap(path))


def frame_to(engine: SimEngine, node: str, packet: bytes, dst_mac: bytes | None = None) -> None:
    """An IPv4 PACKET arrives at NODE:eth0 over the wire from the other node of PAIR."""
    from vnetlab.sim.clock import MS

    src_node = "a" if node == "b" else "b"
    dev = engine.namespaces[node].devices["eth0"]
    peer = engine.namespaces[src_node].devices["eth0"]
    peer.xmit(Skb((dst_mac or dev.mac) + peer.mac + b"\x08\x00" + packet, None))
    run_for(engine, 1 * MS)
