"""``tc -j qdisc show`` -> the lab's node-level ``tc:`` lines.

Design note
-----------
A lab carries root qdiscs as the words after ``tc`` (``qdisc add dev wan0 root netem
delay 40ms 5ms loss 1%``; vnetlab.model.tc). The JSON iproute2 prints for a qdisc
(``print_qdisc`` + the kind's ``print_opt``: q_netem.c ``netem_print_opt``, q_tbf.c
``tbf_print_opt``, q_htb.c ``htb_print_opt``) holds the same values in other units: netem
times in seconds and probabilities as fractions of 1, tbf's rate in bytes/s, its burst in
bytes and its latency in microseconds. Each decoder writes them back in units tc parses
exactly (``us``, ``bps``, ``b``, ``%``), and the line goes through the model's own
check, so what it refuses is said rather than carried.

What is not carried, and said: qdiscs that are not root (classful trees, ``tc class``,
``tc filter``), kinds the lab format has no model of, netem's random state (the kernel
seeds it from ``get_random_u32``; a netem ``seed`` option, when printed, is carried). The
kernel's own defaults (noqueue, pfifo_fast, mq and its per-queue children, ingress and
clsact made by hand are not defaults and are said) are what a lab makes by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: what the kernel attaches by itself (``dev_activate``: noqueue for queueless devices,
#: pfifo_fast / mq for the rest): a lab makes them again
DEFAULT_KINDS = frozenset({"noqueue", "pfifo_fast", "mq", "fq_codel", "noop"})


def _num(v: Any) -> float:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else 0.0


def _g(x: float) -> str:
    """A number as tc parses it back (no exponent, no trailing zeros)."""
    s = f"{x:.6f}".rstrip("0").rstrip(".")
    return s or "0"


def _us(seconds: Any) -> str:
    return f"{_g(_num(seconds) * 1e6)}us"


def _pct(fraction: Any) -> str:
    return f"{_g(_num(fraction) * 100)}%"


def _netem(o: dict[str, Any]) -> str:
    """``netem_print_opt``'s JSON -> netem's words (``netem_parse_opt`` reads them)."""
    words = []
    d = o.get("delay") if isinstance(o.get("delay"), dict) else None
    if d and _num(d.get("delay")):
        words += ["delay", _us(d.get("delay"))]
        if _num(d.get("jitter")):
            words.append(_us(d.get("jitter")))
            if _num(d.get("correlation")):
                words.append(_pct(d.get("correlation")))
    lr = o.get("loss-random")
    if isinstance(lr, dict) and _num(lr.get("loss")):
        words += ["loss", _pct(lr["loss"])]
        if _num(lr.get("correlation")):
            words.append(_pct(lr["correlation"]))
    ls = o.get("loss-state")
    if isinstance(ls, dict):
        words += ["loss", "state"] + [w for k in ("p13", "p31", "p32", "p23", "p14")
                                      for w in (_pct(ls.get(k)),)]
    ge = o.get("loss-gemodel")
    if isinstance(ge, dict):
        words += ["loss", "gemodel", _pct(ge.get("p")), _pct(ge.get("r")),
                  _pct(ge.get("1-h")), _pct(ge.get("1-k"))]
    for key in ("duplicate", "reorder", "corrupt"):
        v = o.get(key)
        if isinstance(v, dict) and _num(v.get(key)):
            words += [key, _pct(v[key])]
            if _num(v.get("correlation")):
                words.append(_pct(v["correlation"]))
    if _num(o.get("gap")):
        words += ["gap", str(int(_num(o["gap"])))]
    r = o.get("rate")
    if isinstance(r, dict) and _num(r.get("rate")):
        words += ["rate", f"{int(_num(r['rate']))}bps"]
        # positional (netem_parse_opt): PACKETOVERHEAD [CELLSIZE [CELLOVERHEAD]]
        extra = [int(_num(r.get(k))) for k in ("packetoverhead", "cellsize", "celloverhead")]
        while extra and not extra[-1]:
            extra.pop()
        words += [str(x) for x in extra]
    s = o.get("slot")
    if isinstance(s, dict):
        words += ["slot", _us(s.get("min-delay")), _us(s.get("max-delay"))]
        for key in ("packets", "bytes"):
            if _num(s.get(key)):
                words += [key, str(int(_num(s[key])))]
    if o.get("ecn") is True:
        words.append("ecn")
    if isinstance(o.get("seed"), int):
        words += ["seed", str(o["seed"])]
    if isinstance(o.get("limit"), int) and o["limit"] != 1000:
        words += ["limit", str(o["limit"])]
    return " ".join(words)


def _tbf(o: dict[str, Any]) -> str:
    """``tbf_print_opt``'s JSON -> tbf's words."""
    words = ["rate", f"{int(_num(o.get('rate')))}bps", "burst", f"{int(_num(o.get('burst')))}b"]
    if _num(o.get("peakrate")):
        words += ["peakrate", f"{int(_num(o['peakrate']))}bps"]
        if _num(o.get("minburst")):
            words += ["mtu", f"{int(_num(o['minburst']))}b"]
    if "lat" in o:
        words += ["latency", f"{int(_num(o['lat']))}us"]
    elif "limit" in o:
        words += ["limit", f"{int(_num(o['limit']))}b"]
    if _num(o.get("overhead")):
        words += ["overhead", str(int(_num(o["overhead"])))]
    return " ".join(words)


def _htb(o: dict[str, Any]) -> str:
    words = []
    if isinstance(o.get("r2q"), int) and o["r2q"] != 10:
        words += ["r2q", str(o["r2q"])]
    if isinstance(o.get("default"), str) and o["default"] not in ("0", "0x0"):
        words += ["default", o["default"].removeprefix("0x")]
    if isinstance(o.get("direct_qlen"), int) and o["direct_qlen"] != 1000:
        words += ["direct_qlen", str(o["direct_qlen"])]
    return " ".join(words)


_DECODERS = {"netem": _netem, "tbf": _tbf, "htb": _htb}


def decode_qdiscs(data: Iterable[Any]) -> tuple[list[str], list[str]]:
    """``tc -j qdisc show`` -> (the ``tc:`` lines, notes on what is not carried)."""
    from vnetlab.model.tc import check_tc_line

    lines: list[str] = []
    notes: list[str] = []
    for q in data:
        if not isinstance(q, dict) or not isinstance(q.get("kind"), str):
            continue
        kind, dev = q["kind"], q.get("dev")
        if not isinstance(dev, str) or kind in DEFAULT_KINDS:
            continue
        if q.get("root") is not True:
            if kind in ("ingress", "clsact"):
                notes.append(f"{dev}: qdisc {kind} not carried (no tc filters in the lab)")
            else:
                notes.append(f"{dev}: qdisc {kind} {q.get('handle', '')} under parent "
                             f"{q.get('parent', '?')} not carried (only root qdiscs)")
            continue
        decoder = _DECODERS.get(kind)
        if decoder is None:
            notes.append(f"{dev}: root qdisc {kind} not carried (the lab has netem, tbf, "
                         "htb)")
            continue
        opts: dict[str, Any] = q["options"] if isinstance(q.get("options"), dict) else {}
        words = decoder(opts)
        line = f"qdisc add dev {dev} root {kind}" + (f" {words}" if words else "")
        try:
            check_tc_line(line)
        except ValueError as e:
            notes.append(f"{dev}: {line}: not carried ({str(e).splitlines()[0]})")
            continue
        lines.append(line)
        if kind == "netem":
            notes.append(f"{dev}: netem's random state is not carried (the lab's seed "
                         "draws its own losses and delays)")
    return lines, notes
