"""Balance per cause: claim factors, and the capped-loss shift of a known spliced sample.

Oracle of ``capped_balance``: claims drawn (tests/training/fitting/spliced_sample.py)
from a known spliced severity whose location is the model's plus a known
offset per cause; the shift that balances the capped losses estimates that
offset. Tolerance: 4 standard errors of the estimator by the delta method on
the sample, ``sqrt(sum r_j^2) / sum dLEV_j/dmu`` with ``r_j = min(x_j, cap) -
LEV_j(cap)`` (the cap is an empirical quantile too, but the balance equation
is flat in it at the truth: its derivative is the model's minus the sample's
exceedance count, so its noise enters only at second order).
"""

from __future__ import annotations

import numpy as np
import pytest

from models.pricing.cause_losses import SeverityTails
from models.pricing.spliced import spliced_lev, spliced_mean
from models.spec.contract import CLAIM_CAUSES
from tests.training.fitting.spliced_sample import draw_spliced
from training.fitting.balance import CAP_QUANTILE, capped_balance, cause_factors

K = len(CLAIM_CAUSES)
SIGMA = np.array([1.5, 1.3, 1.1, 1.8, 1.2, 1.3, 1.0])
TAILS = SeverityTails(np.full(K, 1.3), np.full(K, 0.25), 0.5 * SIGMA)
#: the true location minus the model's, by cause; NaN: no claims of the cause
OFFSET = np.array([0.3, -0.5, np.nan, 0.0, 0.3, 0.3, 0.3])
CLAIMS = np.array([2000, 2000, 0, 300, 300, 300, 300])


@pytest.fixture(scope="module")
def sample():
    """(model mu, loss_usd, cause) of claims whose true mu is model mu + OFFSET[cause]."""
    rng = np.random.default_rng(17)
    cause = np.repeat(np.arange(K), CLAIMS)
    mu = rng.uniform(9.0, 13.0, cause.size)
    t = TAILS
    loss = draw_spliced(
        mu + OFFSET[cause], SIGMA[cause], t.z_u[cause], t.xi[cause], t.b[cause], rng
    )
    return mu, loss, cause


def _shape(k):
    return SIGMA[k], TAILS.z_u[k], TAILS.xi[k], TAILS.b[k]


def test_a_known_location_offset_is_recovered_cause_by_cause(sample):
    mu, loss, cause = sample
    report = capped_balance(mu, SIGMA, TAILS, loss, cause)
    for k in (0, 1):  # +0.3 and -0.5, 2000 claims each
        m, x = mu[cause == k], loss[cause == k]
        shift, cap = report["mu_shift"][k], report["cap_usd"][k]
        h = 1e-5
        slope = (
            spliced_lev(cap, m + shift + h, *_shape(k))
            - spliced_lev(cap, m + shift - h, *_shape(k))
        ) / (2 * h)
        residual = np.minimum(x, cap) - spliced_lev(cap, m + shift, *_shape(k))
        se = np.sqrt(np.sum(residual**2)) / np.sum(slope)
        assert se < 0.05  # so that a shift of 0 or the other cause's would fail
        assert abs(shift - OFFSET[k]) < 4 * se


def test_the_shift_solves_the_capped_balance_and_the_report_says_how(sample):
    mu, loss, cause = sample
    report = capped_balance(mu, SIGMA, TAILS, loss, cause)
    assert list(report) == ["cap_usd", "mu_shift", "observed_loss_usd", "large_loss_ratio"]
    assert all(len(v) == K for v in report.values())
    for k in np.flatnonzero(CLAIMS):
        m, x = mu[cause == k], loss[cause == k]
        cap, shift = report["cap_usd"][k], report["mu_shift"][k]
        assert cap == np.quantile(x, CAP_QUANTILE)
        body = np.minimum(x, cap).sum()
        # rel 1e-9: brentq stops within 1e-9 of the root in the shift
        assert spliced_lev(cap, m + shift, *_shape(k)).sum() == pytest.approx(body, rel=1e-9)
        assert report["observed_loss_usd"][k] == pytest.approx(x.sum(), rel=1e-12)
        predicted = spliced_mean(m + shift, *_shape(k)).sum() - body
        assert report["large_loss_ratio"][k] == pytest.approx(
            (x.sum() - body) / predicted, rel=1e-9
        )


def test_the_tail_of_the_true_model_carries_the_observed_excess(sample):
    # the tail is the generator's: the excess over the cap agrees within 4 standard
    # errors of the observed excess (xi = 0.25 < 1/2, so its variance is finite)
    mu, loss, cause = sample
    report = capped_balance(mu, SIGMA, TAILS, loss, cause)
    for k in (0, 1):
        x, cap = loss[cause == k], report["cap_usd"][k]
        excess = np.maximum(x - cap, 0.0)
        se = np.sqrt(excess.size * excess.var()) / excess.sum()
        assert se < 0.15
        assert abs(report["large_loss_ratio"][k] - 1.0) < 4 * se


def test_shifts_are_equivariant_and_causes_independent(sample):
    mu, loss, cause = sample
    report = capped_balance(mu, SIGMA, TAILS, loss, cause)
    # a model 0.2 lower in log USD everywhere needs a shift 0.2 larger, exactly
    lower = capped_balance(mu - 0.2, SIGMA, TAILS, loss, cause)
    for k in np.flatnonzero(CLAIMS):
        assert lower["mu_shift"][k] == pytest.approx(report["mu_shift"][k] + 0.2, abs=1e-8)
    # doubling the losses of cause 1 moves cause 1 by log 2 and no other cause at all
    doubled = capped_balance(mu, SIGMA, TAILS, np.where(cause == 1, 2 * loss, loss), cause)
    assert doubled["mu_shift"][1] == pytest.approx(report["mu_shift"][1] + np.log(2), abs=1e-8)
    for k in np.flatnonzero(CLAIMS):
        if k != 1:
            assert doubled["mu_shift"][k] == report["mu_shift"][k]


def test_a_cause_with_no_claims_is_not_moved(sample):
    mu, loss, cause = sample
    report = capped_balance(mu, SIGMA, TAILS, loss, cause)
    k = CLAIM_CAUSES.index("business_email_compromise")
    assert CLAIMS[k] == 0
    assert report["mu_shift"][k] == 0.0 and report["cap_usd"][k] == 0.0
    assert report["observed_loss_usd"][k] == 0.0 and report["large_loss_ratio"][k] == 1.0


def test_claim_factors_are_observed_over_predicted():
    expected = np.array([[0.5, 0.2, 0.0], [1.5, 0.3, 0.0]])  # policies x causes
    factors = cause_factors(np.array([3.0, 1.0, 2.0]), expected)
    np.testing.assert_allclose(factors, [1.5, 2.0, 1.0], rtol=1e-15)  # 1 where none predicted


def test_a_cause_without_observed_claims_keeps_factor_one():
    # observed 0 over predicted 0.5 would be a factor 0: a rate of 0 and a log of -inf
    expected = np.array([[0.3, 1.0], [0.2, 1.5]])
    factors = cause_factors(np.array([0.0, 5.0]), expected)
    assert factors.tolist() == [1.0, 2.0]
