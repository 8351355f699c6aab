"""Per-cause tails: the pooled GPD per unit of sigma, own fits for causes with enough claims.

Oracle: seeded claims of a known spliced severity per cause
(tests/training/fitting/spliced_sample.py) whose relative excess over the
threshold is ``sigma_c x GPD(XI, B)``: by the GPD's scale property the
excess per unit of sigma is GPD(XI, B) for every cause, so the pooled fit must
recover (XI, B) and each cause's tail scale must be ``B x sigma_c``, within
the fit's own standard errors. Tolerance 4 standard errors: over 40 seeds of
this design the pooled estimates sat 0.3 (b) and -0.25 (xi) standard errors
off on average (the empirical threshold is not the true one), spread 1.0,
none beyond 4.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from models.spec.contract import CLAIM_CAUSES
from tests.training.fitting.spliced_sample import draw_spliced
from training.fitting.cause_tails import OWN_TAIL_CLAIMS, POOLED, fit_cause_tails
from training.fitting.tail import DEFAULT_MIN_EXCEEDANCES, DEFAULT_SHARE

K = len(CLAIM_CAUSES)
SIGMA = np.array([0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0])  # one a cause, in CLAIM_CAUSES order
XI, B = 0.2, 0.5  # the tail per unit of sigma
Z_U = float(norm.ppf(1.0 - DEFAULT_SHARE))  # the splice at the share the threshold rule takes


def claims(counts, seed, xi=None):
    """(loss_usd, mu, sigma, cause) of ``counts[c]`` claims of each cause c; xi per cause.

    ``sigma`` is each claim's (its cause's); fit_cause_tails takes the per-cause SIGMA.
    """
    rng = np.random.default_rng(seed)
    cause = np.repeat(np.arange(K), counts)
    mu = rng.uniform(9.0, 13.0, cause.size)  # cities of every size
    shape = np.full(K, XI) if xi is None else np.asarray(xi)
    loss = draw_spliced(mu, SIGMA[cause], Z_U, shape[cause], B * SIGMA[cause], rng)
    return loss, mu, SIGMA[cause], cause


def test_the_pooled_tail_is_per_unit_of_sigma_and_each_cause_scales_it_by_its_own():
    counts = np.full(K, OWN_TAIL_CLAIMS - 20)  # every cause short of an own tail
    loss, mu, sigma, cause = claims(counts, seed=3)
    tails, fits = fit_cause_tails(loss, mu, SIGMA, cause)
    (pooled,) = fits
    assert pooled.label == POOLED and pooled.causes == CLAIM_CAUSES
    g = pooled.tail
    assert g.exceedances == round(DEFAULT_SHARE * counts.sum())
    assert abs(g.xi - XI) < 4 * g.xi_se
    assert abs(g.b - B) < 4 * g.b_se
    assert g.b_se < 0.1 * B  # the sample pins b down to well under the spread of sigma
    np.testing.assert_array_equal(tails.z_u, np.full(K, g.z_u))
    np.testing.assert_array_equal(tails.xi, np.full(K, g.xi))
    np.testing.assert_allclose(tails.b, g.b * SIGMA, rtol=1e-15)
    # each cause's priced tail is its generator's: sigma 0.8 and 2.0 need b 0.4 and 1.0,
    # which no common b meets within the tolerance (it would have to be within 4
    # standard errors, about 34%, of both)
    assert np.all(np.abs(tails.b - B * SIGMA) < 4 * g.b_se * SIGMA)
    # the fit keeps what the report draws: every claim's z, the excesses above z_u
    np.testing.assert_allclose(pooled.z, (np.log(loss) - mu) / sigma, rtol=1e-12)
    above = pooled.z > g.z_u
    excess = np.expm1(sigma[above] * (pooled.z[above] - g.z_u)) / sigma[above]
    np.testing.assert_allclose(pooled.relative_excess, excess, rtol=1e-12)


def test_a_cause_with_enough_claims_gets_its_own_tail_in_cause_order():
    own = CLAIM_CAUSES.index("vendor_outage")  # not first, so the order is tested
    short = CLAIM_CAUSES.index("data_breach")
    counts = np.full(K, 200)
    counts[own], counts[short] = OWN_TAIL_CLAIMS, OWN_TAIL_CLAIMS - 1
    xi = np.full(K, 0.0)
    xi[own] = 0.6  # a far heavier tail than the pool's
    loss, mu, _, cause = claims(counts, seed=5, xi=xi)
    tails, fits = fit_cause_tails(loss, mu, SIGMA, cause)
    assert [f.label for f in fits] == [POOLED, "vendor_outage"]
    pooled, mine = fits
    assert pooled.causes == tuple(c for c in CLAIM_CAUSES if c != "vendor_outage")
    assert mine.causes == ("vendor_outage",)
    # the pool holds every claim (the own cause's too); the own fit only the cause's
    assert pooled.z.size == counts.sum() and mine.z.size == OWN_TAIL_CLAIMS
    rows = cause == own
    alone, _ = fit_cause_tails(loss[rows], mu[rows], SIGMA, cause[rows])
    assert mine.tail.exceedances == DEFAULT_MIN_EXCEEDANCES  # 10% of 500
    assert (tails.z_u[own], tails.xi[own], tails.b[own]) == (
        alone.z_u[own],
        alone.xi[own],
        alone.b[own],
    )
    assert tails.b[own] == pytest.approx(mine.tail.b * SIGMA[own], rel=1e-15)
    others = np.arange(K) != own
    np.testing.assert_array_equal(tails.xi[others], pooled.tail.xi)
    np.testing.assert_allclose(tails.b[others], pooled.tail.b * SIGMA[others], rtol=1e-15)
    # the own fit sees the heavy tail; the pool, mostly exponential claims, does not
    assert abs(mine.tail.xi - 0.6) < 4 * mine.tail.xi_se
    assert mine.tail.xi > pooled.tail.xi + 0.2


def test_every_cause_with_enough_claims_leaves_no_pooled_fit():
    loss, mu, _, cause = claims(np.full(K, OWN_TAIL_CLAIMS), seed=7)
    tails, fits = fit_cause_tails(loss, mu, SIGMA, cause)
    assert [f.label for f in fits] == list(CLAIM_CAUSES)
    np.testing.assert_array_equal(tails.xi, [f.tail.xi for f in fits])
    np.testing.assert_allclose(
        tails.b, [f.tail.b * s for f, s in zip(fits, SIGMA, strict=True)], rtol=1e-15
    )


def test_a_cause_without_claims_gets_the_pooled_b_times_its_own_sigma():
    # its scale cannot come from its claims: the pool's b per unit of sigma, times the
    # sigma its body is priced with (sigma 0.8, so the pool's b alone would be 25% off)
    none = 0
    counts = np.full(K, 200)
    counts[none] = 0
    loss, mu, _, cause = claims(counts, seed=9)
    tails, fits = fit_cause_tails(loss, mu, SIGMA, cause)
    (pooled,) = fits
    assert CLAIM_CAUSES[none] in pooled.causes and pooled.z.size == counts.sum()
    assert tails.b[none] == pooled.tail.b * SIGMA[none]
    assert (tails.z_u[none], tails.xi[none]) == (pooled.tail.z_u, pooled.tail.xi)
    # and it is the generator's tail for that sigma, within the pool's standard errors
    assert abs(tails.b[none] - B * SIGMA[none]) < 4 * pooled.tail.b_se * SIGMA[none]
