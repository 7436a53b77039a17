"""The JSON the CLI's ``--json`` prints, shaped once for every front end.

Design note
-----------
``vnetlab run --json`` and ``vnetlab ping --json`` print these dicts, and the web view
(``vnetlab serve``) answers its requests with the very same ones, so a script written
against one reads the other. The shapes are documented in the README ("JSON output");
``show --json`` is ``LabState.to_json()`` and ``trace --json`` is
``vnetlab.tools.trace_render.trace_json``.
"""

from __future__ import annotations

import math
from typing import Any, TypedDict

from vnetlab.engine import PingResult
from vnetlab.tools.checks import Report

#: the gap between echo requests each engine's ping uses (``time`` of the summary)
PING_INTERVAL_MS = {"sim": 1000, "linux": 200}


def report_json(report: Report, storm: str | None) -> dict[str, Any]:
    """``vnetlab run --json``: the verdicts, with ``index`` the table's 1-based ``#``."""
    return {
        "lab": report.lab, "engine": report.engine, "seed": report.seed, "ok": report.ok,
        "counts": report.counts, "storm": storm,
        "results": [
            {"index": r.index + 1, "kind": r.kind, "subject": r.subject,
             "expected": r.expected, "got": r.got, "status": r.status, "detail": r.detail}
            for r in report.results
        ],
    }


class PingStats(TypedDict):
    transmitted: int
    received: int
    errors: int
    loss_percent: int
    time_ms: int
    rtt_ms: dict[str, float] | None


def ping_stats(r: PingResult, interval_ms: int) -> PingStats:
    """The numbers of the summary. ``time`` is the span of the sends, as iputils reports
    when every reply came: (transmitted - 1) x interval; with losses it adds the one
    reply timeout (1 s) ping waits for the last answer."""
    tx, rx = r.transmitted, r.received
    loss = 0 if tx == 0 else round(100 * (tx - rx) / tx)
    span = max(0, tx - 1) * interval_ms + (0 if rx == tx else 1000)
    rtt: dict[str, float] | None = None
    if r.rtts_ns:
        ms = [x / 1e6 for x in r.rtts_ns]
        avg = sum(ms) / len(ms)
        mdev = math.sqrt(max(0.0, sum(x * x for x in ms) / len(ms) - avg * avg))
        rtt = {"min": min(ms), "avg": avg, "max": max(ms), "mdev": mdev}
    return PingStats(transmitted=tx, received=rx, errors=len(r.errors), loss_percent=loss,
                     time_ms=span, rtt_ms=rtt)


def ping_json(r: PingResult, size: int, interval_ms: int) -> dict[str, object]:
    """``vnetlab ping --json``: the summary plus one entry per reply (``seq`` is
    ``icmp_seq``, 1-based as printed)."""
    replies = [{"seq": i, "time_ms": rtt / 1e6,
                "ttl": r.ttls[i - 1] if i <= len(r.ttls) else None}
               for i, rtt in enumerate(r.rtts_ns, 1)]
    return {"src": r.src, "dst": str(r.dst), "size": size, **ping_stats(r, interval_ms),
            "replies": replies, "error_lines": list(r.errors)}
