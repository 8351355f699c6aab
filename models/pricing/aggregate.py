"""Aggregate insured loss over the policy period, with the aggregate limit.

Claims that reach the layer arrive as N ~ Poisson(n'), n' = expected ground-up
claims x P(covered loss > retention) (Poisson thinning, so no claim of size 0
is ever rounded into the grid). Each pays Y' = min(Z - d, L) given Z > d. The
insured loss of the period is min(S, L), S = Y'_1 + ... + Y'_N.

Method: Y' is discretised on the grid 0, h, ..., m h = U (U <= L) by local
moment matching ("rounding with LEV"): with e(u) = E[min(Y', u)],

    f_0 = 1 - e(h)/h,   f_j = (2 e(jh) - e((j-1)h) - e((j+1)h)) / h,
    f_m = (e(mh) - e((m-1)h)) / h,

so sum f_j = 1 and sum j h f_j = E[min(Y', U)] exactly: the discrete mean is
the true mean. The compound Poisson pmf comes from one FFT of length 4m with
exponential tilting (the wrap-around of mass above the FFT span is damped by
exp(-30); untilting magnifies round-off by at most e^7.5 ~ 1800);
``compound_poisson_panjer`` is the exact recursion it is tested
against. Below U the law of S is that of the sum of min(Y', U), so a grid of
span U < L gives the exact law of S on [0, U): the quantiles are refined on
ever shorter spans until the grid step is under about 1/120 of the quantile
(linear interpolation of the CDF then leaves a relative error near 1e-5).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from models.pricing import grid_reading
from models.pricing.covered_loss import CoveredLoss, CoveredLossStack

GRID_POINTS = 256  # m: the grid step is span / m (error ~1e-5, see tests)
_FFT_FACTOR = 4  # FFT length = 4 m
_TILT = 30.0  # theta * FFT length: aliased mass is damped by exp(-30) ~ 1e-13
_MAX_REFINEMENTS = 6

ExcessLev = Callable[[np.ndarray], np.ndarray]
#: ``excess_lev(rows, u)``: E[min(Y', u)] (USD) of the policies ``rows`` (r,) at amounts u (r, P).
ExcessLevs = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class AggregateLoss:
    """Insured loss of the period, min(S, L), in USD.

    For each of ``probabilities`` p: ``quantiles_usd`` the value at risk
    VaR_p (the 1-in-1/(1-p) loss) and ``tail_means_usd`` the tail value at
    risk TVaR_p = VaR_p + E[(min(S, L) - VaR_p)+] / (1 - p), the mean of the
    worst 1 - p of periods.
    """

    expected_usd: float
    probabilities: tuple[float, ...]
    quantiles_usd: tuple[float, ...]
    tail_means_usd: tuple[float, ...]
    claims_in_layer: float
    limit_exhaustion_probability: float


def _one(excess_lev: ExcessLev) -> ExcessLevs:
    """A single policy's ``excess_lev`` as the batch form, for a batch of that one policy."""
    return lambda rows, u: excess_lev(u[0])[np.newaxis, :]


def discretise_severities(
    excess_lev: ExcessLevs, rows: np.ndarray, span: np.ndarray, grid_points: int
) -> np.ndarray:
    """Mean-preserving pmfs of min(Y', span) on 0, h, ..., span, h = span / grid_points, (r, m + 1)."""
    h = span / grid_points
    amounts = h[:, np.newaxis] * np.arange(grid_points + 1, dtype=np.float64)
    e = excess_lev(rows, amounts)
    slope = (e[:, 1:] - e[:, :-1]) / h[:, np.newaxis]  # about P(Y' > u) on each cell
    pmf = np.empty((len(rows), grid_points + 1))
    pmf[:, 0] = 1.0 - slope[:, 0]
    pmf[:, 1:-1] = slope[:, :-1] - slope[:, 1:]
    pmf[:, -1] = slope[:, -1]
    return np.maximum(pmf, 0.0)  # LEV is concave: negatives are round-off only


_ROW = np.zeros(1, dtype=np.intp)  # the one row of a batch of one policy


def discretise_severity(excess_lev: ExcessLev, span: float, grid_points: int) -> np.ndarray:
    """Mean-preserving pmf of min(Y', span) on grid_points + 1 points 0, h, ..., span."""
    return discretise_severities(_one(excess_lev), _ROW, np.array([span]), grid_points)[0]


@lru_cache(maxsize=8)
def _tilts(size: int, grid_points: int) -> tuple[np.ndarray, np.ndarray]:
    theta = _TILT / size
    return np.exp(-theta * np.arange(grid_points + 1)), np.exp(theta * np.arange(grid_points))


def compound_poisson_ffts(claim_count_mean: np.ndarray, severity_pmf: np.ndarray) -> np.ndarray:
    """P(S = k h) for k < m, one row per policy (severity pmfs of shape (r, m + 1))."""
    m = severity_pmf.shape[1] - 1
    size = _FFT_FACTOR * m
    down, up = _tilts(size, m)
    if len(severity_pmf) == 1:  # one policy: numpy's 1-D transform, the same bits, less overhead
        transform = np.fft.rfft(severity_pmf[0] * down, size)
        tilted = np.fft.irfft(np.exp(claim_count_mean[0] * (transform - 1.0)), size)[:m]
        return np.maximum(tilted * up, 0.0)[np.newaxis, :]
    transform = np.fft.rfft(severity_pmf * down, size, axis=-1)
    exponent = claim_count_mean[:, np.newaxis] * (transform - 1.0)
    tilted = np.fft.irfft(np.exp(exponent), size, axis=-1)[:, :m]
    return np.maximum(tilted * up, 0.0)


def compound_poisson_fft(claim_count_mean: float, severity_pmf: np.ndarray) -> np.ndarray:
    """P(S = k h) for k < m (m = len(severity_pmf) - 1), S compound Poisson."""
    return compound_poisson_ffts(np.array([claim_count_mean]), severity_pmf[np.newaxis, :])[0]


def compound_poisson_panjer(
    claim_count_mean: float, severity_pmf: np.ndarray, size: int
) -> np.ndarray:
    """Reference Panjer recursion: P(S = k h) for k < size (slow, exact)."""
    f = np.asarray(severity_pmf, dtype=np.float64)
    g = np.zeros(size)
    g[0] = math.exp(claim_count_mean * (f[0] - 1.0))
    jf = np.arange(len(f)) * f
    for k in range(1, size):
        j = np.arange(1, min(k, len(f) - 1) + 1)
        g[k] = claim_count_mean / k * float(np.dot(jf[j], g[k - j]))
    return g


def aggregate_limited_losses(
    claims_in_layer: np.ndarray,
    excess_lev: ExcessLevs,
    limit_usd: np.ndarray,
    probabilities: tuple[float, ...] = (0.9, 0.99, 0.995),
    grid_points: int = GRID_POINTS,
) -> list[AggregateLoss]:
    """:func:`aggregate_limited_loss` of many policies at once, row by row (the same bits).

    ``claims_in_layer`` and ``limit_usd``: (n,); ``excess_lev(rows, u)`` as
    :data:`ExcessLevs`. The severities and FFTs run for all policies at
    once, and again for all those whose quantile needs a shorter span; what
    is read off each law (models/pricing/grid_reading.py) runs over all rows
    in one compiled loop, each row on its own.
    """
    claims = np.asarray(claims_in_layer, dtype=np.float64)
    limits = np.asarray(limit_usd, dtype=np.float64)
    rules = (
        ("claims_in_layer", claims, "finite and >= 0", np.isfinite(claims) & (claims >= 0)),
        ("limit_usd", limits, "finite and > 0", np.isfinite(limits) & (limits > 0)),
    )
    for name, values, rule, valid in rules:
        if not valid.all():
            raise ValueError(f"{name} must be {rule} (got {values[np.argmin(valid)]})")
    zeros = tuple(0.0 for _ in probabilities)
    out = [AggregateLoss(0.0, tuple(probabilities), zeros, zeros, 0.0, 0.0)] * len(claims)
    rows = np.flatnonzero(claims > 0.0)
    if rows.size == 0:
        return out
    m = grid_points
    count, limit = claims[rows], limits[rows]

    def laws(picked: np.ndarray, spans: np.ndarray) -> tuple[np.ndarray, ...]:
        """The severities, pmfs and cdfs of S on the given spans for the policies ``picked``."""
        severity = discretise_severities(excess_lev, rows[picked], spans, m)
        pmf = compound_poisson_ffts(count[picked], severity)
        return severity, pmf, np.cumsum(pmf, axis=1)

    # each policy's current grid: its span, step (span / m: the pmf holds k h, k < m), law
    span = limit.copy()
    severity, pmf, cdf = laws(np.arange(len(rows)), span)
    h = span / m
    below_limit = cdf[:, -1].copy()
    expected = _expected(count, severity, pmf, h, limit)
    no_claim = np.exp(-count)
    quantiles: dict[float, np.ndarray] = {}
    tail_means: dict[float, np.ndarray] = {}
    for p in sorted(set(probabilities), reverse=True):  # each span covers the next quantile
        read = np.flatnonzero(no_claim < p)  # elsewhere no claim is that likely: the quantile is 0
        q = quantiles[p] = grid_reading.quantiles(cdf, h, p, span, read)
        pending = read
        for _ in range(_MAX_REFINEMENTS):
            shorter = grid_reading.refined_spans(pending, q, h, span, limit)
            refine = shorter > 0.0
            pending, shorter = pending[refine], shorter[refine]
            if pending.size == 0:
                break
            _, refined_pmf, refined_cdf = laws(pending, shorter)
            pmf[pending], cdf[pending] = refined_pmf, refined_cdf
            span[pending], h[pending] = shorter, shorter / m
            q[pending] = grid_reading.quantiles(cdf, h, p, span, pending)[pending]
        tail_means[p] = grid_reading.tail_means(pmf, h, q, expected, no_claim, p)
    columns = [(quantiles[p].tolist(), tail_means[p].tolist()) for p in probabilities]
    exhausted = np.maximum(1.0 - below_limit, 0.0).tolist()
    for j, (row, mean, claims_j) in enumerate(
        zip(rows.tolist(), expected.tolist(), count.tolist(), strict=True)
    ):
        out[row] = AggregateLoss(
            expected_usd=mean,
            probabilities=tuple(probabilities),
            quantiles_usd=tuple(c[0][j] for c in columns),
            tail_means_usd=tuple(c[1][j] for c in columns),
            claims_in_layer=claims_j,
            limit_exhaustion_probability=exhausted[j],
        )
    return out


def _expected(
    claims: np.ndarray, severity: np.ndarray, pmf: np.ndarray, h: np.ndarray, limit: np.ndarray
) -> np.ndarray:
    """E[min(S, L)] of each row from the pmf of S on the span L and the severity it came from.

    E[min(S, L)] = E[S] - E[(S - L)+]: E[S] = n' E[Y'] is exact (the
    discretisation keeps the mean), so the FFT's round-off, which a grid sum
    multiplies by amounts up to L, only touches the excess term. One claim
    never exceeds L, so that term is at most E[S; N >= 2] = E[S] (1 - exp(-n')).
    """
    total = claims * grid_reading.grid_means(severity, h)
    most = -total * np.expm1(-claims)
    excess = np.minimum(np.maximum(total - grid_reading.limited_means(pmf, h, limit), 0.0), most)
    return total - excess


def aggregate_limited_loss(
    claims_in_layer: float,
    excess_lev: ExcessLev,
    limit_usd: float,
    probabilities: tuple[float, ...] = (0.9, 0.99, 0.995),
    grid_points: int = GRID_POINTS,
) -> AggregateLoss:
    """E[min(S, L)] and its quantiles (USD) for S compound Poisson(claims_in_layer, Y').

    ``excess_lev(u)`` = E[min(Y', u)] in USD for 0 <= u <= ``limit_usd``.
    """
    return aggregate_limited_losses(
        np.array([claims_in_layer], dtype=np.float64),
        _one(excess_lev),
        np.array([limit_usd], dtype=np.float64),
        probabilities,
        grid_points,
    )[0]


def layer_aggregate_losses(
    covered: CoveredLossStack,
    expected_claim_count: np.ndarray,
    retention_usd: np.ndarray,
    limit_usd: np.ndarray,
    probabilities: tuple[float, ...] = (0.9, 0.99, 0.995),
    grid_points: int = GRID_POINTS,
) -> list[AggregateLoss]:
    """:func:`layer_aggregate_loss` of each policy of a stack; arrays of shape (n,)."""
    every = np.arange(covered.size)
    d = np.asarray(retention_usd, dtype=np.float64)[:, np.newaxis]
    at_retention, reach = (x[:, 0] for x in covered.lev_and_survival(every, d))
    safe_reach = np.where(reach > 0.0, reach, 1.0)

    def excess_lev(rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        lev = covered.lev(rows, d[rows] + u)
        return (lev - at_retention[rows, np.newaxis]) / safe_reach[rows, np.newaxis]

    claims = np.where(reach > 0.0, np.asarray(expected_claim_count) * reach, 0.0)
    return aggregate_limited_losses(claims, excess_lev, limit_usd, probabilities, grid_points)


def layer_aggregate_loss(
    covered: CoveredLoss,
    expected_claim_count: float,
    retention_usd: float,
    limit_usd: float,
    probabilities: tuple[float, ...] = (0.9, 0.99, 0.995),
    grid_points: int = GRID_POINTS,
) -> AggregateLoss:
    """Aggregate insured loss of a policy: per-claim retention, aggregate limit (USD).

    ``covered``: the covered loss of one claim (the city's mixture over causes);
    ``expected_claim_count`` counts ground-up claims of every cause in the
    period (lambda * t); only those whose covered loss exceeds the retention
    reach the layer, claims of a cause the policy does not cover never do.
    """
    return layer_aggregate_losses(
        CoveredLossStack([covered]),
        np.array([expected_claim_count], dtype=np.float64),
        np.array([retention_usd], dtype=np.float64),
        np.array([limit_usd], dtype=np.float64),
        probabilities,
        grid_points,
    )[0]
