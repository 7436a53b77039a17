"""Shared helpers for the emulator tests: small inline labs, captures and frame parsing."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path

from vnetlab.model import load_lab_text
from vnetlab.model.spec import LabSpec
from vnetlab.model.state import FdbState, LinkState
from vnetlab.sim.engine import SimEngine
from vnetlab.wire.pcap import read_pcap

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXERCISE1 = EXAMPLES / "exercise1-bridge-flooding.yaml"
GOLDEN = Path(__file__).resolve().parent / "golden"

ETH_ARP = b"\x08\x06"
ETH_IP = b"\x08\x00"
BCAST = b"\xff" * 6


def lab_of(yaml_text: str) -> LabSpec:
    return load_lab_text(textwrap.dedent(yaml_text))


def realize(yaml_text: str) -> tuple[SimEngine, LabSpec]:
    lab = lab_of(yaml_text)
    engine = SimEngine()
    engine.realize(lab)
    return engine, lab


def link(engine: SimEngine, node: str, ifname: str) -> LinkState:
    return engine.observe().nodes[node].link(ifname)


def mac_bytes(engine: SimEngine, node: str, ifname: str) -> bytes:
    return engine.namespaces[node].devices[ifname].mac


def fdb_entries(engine: SimEngine, node: str, bridge: str) -> list[FdbState]:
    """The bridge's own table (``bridge fdb show br BR`` less its ports' "self" entries:
    those are each device's multicast list, not the bridge's forwarding database)."""
    return [f for f in engine.observe().nodes[node].fdb
            if f.bridge == bridge and "self" not in f.flags]


def fdb_ports_of(engine: SimEngine, node: str, bridge: str, mac: bytes) -> list[str]:
    text = ":".join(f"{b:02x}" for b in mac)
    return [f.port for f in fdb_entries(engine, node, bridge) if f.mac == text]


def frames(path: Path) -> list[bytes]:
    return [data for _, data in read_pcap(path)]


def is_arp(frame: bytes, op: int | None = None) -> bool:
    if frame[12:14] != ETH_ARP:
        return False
    return op is None or int.from_bytes(frame[20:22], "big") == op


def icmp_type(frame: bytes) -> int | None:
    """The ICMP type of a frame carrying the first fragment of an ICMP datagram, else None."""
    if frame[12:14] != ETH_IP or frame[23] != 1:
        return None
    if int.from_bytes(frame[20:22], "big") & 0x1FFF:  # not the first fragment
        return None
    ihl = (frame[14] & 0xF) * 4
    return frame[14 + ihl]


def count(frames_: Iterable[bytes], pred: Callable[[bytes], bool]) -> int:
    return sum(1 for f in frames_ if pred(f))


class Captures:
    """Start captures on NODE:IFNAME endpoints, stop them, read the frames back."""

    def __init__(self, engine: SimEngine, tmp: Path, endpoints: Iterable[str]) -> None:
        self.engine = engine
        self.paths: dict[str, Path] = {}
        for ep in endpoints:
            node, _, ifname = ep.partition(":")
            path = tmp / f"{node}-{ifname}.pcap"
            engine.start_capture(node, ifname, path)
            self.paths[ep] = path

    def stop(self) -> dict[str, list[bytes]]:
        self.engine.stop_captures()
        return {ep: frames(p) for ep, p in self.paths.items()}


#: A bridge with four ports, one namespace behind each (ns1..ns4 = 10.0.0.1..4/24).
FOUR_PORT_BRIDGE = """
name: br4
ipv6: off  # quiet: the test counts frames, FDB entries or time; no IPv6 chatter
nodes:
  host:
    interfaces:
      br0: {type: bridge%(bridge_opts)s}
      veth1: {master: br0%(p1)s}
      veth2: {master: br0%(p2)s}
      veth3: {master: br0%(p3)s}
      veth4: {master: br0%(p4)s}
  ns1:
    interfaces: {eth0: {addresses: [10.0.0.1/24]}}
  ns2:
    interfaces: {eth0: {addresses: [10.0.0.2/24]}}
  ns3:
    interfaces: {eth0: {addresses: [10.0.0.3/24]}}
  ns4:
    interfaces: {eth0: {addresses: [10.0.0.4/24]}}
links:
  - endpoints: [host:veth1, ns1:eth0]
  - endpoints: [host:veth2, ns2:eth0]
  - endpoints: [host:veth3, ns3:eth0]
  - endpoints: [host:veth4, ns4:eth0]
"""


def four_port_bridge(
    bridge_opts: str = "", p1: str = "", p2: str = "", p3: str = "", p4: str = ""
) -> str:
    """The four-port bridge lab; each argument is extra YAML flow keys (", key: value")."""
    return FOUR_PORT_BRIDGE % {
        "bridge_opts": bridge_opts, "p1": p1, "p2": p2, "p3": p3, "p4": p4,
    }
