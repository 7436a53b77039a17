"""netem's random numbers: the kernel's seeded PRNG, correlation and distribution tables.

Design note
-----------
``Prandom`` is ``lib/random32.c``'s ``prandom_u32_state`` (the LFSR113 Tausworthe
generator) seeded by ``prandom_seed_state`` from a u64, which is what a netem qdisc uses
since TCA_NETEM_PRNG_SEED (Linux 6.2): given the same seed, the same u32 stream as the
kernel's. ``CrndState`` is sch_netem.c's ``crndstate`` and ``get_crandom`` its
correlation (the new value is a weighted mix of a fresh one and the last). One
difference, on purpose: the kernel starts ``last`` and picks the corrupted bit with
``get_random_u32`` (not seeded); here they come from the qdisc's own stream, so a run is
reproducible byte for byte.

The distribution tables are computed the way iproute2's ``netem/normal.c``,
``pareto.c`` and ``paretonormal.c`` generate ``/usr/lib/tc/*.dist`` (4096 s16 values in
units of NETEM_DIST_SCALE); ``experimental`` is a data file there and is refused here.
"""

from __future__ import annotations

import math
from functools import cache

NETEM_DIST_SCALE = 8192
_TABLESIZE = 16384
_M32 = 0xFFFFFFFF
_SHRT_MIN, _SHRT_MAX = -32768, 32767


def _seed(x: int, m: int) -> int:
    return x + m if x < m else x


class Prandom:
    """``struct rnd_state`` with ``prandom_seed_state`` / ``prandom_u32_state``."""

    __slots__ = ("s1", "s2", "s3", "s4")

    def __init__(self, seed: int) -> None:
        i = ((seed >> 32) ^ (seed << 10) ^ seed) & _M32
        self.s1 = _seed(i, 2)
        self.s2 = _seed(i, 8)
        self.s3 = _seed(i, 16)
        self.s4 = _seed(i, 128)

    def u32(self) -> int:
        s1, s2, s3, s4 = self.s1, self.s2, self.s3, self.s4
        s1 = (((s1 & 4294967294) << 18) & _M32) ^ ((((s1 << 6) & _M32) ^ s1) >> 13)
        s2 = (((s2 & 4294967288) << 2) & _M32) ^ ((((s2 << 2) & _M32) ^ s2) >> 27)
        s3 = (((s3 & 4294967280) << 7) & _M32) ^ ((((s3 << 13) & _M32) ^ s3) >> 21)
        s4 = (((s4 & 4294967168) << 13) & _M32) ^ ((((s4 << 3) & _M32) ^ s4) >> 12)
        self.s1, self.s2, self.s3, self.s4 = s1, s2, s3, s4
        return s1 ^ s2 ^ s3 ^ s4

    def below(self, n: int) -> int:
        """``get_random_u32_below`` (from this stream: see the module note)."""
        return (self.u32() * n) >> 32


class CrndState:
    """``struct crndstate``: the correlation ``rho`` (u32-scaled) and the last value."""

    __slots__ = ("rho", "last")

    def __init__(self, rho: int, prng: Prandom) -> None:
        self.rho = rho
        self.last = prng.u32()  # init_crandom


def get_crandom(state: CrndState, prng: Prandom) -> int:
    """``get_crandom``: a u32, correlated with the previous one by ``rho``."""
    if state.rho == 0:
        return prng.u32()
    value = prng.u32()
    rho = state.rho + 1
    answer = (value * ((1 << 32) - rho) + state.last * rho) >> 32
    state.last = answer
    return answer


def _normal_cdf_table() -> list[float]:
    """normal.c: the inverse CDF sampled at TABLESIZE points, by scanning x upwards."""
    table = [0.0] * (_TABLESIZE + 1)
    x = -10.0
    sq2 = math.sqrt(2.0)
    while x < 10.05:
        i = int(round(_TABLESIZE * (0.5 + 0.5 * math.erf(x / sq2))))
        table[i] = x
        x += 0.00005
    return table


def _clip(v: int) -> int:
    return max(_SHRT_MIN, min(_SHRT_MAX, v))


def _pareto_value(i: int) -> int:
    d = 1.0 / math.pow(i / 65536.0, 1.0 / 3.0)
    d = (d - 1.5) * (4.0 / 3.0) * NETEM_DIST_SCALE
    return int(round(min(d, 32767.0)))


@cache
def dist_table(name: str) -> tuple[int, ...]:
    """The s16 table tc would load from ``NAME.dist`` (4096 entries)."""
    if name == "pareto":
        return tuple(_pareto_value(i) for i in range(65536, 0, -16))
    normal = _normal_cdf_table()
    if name == "normal":
        return tuple(_clip(int(round(normal[i] * NETEM_DIST_SCALE)))
                     for i in range(0, _TABLESIZE, 4))
    if name == "paretonormal":
        out = []
        for i in range(0, _TABLESIZE, 4):
            nv = int(round(normal[i] * NETEM_DIST_SCALE))
            pv = _pareto_value(65536 - 4 * i)
            s = nv + 3 * pv
            out.append(_clip(int(s / 4)))  # C integer division truncates toward zero
        return tuple(out)
    raise KeyError(name)


def tabledist(mu: int, sigma: int, state: CrndState, prng: Prandom,
              dist: tuple[int, ...] | None) -> int:
    """``tabledist``: a delay around ``mu`` with spread ``sigma`` (ns)."""
    if sigma == 0:
        return mu
    rnd = get_crandom(state, prng)
    if dist is None:  # the default: uniform over [mu - sigma, mu + sigma)
        return ((rnd % (2 * sigma)) + mu) - sigma
    t = dist[rnd % len(dist)]
    x = (sigma % NETEM_DIST_SCALE) * t
    x = x + NETEM_DIST_SCALE // 2 if x >= 0 else x - NETEM_DIST_SCALE // 2
    return int(x / NETEM_DIST_SCALE) + (sigma // NETEM_DIST_SCALE) * t + mu
