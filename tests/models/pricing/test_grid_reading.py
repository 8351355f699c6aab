"""What the aggregate reads off each policy's grid (models/pricing/grid_reading.py).

Oracles: numpy's ``searchsorted`` on each row's cdf with the interpolation
rule of the aggregate's docstring (P(S <= (k + 1/2) h) at cdf[k], linear
between), and numpy's dot products for the limited mean and the grid mean
(the kernels sum left to right: agreement to 1e-13 relative). A row's
numbers must not depend on the other rows it is read with: a batch item
equals its single quote bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.pricing import grid_reading

M = 256


def _laws(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded pmfs on M points (some with mass left above the grid, one a single atom)."""
    rng = np.random.default_rng(seed)
    pmf = rng.gamma(0.3, 1.0, (rows, M)) * (rng.random((rows, M)) < 0.7)
    pmf /= pmf.sum(axis=1, keepdims=True) / rng.uniform(0.5, 1.0, (rows, 1))  # mass <= 1
    pmf[0] = 0.0
    pmf[0, 0] = 1.0  # all mass at 0: every quantile is at most h / 2
    cdf = np.cumsum(pmf, axis=1)
    h = rng.uniform(1e2, 1e6, rows)
    return pmf, cdf, h


def _reference_quantile(cdf: np.ndarray, h: float, p: float, span: float) -> float:
    k = int(np.searchsorted(cdf, p))
    if k >= len(cdf):
        return span
    below = cdf[k - 1] if k > 0 else 0.0
    return float(min(max((k - 0.5 + (p - below) / (cdf[k] - below)) * h, 0.0), span))


@pytest.mark.parametrize("p", [1e-9, 0.3, 0.9, 0.99, 0.995, 0.999999])
def test_quantiles_are_the_interpolated_searchsorted_of_each_row(p: float) -> None:
    _, cdf, h = _laws(40, seed=1)
    span = h * M
    got = grid_reading.quantiles(cdf, h, p, span, np.arange(len(h)))
    want = [_reference_quantile(cdf[i], h[i], p, span[i]) for i in range(len(h))]
    np.testing.assert_array_equal(got, want)  # the same steps: the same bits
    beyond = cdf[:, -1] < p  # mass left above the grid: the quantile is the span
    assert np.all(got[beyond] == span[beyond])
    some = np.array([3, 0, 17])  # rows not asked for get 0
    picked = grid_reading.quantiles(cdf, h, p, span, some)
    assert np.all(picked[some] == got[some]) and np.count_nonzero(np.delete(picked, some)) == 0


def test_a_cdf_that_reaches_p_exactly_takes_that_grid_point() -> None:
    cdf = np.array([[0.25, 0.5, 0.5, 0.75, 1.0]])
    h, span, row = np.array([10.0]), np.array([50.0]), np.zeros(1, dtype=np.int64)
    # P(S <= (k + 1/2) h) = cdf[k]: 0.5 is first reached at k = 1, i.e. at 15
    assert grid_reading.quantiles(cdf, h, 0.5, span, row)[0] == pytest.approx(15.0)
    assert grid_reading.quantiles(cdf, h, 0.125, span, row)[0] == pytest.approx(0.0)  # at 0


def test_limited_and_grid_means_are_the_dot_products() -> None:
    pmf, _, h = _laws(40, seed=2)
    rng = np.random.default_rng(3)
    cap = h * rng.uniform(0.0, 1.5 * M, len(h))
    limited = grid_reading.limited_means(pmf, h, cap)
    means = grid_reading.grid_means(pmf, h)
    for i in range(len(h)):
        grid = h[i] * np.arange(M)
        want = np.dot(np.minimum(grid, cap[i]), pmf[i]) + cap[i] * (1.0 - pmf[i].sum())
        assert limited[i] == pytest.approx(want, rel=1e-13, abs=1e-9)
        assert means[i] == pytest.approx(np.dot(grid, pmf[i]), rel=1e-13, abs=1e-9)
    # a cap at 0 pays nothing; a cap past the grid with all mass on it is the mean
    assert grid_reading.limited_means(pmf[:1], h[:1], np.zeros(1))[0] == 0.0
    full = pmf[5:6] / pmf[5].sum()
    assert grid_reading.limited_means(full, h[5:6], h[5:6] * 2 * M)[0] == pytest.approx(
        grid_reading.grid_means(full, h[5:6])[0], rel=1e-14
    )


def test_each_row_reads_the_same_alone_as_in_a_batch() -> None:
    pmf, cdf, h = _laws(30, seed=4)
    span, cap = h * M, h * 40.0
    every = np.arange(len(h))
    batch = (
        grid_reading.quantiles(cdf, h, 0.99, span, every),
        grid_reading.limited_means(pmf, h, cap),
        grid_reading.grid_means(pmf, h),
    )
    for i in (0, 7, 29):
        one = slice(i, i + 1)
        alone = grid_reading.quantiles(cdf[one], h[one], 0.99, span[one], np.zeros(1, np.int64))
        assert alone[0] == batch[0][i]
        assert grid_reading.limited_means(pmf[one], h[one], cap[one])[0] == batch[1][i]
        assert grid_reading.grid_means(pmf[one], h[one])[0] == batch[2][i]


def test_a_span_is_refined_when_its_quantile_needs_less_than_half_of_it() -> None:
    """The rule of the aggregate: shorter = min(L, q + 4 h), refined when q < span and
    shorter <= span / 2 (the step is then over ~1/120 of q)."""
    q = np.array([10.0, 40.0, 100.0, 5.0, 3.0])
    h = np.array([1.0, 1.0, 1.0, 1.0, 1.0])
    span = np.array([256.0, 256.0, 100.0, 256.0, 256.0])
    limit = np.array([256.0, 256.0, 100.0, 6.0, 256.0])
    rows = np.array([0, 1, 2, 3])  # row 4 is not pending
    got = grid_reading.refined_spans(rows, q, h, span, limit)
    # 14 <= 128; 44 <= 128; q at the span (the limit's atom): never; the limit caps at 6
    np.testing.assert_array_equal(got, [14.0, 44.0, 0.0, 6.0])
    q[1] = 125.0  # 129 > 128: the current grid will do
    assert grid_reading.refined_spans(rows[1:2], q, h, span, limit)[0] == 0.0


def test_tail_means_are_the_var_plus_the_mean_excess_over_it() -> None:
    """Oracle: q + (E[min(S, L)] - E[min(S, q)]) / (1 - p), E[min(S, q)] by numpy's dot;
    where P(N = 0) >= p, E / (1 - p)."""
    pmf, cdf, h = _laws(12, seed=5)
    p = 0.99
    q = grid_reading.quantiles(cdf, h, p, h * M, np.arange(len(h)))
    expected = grid_reading.limited_means(pmf, h, h * M) * 1.01
    no_claim = np.where(np.arange(len(h)) % 4 == 0, 0.995, 0.2)
    got = grid_reading.tail_means(pmf, h, q, expected, no_claim, p)
    for i in range(len(h)):
        if no_claim[i] >= p:
            assert got[i] == expected[i] / (1 - p)
            continue
        grid = h[i] * np.arange(M)
        at_q = np.dot(np.minimum(grid, q[i]), pmf[i]) + q[i] * (1.0 - pmf[i].sum())
        want = q[i] + max(expected[i] - at_q, 0.0) / (1 - p)
        assert got[i] == pytest.approx(want, rel=1e-12)
        assert got[i] >= q[i]
