"""Reading each policy's law of S off its grid: quantiles, refinements, tail and limited means, compiled.

The aggregate (models/pricing/aggregate.py) holds, for every policy of a
batch, the pmf of S on k h (k < m) and its cdf, one row a policy. What it
reads off them (the quantile, E[min(S, cap)], the discrete severity's mean)
was a dozen small numpy calls a policy and a probability, a Python loop over
the rows around them: a tenth of a quote's engine time (issue 13). Here each
is one compiled loop over all rows, each row on its own, so a policy's
numbers do not depend on the batch it is priced in.

The rules are those the aggregate's docstring states; the sums run in the
order of the grid (left to right). tests/models/pricing/test_grid_reading.py
holds them to numpy's searchsorted and dot products.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@numba.njit(cache=True, nogil=True)
def _limited_mean(pmf: FloatArray, i: int, h: float, cap: float) -> float:
    """E[min(S, cap)] of row i: the grid's mass below the cap, the rest at the cap, left to right."""
    below = 0.0
    mass = 0.0
    for k in range(pmf.shape[1]):
        below += min(h * k, cap) * pmf[i, k]
        mass += pmf[i, k]
    return below + cap * (1.0 - mass)


@numba.njit("float64[:](float64[:, :], float64[:])", cache=True, nogil=True)
def grid_means(pmf: FloatArray, h: FloatArray) -> FloatArray:
    """Per row, sum_j j h pmf_j: the mean of a pmf on the grid 0, h, 2h, ..."""
    rows, points = pmf.shape
    out = np.empty(rows)
    for i in range(rows):
        total = 0.0
        for j in range(points):
            total += h[i] * j * pmf[i, j]
        out[i] = total
    return out


@numba.njit(
    "float64[:](float64[:, :], float64[:], float64, float64[:], int64[:])", cache=True, nogil=True
)
def quantiles(
    cdf: FloatArray, h: FloatArray, p: float, span: FloatArray, rows: npt.NDArray[np.int64]
) -> FloatArray:
    """The smallest x with P(S <= x) >= p of each of ``rows``, reading cdf[k] as P(S <= (k + 1/2) h).

    Linear in the cdf between grid points; ``span`` where the grid's mass
    never reaches p (the rest of the law lies at or above the span). Rows
    not asked for get 0.
    """
    points = cdf.shape[1]
    out = np.zeros(cdf.shape[0])
    for i in rows:
        k = 0
        while k < points and cdf[i, k] < p:  # numpy's searchsorted(cdf, p) on a sorted cdf
            k += 1
        if k >= points:
            out[i] = span[i]
            continue
        below = cdf[i, k - 1] if k > 0 else 0.0
        fraction = (p - below) / (cdf[i, k] - below)
        out[i] = min(max((k - 0.5 + fraction) * h[i], 0.0), span[i])
    return out


@numba.njit(
    "float64[:](int64[:], float64[:], float64[:], float64[:], float64[:])", cache=True, nogil=True
)
def refined_spans(
    rows: npt.NDArray[np.int64], q: FloatArray, h: FloatArray, span: FloatArray, limit: FloatArray
) -> FloatArray:
    """For each of ``rows``, the shorter span its quantile q needs, or 0 where its grid will do.

    q >= span only when span = L (the atom at the limit); a span of
    min(L, q + 4 h) no more than half the current one means the current step
    h is over ~1/120 of q: the law is computed again on that span.
    """
    out = np.zeros(len(rows))
    for k in range(len(rows)):
        i = rows[k]
        shorter = min(limit[i], q[i] + 4.0 * h[i])
        if q[i] < span[i] and shorter <= 0.5 * span[i]:
            out[k] = shorter
    return out


@numba.njit(
    "float64[:](float64[:, :], float64[:], float64[:], float64[:], float64[:], float64)",
    cache=True,
    nogil=True,
)
def tail_means(
    pmf: FloatArray,
    h: FloatArray,
    q: FloatArray,
    expected: FloatArray,
    no_claim: FloatArray,
    p: float,
) -> FloatArray:
    """TVaR_p = q + E[(min(S, L) - q)+] / (1 - p) of each row, from its VaR_p q.

    E[(min(S, L) - q)+] = E[min(S, L)] - E[min(S, q)], floored at 0 (the
    grid's round-off); where no claim at all is at least as likely as p
    (P(N = 0) = ``no_claim`` >= p) the quantile is 0 and TVaR_p = E / (1 - p).
    """
    out = np.empty(pmf.shape[0])
    for i in range(pmf.shape[0]):
        if no_claim[i] >= p:
            out[i] = expected[i] / (1.0 - p)
            continue
        at_q = _limited_mean(pmf, i, h[i], q[i])
        out[i] = q[i] + max(expected[i] - at_q, 0.0) / (1.0 - p)
    return out


@numba.njit("float64[:](float64[:, :], float64[:], float64[:])", cache=True, nogil=True)
def limited_means(pmf: FloatArray, h: FloatArray, cap: FloatArray) -> FloatArray:
    """Per row, E[min(S, cap)] from the pmf of S on k h, k < m; the rest lies at or above cap."""
    out = np.empty(pmf.shape[0])
    for i in range(pmf.shape[0]):
        out[i] = _limited_mean(pmf, i, h[i], cap[i])
    return out
