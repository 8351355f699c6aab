"""One ground-up loss with a lognormal body and a generalised Pareto tail.

Below the threshold ``t = exp(mu + sigma * z_u)`` (USD) the loss X follows the
lognormal(mu, sigma) of :mod:`models.pricing.lognormal`, and keeps that
lognormal's probability below t, so P(X > t) = p_u = 1 - Phi(z_u) and the CDF
is continuous at t. Above it the relative excess is GPD(xi, b):

    X | X > t = t * (1 + Y),   P(Y > y) = (1 + xi y / b) ** (-1 / xi)
                                          (exp(-y / b) at xi = 0),

so ``b`` is a multiple of the threshold (dimensionless), as fitted by
:mod:`training.fitting.tail`. xi < 1 keeps the mean finite; xi < 0 gives the
tail a finite upper end t * (1 - b / xi).

The limited expected value splits at t into the lognormal's and the GPD's:

    LEV(u) = E[min(X, u)] = LEV_LN(min(u, t)) + p_u * t * LEV_Y(max(u - t, 0) / t),
    LEV_Y(v) = E[min(Y, v)] = b / (1 - xi) * (1 - (1 + xi v / b) ** (1 - 1 / xi)).

Every input broadcasts like a numpy array (claims, policies, causes); a
scalar in gives a 0-d array (use ``float(...)``) out.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

from models.pricing.lognormal import unchecked_lev

FloatArray = npt.NDArray[np.float64]

_TINY = 1e-300
_SMALL = 1e-5  # |a| below which log1p(a) / a and expm1(a) / a are summed as series
_WEIGHT_ATOL = 1e-9  # how far mixture weights may sum from 1 (rounding in the caller)


class SplicedParams(NamedTuple):
    """Checked parameters broadcast to float arrays, with the threshold they imply."""

    mu: FloatArray
    sigma: FloatArray
    xi: FloatArray
    b: FloatArray
    threshold: FloatArray  # t in USD
    p_u: FloatArray  # P(X > t)


def _check(
    mu: npt.ArrayLike, sigma: npt.ArrayLike, z_u: npt.ArrayLike, xi: npt.ArrayLike, b: npt.ArrayLike
) -> SplicedParams:
    m = np.asarray(mu, dtype=np.float64)
    s = np.asarray(sigma, dtype=np.float64)
    z = np.asarray(z_u, dtype=np.float64)
    shape = np.asarray(xi, dtype=np.float64)
    scale = np.asarray(b, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        threshold = np.exp(m + s * z)
        # One reduction for every rule (a quote checks its causes a dozen times):
        # a finite mu + sigma z with sigma > 0 means mu, sigma and z_u are finite.
        valid = (
            np.isfinite(m + s * z) & (s > 0) & np.isfinite(threshold)
            & (shape < 1) & np.isfinite(shape) & (scale > 0) & np.isfinite(scale)
        )  # fmt: skip
    if bool(valid.all()):
        return SplicedParams(m, s, shape, scale, threshold, ndtr(-z))
    # some rule is broken: find which, to name it
    if not np.all(np.isfinite(m)):
        raise ValueError(f"mu must be finite (got {mu!r})")
    if not np.all(np.isfinite(s) & (s > 0)):
        raise ValueError(f"sigma must be finite and > 0 (got {sigma!r})")
    if not np.all(np.isfinite(z)):
        raise ValueError(f"z_u must be finite (got {z_u!r})")
    if not np.all(np.isfinite(shape) & (shape < 1)):
        raise ValueError(f"xi must be finite and < 1 for a finite mean (got {xi!r})")
    if not np.all(np.isfinite(scale) & (scale > 0)):
        raise ValueError(f"b must be finite and > 0 (got {b!r})")
    with np.errstate(over="ignore"):
        threshold = np.exp(m + s * z)
    if not np.all(np.isfinite(threshold)):
        raise ValueError(f"z_u must keep the threshold exp(mu + sigma z_u) finite (got {z_u!r})")
    # ndtr(-z) rather than 1 - ndtr(z): p_u keeps its digits for a high threshold
    return SplicedParams(m, s, shape, scale, threshold, ndtr(-z))


def _check_amount(u: npt.ArrayLike, name: str) -> FloatArray:
    a = np.asarray(u, dtype=np.float64)
    if np.any(np.isnan(a) | (a < 0)):
        raise ValueError(f"{name} must be >= 0 USD (got {u!r})")
    return a


def _relative_excess(u: FloatArray, threshold: FloatArray) -> FloatArray:
    """max(u - t, 0) / t: how far past the threshold u lies, in multiples of t (inf at u = inf)."""
    return np.maximum(u - threshold, 0.0) / threshold


def log1p_ratio(a: npt.ArrayLike) -> FloatArray:
    """log1p(a) / a for a > -1, with its series 1 - a/2 + a^2/3 near 0.

    The GPD's survival and density are written through it, so that xi = 0
    (the exponential) is their continuous limit rather than a branch; the tail
    fit (training/fitting/tail.py) uses it for the likelihood.
    """
    x = np.asarray(a, dtype=np.float64)
    small = np.abs(x) < _SMALL
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 - x / 2.0 + x * x / 3.0, np.log1p(safe) / safe)


def _gpd_logs(v: FloatArray, xi: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(ln P(Y > v), ln (1 + xi v / b) ** (1 - 1/xi)) for Y ~ GPD(xi, b), v >= 0.

    Both are -inf at v = inf and past the upper end -b / xi of a negative xi.
    Written as -(v / b) * log1p(a) / a with a = xi v / b, whose series
    1 - a/2 + a^2/3 makes xi = 0 the continuous limit rather than a branch
    (:func:`log1p_ratio`, inlined: the aggregate's grids call this on
    (policies, 257, causes) arrays, and log1p(a) is taken once for both logs).
    """
    finite = np.isfinite(v)
    a_raw = xi * np.where(finite, v, 0.0) / b  # no np.errstate: it costs more than this line
    inside = finite & (a_raw > -1.0)
    a = np.where(inside, a_raw, 0.0)
    vb = np.where(inside, v, 0.0) / b
    log1p_a = np.log1p(a)
    small = np.abs(a) < _SMALL
    ratio = np.where(small, 1.0 - a / 2.0 + a * a / 3.0, log1p_a / np.where(small, 1.0, a))
    log_survival = -vb * ratio
    log_w = log1p_a + log_survival
    return np.where(inside, log_survival, -np.inf), np.where(inside, log_w, -np.inf)


def _gpd_lev(v: FloatArray, xi: FloatArray, b: FloatArray) -> FloatArray:
    """E[min(Y, v)] for Y ~ GPD(xi, b), in units of b's scale; v = inf gives the mean b / (1 - xi)."""
    _, log_w = _gpd_logs(v, xi, b)
    # 1 - w as -expm1(ln w): keeps its digits for v near 0, where w -> 1
    return b / (1.0 - xi) * -np.expm1(log_w)


def _gpd_layer(v_low: FloatArray, v_high: FloatArray, xi: FloatArray, b: FloatArray) -> FloatArray:
    """E[min(Y, v_high)] - E[min(Y, v_low)] for v_low <= v_high, without subtracting the two.

    = b / (1 - xi) * (w_low - w_high) = b / (1 - xi) * w_low * (1 - w_high / w_low):
    for a layer far up the tail both LEVs are close to the mean and their
    difference would keep only the digits the layer is smaller by.
    """
    _, log_low = _gpd_logs(v_low, xi, b)
    _, log_high = _gpd_logs(v_high, xi, b)
    reached = np.isfinite(log_low)  # else the layer starts past the upper end: nothing in it
    gap = np.where(reached, log_high - np.where(reached, log_low, 0.0), 0.0)
    return np.where(reached, b / (1.0 - xi) * np.exp(log_low) * -np.expm1(gap), 0.0)


def checked_params(
    mu: npt.ArrayLike, sigma: npt.ArrayLike, z_u: npt.ArrayLike, xi: npt.ArrayLike, b: npt.ArrayLike
) -> SplicedParams:
    """The parameters checked once, for many calls of :func:`lev_of` and :func:`survival_of`.

    A quote evaluates its causes' LEVs on the aggregate's grids a dozen times;
    checking the same parameters each time was a quarter of the pricing (issue 13).
    """
    return _check(mu, sigma, z_u, xi, b)


def survival_of(x: FloatArray, p: SplicedParams) -> FloatArray:
    """P(X > x) for checked parameters ``p`` and amounts x >= 0 (USD) the caller guarantees."""
    body = ndtr((p.mu - np.log(np.maximum(x, _TINY))) / p.sigma)
    log_tail, _ = _gpd_logs(_relative_excess(x, p.threshold), p.xi, p.b)
    return np.where(x <= p.threshold, body, p.p_u * np.exp(log_tail))


def lev_of(u: FloatArray, p: SplicedParams) -> FloatArray:
    """E[min(X, u)] for checked parameters ``p`` and limits u >= 0 (USD) the caller guarantees."""
    return _lev(u, p)


def spliced_survival(
    x: npt.ArrayLike,
    mu: npt.ArrayLike,
    sigma: npt.ArrayLike,
    z_u: npt.ArrayLike,
    xi: npt.ArrayLike,
    b: npt.ArrayLike,
) -> FloatArray:
    """P(X > x); x in USD, x >= 0 (x = inf gives 0).

    mu: log-scale of the body (ln USD); sigma > 0: its log-sd; z_u: standardised
    log threshold, t = exp(mu + sigma z_u) USD; xi < 1: GPD shape; b > 0: GPD
    scale as a multiple of t.
    """
    return survival_of(_check_amount(x, "amount"), _check(mu, sigma, z_u, xi, b))


def _lev(u: FloatArray, p: SplicedParams) -> FloatArray:
    body = unchecked_lev(np.minimum(u, p.threshold), p.mu, p.sigma)
    return body + p.p_u * p.threshold * _gpd_lev(_relative_excess(u, p.threshold), p.xi, p.b)


def spliced_lev(
    u: npt.ArrayLike,
    mu: npt.ArrayLike,
    sigma: npt.ArrayLike,
    z_u: npt.ArrayLike,
    xi: npt.ArrayLike,
    b: npt.ArrayLike,
) -> FloatArray:
    """Limited expected value E[min(X, u)] in USD; u in USD, 0 <= u <= inf.

    LEV_LN(min(u, t)) + p_u t LEV_Y(max(u - t, 0) / t); u = 0 gives 0, u = inf
    the mean. Parameters as in :func:`spliced_survival`.
    """
    return _lev(_check_amount(u, "limit"), _check(mu, sigma, z_u, xi, b))


def spliced_mean(
    mu: npt.ArrayLike, sigma: npt.ArrayLike, z_u: npt.ArrayLike, xi: npt.ArrayLike, b: npt.ArrayLike
) -> FloatArray:
    """E[X] in USD: LEV_LN(t) + p_u t b / (1 - xi). Parameters as in :func:`spliced_survival`."""
    p = _check(mu, sigma, z_u, xi, b)
    return unchecked_lev(p.threshold, p.mu, p.sigma) + p.p_u * p.threshold * p.b / (1.0 - p.xi)


def spliced_layer_expected_loss(
    retention_usd: npt.ArrayLike,
    limit_usd: npt.ArrayLike,
    mu: npt.ArrayLike,
    sigma: npt.ArrayLike,
    z_u: npt.ArrayLike,
    xi: npt.ArrayLike,
    b: npt.ArrayLike,
) -> FloatArray:
    """E[min(max(X - d, 0), L)] in USD per claim, = LEV(d + L) - LEV(d).

    d = ``retention_usd``, L = ``limit_usd`` (inf: unlimited). The part of the
    layer above t is the GPD's layer taken as one product, not as a difference
    of two LEVs near the mean, so a layer far above the median keeps its
    relative precision. Parameters as in :func:`spliced_survival`.
    """
    d = _check_amount(retention_usd, "retention_usd")
    cap = _check_amount(limit_usd, "limit_usd")
    p = _check(mu, sigma, z_u, xi, b)
    top = d + cap
    body = unchecked_lev(np.minimum(top, p.threshold), p.mu, p.sigma) - unchecked_lev(
        np.minimum(d, p.threshold), p.mu, p.sigma
    )
    v_low = _relative_excess(d, p.threshold)
    v_high = _relative_excess(top, p.threshold)
    return body + p.p_u * p.threshold * _gpd_layer(v_low, v_high, p.xi, p.b)


def _loss_at_survival(q: FloatArray, p: SplicedParams) -> FloatArray:
    """The loss x in USD with P(X > x) = q, q in [0, 1] (q = 0: the upper end, inf if xi >= 0)."""
    in_body = q >= p.p_u
    # ndtri of the survival, not of 1 - q: the body's quantile from the side it is given
    body = np.exp(p.mu - p.sigma * ndtri(np.where(in_body, q, 1.0)))
    # Tail: (1 + xi y / b) ** (-1 / xi) = s  =>  y = b * expm1(xi g) / xi with g = -ln s;
    # expm1(a) / a = 1 + a/2 + a^2/6 near 0 is the xi = 0 limit y = b g.
    s = np.where(in_body, 1.0, q / np.where(in_body, 1.0, p.p_u))  # p_u > 0 off the body
    g = -np.log(np.where(s > 0, s, 1.0))
    a = p.xi * g
    small = np.abs(a) < _SMALL
    ratio = np.where(small, 1.0 + a / 2.0 + a * a / 6.0, np.expm1(a) / np.where(small, 1.0, a))
    upper_end = np.where(p.xi < 0, -p.b / np.where(p.xi < 0, p.xi, -1.0), np.inf)
    excess = np.where(s > 0, p.b * g * ratio, upper_end)
    return np.where(in_body, body, p.threshold * (1.0 + excess))


def spliced_quantile(
    prob: npt.ArrayLike,
    mu: npt.ArrayLike,
    sigma: npt.ArrayLike,
    z_u: npt.ArrayLike,
    xi: npt.ArrayLike,
    b: npt.ArrayLike,
) -> FloatArray:
    """The loss in USD that X stays at or below with probability ``prob``, 0 <= prob <= 1.

    prob = 0 gives 0, prob = 1 the upper end (inf unless xi < 0). Parameters as
    in :func:`spliced_survival`.
    """
    q = np.asarray(prob, dtype=np.float64)
    if np.any(~((q >= 0) & (q <= 1))):
        raise ValueError(f"probability must be in [0, 1] (got {prob!r})")
    return _loss_at_survival(1.0 - q, _check(mu, sigma, z_u, xi, b))


def spliced_loss_at_survival(
    survival: npt.ArrayLike,
    mu: npt.ArrayLike,
    sigma: npt.ArrayLike,
    z_u: npt.ArrayLike,
    xi: npt.ArrayLike,
    b: npt.ArrayLike,
) -> FloatArray:
    """The loss x in USD with P(X > x) = ``survival``, 0 <= survival <= 1.

    The quantile taken from the survival side: a draw conditional on X > v
    is x at survival U * P(X > v), which keeps its relative precision far up
    the tail, where 1 - survival would round to 1. Parameters as in
    :func:`spliced_survival`.
    """
    q = np.asarray(survival, dtype=np.float64)
    if np.any(~((q >= 0) & (q <= 1))):
        raise ValueError(f"survival must be in [0, 1] (got {survival!r})")
    return _loss_at_survival(q, _check(mu, sigma, z_u, xi, b))


def spliced_sample(
    rng: np.random.Generator,
    size: int | tuple[int, ...],
    mu: npt.ArrayLike,
    sigma: npt.ArrayLike,
    z_u: npt.ArrayLike,
    xi: npt.ArrayLike,
    b: npt.ArrayLike,
) -> FloatArray:
    """``size`` independent ground-up losses in USD by inverse CDF; parameters broadcast against ``size``.

    The parameters must broadcast to ``size`` itself: were they larger, one
    uniform would be shared by several losses and those would be dependent.
    The uniform draw is used as the survival probability, 1 - U in (0, 1], so
    the tail's quantile is taken from a probability with full relative
    precision and no draw lands on the (possibly infinite) upper end.
    """
    p = _check(mu, sigma, z_u, xi, b)
    shape = (size,) if isinstance(size, int) else tuple(size)
    if np.broadcast_shapes(shape, *(np.shape(a) for a in p)) != shape:
        raise ValueError(f"size {shape} must hold the parameters' broadcast shape")
    return _loss_at_survival(1.0 - rng.random(shape), p)


def mixture_layer_expected_loss(
    retention_usd: npt.ArrayLike,
    limit_usd: npt.ArrayLike,
    weights: npt.ArrayLike,
    mu: npt.ArrayLike,
    sigma: npt.ArrayLike,
    z_u: npt.ArrayLike,
    xi: npt.ArrayLike,
    b: npt.ArrayLike,
) -> FloatArray:
    """Per-claim layer expected loss in USD of a mixture of spliced losses (one per cause).

    The last axis of ``weights`` and of the parameters is the component;
    weights are >= 0 and sum to 1 along it (a claim's cause probabilities).
    ``retention_usd`` and ``limit_usd`` broadcast against the other axes. The
    layer expectation is linear in the distribution, so it is the weighted
    sum of the components' :func:`spliced_layer_expected_loss`.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 0 or not np.all(np.isfinite(w) & (w >= 0)):
        raise ValueError(f"weights must be >= 0 along a last (component) axis (got {weights!r})")
    if not np.allclose(w.sum(axis=-1), 1.0, rtol=0.0, atol=_WEIGHT_ATOL):
        raise ValueError(f"weights must sum to 1 along the last (component) axis (got {weights!r})")
    d = np.asarray(retention_usd, dtype=np.float64)[..., np.newaxis]
    cap = np.asarray(limit_usd, dtype=np.float64)[..., np.newaxis]
    per_component = spliced_layer_expected_loss(d, cap, mu, sigma, z_u, xi, b)
    return np.sum(w * per_component, axis=-1)
