"""GLM baseline: the weighted-rate Poisson fit equals the offset MLE; preprocessing rules."""

from __future__ import annotations

import numpy as np
import pytest

from models.pricing.lognormal import lognormal_lev
from models.scoring.features import FEATURE_NAMES, build_features
from tests.support.portfolio import make_portfolio
from training.fitting.balance import BODY_QUANTILE
from training.fitting.baseline import fit_baseline, heavy_tailed_columns


def test_heavy_tailed_columns_follow_the_spec_units():
    mask = dict(zip(FEATURE_NAMES, heavy_tailed_columns(), strict=True))
    assert mask["population"] and mask["pii_records"] and mask["device_patch_days"]
    assert mask["unencrypted_pii_records"]  # derived
    assert not mask["default_credentials_pct"]  # a percentage
    assert not mask["mfa_remote"] and not mask["monitoring_24x7"]
    assert not mask["critical_services_count"] and not mask["privacy_regime=gdpr"]


def test_rate_with_exposure_weights_is_the_poisson_offset_mle():
    # oracle: with one binary factor the Poisson MLE with a log(exposure)
    # offset is each group's claims / exposure, and the lognormal location is
    # each group's mean log loss
    rng = np.random.default_rng(8)
    n = 4000
    x = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    j = FEATURE_NAMES.index("monitoring_24x7")
    x[:, j] = rng.random(n) < 0.4
    exposure = rng.uniform(0.2, 1.5, n)
    counts = rng.poisson(np.where(x[:, j] == 1, 0.1, 0.3) * exposure).astype(float)
    owner = np.repeat(np.arange(n), counts.astype(int))
    log_loss = np.where(x[owner, j] == 1, 9.0, 11.0) + rng.standard_normal(len(owner))
    glm = fit_baseline(
        (x, counts, exposure), (x[owner], np.exp(log_loss)), alpha=1e-10, balance=False
    )
    for group in (0, 1):
        rows = x[:, j] == group
        mle = counts[rows].sum() / exposure[rows].sum()
        assert np.isclose(glm.claim_rate_per_year(x[rows][:1])[0], mle, rtol=1e-6)
        claims = x[owner, j] == group
        assert np.isclose(glm.severity_mu(x[rows][:1])[0], log_loss[claims].mean(), atol=0.01)
    assert abs(glm.sigma - 1.0) < 0.05


@pytest.fixture(scope="module")
def portfolio():
    """(portfolio, features, training arrays, claims arrays) of one synthetic book."""
    p = make_portfolio(3000, 13)
    x = build_features(p.policies)
    train = (x, p.claim_counts, p.policies["exposure_years"].to_numpy())
    return p, x, train, (x[p.claim_owner], p.claims["loss_usd"].to_numpy())


def test_recovers_the_known_truth_roughly(portfolio):
    p, x, train, claims = portfolio
    glm = fit_baseline(train, claims)
    assert np.corrcoef(np.log(glm.claim_rate_per_year(x)), np.log(p.true_rate))[0, 1] > 0.85
    assert np.corrcoef(glm.severity_mu(x), p.true_mu)[0, 1] > 0.6


def test_balanced_baseline_reproduces_the_training_claims_and_loss_body(portfolio):
    # oracle: the balance's own definition (training/fitting/balance.py), on the
    # training data: expected claims = observed claims, and the expected
    # losses capped at the 90th percentile = the observed capped losses
    _, x, train, claims = portfolio
    counts, exposure = train[1], train[2]
    losses = claims[1]
    fitted = fit_baseline(train, claims, balance=False)
    glm = fit_baseline(train, claims)
    expected = glm.claim_rate_per_year(x) * exposure
    assert expected.sum() == pytest.approx(counts.sum(), rel=1e-12)
    cap = np.quantile(losses, BODY_QUANTILE)
    body = np.sum(expected * lognormal_lev(cap, glm.severity_mu(x), glm.sigma))
    assert body == pytest.approx(np.minimum(losses, cap).sum(), rel=1e-7)
    # the corrections move the fit, never the shape: one factor, one shift
    assert glm.claim_rate_per_year(x) / fitted.claim_rate_per_year(x) == pytest.approx(
        glm.frequency_factor, rel=1e-12
    )
    assert glm.severity_mu(x) - fitted.severity_mu(x) == pytest.approx(glm.mu_shift, abs=1e-12)
    assert glm.sigma == fitted.sigma
