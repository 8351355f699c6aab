"""The large-loss tail of the severity: a generalised Pareto on the relative excess.

Above a per-claim threshold ``t_i = exp(mu_i + sigma_i * z_u)`` (USD) the
relative excess ``Y = (X - t_i) / t_i`` of a ground-up claim is modelled as
GPD(xi, b), survival ``(1 + xi y / b) ** (-1 / xi)`` (``exp(-y / b)`` at
xi = 0). ``z_u`` is one standardised log threshold for all claims, so under the
lognormal body every claim exceeds its own threshold with probability
``1 - Phi(z_u)`` and the excesses of small and large cities are pooled on one
scale-free footing (``b`` is a multiple of the threshold, not USD).

Stages, in order: ``choose_threshold`` (z_u from the standardised log
residuals), ``fit_gpd`` (maximum likelihood on the relative excesses),
``fit_tail`` (both, from losses and the body's mu and sigma); ``qq_points`` and
``mean_excess_points`` are the report's diagnostics, as plain arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import log_ndtr, ndtr

from models.pricing.spliced import log1p_ratio

FloatArray = npt.NDArray[np.float64]

#: Shape bounds of the fit. Upper: xi < 1 keeps the mean relative excess
#: b / (1 - xi) finite, which ground-up pricing needs; a closed bound so that a
#: maximum exists, 0.99 (mean 100 b). Lower: below -1/2 the MLE is not regular
#: (Smith 1985) and the observed-information standard errors mean nothing.
XI_MIN, XI_MAX = -0.5, 0.99
DEFAULT_SHARE = 0.10
DEFAULT_MIN_EXCEEDANCES = 50
_HESSIAN_STEP = 1e-4  # relative step of the numerical Hessian (error ~1e-7)


@dataclass(frozen=True)
class GpdTail:
    """A fitted GPD on the relative excess (X - t_i) / t_i over t_i = exp(mu_i + sigma_i z_u).

    ``z_u``: standardised log threshold (NaN when the excesses came without
    one); ``xi``: shape; ``b``: scale, a multiple of each claim's threshold
    (dimensionless); ``exceedances``: claims fitted; ``xi_se``, ``b_se``: standard
    errors from the observed information (NaN when the fit sits on a shape
    bound); ``loglik``: log-likelihood of the relative excesses at the fit.
    """

    z_u: float
    xi: float
    b: float
    exceedances: int
    xi_se: float
    b_se: float
    loglik: float

    @property
    def exceedance_probability(self) -> float:
        """P(X > t_i) = 1 - Phi(z_u) under the lognormal body, the same for every claim."""
        return float(ndtr(-self.z_u))

    @property
    def at_bound(self) -> bool:
        """Whether the shape sits on XI_MIN or XI_MAX: the data want a tail the fit excludes."""
        return bool(min(self.xi - XI_MIN, XI_MAX - self.xi) < 1e-6)

    def quantile(self, p: npt.ArrayLike) -> FloatArray:
        """Relative excess (multiple of the threshold) with P(Y <= y) = p, p in [0, 1)."""
        return gpd_quantile(p, self.xi, self.b)


def gpd_quantile(p: npt.ArrayLike, xi: float, b: float) -> FloatArray:
    """Inverse CDF of GPD(xi, b) (units of b) at probabilities p in [0, 1)."""
    tail_log = -np.log1p(-np.asarray(p, dtype=np.float64))  # -log(1 - p) >= 0
    if xi == 0.0:
        return b * tail_log
    return b * np.expm1(xi * tail_log) / xi


def gpd_log_likelihood(excess: npt.ArrayLike, xi: float, b: float) -> float:
    """Sum of log densities of GPD(xi, b) at ``excess`` (natural log); -inf off the support."""
    y = np.asarray(excess, dtype=np.float64)
    if b <= 0.0 or np.any(y < 0.0) or (xi < 0.0 and 1.0 + xi * y.max() / b <= 0.0):
        return -math.inf
    u = y / b
    x = xi * u
    # (1 + 1/xi) log1p(x) = log1p(x) + u log1p(x)/x, continuous through xi = 0
    return float(-y.size * math.log(b) - np.sum(np.log1p(x) + u * log1p_ratio(x)))


def choose_threshold(
    z: npt.ArrayLike, share: float = DEFAULT_SHARE, min_exceedances: int = DEFAULT_MIN_EXCEEDANCES
) -> tuple[float, int]:
    """The standardised log threshold z_u and the number of claims strictly above it.

    ``z`` are the training claims' standardised log residuals
    ``(log x_i - mu_i) / sigma_i``. Rule: the target count is
    ``k = max(round(share * n), min_exceedances)`` (nearest integer); z_u is the largest z below
    the k-th largest, so at least k claims lie above (exactly k without ties).
    A fixed upper fraction of the sample, DuMouchel's (1983) 10%, is the usual
    peaks-over-threshold default; the floor keeps the fit's standard errors
    usable on small books. The choice is checked, not made, by the stability
    of the mean excess above it (Davison & Smith 1990; Coles 2001, 4.3.1):
    ``mean_excess_points`` feeds that plot. Where the data allow, a share a
    little below the tail's true share is safer than one at it: a threshold
    below the true one lets body claims in and shifts every excess (with a
    10% share on a 10% splice, a bias of ~0.5-1 standard error).
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 1 or not np.all(np.isfinite(z)):
        raise ValueError("z must be a 1-D array of finite standardised log residuals")
    if not 0.0 < share < 1.0:
        raise ValueError(f"share must lie in (0, 1), got {share}")
    if min_exceedances < 3:
        raise ValueError(
            f"min_exceedances must be at least 3 (two parameters), got {min_exceedances}"
        )
    n = z.size
    if n <= min_exceedances:
        raise ValueError(
            f"{n} claims, but the tail needs at least {min_exceedances} exceedances "
            f"and one claim at or below the threshold ({min_exceedances + 1} claims)"
        )
    k = max(round(share * n), min_exceedances)
    ordered = np.sort(z)
    below = ordered[ordered < ordered[n - k]]  # ties with the k-th largest stay above
    if below.size == 0:
        raise ValueError(f"all of the {k} largest z tie with the smallest; no threshold fits")
    z_u = float(below[-1])
    return z_u, int(np.sum(z > z_u))


def fit_gpd(excess: npt.ArrayLike, z_u: float = math.nan) -> GpdTail:
    """Maximum-likelihood GPD(xi, b) of relative excesses y_i > 0, xi in [XI_MIN, XI_MAX].

    Start: probability-weighted moments (Hosking & Wallis 1987), or the
    exponential if those fall off the support; search: Nelder-Mead on
    (xi, log b), restarted once from its answer (deterministic, no gradient
    needed across the xi < 0 support edge). ``z_u`` is recorded as given.
    """
    y = np.asarray(excess, dtype=np.float64)
    if y.ndim != 1 or y.size < 3 or not np.all(np.isfinite(y) & (y > 0.0)):
        raise ValueError("excess must be a 1-D array of at least 3 finite relative excesses > 0")

    def objective(theta: FloatArray) -> float:
        return -gpd_log_likelihood(y, float(theta[0]), math.exp(float(theta[1])))

    xi0, b0 = _pwm_start(y)
    theta = np.array([xi0, math.log(b0)])
    bounds = [(XI_MIN, XI_MAX), (None, None)]
    for _ in range(2):  # a restart refreshes a simplex that may have collapsed early
        xi_step = 0.1 if theta[0] + 0.1 <= XI_MAX else -0.1  # stay inside the bounds
        simplex = theta + np.array([[0.0, 0.0], [xi_step, 0.0], [0.0, 0.1]])
        options = {"xatol": 1e-10, "fatol": 1e-10, "maxiter": 4000, "initial_simplex": simplex}
        theta = minimize(objective, theta, method="Nelder-Mead", bounds=bounds, options=options).x
    xi, b = float(theta[0]), math.exp(float(theta[1]))
    tail = GpdTail(z_u, xi, b, int(y.size), math.nan, math.nan, gpd_log_likelihood(y, xi, b))
    if tail.at_bound:
        return tail
    xi_se, b_se = _standard_errors(y, xi, b)
    return GpdTail(z_u, xi, b, int(y.size), xi_se, b_se, tail.loglik)


def fit_tail(
    loss_usd: npt.ArrayLike,
    mu: npt.ArrayLike,
    sigma: npt.ArrayLike,
    share: float = DEFAULT_SHARE,
    min_exceedances: int = DEFAULT_MIN_EXCEEDANCES,
) -> GpdTail:
    """Threshold and GPD of training claims: loss (USD), body mu (log USD), sigma per claim.

    ``mu`` is each claim's lognormal location, ``sigma`` the scale of its
    cause (both broadcast against ``loss_usd``). The claims with z_i > z_u
    contribute ``(x_i - t_i) / t_i = expm1(sigma_i (z_i - z_u))``.
    """
    loss = np.asarray(loss_usd, dtype=np.float64)
    if loss.ndim != 1 or not np.all(np.isfinite(loss) & (loss > 0.0)):
        raise ValueError("loss_usd must be a 1-D array of finite losses > 0 USD")
    mu_i = np.broadcast_to(np.asarray(mu, dtype=np.float64), loss.shape)
    sigma_i = np.broadcast_to(np.asarray(sigma, dtype=np.float64), loss.shape)
    if not np.all(np.isfinite(mu_i)) or not np.all(np.isfinite(sigma_i) & (sigma_i > 0.0)):
        raise ValueError("mu must be finite and sigma finite and > 0 for every claim")
    z = (np.log(loss) - mu_i) / sigma_i
    z_u, _ = choose_threshold(z, share, min_exceedances)
    above = z > z_u
    # expm1 of the log ratio, not x / t - 1: exact for excesses just over t_i
    return fit_gpd(np.expm1(sigma_i[above] * (z[above] - z_u)), z_u=z_u)


class QqPoints(NamedTuple):
    """GPD quantiles at plotting positions (i - 0.5)/n and the sorted relative excesses."""

    model: FloatArray
    empirical: FloatArray


def qq_points(tail: GpdTail, excess: npt.ArrayLike) -> QqPoints:
    """QQ-plot points of relative excesses against the fitted GPD (both multiples of t_i)."""
    empirical = np.sort(np.asarray(excess, dtype=np.float64))
    n = empirical.size
    positions = (np.arange(1, n + 1) - 0.5) / n
    return QqPoints(tail.quantile(positions), empirical)


class MeanExcessPoints(NamedTuple):
    """Per candidate threshold u: mean of z - u over z > u, its standard error, the count,
    and the standard normal's mean excess (what the lognormal body alone would give)."""

    threshold_z: FloatArray
    mean_excess_z: FloatArray
    standard_error: FloatArray
    exceedances: npt.NDArray[np.int64]
    normal_mean_excess_z: FloatArray


def mean_excess_points(
    z: npt.ArrayLike,
    thresholds: npt.ArrayLike | None = None,
    grid_size: int = 50,
    min_count: int = 10,
) -> MeanExcessPoints:
    """Mean excess of the standardised log residuals z over candidate thresholds.

    Default grid: ``grid_size`` thresholds evenly spaced from the median of z to
    the value leaving ``min_count`` claims above. Reading: the normal body's
    mean excess falls like 1/u; where the observed curve levels off instead,
    log excesses are exponential, i.e. the relative excess is Pareto-like, and
    a threshold there is in the tail. Thresholds with no claim above give NaN.
    """
    z = np.sort(np.asarray(z, dtype=np.float64))
    if thresholds is None:
        if z.size <= min_count:
            raise ValueError(f"{z.size} claims, need more than min_count={min_count} for a grid")
        thresholds = np.linspace(np.median(z), z[z.size - min_count - 1], grid_size)
    u = np.asarray(thresholds, dtype=np.float64)
    count = z.size - np.searchsorted(z, u, side="right")
    mean = np.full(u.shape, np.nan)
    se = np.full(u.shape, np.nan)
    for j in np.flatnonzero(count > 0):
        excess = z[z.size - count[j] :] - u[j]
        mean[j] = excess.mean()
        if count[j] > 1:
            se[j] = excess.std(ddof=1) / math.sqrt(count[j])
    # E[Z - u | Z > u] = phi(u) / (1 - Phi(u)) - u, in logs: 1 - Phi(u) underflows past u ~ 38
    log_phi = -0.5 * u * u - 0.5 * math.log(2.0 * math.pi)
    normal = np.exp(log_phi - log_ndtr(-u)) - u
    return MeanExcessPoints(u, mean, se, count.astype(np.int64), normal)


def _pwm_start(y: FloatArray) -> tuple[float, float]:
    """(xi, b) by probability-weighted moments, clipped inside the bounds and the support."""
    ordered = np.sort(y)
    n = ordered.size
    a0 = float(ordered.mean())
    a1 = float(np.mean((1.0 - (np.arange(1, n + 1) - 0.35) / n) * ordered))  # E[Y (1 - F)]
    spread = a0 - 2.0 * a1
    if spread > 0.0:
        xi = float(np.clip(2.0 - a0 / spread, XI_MIN + 0.05, XI_MAX - 0.05))
        b = 2.0 * a0 * a1 / spread
        if b > 0.0 and (xi >= 0.0 or 1.0 + xi * ordered[-1] / b > 0.0):
            return xi, b
    return 0.0, a0  # the exponential MLE: always on the support


def _standard_errors(y: FloatArray, xi: float, b: float) -> tuple[float, float]:
    """sqrt(diag) of the inverse observed information, by central differences in (xi, b)."""
    point = np.array([xi, b])
    step = _HESSIAN_STEP * np.array([1.0, b])

    def nll(shift: FloatArray) -> float:
        p = point + shift
        return -gpd_log_likelihood(y, float(p[0]), float(p[1]))

    hessian = np.empty((2, 2))
    e = np.diag(step)
    for j in range(2):
        hessian[j, j] = (nll(e[j]) - 2.0 * nll(np.zeros(2)) + nll(-e[j])) / step[j] ** 2
    hessian[0, 1] = hessian[1, 0] = (
        nll(e[0] + e[1]) - nll(e[0] - e[1]) - nll(e[1] - e[0]) + nll(-e[0] - e[1])
    ) / (4.0 * step[0] * step[1])
    if not np.all(np.isfinite(hessian)) or np.linalg.det(hessian) <= 0.0 or hessian[0, 0] <= 0.0:
        return math.nan, math.nan
    variance = np.diag(np.linalg.inv(hessian))
    return float(math.sqrt(variance[0])), float(math.sqrt(variance[1]))
