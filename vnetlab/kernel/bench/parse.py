"""Reading what the measuring programs print: iperf3 ``-J``, iputils ping, the UDP
request/response client.

Design note
-----------
iperf3's JSON is read as ``vnetlab.kernel.iperf3.parse_json`` reads it (the receiver's
bytes and rate from ``end.sum_received`` for TCP, ``end.sum`` for UDP), plus the two
things the bench needs beyond the ``iperf`` check: the stream count (``-P``) and
``end.cpu_utilization_percent`` (iperf3's own ``getrusage`` of the client,
``host_total``, and of the server, ``remote_total``, in percent of one CPU over the
test). ping: each reply line's ``time=X ms`` (iputils ``ping4_parse_reply`` prints it
with three decimals below 100 ms), so the CDF is of every reply, not of ping's summary.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any

from vnetlab.kernel.iperf3 import parse_json

_PING_TIME = re.compile(r"\bicmp_seq=\d+ .*?\btime=([0-9.]+) (ms|us|µs)")


@dataclass(frozen=True, slots=True)
class IperfFigures:
    protocol: str
    streams: int
    seconds: float
    bytes: int
    bps: float
    retransmits: int
    packets: int
    lost_packets: int
    #: CPU seconds iperf3 says its client and server used (getrusage)
    cpu_client_s: float
    cpu_server_s: float

    @property
    def pps(self) -> float:
        """Datagrams the receiver got per second (UDP)."""
        return (self.packets - self.lost_packets) / self.seconds if self.seconds else 0.0


class ParseError(ValueError):
    """A measuring program's output the bench cannot read (the text says which)."""


def iperf_figures(doc: dict[str, Any], dst: str = "0.0.0.0") -> IperfFigures:
    """iperf3 ``-J`` output -> the figures; ``ParseError`` on iperf3's ``error``."""
    r = parse_json("bench", IPv4Address(dst), doc)
    if r.errors:
        raise ParseError(r.errors[0])
    start = doc.get("start", {})
    streams = int(start.get("test_start", {}).get("num_streams", 1) or 1)
    cpu = doc.get("end", {}).get("cpu_utilization_percent", {})
    secs = r.seconds or float(start.get("test_start", {}).get("duration", 0) or 0)

    def cpu_s(key: str) -> float:
        v = cpu.get(key, 0.0)
        return float(v) / 100.0 * secs if isinstance(v, (int, float)) else 0.0

    return IperfFigures(r.protocol, streams, r.seconds, r.bytes, r.bits_per_second,
                        r.retransmits, r.packets, r.lost_packets,
                        cpu_s("host_total"), cpu_s("remote_total"))


def iperf_text(text: str, dst: str = "0.0.0.0") -> IperfFigures:
    try:
        doc = json.loads(text)
    except ValueError:
        raise ParseError(f"iperf3 printed no JSON: {text.strip()[:200]!r}") from None
    if not isinstance(doc, dict):
        raise ParseError("iperf3's JSON is not an object")
    return iperf_figures(doc, dst)


def ping_rtts_us(text: str) -> list[float]:
    """Every reply's round trip in µs, in order (iputils' ``time=`` field)."""
    out = []
    for m in _PING_TIME.finditer(text):
        v = float(m.group(1))
        out.append(v * 1000.0 if m.group(2) == "ms" else v)
    return out


def rr_samples_us(text: str) -> tuple[list[float], int]:
    """The request/response client's JSON line -> (round trips in µs, requests lost)."""
    try:
        doc = json.loads(text.strip().splitlines()[-1]) if text.strip() else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("rtt_ns"), list):
        raise ParseError(f"the UDP request/response client printed {text.strip()[:200]!r}")
    return [int(v) / 1000.0 for v in doc["rtt_ns"]], int(doc.get("lost", 0))
