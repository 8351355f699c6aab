"""Split, fit and balance: per-cause totals equal the observed ones, seeds reproduce bytes.

Oracle of the balance: its own definition (training/fitting/balance.py) on the
training split, recomputed here from the fitted model's predictions: for each
claim cause, predicted claims = observed claims, and over the cause's claims
the spliced expected loss capped at the cause's 90% quantile = the observed
capped losses.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.pricing.spliced import spliced_lev, spliced_mean
from models.spec.contract import CLAIM_CAUSES
from tests.support.portfolio import CAUSES, make_portfolio, small_params
from training.errors import TrainingInputError
from training.fitting.balance import CAP_QUANTILE
from training.fitting.boosters import (
    claims_part,
    fit_models,
    model_data,
    policy_part,
    split_policies,
)

CLAIMED = [CLAIM_CAUSES.index(c) for c in CAUSES]  # the causes the test portfolio draws
UNCLAIMED = [k for k in range(len(CLAIM_CAUSES)) if k not in CLAIMED]


@pytest.fixture(scope="module")
def data():
    p = make_portfolio(3000, 41)
    return p, model_data(p.policies, p.claims)


@pytest.fixture(scope="module")
def fitted(data):
    _, d = data
    split = split_policies(len(d.exposure_years), 7)
    return split, fit_models(d, split, small_params(), 7)


def test_split_is_seeded_disjoint_and_complete():
    split = split_policies(1000, seed=3)
    parts = [split.train, split.valid, split.holdout]
    assert [len(p) for p in parts] == [700, 150, 150]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(1000))
    again = split_policies(1000, seed=3)
    assert np.array_equal(again.holdout, split.holdout)
    assert not np.array_equal(split_policies(1000, seed=4).holdout, split.holdout)


def test_model_data_counts_claims_per_policy_and_codes_their_causes(data):
    p, d = data
    assert d.claim_counts.sum() == len(p.claims)
    first = p.claims["policy_id"].iloc[0]
    row = int(np.flatnonzero(p.policies["policy_id"] == first)[0])
    assert d.claim_counts[row] == (p.claims["policy_id"] == first).sum()
    rows = np.arange(100)
    assert len(d.claims_of(rows)) == d.claim_counts[rows].sum()
    assert [CLAIM_CAUSES[k] for k in d.claim_cause] == p.claims["cause"].tolist()


def test_claims_follow_their_policy_into_its_part(data):
    _, d = data
    split = split_policies(len(d.exposure_years), 7)
    for rows in (split.train, split.valid, split.holdout):
        features, exposure, owner, cause = policy_part(d, rows)
        claim_rows = d.claims_of(rows)
        # owner is a position in ``rows``: it names the claim's own policy
        assert np.array_equal(rows[owner], d.claim_owner[claim_rows])
        assert np.array_equal(np.bincount(owner, minlength=len(rows)), d.claim_counts[rows])
        assert np.array_equal(features, d.features[rows])
        assert np.array_equal(exposure, d.exposure_years[rows])
        x, loss, same_cause = claims_part(d, rows)
        assert np.array_equal(x, features[owner])
        assert np.array_equal(loss, d.loss_usd[claim_rows])
        assert np.array_equal(same_cause, cause)
        assert np.array_equal(cause, d.claim_cause[claim_rows])
    parts = [d.claims_of(r) for r in (split.train, split.valid, split.holdout)]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(d.loss_usd)))


def test_predicted_training_claims_of_each_cause_are_the_observed_ones(data, fitted):
    _, d = data
    split, fit = fitted
    x, t = d.features[split.train], d.exposure_years[split.train]
    _, _, cause = claims_part(d, split.train)
    observed = np.bincount(cause, minlength=len(CLAIM_CAUSES)).astype(float)
    predicted = (fit.model.predict(x).rate * t[:, None]).sum(axis=0)
    # rel 1e-9: the factors come from the same float64 products of the same predictions
    np.testing.assert_allclose(predicted[CLAIMED], observed[CLAIMED], rtol=1e-9)
    b = fit.balance
    assert b.observed_claims == d.claim_counts[split.train].sum() == observed.sum()
    assert [b.cause_observed_claims[c] for c in CLAIM_CAUSES] == observed.tolist()
    factors = np.array([b.cause_claim_factors[c] for c in CLAIM_CAUSES])
    assert np.array_equal(factors, fit.frequency.balance_factors)
    # each factor is observed / predicted claims of the unbalanced model
    unbalanced = fit.frequency.with_balance(np.ones(len(CLAIM_CAUSES)))
    before = (unbalanced.claim_rates(x) * t[:, None]).sum(axis=0)
    np.testing.assert_allclose(factors[CLAIMED], observed[CLAIMED] / before[CLAIMED], rtol=1e-12)
    # the corrections are the small ratios a boosted fit needs, not a refit
    assert np.all((factors[CLAIMED] > 0.8) & (factors[CLAIMED] < 1.25))


def test_a_cause_without_training_claims_keeps_factor_one_and_a_small_positive_rate(data, fitted):
    # the start gives such a cause half a claim over the training exposure and no slope,
    # and no trees (models/scoring/frequency.py); the balance must not zero it
    _, d = data
    split, fit = fitted
    b = fit.balance
    assert all(b.cause_claim_factors[CLAIM_CAUSES[k]] == 1.0 for k in UNCLAIMED)
    assert all(fit.frequency.best_iterations[k] == -1 for k in UNCLAIMED)
    x, t = d.features[split.train], d.exposure_years[split.train]
    rate = fit.model.predict(x).rate
    assert np.all(np.isfinite(rate)) and np.all(rate[:, UNCLAIMED] > 0)
    # flat: half a training claim over the training exposure, for every policy (exp of log)
    np.testing.assert_allclose(rate[:, UNCLAIMED], 0.5 / t.sum(), rtol=1e-12)
    assert np.all(np.isfinite(fit.frequency.log_rates(x)))


def test_capped_losses_of_each_cause_are_the_observed_ones(data, fitted):
    _, d = data
    split, fit = fitted
    x, loss, cause = claims_part(d, split.train)
    sev, b = fit.severity, fit.balance
    mu = sev.mu(x)[np.arange(len(cause)), cause]  # each claim's location of its own cause
    t = sev.tails
    assert np.array_equal(sev.mu_shift, [b.cause_mu_shift[c] for c in CLAIM_CAUSES])
    for k in CLAIMED:
        c, mine = CLAIM_CAUSES[k], cause == k
        cap = np.quantile(loss[mine], CAP_QUANTILE)
        assert b.cause_cap_usd[c] == cap
        shape = (sev.sigma[k], t.z_u[k], t.xi[k], t.b[k])
        observed_body = np.minimum(loss[mine], cap).sum()
        # rel 1e-6: brentq stops at 1e-9 in the shift; the claims' mu pass through float32
        assert spliced_lev(cap, mu[mine], *shape).sum() == pytest.approx(observed_body, rel=1e-6)
        assert b.cause_observed_loss_usd[c] == pytest.approx(loss[mine].sum(), rel=1e-12)
        predicted_excess = spliced_mean(mu[mine], *shape).sum() - observed_body
        ratio = (loss[mine].sum() - observed_body) / predicted_excess
        assert b.cause_large_loss_ratio[c] == pytest.approx(ratio, rel=1e-6)
    for k in UNCLAIMED:  # nothing to balance: not moved, reported as neutral
        c = CLAIM_CAUSES[k]
        assert sev.mu_shift[k] == 0.0 and b.cause_cap_usd[c] == 0.0
        assert b.cause_large_loss_ratio[c] == 1.0 and b.cause_observed_loss_usd[c] == 0.0
    assert b.observed_loss_usd == pytest.approx(loss.sum(), rel=1e-12)
    # the portfolio is lognormal (sigma 1.3) for every cause: the shifts stay small and
    # the tail, fitted to the same claims, carries about the observed excess over the caps
    assert np.all(np.abs(sev.mu_shift) < 0.3)
    excess = [b.cause_large_loss_ratio[CLAIM_CAUSES[k]] for k in CLAIMED]
    assert 0.5 < np.mean(excess) < 2.0


def test_tails_come_in_cause_order_with_their_fits(fitted):
    _, fit = fitted
    # about 420 training claims: fewer than an own tail needs, so every cause is pooled
    (pooled,) = fit.tails
    assert pooled.causes == CLAIM_CAUSES
    t, sigma = fit.severity.tails, fit.severity.sigma
    np.testing.assert_array_equal(t.z_u, pooled.tail.z_u)
    # each cause's tail is the pooled excesses on its own sigma (training/fitting/cause_tails.py)
    for k in CLAIMED:
        g = pooled.on_scale(sigma[k])
        assert (t.xi[k], t.b[k]) == (g.xi, g.b)


def test_a_cause_without_training_claims_gets_the_pooled_tail_on_its_sigma(fitted):
    _, fit = fitted
    (pooled,) = fit.tails
    t, sigma = fit.severity.tails, fit.severity.sigma
    # a claimless cause's sigma is the pooled out-of-fold scale: not 1, so the pool's b
    # per unit of sigma would differ
    assert np.all(np.abs(sigma[UNCLAIMED] - 1.0) > 0.01)
    for k in UNCLAIMED:
        g = pooled.on_scale(sigma[k])
        assert (t.xi[k], t.b[k]) == (g.xi, g.b) and t.b[k] != pooled.tail.b


def test_same_data_and_seed_give_byte_identical_boosters(data, fitted):
    _, d = data
    split, a = fitted
    b = fit_models(d, split, small_params(), 7)
    boosters = [
        (*a.frequency.boosters, a.severity.booster),
        (*b.frequency.boosters, b.severity.booster),
    ]
    assert len(boosters[0]) == len(CLAIM_CAUSES) + 1
    for one, two in zip(*boosters, strict=True):
        assert bytes(one.save_raw("ubj")) == bytes(two.save_raw("ubj"))
    assert a.frequency.best_iterations == b.frequency.best_iterations
    for start in ("intercept", "coef", "penalty"):
        assert np.array_equal(getattr(a.frequency.start, start), getattr(b.frequency.start, start))
    assert a.balance == b.balance


def test_too_few_claims_is_an_input_error_not_a_fallback():
    p = make_portfolio(300, 5)
    d = model_data(p.policies, p.claims)
    with pytest.raises(TrainingInputError, match="too few claims to fit the severity model"):
        fit_models(d, split_policies(300, 1), small_params(), 1)
    none = model_data(p.policies, p.claims.iloc[:0])
    with pytest.raises(TrainingInputError, match="no claims"):
        fit_models(none, split_policies(300, 1), small_params(), 1)
