"""One ground-up loss X ~ lognormal(mu, sigma): the closed forms pricing needs.

ln X ~ Normal(mu, sigma^2), X in USD. Everything is vectorised: ``mu``,
``sigma`` and the amounts broadcast like numpy arrays, and a scalar in gives
a numpy scalar (use ``float(...)``) out.

The limited expected value is the workhorse of layer pricing:

    LEV(u) = E[min(X, u)]
           = exp(mu + sigma^2 / 2) * Phi((ln u - mu - sigma^2) / sigma)
             + u * (1 - Phi((ln u - mu) / sigma)).

Both terms are non-negative, so the formula has no cancellation; ``1 - Phi(z)``
is computed as ``Phi(-z)`` so that it keeps its precision far in the tail.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr, ndtri

_TINY, _HUGE = 1e-300, 1e300


def _check_sigma(sigma: ArrayLike) -> np.ndarray:
    s = np.asarray(sigma, dtype=np.float64)
    if not np.all(np.isfinite(s) & (s > 0)):
        raise ValueError(f"severity_sigma must be finite and > 0 (got {sigma!r})")
    return s


def _check_amount(u: ArrayLike, name: str) -> np.ndarray:
    a = np.asarray(u, dtype=np.float64)
    if np.any(np.isnan(a) | (a < 0)):
        raise ValueError(f"{name} must be >= 0 USD (got {u!r})")
    return a


def _log_mean(mu: np.ndarray | float, sigma: np.ndarray | float) -> np.ndarray | float:
    """ln E[X] = mu + sigma^2 / 2: the one spelling of the lognormal's mean."""
    return mu + 0.5 * sigma * sigma


def lognormal_mean(mu: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """E[X] in USD: exp(mu + sigma^2 / 2)."""
    s = _check_sigma(sigma)
    return np.exp(_log_mean(np.asarray(mu, dtype=np.float64), s))


def unchecked_mean(mu: float, sigma: float) -> float:
    """:func:`lognormal_mean` of one (mu, sigma) without input checks, as a float.

    For callers that validated once and price one loss at a time (the quote
    path): ``math.exp`` costs a tenth of a numpy call on one value. It can
    differ from numpy's vectorised exp in the last bit, and quotes have always
    been priced with it, so keep it here.
    """
    return math.exp(_log_mean(mu, sigma))


def lognormal_median(mu: ArrayLike) -> np.ndarray:
    """Median of X in USD: exp(mu)."""
    return np.exp(np.asarray(mu, dtype=np.float64))


def lognormal_quantile(p: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """The loss in USD that X stays below with probability ``p`` (0 < p < 1)."""
    q = np.asarray(p, dtype=np.float64)
    if np.any(~((q > 0) & (q < 1))):
        raise ValueError(f"probability must be in (0, 1) (got {p!r})")
    return np.exp(np.asarray(mu, dtype=np.float64) + _check_sigma(sigma) * ndtri(q))


def lognormal_survival(u: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """P(X > u); u in USD, u >= 0 (u = inf gives 0)."""
    a = _check_amount(u, "amount")
    s = _check_sigma(sigma)
    with np.errstate(divide="ignore"):
        z = (np.log(a) - np.asarray(mu, dtype=np.float64)) / s
    return ndtr(-z)


def lognormal_lev(u: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """Limited expected value E[min(X, u)] in USD; u in USD, 0 <= u <= inf."""
    a = _check_amount(u, "limit")
    return unchecked_lev(a, np.asarray(mu, dtype=np.float64), _check_sigma(sigma))


def unchecked_lev(u: np.ndarray, mu: np.ndarray | float, sigma: np.ndarray | float) -> np.ndarray:
    """:func:`lognormal_lev` without input checks, for callers that validated once.

    u is capped at 1e300 and its log taken at >= 1e-300: there the result
    equals the limits LEV(0) = 0 and LEV(inf) = mean to double precision, and
    no log(0) or inf * 0 arises.
    """
    capped = np.minimum(u, _HUGE)
    z = (np.log(np.maximum(capped, _TINY)) - mu) / sigma  # np.clip costs more per call
    return np.exp(_log_mean(mu, sigma)) * ndtr(z - sigma) + capped * ndtr(-z)


def layer_expected_loss(
    retention_usd: ArrayLike, limit_usd: ArrayLike, mu: ArrayLike, sigma: ArrayLike
) -> np.ndarray:
    """E[Y] in USD for one claim's insured loss Y = min(max(X - d, 0), L).

    d = ``retention_usd`` (per claim), L = ``limit_usd``; E[Y] = LEV(d + L) - LEV(d).
    """
    d = _check_amount(retention_usd, "retention_usd")
    cap = _check_amount(limit_usd, "limit_usd")
    return lognormal_lev(d + cap, mu, sigma) - lognormal_lev(d, mu, sigma)
