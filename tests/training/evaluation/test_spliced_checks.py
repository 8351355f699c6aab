"""The spliced density against the survival's derivative; the likelihood and tail check."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from models.pricing.cause_losses import CauseLosses, SeverityTails
from models.pricing.spliced import spliced_survival
from models.spec.contract import CLAIM_CAUSES
from tests.training.evaluation.cause_book import SIGMA, body_only, cause_book
from training.evaluation.spliced_checks import (
    claim_parameters,
    severity_nll_per_claim,
    spliced_log_density,
    tail_check,
)

K = len(CLAIM_CAUSES)


@pytest.mark.parametrize("xi", [0.4, 0.0, 1e-7, -0.3])
def test_density_is_minus_the_derivative_of_the_survival(xi):
    mu, sigma, z_u, b = 11.0, 1.4, 1.2, 0.8
    t = np.exp(mu + sigma * z_u)
    # body, just past the splice, and well into the tail (inside a negative xi's end t (1 - b / xi))
    x = np.concatenate([np.geomspace(1e3, 0.999 * t, 12), t * np.array([1.001, 1.3, 2.0, 3.4])])
    h = 1e-5 * x
    numerical = -(
        spliced_survival(x + h, mu, sigma, z_u, xi, b)
        - spliced_survival(x - h, mu, sigma, z_u, xi, b)
    ) / (2 * h)
    got = np.exp(spliced_log_density(x, mu, sigma, z_u, xi, b))
    np.testing.assert_allclose(got, numerical, rtol=1e-6)


def test_density_is_zero_past_the_upper_end_of_a_negative_shape():
    mu, sigma, z_u, xi, b = 11.0, 1.4, 1.2, -0.5, 0.5
    t = np.exp(mu + sigma * z_u)  # upper end t (1 - b / xi) = 2 t
    assert spliced_log_density(2.5 * t, mu, sigma, z_u, xi, b) == -np.inf
    assert np.isfinite(spliced_log_density(1.9 * t, mu, sigma, z_u, xi, b))


def test_density_integrates_to_one_on_each_side_of_the_splice():
    mu, sigma, z_u, xi, b = 10.0, 1.2, 1.0, 0.3, 0.6
    log_t = mu + sigma * z_u

    def f(s: float) -> float:  # the density in ln x: f(e^s) e^s
        return float(np.exp(spliced_log_density(np.exp(s), mu, sigma, z_u, xi, b) + s))

    body, _ = integrate.quad(f, mu - 12 * sigma, log_t, epsabs=1e-13)
    tail, _ = integrate.quad(f, log_t, log_t + 200.0, limit=200, epsabs=1e-13)
    assert body == pytest.approx(1.0 - stats.norm.sf(z_u), rel=1e-9)
    assert tail == pytest.approx(stats.norm.sf(z_u), rel=1e-9)


def test_each_claim_is_scored_under_its_own_cause():
    rate = np.full((2, K), 0.1)
    mu = np.arange(2 * K, dtype=float).reshape(2, K) + 9.0
    tails = SeverityTails(np.linspace(0.5, 2.0, K), np.linspace(-0.2, 0.5, K), np.full(K, 0.7))
    losses = CauseLosses(rate, mu, SIGMA, tails)
    owner, cause = np.array([1, 0]), np.array([3, 6])
    m, s, z, xi, b = claim_parameters(losses, owner, cause)
    assert m.tolist() == [mu[1, 3], mu[0, 6]]
    assert s.tolist() == [SIGMA[3], SIGMA[6]]
    assert z.tolist() == [tails.z_u[3], tails.z_u[6]]
    assert xi.tolist() == [tails.xi[3], tails.xi[6]] and b.tolist() == [0.7, 0.7]


def test_body_only_likelihood_and_tail_check_are_the_lognormals():
    book = cause_book(3000, 4)
    h = book.holdout
    losses = CauseLosses(book.rate, book.mu, SIGMA, body_only())
    mu, sigma = book.mu[h.claim_owner, h.claim_cause], SIGMA[h.claim_cause]
    logpdf = stats.lognorm.logpdf(h.loss_usd, sigma, scale=np.exp(mu))
    nll = severity_nll_per_claim(h.loss_usd, losses, h.claim_owner, h.claim_cause)
    assert nll == pytest.approx(-np.mean(logpdf), rel=1e-12)
    rows = tail_check(h.loss_usd, losses, h.claim_owner, h.claim_cause)
    for row in rows:
        u = row["threshold_usd"]
        assert row["observed_exceedances"] == np.sum(h.loss_usd > u)
        fitted = np.sum(stats.lognorm.sf(u, sigma, scale=np.exp(mu)))
        assert row["fitted_exceedances"] == pytest.approx(fitted, rel=1e-9)
    # the claims were drawn from these lognormals: the 99% exceedances agree within noise
    q99 = next(r for r in rows if r["quantile"] == 0.99)
    assert abs(q99["fitted_exceedances"] - q99["observed_exceedances"]) < 4 * np.sqrt(
        q99["fitted_exceedances"]
    )
