"""Lognormal closed forms against numerical integration (scipy.integrate.quad)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.stats import norm

from models.pricing.lognormal import (
    layer_expected_loss,
    lognormal_lev,
    lognormal_mean,
    lognormal_median,
    lognormal_quantile,
    lognormal_survival,
)

CASES = [  # (mu, sigma): a $100k-median SME loss, a heavy city loss, a light one
    (math.log(100e3), 1.8),
    (math.log(1e6), 2.2),
    (math.log(20e3), 0.6),
]


def _partial_mean_by_quad(mu: float, sigma: float, lower: float, upper: float) -> float:
    """E[X; lower < X <= upper], integrated over z = (ln x - mu) / sigma."""
    z_lo = -40.0 if lower == 0 else (math.log(lower) - mu) / sigma
    z_hi = 40.0 if math.isinf(upper) else (math.log(upper) - mu) / sigma
    value, _ = integrate.quad(
        lambda z: math.exp(mu + sigma * z) * norm.pdf(z),
        z_lo,
        z_hi,
        epsabs=0,
        epsrel=1e-13,
        limit=200,
    )
    return value


def _lev_by_quad(u: float, mu: float, sigma: float) -> float:
    """E[min(X, u)] = E[X; X <= u] + u P(X > u)."""
    return _partial_mean_by_quad(mu, sigma, 0.0, u) + u * norm.sf((math.log(u) - mu) / sigma)


@pytest.mark.parametrize(("mu", "sigma"), CASES)
@pytest.mark.parametrize("u_over_median", [0.01, 0.5, 1.0, 3.0, 100.0, 1e4])
def test_lev_matches_numerical_integration(mu: float, sigma: float, u_over_median: float) -> None:
    u = u_over_median * math.exp(mu)
    assert float(lognormal_lev(u, mu, sigma)) == pytest.approx(_lev_by_quad(u, mu, sigma), rel=1e-8)


@pytest.mark.parametrize(("mu", "sigma"), CASES)
@pytest.mark.parametrize(
    ("d_over_median", "l_over_median"), [(0.0, 1.0), (0.1, 10.0), (1.0, 5.0), (5.0, 50.0)]
)
def test_layer_expectation_matches_numerical_integration(
    mu: float, sigma: float, d_over_median: float, l_over_median: float
) -> None:
    """E[min(max(X - d, 0), L)] = E[X - d; d < X <= d + L] + L P(X > d + L)."""
    median = math.exp(mu)
    d, cap = d_over_median * median, l_over_median * median
    inside = _partial_mean_by_quad(mu, sigma, d, d + cap)
    p_inside = norm.cdf((math.log(d + cap) - mu) / sigma) - (
        norm.cdf((math.log(d) - mu) / sigma) if d > 0 else 0.0
    )
    expected = inside - d * p_inside + cap * norm.sf((math.log(d + cap) - mu) / sigma)
    assert float(layer_expected_loss(d, cap, mu, sigma)) == pytest.approx(expected, rel=1e-8)


def test_limits_of_lev_and_basic_moments() -> None:
    mu, sigma = math.log(100e3), 1.8
    mean = math.exp(mu + sigma**2 / 2)
    assert float(lognormal_mean(mu, sigma)) == pytest.approx(mean, rel=1e-15)
    assert float(lognormal_median(mu)) == pytest.approx(100e3, rel=1e-15)
    assert float(lognormal_lev(np.inf, mu, sigma)) == pytest.approx(mean, rel=1e-15)
    assert float(lognormal_lev(0.0, mu, sigma)) == 0.0
    # LEV'(u) = P(X > u): a central difference checks the survival function too
    u, du = 250e3, 1.0
    slope = (float(lognormal_lev(u + du, mu, sigma)) - float(lognormal_lev(u - du, mu, sigma))) / (
        2 * du
    )
    assert slope == pytest.approx(float(lognormal_survival(u, mu, sigma)), rel=1e-6)


def test_vectorised_over_amounts_and_parameters() -> None:
    u = np.array([1e4, 1e5, 1e6])
    mu = np.array([10.0, 11.0, 12.0])
    out = lognormal_lev(u, mu, 1.5)
    assert out.shape == (3,)
    for i in range(3):
        assert out[i] == pytest.approx(_lev_by_quad(u[i], mu[i], 1.5), rel=1e-8)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9, 0.995])
def test_quantile_inverts_survival(p: float) -> None:
    q = lognormal_quantile(p, 11.0, 2.0)
    assert float(lognormal_survival(q, 11.0, 2.0)) == pytest.approx(1 - p, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda: lognormal_lev(1e5, 11.0, 0.0), "severity_sigma"),
        (lambda: lognormal_lev(-1.0, 11.0, 1.0), "limit"),
        (lambda: layer_expected_loss(-5.0, 1e6, 11.0, 1.0), "retention_usd"),
        (lambda: lognormal_quantile(1.0, 11.0, 1.0), "probability"),
    ],
)
def test_bad_input_names_the_argument(call, word: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=word):
        call()


@settings(max_examples=200, deadline=None)
@given(
    mu=st.floats(min_value=0.0, max_value=20.0),
    sigma=st.floats(min_value=0.05, max_value=4.0),
    u=st.floats(min_value=0.0, max_value=1e12),
    v=st.floats(min_value=0.0, max_value=1e12),
)
def test_lev_is_bounded_increasing_and_concave(mu: float, sigma: float, u: float, v: float) -> None:
    lev_u, lev_v = float(lognormal_lev(u, mu, sigma)), float(lognormal_lev(v, mu, sigma))
    mean = float(lognormal_mean(mu, sigma))
    slack = 1e-12 * max(mean, u, v, 1.0)
    assert lev_u <= u + slack and lev_u <= mean * (1 + 1e-12)
    if u <= v:
        assert lev_u <= lev_v + slack
    mid = float(lognormal_lev((u + v) / 2, mu, sigma))
    assert mid >= (lev_u + lev_v) / 2 - slack
