"""The cause mix: the logit's penalty chosen on validation, a mix that follows a known truth,
half a claim's share for a cause never seen, and cause rates = total x mix x factors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from models.scoring.cause_mix import LOGIT_PENALTIES, fit_cause_mix
from models.scoring.features import FEATURE_NAMES, build_features
from models.scoring.glm_inputs import GlmInputs
from models.spec.contract import CLAIM_CAUSES
from tests.support.portfolio import exposure_frame, small_params

K = len(CLAIM_CAUSES)
#: The causes the sample's claims have: ransomware, data_breach, other; four never occur.
SEEN = np.array([0, 1, 6])
UNSEEN = np.array([2, 3, 4, 5])
#: True log-odds among the seen causes: ransomware's rises with default_credentials_pct.
LEVEL = np.array([0.0, 0.3, -0.2])
SLOPE = np.array([1.0, 0.0, 0.0])  # per standard deviation of the feature
FEATURE = FEATURE_NAMES.index("default_credentials_pct")  # a % field: no log1p in the logit
CLAIMS, TRAIN = 3000, 2400


@pytest.fixture(scope="module")
def sample():
    x = build_features(exposure_frame(6000, 8))
    column = x[:, FEATURE].astype(np.float64)
    z = (column - column.mean()) / column.std()
    true = np.zeros((len(x), K))
    true[:, SEEN] = softmax(LEVEL + SLOPE * z[:, np.newaxis], axis=1)
    rng = np.random.default_rng(0)
    owner = rng.integers(0, len(x), CLAIMS)
    u = rng.random(CLAIMS)[:, np.newaxis]
    cause = SEEN[(u > np.cumsum(true[owner][:, SEEN], axis=1)).sum(axis=1)]
    inputs, _ = GlmInputs.fit_transform(x)
    train = (x[owner[:TRAIN]], cause[:TRAIN])
    valid = (x[owner[TRAIN:]], cause[TRAIN:])
    return x, z, true, inputs, train, valid


@pytest.fixture(scope="module")
def fitted(sample):
    _, _, _, inputs, train, valid = sample
    return fit_cause_mix(inputs, train, valid, small_params(), 4)


def test_the_logits_penalty_is_the_best_on_the_validation_claims(sample, fitted):
    _, _, _, inputs, (x_train, c_train), (x_valid, c_valid) = sample
    z_train, z_valid = inputs.transform(x_train), inputs.transform(x_valid)
    # oracle: sklearn refitted at every penalty, scored on the validation claims
    fits = {
        c: LogisticRegression(C=c, max_iter=2000, tol=1e-8).fit(z_train, c_train)
        for c in LOGIT_PENALTIES
    }
    losses = {c: log_loss(c_valid, f.predict_proba(z_valid), labels=SEEN) for c, f in fits.items()}
    best = min(losses, key=losses.__getitem__)
    logit = fitted.logit
    assert logit.penalty == best
    assert best not in (LOGIT_PENALTIES[0], LOGIT_PENALTIES[-1])  # a real choice, not an edge
    assert max(losses.values()) - min(losses.values()) > 1e-3
    np.testing.assert_allclose(logit.coef[SEEN], fits[best].coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(logit.intercept[SEEN], fits[best].intercept_, rtol=1e-10)
    # among the seen causes the mix is sklearn's (the unseen ones take ~4 half-claims' share)
    mix = np.exp(logit.log_mix(x_valid))
    seen = mix[:, SEEN] / mix[:, SEEN].sum(axis=1, keepdims=True)
    np.testing.assert_allclose(seen, fits[best].predict_proba(z_valid), rtol=1e-8)
    np.testing.assert_allclose(mix[:, UNSEEN].sum(axis=1), 2 / TRAIN, rtol=0.5)


def test_every_mix_row_sums_to_one(sample, fitted):
    mix = fitted.mix(sample[0])
    assert mix.shape == (len(sample[0]), K) and np.all(mix > 0)
    # softprob in float32: seven values each within 6e-8 of their sum's share
    np.testing.assert_allclose(mix.sum(axis=1), 1.0, atol=1e-6)


def test_the_fitted_mix_follows_the_feature_the_true_mix_depends_on(sample, fitted):
    x, z, true, *_ = sample
    mix = fitted.mix(x)
    # by quintile of the feature: the true ransomware share goes from ~0.13 to ~0.64
    band = np.digitize(z, np.quantile(z, [0.2, 0.4, 0.6, 0.8]))
    fitted_share = np.array([mix[band == b, 0].mean() for b in range(5)])
    true_share = np.array([true[band == b, 0].mean() for b in range(5)])
    assert true_share[-1] - true_share[0] > 0.4
    assert np.all(np.diff(fitted_share) > 0)
    # ~480 training claims a quintile: a share's sampling sd is <= sqrt(0.25 / 480) = 0.023;
    # the penalised logit shrinks the slope a little more: 0.07 is three sds
    np.testing.assert_array_less(np.abs(fitted_share - true_share), 0.07)
    # the other two seen causes share what is left in the truth's proportions (level 0.3 vs -0.2)
    ratio = mix[:, 1].mean() / mix[:, 6].mean()
    assert ratio == pytest.approx(np.exp(0.5), rel=0.2)


def test_a_cause_never_seen_gets_about_half_a_claims_share(sample, fitted):
    x = sample[0]
    logit = fitted.logit
    # the logit: no slope, and at the average inputs (z = 0) exactly half a claim's share of
    # TRAIN claims each (the four unseen causes' own weight in the denominator is the 1 + 2/n)
    assert np.all(logit.coef[UNSEEN] == 0.0)
    at_mean = softmax(logit.intercept)
    np.testing.assert_allclose(at_mean[UNSEEN], (0.5 / TRAIN) / (1 + 4 * 0.5 / TRAIN), rtol=1e-12)
    # the whole mix: small but never zero (finite logs for the deviance and the explanation).
    # Over these cities the logit alone gives 0.29-0.51 of a claim (the seen causes' log-odds
    # move the denominator); the booster's own leaf for a cause without claims has a gradient
    # of about half a claim (G ~ 0.5), so it moves it by at most eta G / (G + lambda) =
    # 0.15 x 0.5 / 5.5 ~ 0.014 a round, and it is cut after a handful of rounds
    logit_claims = np.exp(logit.log_mix(x))[:, UNSEEN] * TRAIN
    assert np.all(logit_claims > 0.25) and np.all(logit_claims < 0.55)
    claims = fitted.mix(x)[:, UNSEEN] * TRAIN
    assert fitted.best_iteration < 20  # 8 here
    assert np.all(claims > 0.2) and np.all(claims < 0.75)
    # (best_iteration + 1) x 0.014 <= 0.28 on its own margin; the seen causes' margins
    # move the denominator the other way as often as not
    np.testing.assert_array_less(np.abs(np.log(claims / logit_claims)), 0.3)
    assert np.median(claims) == pytest.approx(0.5, abs=0.1)


def test_cause_rates_are_total_times_mix_times_factors(sample, fitted):
    x = sample[0][:200]
    total = np.random.default_rng(1).uniform(0.01, 0.5, len(x))
    np.testing.assert_allclose(fitted.cause_rates(total, x).sum(axis=1), total, rtol=1e-6)
    factors = np.linspace(0.8, 1.4, K)
    balanced = fitted.with_balance(factors)
    np.testing.assert_array_equal(balanced.mix(x), fitted.mix(x))  # factors do not touch the mix
    np.testing.assert_allclose(
        balanced.cause_rates(total, x), total[:, np.newaxis] * fitted.mix(x) * factors, rtol=1e-15
    )
    assert np.all(fitted.cause_factors == 1.0)
