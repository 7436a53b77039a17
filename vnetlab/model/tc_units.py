"""iproute2's unit parsers for ``tc`` (lib/utils_math.c, lib/utils.c, tc/tc_core.c).

Design note
-----------
Rates (``1mbit`` → bytes/s), sizes (``10k``, ``32kbit``), times (``40ms`` → usec),
percentages (``1%`` → a u32-scaled probability) and psched ticks exactly as iproute2
converts them, so the numbers a lab's ``tc`` line produces are the ones the real ``tc``
would send to the kernel. Each returns None where iproute2 refuses the word.
"""

from __future__ import annotations

import math
import re

UINT32_MAX = 0xFFFFFFFF
TIME_UNITS_PER_SEC = 1_000_000
#: /proc/net/psched here: t2us 1000, us2t 64 -> a tick is 64 ns, 15.625 ticks per usec
TICK_IN_USEC = 1000 / 64


# -- iproute2's unit parsers (lib/utils_math.c, lib/utils.c) ---------------------------------
_NUM = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_RATE_SUFFIXES = {
    "bit": 1.0, "kibit": 1024.0, "kbit": 1000.0, "mibit": 1024.0**2, "mbit": 1e6,
    "gibit": 1024.0**3, "gbit": 1e9, "tibit": 1024.0**4, "tbit": 1e12,
    "bps": 8.0, "kibps": 8.0 * 1024, "kbps": 8000.0, "mibps": 8.0 * 1024**2, "mbps": 8e6,
    "gibps": 8.0 * 1024**3, "gbps": 8e9, "tibps": 8.0 * 1024**4, "tbps": 8e12,
}


def _strtod(s: str) -> tuple[float, str] | None:
    m = _NUM.match(s)
    if m is None:
        return None
    v = float(m[1])
    if not math.isfinite(v) or abs(v) > 1e30:
        return None  # strtod's ERANGE (HUGE_VAL): every caller refuses it
    return v, s[m.end():]


def get_rate64(s: str) -> int | None:
    """``get_rate64``: bytes per second, or None when tc would refuse it."""
    p = _strtod(s)
    if p is None or p[0] < 0:
        return None
    bps, rest = p
    if rest:
        scale = _RATE_SUFFIXES.get(rest.lower())
        if scale is None:
            return None
        bps *= scale
    return int(bps / 8)


def get_size64(s: str) -> int | None:
    """``get_size64``: bytes (k/kb = 1024, kbit = 128 ...)."""
    p = _strtod(s)
    if p is None or p[0] < 0:
        return None
    sz, rest = p
    scale = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2,
             "g": 1024**3, "gb": 1024**3, "gbit": 1024**3 // 8, "mbit": 1024**2 // 8,
             "kbit": 1024 // 8}.get(rest.lower())
    if scale is None:
        return None
    sz *= scale
    if sz != math.floor(sz) or sz > 2**64 - 1:
        return None
    return int(sz)


def get_size(s: str) -> int | None:
    v = get_size64(s)
    return None if v is None or v > UINT32_MAX else v


def get_time(s: str) -> int | None:
    """``get_time``: microseconds (a bare number is microseconds)."""
    p = _strtod(s)
    if p is None or p[0] < 0:
        return None
    t, rest = p
    r = rest.lower()
    if r in ("s", "sec", "secs"):
        t *= TIME_UNITS_PER_SEC
    elif r in ("ms", "msec", "msecs"):
        t *= TIME_UNITS_PER_SEC / 1000
    elif r in ("us", "usec", "usecs"):
        pass
    elif r:
        return None
    return int(t) if t <= UINT32_MAX else None


def time2tick(usec: int) -> int:
    """``tc_core_time2tick``."""
    return int(usec * TICK_IN_USEC) & UINT32_MAX


def tick2time(tick: int) -> int:
    """``tc_core_tick2time``: ticks -> usec."""
    return int(tick / TICK_IN_USEC)


def calc_xmittime(rate: int, size: int) -> int:
    """``tc_calc_xmittime``: ticks to send ``size`` bytes at ``rate`` bytes/s."""
    usec = int(TIME_UNITS_PER_SEC * (size / rate)) & UINT32_MAX
    return min(time2tick(usec), UINT32_MAX)


def calc_xmitsize(rate: int, ticks: int) -> int:
    """``tc_calc_xmitsize``: the bytes ``rate`` sends in ``ticks``."""
    return int(rate * tick2time(ticks) / TIME_UNITS_PER_SEC)


def parse_percent(s: str) -> float | None:
    """``parse_percent``: ``1%`` or ``1`` -> 0.01; None when tc refuses it."""
    p = _strtod(s)
    if p is None:
        return None
    v = p[0] / 100.0
    if v > 1.0 or v < 0.0 or p[1] not in ("", "%"):
        return None
    return v


def set_percent(p: float) -> int:
    """``set_percent``: a fraction scaled to u32 (rint rounds half to even, as C does)."""
    return int(round(p * UINT32_MAX))


def get_percent(s: str) -> int | None:
    p = parse_percent(s)
    return None if p is None else set_percent(p)


def is_number(w: str) -> bool:
    return bool(w) and w[0].isdigit()


def matches(word: str, full: str) -> bool:
    """iproute2's ``matches``: ``word`` is a non-empty prefix of ``full``."""
    return bool(word) and full.startswith(word)


class TcError(Exception):
    """What ``tc`` prints when it refuses a command (stderr lines), and its exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# -- the qdiscs' options ----------------------------------------------------------------------
