"""Statistics of repeated measurements: median and spread, percentiles, CDF points.

Design note
-----------
A bench on a shared machine is noisy, so every figure is measured ``--repeat`` times and
reported as the median with its spread (min and max of the runs): the median is what one
run most likely gives, the spread shows how far the others strayed. Latency samples are
kept as distributions: p50/p99 with the nearest-rank method (the value below which that
share of the samples lies, always an observed sample, as ``ping``'s own mdev never is),
and a CDF thinned to at most ``CDF_POINTS`` points for the JSON and the plots.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CDF_POINTS = 200


@dataclass(frozen=True, slots=True)
class Summary:
    median: float
    lo: float
    hi: float
    n: int

    def to_json(self) -> dict[str, float | int]:
        return {"median": self.median, "min": self.lo, "max": self.hi, "n": self.n}

    @property
    def spread_percent(self) -> float:
        """(max - min) / median in percent (0 for a single run)."""
        return 100.0 * (self.hi - self.lo) / self.median if self.median else 0.0


def summarize(values: Iterable[float]) -> Summary | None:
    """Median and spread of the runs' values (None when no run produced one)."""
    vals = sorted(v for v in values if v is not None and not math.isnan(v))
    if not vals:
        return None
    return Summary(statistics.median(vals), vals[0], vals[-1], len(vals))


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile ``p`` (0 < p <= 100) of the samples."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 < p <= 100:
        raise ValueError(f"percentile {p} not in (0, 100]")
    ordered = sorted(samples)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[max(0, rank - 1)]


def cdf(samples: Sequence[float], points: int = CDF_POINTS) -> list[tuple[float, float]]:
    """(value, fraction of samples <= value) pairs, at most ``points`` of them, the
    last one at fraction 1.0."""
    ordered = sorted(samples)
    n = len(ordered)
    if n == 0:
        return []
    step = max(1, math.ceil(n / points))
    idx = list(range(step - 1, n, step))
    if idx[-1] != n - 1:
        idx.append(n - 1)
    return [(ordered[i], (i + 1) / n) for i in idx]
