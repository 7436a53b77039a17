"""The one small protocol every engine speaks (emulator and linux kernel alike).

Design note
-----------
Tools (checks, ping matrix, capture, show) talk to an engine only through ``Engine``:
realize a resolved ``LabSpec``, run the few apps a check needs (ping; captures to pcap
files), observe the state back as ``vnetlab.model.state`` snapshots, and tear down. An
engine that cannot build something a lab asks for raises ``UnsupportedError`` from
``realize`` *before* it has built anything, so a lab is never half-built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # the CLI imports this module for its errors; pydantic stays unloaded
    from vnetlab.model.spec import LabSpec
    from vnetlab.model.state import LabState

#: the engines a lab runs on: the emulator (default) and the real kernel
ENGINE_NAMES = ("sim", "linux")


class EngineError(Exception):
    """A problem the user can act on (printed as one paragraph, exit status 2)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base}\n  hint: {self.hint}" if self.hint else base


class UnsupportedError(EngineError):
    """The engine cannot build a feature the lab uses (detected before building)."""


@dataclass(frozen=True, slots=True)
class PingResult:
    """What ``ping -c COUNT`` reports: replies, round-trip times and error lines."""

    src: str
    dst: IPv4Address | IPv6Address
    transmitted: int
    received: int
    rtts_ns: tuple[int, ...] = ()
    errors: tuple[str, ...] = field(default=())  # e.g. "From 192.168.1.1 icmp_seq=1 ..."
    ttls: tuple[int, ...] = ()  # the IP TTL of each reply (64 minus the routers crossed)

    @property
    def reachable(self) -> bool:
        return self.received > 0


@dataclass(frozen=True, slots=True)
class IperfResult:
    """What one iperf3 client run reports (``iperf3 -c DST -J``'s ``end`` section).

    ``bits_per_second`` is the receiver's rate (what arrived); ``sent_bps`` the sender's.
    ``modelled``: computed by the emulator's cost model, not measured; the emulator's
    ``text``/``json`` say so too. ``json`` is the iperf3 ``-J`` document (the emulator's
    follows its shape, plus a ``modelled`` section).
    """

    src: str
    dst: IPv4Address
    protocol: str  # "TCP" or "UDP"
    seconds: float
    bytes: int  # received
    bits_per_second: float  # received
    sent_bps: float
    retransmits: int = 0  # TCP
    mean_rtt_us: float | None = None  # TCP (tcp_info's srtt)
    packets: int = 0  # UDP datagrams sent
    lost_packets: int = 0  # UDP
    jitter_ms: float = 0.0  # UDP
    modelled: bool = False
    text: str = ""  # the client's output as iperf3 prints it
    json: dict[str, object] = field(default_factory=dict, compare=False)
    errors: tuple[str, ...] = ()  # "iperf3: error - ..." lines, the run did not complete

    @property
    def lost_percent(self) -> float:
        return 100.0 * self.lost_packets / self.packets if self.packets else 0.0


@runtime_checkable
class Engine(Protocol):
    name: str

    def realize(self, lab: LabSpec) -> None:
        """Build the lab (all or nothing)."""

    def ping(
        self,
        node: str,
        dst: IPv4Address | IPv6Address,
        *,
        count: int = 1,
        size: int = 56,
        dont_fragment: bool = False,
        timeout_s: float = 1.0,
        interval_s: float | None = None,
        ifname: str | None = None,
    ) -> PingResult:
        """Run ``ping`` (``ping -6`` for an IPv6 ``dst``) inside ``node`` and wait for it to
        finish (``interval_s``: ping -i; None: the engine's default; ``ifname``: the scope
        of a link-local destination, ``ping -6 fe80::1%eth0``)."""

    def start_capture(self, node: str, ifname: str, path: Path) -> None:
        """Begin writing every frame seen on NODE:IFNAME to a classic pcap file."""

    def stop_captures(self) -> None:
        """Flush and close every capture started (files complete on return)."""

    def observe(self) -> LabState:
        """Read the lab's state back (links, addresses, routes, neighbours, FDB)."""

    def teardown(self) -> None:
        """Remove everything realize() made. Idempotent."""
