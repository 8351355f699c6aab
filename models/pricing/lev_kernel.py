"""The covered loss's limited expected value on a grid of amounts, compiled.

The aggregate (models/pricing/aggregate.py) evaluates E[min(Z, u)] of each
quoted policy on grids of 257 amounts, for each of 7 causes, about twice a
quote. As a chain of numpy ufuncs over (rows, amounts, causes) that took
~240 us a grid (issue 13): some fifty passes over temporaries, and every
element paid for both the lognormal body and the GPD tail although only one
of them applies to it. Here one loop per element takes the branch it needs:
below the splice threshold t the lognormal's LEV (a log and two normal CDFs),
above it LEV_LN(t) + p_u t LEV_Y((v - t) / t) (a log1p and an expm1).

A stack's constants (weights, fines thresholds, the severities' threshold,
p_u, means) are computed here too, in one pass over (policies, causes):
as some thirty numpy calls on (n, 7) arrays they cost a single quote 145 us,
compiled 24 us (``stack_constants``).

The formulas are those of models/pricing/spliced.py and covered_loss.py,
written out element by element in the same order of operations; the numpy
functions there stay the reference the tests compare this with
(tests/models/pricing/test_lev_kernel.py).

Compiled by numba when this module is imported (an explicit signature), with
the machine code cached beside the source, so a worker's first quote does
not wait for the compiler.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# The columns of a stack's constants, (policies, causes, COLUMNS): see constants().
(
    WEIGHT, OTHER, FINES, INVERSE_TOTAL, INVERSE_OTHER, FINES_AT_CAP, KNEE, COVERED,
    HAS_OTHER, FINES_THRESHOLD, LEV_AT_FINES_THRESHOLD, MU, SIGMA, THRESHOLD, P_U, XI, B,
    LOGNORMAL_MEAN, BODY_AT_THRESHOLD,
) = range(19)  # fmt: skip
COLUMNS = 19

_TINY = 1e-300  # as lognormal.unchecked_lev: log taken at >= 1e-300
_HUGE = 1e300
_SMALL = 1e-5  # as spliced._gpd_logs: |a| below which log1p(a) / a is its series
_SQRT1_2 = 0.7071067811865476


@numba.njit(cache=True, nogil=True)
def _ndtr(x: float) -> float:
    """Phi(x), as scipy.special.ndtr (cephes): erf near 0, erfc in the tails."""
    y = x * _SQRT1_2
    z = abs(y)
    if z < _SQRT1_2:
        return 0.5 + 0.5 * math.erf(y)
    tail = 0.5 * math.erfc(z)
    return 1.0 - tail if y > 0.0 else tail


@numba.njit(cache=True, nogil=True)
def _gpd_log_survival_and_w(y: float, xi: float, b: float) -> tuple[float, float]:
    """spliced._gpd_logs for one y >= 0: (ln P(Y > y), ln (1 + xi y / b) ** (1 - 1/xi))."""
    if math.isinf(y):
        return -math.inf, -math.inf
    a = xi * y / b
    if not a > -1.0:  # past a negative shape's upper end
        return -math.inf, -math.inf
    log1p_a = math.log1p(a)
    ratio = 1.0 - a / 2.0 + a * a / 3.0 if abs(a) < _SMALL else log1p_a / a
    log_survival = -(y / b) * ratio
    return log_survival, log1p_a + log_survival


class _Cause(NamedTuple):
    """One (policy, cause)'s constants as scalars: read once, then used on every amount.

    (Indexing a row of the constants per amount made a numba array view, with
    its reference count taken and dropped, for every element: a fifth of the time.)
    """

    weight: float
    other: float
    fines: float
    inverse_total: float
    inverse_other: float
    fines_at_cap: float
    knee: float
    covered: bool
    has_other: bool
    fines_threshold: float
    lev_at_fines_threshold: float
    mu: float
    sigma: float
    threshold: float
    p_u: float
    xi: float
    b: float
    lognormal_mean: float
    body_at_threshold: float


@numba.njit(cache=True, nogil=True)
def _cause(consts: FloatArray, row: int, k: int) -> _Cause:
    c = consts[row, k]
    return _Cause(
        c[WEIGHT], c[OTHER], c[FINES], c[INVERSE_TOTAL], c[INVERSE_OTHER], c[FINES_AT_CAP],
        c[KNEE], c[COVERED] != 0.0, c[HAS_OTHER] != 0.0, c[FINES_THRESHOLD],
        c[LEV_AT_FINES_THRESHOLD], c[MU], c[SIGMA], c[THRESHOLD], c[P_U], c[XI], c[B],
        c[LOGNORMAL_MEAN], c[BODY_AT_THRESHOLD],
    )  # fmt: skip


@numba.njit(cache=True, nogil=True)
def _spliced_lev(v: float, c: _Cause) -> float:
    """E[min(X, v)] of one cause's spliced severity, v >= 0 or inf."""
    t = c.threshold
    if v <= t:  # the body: lognormal.unchecked_lev(v); the tail's part is exactly 0
        capped = min(v, _HUGE)
        z = (math.log(max(capped, _TINY)) - c.mu) / c.sigma
        return c.lognormal_mean * _ndtr(z - c.sigma) + capped * _ndtr(-z)
    _, log_w = _gpd_log_survival_and_w(max(v - t, 0.0) / t, c.xi, c.b)  # spliced._relative_excess
    return c.body_at_threshold + c.p_u * t * (c.b / (1.0 - c.xi) * -math.expm1(log_w))


@numba.njit(cache=True, nogil=True)
def _spliced_survival(x: float, c: _Cause) -> float:
    """P(X > x) of one cause's spliced severity, x >= 0 or inf."""
    t = c.threshold
    if x <= t:
        return _ndtr((c.mu - math.log(max(x, _TINY))) / c.sigma)
    log_tail, _ = _gpd_log_survival_and_w(max(x - t, 0.0) / t, c.xi, c.b)
    return c.p_u * math.exp(log_tail)


@numba.njit(cache=True, nogil=True)
def _ground_up(u: float, c: _Cause) -> float:
    """v_c = g_c^-1(u): the ground-up loss whose covered part is u (inf: never reached)."""
    if u > c.knee if c.has_other else u >= c.knee:  # past the fines cap
        return (u - c.fines_at_cap) * c.inverse_other if c.has_other else math.inf
    return u * c.inverse_total if c.covered else math.inf  # o + f = 0: never


@numba.njit(cache=True, nogil=True)
def _covered_lev(v: float, c: _Cause) -> float:
    """E[min(Z_c, u)] from v = g_c^-1(u): o_c LEV_c(v) + f_c LEV_c(min(v, k_c))."""
    at_v = _spliced_lev(v, c)
    capped = at_v if v < c.fines_threshold else c.lev_at_fines_threshold
    return c.other * at_v + c.fines * capped


@numba.njit("float64[:, :](float64[:, :], int64[:], float64[:, :, :])", cache=True, nogil=True)
def stack_lev(amounts: FloatArray, rows: npt.NDArray[np.int64], consts: FloatArray) -> FloatArray:
    """E[min(Z, u)] (USD), (r, P), of the policies ``rows`` at amounts u >= 0 of shape (r, P).

    CoveredLossStack.lev's rule per element: sum_c w_c E[min(Z_c, u)], the
    causes added in their order.
    """
    r, points = amounts.shape
    out = np.zeros((r, points))
    for i in range(r):
        for k in range(consts.shape[1]):
            c = _cause(consts, rows[i], k)
            if c.weight == 0.0 or not c.covered:  # its term is exactly 0: no claim, or none paid
                continue
            for j in range(points):
                out[i, j] += _covered_lev(_ground_up(amounts[i, j], c), c) * c.weight
    return out


@numba.njit("float64[:, :, :](float64[:, :], int64[:], float64[:, :, :])", cache=True, nogil=True)
def stack_lev_by_cause(
    amounts: FloatArray, rows: npt.NDArray[np.int64], consts: FloatArray
) -> FloatArray:
    """E[min(Z_c, u)] (USD), (r, P, K), of a cause-c claim of the policies ``rows``."""
    r, points = amounts.shape
    out = np.empty((r, points, consts.shape[1]))
    for i in range(r):
        for k in range(consts.shape[1]):
            c = _cause(consts, rows[i], k)
            for j in range(points):
                out[i, j, k] = _covered_lev(_ground_up(amounts[i, j], c), c)
    return out


@numba.njit(
    "UniTuple(float64[:, :], 2)(float64[:, :], int64[:], float64[:, :, :])",
    cache=True,
    nogil=True,
)
def stack_lev_and_survival(
    amounts: FloatArray, rows: npt.NDArray[np.int64], consts: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """E[min(Z, u)] (USD) and P(Z > u), (r, P) each, from one g_c^-1 per element."""
    r, points = amounts.shape
    lev = np.zeros((r, points))
    survival = np.zeros((r, points))
    for i in range(r):
        for k in range(consts.shape[1]):
            c = _cause(consts, rows[i], k)
            if c.weight == 0.0 or not c.covered:  # exactly 0 in both sums (v = inf: no survival)
                continue
            for j in range(points):
                v = _ground_up(amounts[i, j], c)
                lev[i, j] += _covered_lev(v, c) * c.weight
                survival[i, j] += _spliced_survival(v, c) * c.weight
    return lev, survival


#: The columns of stack_constants' ``fields``, (policies, causes, FIELDS): what each
#: CoveredLoss holds per cause.
F_OTHER, F_FINES, F_RATE, F_MU, F_SIGMA, F_Z_U, F_XI, F_B = range(8)
FIELDS = 8


@numba.njit(
    "Tuple((float64[:, :, :], float64[:, :], float64[:, :], boolean))"
    "(float64[:, :, :], float64[:])",
    cache=True,
    nogil=True,
)
def stack_constants(
    fields: FloatArray, fines_cap: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, bool]:
    """A stack's constants from each policy's causes: (consts, LEV_c(k_c), E[X_c], valid).

    ``fields`` (n, K, FIELDS): o_c, f_c, the claim rate and mu, sigma, z_u,
    xi, b of each cause; ``fines_cap`` (n,) in USD, nan for no cap. The rules
    of CoveredLoss and spliced.checked_params, element by element:
    w_c = rate_c / sum of rates (0 without claims), k_c = cap / f_c (inf
    without a cap or fines share), t = exp(mu + sigma z_u), p_u = Phi(-z_u).
    ``valid`` is False when some severity breaks spliced.checked_params' rules
    (the caller then asks that function, which names the rule).
    """
    n, causes = fields.shape[0], fields.shape[1]
    out = np.zeros((n, causes, COLUMNS))
    at_threshold = np.empty((n, causes))
    mean = np.empty((n, causes))
    valid = True
    for i in range(n):
        total = 0.0
        for k in range(causes):
            total += fields[i, k, F_RATE]
        cap = fines_cap[i]
        for k in range(causes):
            f = fields[i, k]
            o, fines, mu, sigma = f[F_OTHER], f[F_FINES], f[F_MU], f[F_SIGMA]
            z_u, xi, b = f[F_Z_U], f[F_XI], f[F_B]
            log_threshold = mu + sigma * z_u
            threshold = math.exp(log_threshold)
            if not (
                math.isfinite(log_threshold) and sigma > 0.0 and math.isfinite(threshold)
                and xi < 1.0 and math.isfinite(xi) and b > 0.0 and math.isfinite(b)
            ):  # fmt: skip
                valid = False
                continue
            share = o + fines
            fines_threshold = cap / fines if not math.isnan(cap) and fines > 0.0 else math.inf
            capped = math.isfinite(fines_threshold)
            c = out[i, k]
            c[WEIGHT] = f[F_RATE] / total if total > 0.0 else 0.0
            c[OTHER] = o
            c[FINES] = fines
            c[INVERSE_TOTAL] = 1.0 / (share if share > 0.0 else 1.0)
            c[INVERSE_OTHER] = 1.0 / (o if o > 0.0 else 1.0)
            c[FINES_AT_CAP] = fines * fines_threshold if capped else 0.0
            c[KNEE] = share * fines_threshold if capped else math.inf
            c[COVERED] = 1.0 if share > 0.0 else 0.0
            c[HAS_OTHER] = 1.0 if o > 0.0 else 0.0
            c[FINES_THRESHOLD] = fines_threshold
            c[MU] = mu
            c[SIGMA] = sigma
            c[THRESHOLD] = threshold
            c[P_U] = _ndtr(-z_u)
            c[XI] = xi
            c[B] = b
            c[LOGNORMAL_MEAN] = math.exp(mu + 0.5 * sigma * sigma)
            # the body's LEV at t: _spliced_lev's body branch reads none of the columns left
            c[BODY_AT_THRESHOLD] = _spliced_lev(threshold, _cause(out, i, k))
            cause = _cause(out, i, k)
            at_threshold[i, k] = _spliced_lev(fines_threshold, cause)
            mean[i, k] = _spliced_lev(math.inf, cause)
            c[LEV_AT_FINES_THRESHOLD] = at_threshold[i, k]
    return out, at_threshold, mean, valid
