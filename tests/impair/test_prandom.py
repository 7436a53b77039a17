"""netem's random numbers: the kernel's generator, correlation and distribution tables."""

from __future__ import annotations

import statistics

import pytest

from vnetlab.sim.sched.prandom import (
    NETEM_DIST_SCALE,
    CrndState,
    Prandom,
    _seed,
    dist_table,
    get_crandom,
    tabledist,
)

_M32 = 0xFFFFFFFF


def _very_weak(seed: int) -> Prandom:
    """lib/random32.c's self-test seeding (``prandom_seed_very_weak`` + warm-up)."""
    p = Prandom(0)
    p.s1 = _seed((seed * 69069) & _M32, 2)
    p.s2 = _seed((p.s1 * 69069) & _M32, 8)
    p.s3 = _seed((p.s2 * 69069) & _M32, 16)
    p.s4 = _seed((p.s3 * 69069) & _M32, 128)
    for _ in range(10):
        p.u32()
    return p


@pytest.mark.parametrize(("seed", "result"), [
    (1, 3484351685), (2, 2623130059), (3, 3125133893), (4, 984847254)])
def test_the_kernels_seed_boundary_self_test(seed: int, result: int) -> None:
    assert _very_weak(seed).u32() == result


@pytest.mark.parametrize(("seed", "iteration", "result"), [
    (931557656, 959, 2975593782), (1339693295, 876, 3887776532),
    (407983964, 921, 728767059), (1986257729, 931, 935013962)])
def test_the_kernels_taus113_vectors_from_gsl(seed: int, iteration: int, result: int) -> None:
    p = _very_weak(seed)
    for _ in range(iteration - 1):
        p.u32()
    assert p.u32() == result


def test_correlation_mixes_in_the_last_value() -> None:
    p = Prandom(99)
    free = CrndState(0, p)
    xs = [get_crandom(free, p) for _ in range(20000)]
    tied = CrndState(round(0.9 * _M32), p)
    ys = [get_crandom(tied, p) for _ in range(20000)]
    step_x = statistics.mean(abs(a - b) for a, b in zip(xs, xs[1:], strict=False))
    step_y = statistics.mean(abs(a - b) for a, b in zip(ys, ys[1:], strict=False))
    assert step_y < step_x / 5  # 90 % correlation: consecutive values stay close


def test_distribution_tables_as_iproute2_generates_them() -> None:
    for name in ("normal", "pareto", "paretonormal"):
        t = dist_table(name)
        assert len(t) == 4096
        assert all(-32768 <= v <= 32767 for v in t)
        assert list(t) == sorted(t)  # an inverse CDF
    normal = dist_table("normal")
    # a standard normal in units of NETEM_DIST_SCALE: mean 0, deviation 8192
    assert abs(statistics.mean(normal)) < 50
    assert statistics.pstdev(normal) == pytest.approx(NETEM_DIST_SCALE, rel=0.02)
    assert normal[2048] == 0
    assert dist_table("pareto")[0] == round((1.0 - 1.5) * 4 / 3 * NETEM_DIST_SCALE)


def test_tabledist_uniform_and_normal() -> None:
    p = Prandom(7)
    st = CrndState(0, p)
    mu, sigma = 40_000_000, 5_000_000
    u = [tabledist(mu, sigma, st, p, None) for _ in range(20000)]
    assert min(u) >= mu - sigma and max(u) < mu + sigma
    assert statistics.mean(u) == pytest.approx(mu, rel=0.005)
    n = [tabledist(mu, sigma, st, p, dist_table("normal")) for _ in range(20000)]
    assert statistics.mean(n) == pytest.approx(mu, rel=0.005)
    assert statistics.pstdev(n) == pytest.approx(sigma, rel=0.03)
    assert tabledist(mu, 0, st, p, None) == mu
