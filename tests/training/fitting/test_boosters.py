"""Split, fit and balance: totals equal the observed ones, seeds reproduce bytes."""

from __future__ import annotations

import numpy as np
import pytest

from models.pricing.lognormal import lognormal_lev
from tests.support.portfolio import make_portfolio, small_params
from training.errors import TrainingInputError
from training.fitting.boosters import fit_models, model_data, split_policies


@pytest.fixture(scope="module")
def data():
    p = make_portfolio(3000, 41)
    return p, model_data(p.policies, p.claims)


def test_split_is_seeded_disjoint_and_complete():
    split = split_policies(1000, seed=3)
    parts = [split.train, split.valid, split.holdout]
    assert [len(p) for p in parts] == [700, 150, 150]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(1000))
    again = split_policies(1000, seed=3)
    assert np.array_equal(again.holdout, split.holdout)
    assert not np.array_equal(split_policies(1000, seed=4).holdout, split.holdout)


def test_model_data_counts_claims_per_policy(data):
    p, d = data
    assert d.claim_counts.sum() == len(p.claims)
    first = p.claims["policy_id"].iloc[0]
    row = int(np.flatnonzero(p.policies["policy_id"] == first)[0])
    assert d.claim_counts[row] == (p.claims["policy_id"] == first).sum()
    rows = np.arange(100)
    assert len(d.claims_of(rows)) == d.claim_counts[rows].sum()


def test_balance_reproduces_observed_totals_on_training_data(data):
    _, d = data
    split = split_policies(len(d.exposure_years), 7)
    fitted = fit_models(d, split, small_params(), 7)
    x, t = d.features[split.train], d.exposure_years[split.train]
    count = fitted.frequency.expected_claim_count(x, t)
    assert count.sum() == pytest.approx(d.claim_counts[split.train].sum(), rel=1e-6)
    assert fitted.balance.observed_claims == d.claim_counts[split.train].sum()
    # the corrections are the ratios a balanced model had to apply
    assert 0.8 < fitted.balance.frequency_factor < 1.2
    # the body of the losses (capped at their 90th percentile) is reproduced by the
    # location, and the large-loss factor carries the rest of the observed total
    b = fitted.balance
    mean = fitted.severity.mean_loss(x)
    body = (
        count * lognormal_lev(b.body_cap_usd, fitted.severity.mu(x), fitted.severity.sigma)
    ).sum()
    losses = d.loss_usd[d.claims_of(split.train)]
    assert body == pytest.approx(np.minimum(losses, b.body_cap_usd).sum(), rel=1e-6)
    total = body + b.large_loss_factor * ((count * mean).sum() - body)
    # rel 1e-6 as above: these counts come through XGBoost's float32 margin, the
    # balance's own through float64
    assert total == pytest.approx(losses.sum(), rel=1e-6)
    assert fitted.severity.mu_shift == b.body_mu_shift
    # on lognormal data there is no large-loss excess beyond sampling noise
    assert 0.6 < b.large_loss_factor < 1.6


def test_same_data_and_seed_give_byte_identical_boosters(data):
    _, d = data
    split = split_policies(len(d.exposure_years), 7)
    a = fit_models(d, split, small_params(), 7)
    b = fit_models(d, split, small_params(), 7)
    for one, two in ((a.frequency, b.frequency), (a.severity, b.severity)):
        assert bytes(one.booster.save_raw("ubj")) == bytes(two.booster.save_raw("ubj"))


def test_too_few_claims_is_an_input_error_not_a_fallback():
    p = make_portfolio(300, 5)
    d = model_data(p.policies, p.claims)
    with pytest.raises(TrainingInputError, match="too few claims to fit the severity model"):
        fit_models(d, split_policies(300, 1), small_params(), 1)
    none = model_data(p.policies, p.claims.iloc[:0])
    with pytest.raises(TrainingInputError, match="no claims"):
        fit_models(none, split_policies(300, 1), small_params(), 1)
