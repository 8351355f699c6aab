"""Severity by cause: recovery of known per-cause lognormals, the credibility rule for sigma,
the too-few-claims and bad-loss errors, the cause one-hot rows, the tail check."""

from __future__ import annotations

import numpy as np
import pytest

from models.pricing.cause_losses import CAUSE_COUNT, CauseLosses
from models.scoring.booster_params import BoosterParams
from models.scoring.features import FEATURE_NAMES, MONOTONE_CONSTRAINTS, build_features
from models.scoring.severity import (
    MIN_TRAINING_CLAIMS,
    MIN_VALIDATION_CLAIMS,
    NO_TAIL,
    SIGMA_CREDIBILITY,
    InsufficientClaimsError,
    cause_sigmas,
    every_cause,
    fit_severity,
    with_cause,
)
from tests.support.portfolio import exposure_frame

#: The truth: log(loss) of a cause-c claim ~ Normal(LOC[c] + SLOPE log10(pii + 1), SCALE[c]^2).
LOC = np.array([9.0, 10.0, 11.0, 12.0, 10.5, 9.5, 11.5])
SCALE = np.array([0.8, 1.0, 1.2, 1.4, 1.6, 1.1, 0.9])
SLOPE = 0.4
CLAIMS = 20_000
TRAIN = 16_000
#: eta 0.3 and a patience of 30 rounds: the cause levels (up to 1.5 apart) are learnt in a
#: dozen rounds, not cut short by the 40 rounds of the shared small_params.
PARAMS = BoosterParams(max_rounds=200, early_stopping_rounds=30, eta=0.3, nthread=1)


def _true_mu(x: np.ndarray) -> np.ndarray:
    pii = x[:, FEATURE_NAMES.index("pii_records")].astype(np.float64)
    return LOC[np.newaxis, :] + SLOPE * np.log10(pii + 1.0)[:, np.newaxis]


@pytest.fixture(scope="module")
def sample():
    x = build_features(exposure_frame(4000, 5))
    rng = np.random.default_rng(7)
    owner = rng.integers(0, len(x), CLAIMS)
    cause = rng.integers(0, CAUSE_COUNT, CLAIMS)
    mu = _true_mu(x)[owner, cause]
    loss = np.exp(mu + SCALE[cause] * rng.standard_normal(CLAIMS))
    return x, owner, cause, loss


@pytest.fixture(scope="module")
def fitted(sample):
    x, owner, cause, loss = sample
    train = (x[owner[:TRAIN]], loss[:TRAIN], cause[:TRAIN])
    valid = (x[owner[TRAIN:]], loss[TRAIN:], cause[TRAIN:])
    return fit_severity(train, valid, PARAMS, 3)


def test_recovers_each_causes_location(sample, fitted):
    x, _, cause, _ = sample
    error = fitted.raw_mu(x) - _true_mu(x)  # (policies, K)
    counts = np.bincount(cause[:TRAIN], minlength=CAUSE_COUNT)
    # Each cause's level: its sampling error is SCALE / sqrt(n) <= 0.035 (n ~ 2,300), and
    # early stopping leaves a shrinkage toward the pooled mean that the validation MSE
    # cannot see (a level error d costs d^2 ~ 0.01, below the MSE's own noise of
    # ~1.4 sqrt(2 / 4,000) = 0.03): 0.15 is both together, with margin (0.13 at worst
    # over eight other seeds).
    assert np.all(counts > 2000)
    np.testing.assert_array_less(np.abs(error.mean(axis=0)), 0.15)
    # the slope in pii_records is learnt too: the locations follow the truth row by row
    assert np.corrcoef(fitted.raw_mu(x).ravel(), _true_mu(x).ravel())[0, 1] > 0.98
    spread = _true_mu(x)[:, 0].std()  # 0.4 x sd(log10 pii) ~ 0.46
    assert np.corrcoef(fitted.raw_mu(x)[:, 0], _true_mu(x)[:, 0])[0, 1] > 0.8 and spread > 0.3


def test_recovers_each_causes_scale(sample, fitted):
    _, _, cause, _ = sample
    counts = np.bincount(cause[:TRAIN], minlength=CAUSE_COUNT)
    pooled = np.sum(counts * SCALE**2) / counts.sum()
    # what the credibility rule makes of the true scales (a 1% pull toward the pool here)
    expected = np.sqrt(
        (counts * SCALE**2 + SIGMA_CREDIBILITY * pooled) / (counts + SIGMA_CREDIBILITY)
    )
    # three standard errors of an estimated sd (sigma / sqrt(2 n)), plus 0.03 for the
    # location's own error (rms ~0.2, which adds ~0.2^2 / (2 sigma) to a residual sd)
    tolerance = 3 * SCALE / np.sqrt(2 * counts) + 0.03
    np.testing.assert_array_less(np.abs(fitted.sigma - expected), tolerance)
    assert np.all(fitted.mu_shift == 0.0) and fitted.tails is NO_TAIL


def test_cause_sigmas_by_hand() -> None:
    # causes 0, 0, 1, 1, 2 with residuals 1, -1, 2, -2, 3; validation residuals 2, -2
    train = np.array([1.0, -1.0, 2.0, -2.0, 3.0])
    cause = np.array([0, 0, 1, 1, 2])
    sigma = cause_sigmas(train, cause, np.array([2.0, -2.0]))
    pooled_sq = (1 + 1 + 4 + 4 + 9) / 5  # 3.8
    inflation = 2.0 / np.sqrt(pooled_sq)  # validation rms / training rms
    c = SIGMA_CREDIBILITY
    by_hand = [
        inflation * np.sqrt((2 + c * pooled_sq) / (2 + c)),  # two residuals of 1
        inflation * np.sqrt((8 + c * pooled_sq) / (2 + c)),  # two of 2
        inflation * np.sqrt((9 + c * pooled_sq) / (1 + c)),  # one of 3
    ]
    np.testing.assert_allclose(sigma[:3], by_hand, rtol=1e-14)
    # a cause without claims is the pool itself: exactly the validation rms, 2
    np.testing.assert_allclose(sigma[3:], 2.0, rtol=1e-14)
    assert sigma.shape == (CAUSE_COUNT,)
    # 100,000 claims of a cause: its own rms all but outweighs the pool (4.625 = (0.25 + 9) / 2)
    many = np.r_[np.full(100_000, 0.5), np.full(100_000, -3.0)]
    lots = cause_sigmas(many, np.r_[np.zeros(100_000, int), np.ones(100_000, int)], many)
    n = 100_000
    own = np.sqrt((n * np.array([0.25, 9.0]) + c * 4.625) / (n + c))  # inflation 1
    np.testing.assert_allclose(lots[:2], own, rtol=1e-12)
    np.testing.assert_allclose(lots[:2], [0.5, 3.0], rtol=3e-3)
    # out-of-fold residuals (None): no validation ratio, the credibility blend alone
    plain = cause_sigmas(train, cause, None)
    np.testing.assert_allclose(plain[:3], np.array(by_hand) / inflation, rtol=1e-14)
    np.testing.assert_allclose(plain[3:], np.sqrt(pooled_sq), rtol=1e-14)


def test_too_few_claims_is_a_clear_error(sample):
    x, owner, cause, loss = sample
    few = MIN_TRAINING_CLAIMS - 1
    valid = (x[owner[:30]], loss[:30], cause[:30])
    with pytest.raises(InsufficientClaimsError, match=f"{few} training and 30 validation"):
        fit_severity((x[owner[:few]], loss[:few], cause[:few]), valid, PARAMS, 3)
    few_valid = MIN_VALIDATION_CLAIMS - 1
    short = (x[owner[:few_valid]], loss[:few_valid], cause[:few_valid])
    with pytest.raises(InsufficientClaimsError, match=f"200 training and {few_valid} validation"):
        fit_severity((x[owner[:200]], loss[:200], cause[:200]), short, PARAMS, 3)


@pytest.mark.parametrize("bad", [0.0, -5.0, np.nan])
@pytest.mark.parametrize("split", ["training", "validation"])
def test_non_positive_loss_is_rejected(sample, bad: float, split: str):
    x, owner, cause, loss = sample
    train, valid = loss[:200].copy(), loss[200:260].copy()
    (train if split == "training" else valid)[7] = bad
    with pytest.raises(ValueError, match=f"{split} claims: loss_usd must be > 0"):
        fit_severity(
            (x[owner[:200]], train, cause[:200]),
            (x[owner[200:260]], valid, cause[200:260]),
            PARAMS,
            3,
        )


def test_cause_rows_are_the_features_and_a_one_hot(sample):
    x = sample[0][:5]
    rows = with_cause(x, np.array([0, 6, 2, 2, 3]))
    np.testing.assert_array_equal(rows[:, : len(FEATURE_NAMES)], x)
    np.testing.assert_array_equal(np.argmax(rows[:, len(FEATURE_NAMES) :], axis=1), [0, 6, 2, 2, 3])
    assert np.all(rows[:, len(FEATURE_NAMES) :].sum(axis=1) == 1.0)
    every = every_cause(x)  # policy-major: policy 0's seven causes first
    assert every.shape == (5 * CAUSE_COUNT, len(FEATURE_NAMES) + CAUSE_COUNT)
    np.testing.assert_array_equal(every[:, : len(FEATURE_NAMES)], np.repeat(x, CAUSE_COUNT, 0))
    np.testing.assert_array_equal(
        np.argmax(every[:, len(FEATURE_NAMES) :], axis=1), np.tile(np.arange(CAUSE_COUNT), 5)
    )


def test_raw_mu_is_raw_claim_mu_on_every_cause_row(sample, fitted):
    x = sample[0][:50]
    by_policy = fitted.raw_mu(x)
    n = len(x)
    by_claim = fitted.raw_claim_mu(np.repeat(x, CAUSE_COUNT, 0), np.tile(np.arange(CAUSE_COUNT), n))
    np.testing.assert_array_equal(by_policy, by_claim.reshape(n, CAUSE_COUNT))
    direct = fitted.booster.inplace_predict(every_cause(x), predict_type="margin")
    trees_and_start = np.asarray(direct, dtype=np.float64) + fitted.start.mu(x).ravel()
    np.testing.assert_array_equal(by_policy.ravel(), trees_and_start)
    shift = np.linspace(-0.3, 0.3, CAUSE_COUNT)
    np.testing.assert_allclose(fitted.with_shift(shift).mu(x), by_policy + shift, rtol=1e-15)


def test_location_is_monotone_for_every_cause(sample, fitted):
    x = sample[0]
    rows = x[:20]
    checked = 0
    for j, direction in enumerate(MONOTONE_CONSTRAINTS):
        if direction == 0 or np.ptp(x[:, j]) == 0:
            continue
        grid = np.linspace(x[:, j].min(), x[:, j].max(), 6, dtype=np.float32)
        mus = []
        for value in grid:
            probe = rows.copy()
            probe[:, j] = value
            mus.append(fitted.raw_mu(probe))
        steps = np.diff(np.asarray(mus), axis=0) * direction  # (steps, rows, K)
        assert np.all(steps >= -1e-9), FEATURE_NAMES[j]
        checked += 1
    assert checked > 30


def test_no_tail_leaves_the_lognormal_and_a_shift_scales_the_mean(sample, fitted):
    x = sample[0][:100]
    rate = np.ones((len(x), CAUSE_COUNT))
    mu = fitted.mu(x)
    losses = CauseLosses(rate, mu, fitted.sigma, NO_TAIL)
    # z_u = 8: P(body above the splice) = 6e-16, so the mean is the lognormal's
    np.testing.assert_allclose(losses.mean_loss(), np.exp(mu + fitted.sigma**2 / 2), rtol=1e-9)
    shifted = fitted.with_shift(np.full(CAUSE_COUNT, np.log(0.8)))
    moved = CauseLosses(rate, shifted.mu(x), shifted.sigma, shifted.tails)
    np.testing.assert_allclose(moved.mean_loss(), 0.8 * losses.mean_loss(), rtol=1e-9)
