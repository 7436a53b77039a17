"""iperf3's client output, text and ``-J`` JSON, for a modelled run (``iperf.py``).

Design note
-----------
The words and columns are iperf3 3.12's (``src/iperf_locale.c``: ``report_connected``,
``report_bw_retrans_cwnd_format``, ``report_bw_udp_format`` ...; ``src/units.c``
``unit_snprintf``: adaptive units, powers of 1024 for bytes and 1000 for bits, always four
places). The interval lines repeat the modelled steady state; the lines after
``iperf Done.`` say that the figures are modelled and how. The JSON keeps iperf3's shape
(``start``, ``intervals``, ``end``) so the same reader takes a real run's, plus a
``modelled`` object with the cost model's view of the path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_BYTE = ("Byte", "KByte", "MByte", "GByte", "TByte")
_BIT = ("bit", "Kbit", "Mbit", "Gbit", "Tbit")
SEPARATOR = "- - - - - - - - - - - - - - - - - - - - - - - - -"


def unit(value: float, bits: bool) -> str:
    """``unit_snprintf`` in adaptive mode: 'a' (bits, value in bytes) or 'A' (bytes)."""
    n = value * 8 if bits else value
    base = 1000.0 if bits else 1024.0
    conv = 0
    while n >= base and conv < 4:
        n /= base
        conv += 1
    fmt = "%4.2f %s" if n < 9.995 else "%4.1f %s" if n < 99.95 else "%4.0f %s"
    return fmt % (n, (_BIT if bits else _BYTE)[conv])


@dataclass(slots=True)
class RunFigures:
    """Everything the report prints (totals over the whole ``time``, modelled)."""

    tcp: bool
    src: str
    dst: str
    sport: int
    dport: int
    time_s: float
    blksize: int
    sent_bytes: int
    recv_bytes: int
    retransmits: int = 0
    cwnd_bytes: int = 0
    rtt_us: float = 0.0
    packets: int = 0
    lost: int = 0
    jitter_ms: float = 0.0
    out_of_order: int = 0
    host_cpu: float = 0.0  # percent
    remote_cpu: float = 0.0
    notes: list[str] = field(default_factory=list)
    modelled: dict[str, Any] = field(default_factory=dict)


def _intervals(t: float) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    s = 0.0
    while s < t - 1e-9:
        e = min(t, s + 1.0)
        out.append((s, e))
        s = e
    return out


def render_text(f: RunFigures) -> str:
    lines = [f"Connecting to host {f.dst}, port {f.dport}",
             f"[  5] local {f.src} port {f.sport} connected to {f.dst} port {f.dport}"]
    spans = _intervals(f.time_s)
    if f.tcp:
        lines.append("[ ID] Interval           Transfer     Bitrate         Retr  Cwnd")
    else:
        lines.append("[ ID] Interval           Transfer     Bitrate         Total Datagrams")
    for s, e in spans:
        frac = (e - s) / f.time_s
        b = f.sent_bytes * frac
        rate = unit(b / (e - s), True)
        if f.tcp:
            retr = round(f.retransmits * frac)
            lines.append(f"[  5] {s:6.2f}-{e:<6.2f} sec  {unit(b, False)}s  {rate}s/sec  "
                         f"{retr:3d}   {unit(f.cwnd_bytes, False)}s       ")
        else:
            lines.append(f"[  5] {s:6.2f}-{e:<6.2f} sec  {unit(b, False)}s  {rate}s/sec  "
                         f"{round(f.packets * frac)}  ")
    lines.append(SEPARATOR)
    t = f.time_s
    sent = f"{unit(f.sent_bytes, False)}s  {unit(f.sent_bytes / t, True)}s/sec"
    recv = f"{unit(f.recv_bytes, False)}s  {unit(f.recv_bytes / t, True)}s/sec"
    if f.tcp:
        lines.append("[ ID] Interval           Transfer     Bitrate         Retr")
        lines.append(f"[  5] {0:6.2f}-{t:<6.2f} sec  {sent}  {f.retransmits:3d}"
                     "             sender")
        lines.append(f"[  5] {0:6.2f}-{t:<6.2f} sec  {recv}                  receiver")
    else:
        lines.append("[ ID] Interval           Transfer     Bitrate         Jitter    "
                     "Lost/Total Datagrams")
        pct = 100.0 * f.lost / f.packets if f.packets else 0.0
        lines.append(f"[  5] {0:6.2f}-{t:<6.2f} sec  {sent}  {0:5.3f} ms  "
                     f"0/{f.packets} (0%)  sender")
        lines.append(f"[  5] {0:6.2f}-{t:<6.2f} sec  {recv}  {f.jitter_ms:5.3f} ms  "
                     f"{f.lost}/{f.packets} ({pct:.2g}%)  receiver")
    lines += ["", "iperf Done."]
    lines += [f"modelled: {n}" for n in f.notes]
    return "\n".join(lines) + "\n"


def render_json(f: RunFigures) -> dict[str, Any]:
    """iperf3 ``-J``'s document shape, with a ``modelled`` object added."""
    t = f.time_s
    proto = "TCP" if f.tcp else "UDP"
    start: dict[str, Any] = {
        "connected": [{"socket": 5, "local_host": f.src, "local_port": f.sport,
                       "remote_host": f.dst, "remote_port": f.dport}],
        "version": "vnetlab iperf (modelled)",
        "connecting_to": {"host": f.dst, "port": f.dport},
        "test_start": {"protocol": proto, "num_streams": 1, "blksize": f.blksize,
                       "omit": 0, "duration": t, "bytes": 0, "blocks": 0, "reverse": 0},
    }
    sent: dict[str, Any] = {"start": 0, "end": t, "seconds": t, "bytes": f.sent_bytes,
                            "bits_per_second": f.sent_bytes * 8 / t, "sender": True}
    recv: dict[str, Any] = {"start": 0, "end": t, "seconds": t, "bytes": f.recv_bytes,
                            "bits_per_second": f.recv_bytes * 8 / t, "sender": False}
    end: dict[str, Any] = {}
    if f.tcp:
        sent["retransmits"] = f.retransmits
        sender = {"socket": 5, **sent, "max_snd_cwnd": f.cwnd_bytes,
                  "mean_rtt": round(f.rtt_us), "min_rtt": round(f.rtt_us),
                  "max_rtt": round(f.rtt_us)}
        end["streams"] = [{"sender": sender, "receiver": {"socket": 5, **recv}}]
        end["sum_sent"] = sent
        end["sum_received"] = recv
    else:
        pct = 100.0 * f.lost / f.packets if f.packets else 0.0
        udp = {"socket": 5, **sent, "jitter_ms": f.jitter_ms, "lost_packets": f.lost,
               "packets": f.packets, "lost_percent": pct, "out_of_order": f.out_of_order}
        end["streams"] = [{"udp": udp}]
        end["sum"] = {k: v for k, v in udp.items() if k not in ("socket", "out_of_order")}
        end["sum_sent"] = {**sent, "jitter_ms": 0, "lost_packets": 0,
                           "packets": f.packets, "lost_percent": 0}
        end["sum_received"] = {**recv, "jitter_ms": f.jitter_ms, "lost_packets": f.lost,
                               "packets": f.packets - f.lost, "lost_percent": pct}
    end["cpu_utilization_percent"] = {"host_total": f.host_cpu,
                                      "remote_total": f.remote_cpu}
    intervals = []
    for s, e in _intervals(t):
        frac = (e - s) / t
        b = round(f.sent_bytes * frac)
        iv = {"start": s, "end": e, "seconds": e - s, "bytes": b,
              "bits_per_second": b * 8 / (e - s), "omitted": False, "sender": True}
        intervals.append({"streams": [{"socket": 5, **iv}], "sum": iv})
    return {"start": start, "intervals": intervals, "end": end,
            "modelled": {**f.modelled, "notes": list(f.notes)}}
