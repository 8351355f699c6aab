"""Severity model: recovery of a known lognormal, the too-few-claims error, the tail check."""

from __future__ import annotations

import numpy as np
import pytest

from models.scoring.features import build_features
from models.scoring.severity import (
    MIN_TRAINING_CLAIMS,
    InsufficientClaimsError,
    fit_severity,
    tail_check,
)
from tests.support.portfolio import SIGMA, make_portfolio, small_params


@pytest.fixture(scope="module")
def fitted():
    p = make_portfolio(8000, 31)
    x = build_features(p.policies)
    owner = p.policies["policy_id"].searchsorted(p.claims["policy_id"])
    loss = p.claims["loss_usd"].to_numpy()
    cut = int(0.8 * len(loss))
    model = fit_severity(
        (x[owner[:cut]], loss[:cut]), (x[owner[cut:]], loss[cut:]), small_params(), 3
    )
    return p, x, owner, loss, model


def test_recovers_location_and_scale(fitted):
    p, x, _, _, model = fitted
    mu = model.mu(x)
    assert np.corrcoef(mu, p.true_mu)[0, 1] > 0.8
    assert abs(np.mean(mu) - np.mean(p.true_mu)) < 0.15
    # sigma from validation residuals: the true scale plus the location's own error
    assert SIGMA - 0.05 < model.sigma < SIGMA + 0.2


def test_mean_loss_is_the_lognormal_mean_and_balance_scales_it(fitted):
    _, x, _, _, model = fitted
    np.testing.assert_allclose(model.mean_loss(x), np.exp(model.mu(x) + model.sigma**2 / 2))
    np.testing.assert_allclose(model.with_balance(0.8).mean_loss(x), 0.8 * model.mean_loss(x))


def test_too_few_claims_is_a_clear_error(fitted):
    _, x, owner, loss, _ = fitted
    few = MIN_TRAINING_CLAIMS - 1
    with pytest.raises(InsufficientClaimsError, match=f"{few} training and 30 validation"):
        fit_severity((x[owner[:few]], loss[:few]), (x[owner[:30]], loss[:30]), small_params(), 3)


def test_non_positive_loss_is_rejected(fitted):
    _, x, owner, loss, _ = fitted
    bad = loss[:200].copy()
    bad[7] = 0.0
    with pytest.raises(ValueError, match="loss_usd must be > 0"):
        fit_severity((x[owner[:200]], bad), (x[owner[:50]], loss[:50]), small_params(), 3)


def test_tail_check_matches_a_known_lognormal():
    # oracle: losses drawn from the very lognormal the check is given
    rng = np.random.default_rng(4)
    mu = rng.normal(11.0, 0.5, 40_000)
    losses = np.exp(mu + 1.8 * rng.standard_normal(len(mu)))
    rows = tail_check(losses, mu, 1.8)
    for row in rows:
        assert row["observed_exceedances"] == pytest.approx(len(mu) * (1 - row["quantile"]), abs=1)
        assert 0.85 < row["fitted_to_observed"] < 1.15, row
    # a too-thin fitted tail shows up as too few fitted exceedances at the top
    thin = tail_check(losses, mu, 1.2)
    assert thin[-1]["fitted_to_observed"] < 0.5
