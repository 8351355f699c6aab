"""Reading each policy's law of S off its grid: quantiles and limited means, compiled.

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


@numba.njit("float64[:](float64[:, :], float64[:], float64, float64[:])", cache=True, nogil=True)
def quantiles(cdf: FloatArray, h: FloatArray, p: float, span: FloatArray) -> FloatArray:
    """Per row, the smallest x with P(S <= x) >= p, reading cdf[k] as P(S <= (k + 1/2) h).

    Linear in the cdf between grid points; ``span`` where the grid's mass
    never reaches p (the rest of the law lies at or above the span).
    """
    rows, points = cdf.shape
    out = np.empty(rows)
    for i in range(rows):
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


@numba.njit("float64[:](float64[:, :], float64[:], float64[:])", cache=True, nogil=True)
def limited_means(pmf: FloatArray, h: FloatArray, cap: FloatArray) -> FloatArray:
    """Per row, E[min(S, cap)] from the pmf of S on k h, k < m; the rest lies at or above cap."""
    rows, points = pmf.shape
    out = np.empty(rows)
    for i in range(rows):
        below = 0.0
        mass = 0.0
        for k in range(points):
            below += min(h[i] * k, cap[i]) * pmf[i, k]
            mass += pmf[i, k]
        out[i] = below + cap[i] * (1.0 - mass)
    return out


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
