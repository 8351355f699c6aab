"""GLM baseline: per-cause Poisson GLMs and a lognormal GLM recover a known log-linear truth.

Oracle: a seeded book whose claims of each cause arrive at a known
log-linear rate (its own slopes on log(population) and monitoring_24x7, eight
further columns of pure noise) and whose log losses are a known per-cause
level plus one slope, with a known sigma per cause. Tolerances are standard
errors from the Fisher information of the truth. The frequency GLMs are
ridge-penalised (sklearn: half the exposure-weighted mean deviance plus
alpha/2 |beta|^2), so they estimate the linearised ridge target
``(H + alpha P)^-1 H theta`` (H the weighted mean information, P the penalty
on every coefficient but the intercept), not theta itself: at alpha = 0.03
on a rate of 0.1 that is a pull of 20% towards 0, several standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import PoissonRegressor, Ridge
from threadpoolctl import threadpool_limits

from models.pricing.spliced import spliced_lev
from models.scoring.features import FEATURE_NAMES
from models.scoring.glm_inputs import heavy_tailed_columns as glm_inputs_heavy_tailed_columns
from models.scoring.severity import with_cause
from models.spec.contract import CLAIM_CAUSES
from training.evaluation.metrics import poisson_deviance
from training.fitting.balance import CAP_QUANTILE
from training.fitting.baseline import (
    FREQUENCY_PENALTIES,
    SEVERITY_PENALTIES,
    FlatRate,
    fit_baseline,
    heavy_tailed_columns,
)

K = len(CLAIM_CAUSES)
#: claims per year at population 1e5 without 24x7 monitoring, and the two log-rate slopes
BASE_RATE = np.array([0.20, 0.15, 0.12, 0.10, 0.15, 0.0, 0.15])
POPULATION_SLOPE = np.array([0.5, 0.25, -0.3, 0.6, 0.0, 0.0, 0.0])  # per log(population)
MONITORING_EFFECT = np.array([-0.6, 0.0, 0.5, -0.4, 0.0, 0.0, 0.0])
NO_CLAIMS = CLAIM_CAUSES.index("privacy_regulatory")  # rate 0: never a claim
SIGNAL = [0, 1, 2, 3]  # causes with a slope
MU = np.array([12.0, 11.0, 10.5, 12.5, 11.5, 11.0, 9.5])  # log USD at population 1e5
MU_SLOPE = 0.3  # per log(population), every cause
SIGMA = np.array([1.6, 1.4, 1.1, 1.8, 1.2, 1.3, 1.0])
POPULATION = FEATURE_NAMES.index("population")
MONITORING = FEATURE_NAMES.index("monitoring_24x7")
NOISE = [
    FEATURE_NAMES.index(n)
    for n in (
        "annual_revenue_usd",
        "employee_count",
        "security_fte",
        "vendor_count",
        "pii_records",
        "edr_coverage_pct",
        "mfa_remote",
        "email_security",
    )
]


def one_blas_thread():
    """The GLM fits are small matrix products: on a busy two-core machine a second BLAS
    thread waiting for a core made them ten times slower (2 s became 20 s)."""
    return threadpool_limits(limits=1, user_api="blas")


def book(n, seed):
    """(policies, claims, true rate (n, K), true claim mu) of n policies."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)  # other columns constant
    population = np.round(10 ** rng.uniform(3.5, 6.5, n))
    x[:, POPULATION] = population
    x[:, MONITORING] = rng.random(n) < 0.4
    for j in NOISE:
        x[:, j] = rng.uniform(0, 100, n)
    size = np.log(population / 1e5)
    rate = BASE_RATE * np.exp(
        np.outer(size, POPULATION_SLOPE) + np.outer(x[:, MONITORING], MONITORING_EFFECT)
    )
    exposure = rng.uniform(0.25, 1.5, n)
    counts = rng.poisson(rate * exposure[:, None])
    owner, cause = np.nonzero(counts)
    repeats = counts[owner, cause]
    owner, cause = np.repeat(owner, repeats), np.repeat(cause, repeats)
    mu = MU[cause] + MU_SLOPE * size[owner]
    loss = np.exp(mu + SIGMA[cause] * rng.standard_normal(owner.size))
    return (x, exposure, owner, cause), (x[owner], loss, cause), rate, mu


@pytest.fixture(scope="module")
def fitted():
    train, claims_train, rate, mu = book(6000, 1)
    valid, claims_valid, _, _ = book(3000, 2)
    with one_blas_thread():
        glm = fit_baseline(train, valid, claims_train, claims_valid)
    return glm, train, valid, claims_train, claims_valid, rate, mu


def test_heavy_tailed_columns_follow_the_spec_units():
    assert heavy_tailed_columns is glm_inputs_heavy_tailed_columns  # re-exported, not copied
    mask = dict(zip(FEATURE_NAMES, heavy_tailed_columns(), strict=True))
    assert mask["population"] and mask["pii_records"] and mask["device_patch_days"]
    assert mask["unencrypted_pii_records"]  # derived
    assert not mask["default_credentials_pct"]  # a percentage
    assert not mask["mfa_remote"] and not mask["monitoring_24x7"]
    assert not mask["critical_services_count"] and not mask["privacy_regime=gdpr"]


def _information(z, exposure, rate):
    """Columns of the GLM (intercept, varying inputs) and the Fisher information of a rate."""
    varying = np.flatnonzero(z.std(axis=0) > 0)
    design = np.column_stack([np.ones(len(z)), z[:, varying]])
    info = (design * (exposure * rate)[:, None]).T @ design
    return varying, info


def test_each_cause_recovers_its_own_log_linear_rate(fitted):
    glm, train, _, _, _, rate, _ = fitted
    x, exposure = train[0], train[1]
    z = glm.inputs.transform(x)
    scale, mean = glm.inputs.scale, glm.inputs.mean
    assert heavy_tailed_columns()[POPULATION] and not heavy_tailed_columns()[MONITORING]
    for k in [*SIGNAL, 4, 6]:
        model = glm.frequency[k]
        assert isinstance(model, PoissonRegressor)
        varying, info = _information(z, exposure, rate[:, k])
        # the truth in the GLM's inputs: z = (log1p(x) - mean) / scale, log1p(pop) ~ log(pop)
        # (1/population < 3e-4 here, under a hundredth of a standard error)
        theta = np.zeros(len(varying) + 1)
        p, m = 1 + np.searchsorted(varying, POPULATION), 1 + np.searchsorted(varying, MONITORING)
        theta[p] = POPULATION_SLOPE[k] * scale[POPULATION]
        theta[m] = MONITORING_EFFECT[k] * scale[MONITORING]
        theta[0] = (
            np.log(BASE_RATE[k])
            + POPULATION_SLOPE[k] * (mean[POPULATION] - np.log(1e5))
            + MONITORING_EFFECT[k] * mean[MONITORING]
        )
        penalty = np.full(len(theta), model.alpha)
        penalty[0] = 0.0
        h = info / exposure.sum()
        target = np.linalg.solve(h + np.diag(penalty), h @ theta)
        estimate = np.r_[model.intercept_, model.coef_[varying]]
        se = np.sqrt(np.diag(np.linalg.inv(info)))
        assert np.all(np.abs(estimate - target) < 4 * se), (k, (estimate - target) / se)
        # per cause, not shared: slopes 0.25 and more apart are 8 standard errors and more
        assert se[p] / scale[POPULATION] < 0.03 and se[m] / scale[MONITORING] < 0.1


def test_each_frequency_penalty_is_the_validation_best(fitted):
    # oracle: the documented rule, refitted here from scratch (no warm start) for
    # every penalty; the fits agree with the warm-started ones to well under 1e-4
    glm, train, valid, _, _, _, _ = fitted
    z_t, z_v = glm.inputs.transform(train[0]), glm.inputs.transform(valid[0])
    chosen = {}
    for k in range(K):
        if k == NO_CLAIMS:
            continue
        y_t = np.bincount(train[2][train[3] == k], minlength=len(z_t)) / train[1]
        counts_v = np.bincount(valid[2][valid[3] == k], minlength=len(z_v))
        deviance = {}
        for alpha in FREQUENCY_PENALTIES:
            cold = PoissonRegressor(alpha=alpha, solver="newton-cholesky", max_iter=300, tol=1e-8)
            with one_blas_thread():
                cold.fit(z_t, y_t, sample_weight=train[1])
            deviance[alpha] = (poisson_deviance(counts_v, cold.predict(z_v) * valid[1]), cold)
        best = min(deviance, key=lambda a: deviance[a][0])
        model = glm.frequency[k]
        assert model.alpha == best
        np.testing.assert_allclose(model.coef_, deviance[best][1].coef_, atol=1e-4)
        chosen[k] = best
    # what validation is for: the strongest signal keeps a small penalty, a cause
    # with no signal at all gets the largest
    assert chosen[0] < chosen[4] == chosen[6] == max(FREQUENCY_PENALTIES)


def test_a_cause_without_training_claims_gets_a_flat_half_claim_rate(fitted):
    glm, train, _, _, _, _, _ = fitted
    model = glm.frequency[NO_CLAIMS]
    assert isinstance(model, FlatRate)
    assert model.rate == pytest.approx(0.5 / train[1].sum(), rel=1e-15)
    assert glm.mu_shift[NO_CLAIMS] == 0.0


def test_the_balance_keeps_the_flat_rate_of_a_cause_without_training_claims(fitted):
    # nothing to balance to: factor 1 (training/fitting/balance.py), the flat rate kept
    glm, train, _, _, _, _, _ = fitted
    assert glm.cause_factors[NO_CLAIMS] == 1.0
    rates = glm.cause_rates(train[0])[:, NO_CLAIMS]
    np.testing.assert_array_equal(rates, np.full(len(rates), 0.5 / train[1].sum()))
    assert np.all(np.isfinite(np.log(rates)))


def test_a_cause_without_training_claims_gets_the_pooled_tail_on_its_sigma(fitted):
    glm, _, _, _, _, _, _ = fitted
    pooled = glm.fits[0]
    assert pooled.label == "all causes" and CLAIM_CAUSES[NO_CLAIMS] in pooled.causes
    # its sigma is the pooled residual scale, inflated: not 1, so the pool's own
    # b per unit of sigma would differ
    assert abs(glm.sigma[NO_CLAIMS] - 1.0) > 0.01
    g = pooled.on_scale(glm.sigma[NO_CLAIMS])
    assert (glm.tails.xi[NO_CLAIMS], glm.tails.b[NO_CLAIMS]) == (g.xi, g.b)
    assert glm.tails.z_u[NO_CLAIMS] == pooled.tail.z_u


def test_severity_recovers_each_causes_level_slope_and_sigma(fitted):
    glm, _, _, claims, claims_valid, _, true_mu = fitted
    x, loss, cause = claims
    z = glm.inputs.transform(x)
    counts = np.bincount(cause, minlength=K)
    log_size = np.log1p(x[:, POPULATION].astype(np.float64))
    # the slope on log(population): its least-squares standard error
    resid_sd = np.sqrt(np.mean((SIGMA**2)[cause]))
    slope_se = resid_sd / (np.sqrt(len(cause)) * log_size.std())
    slope = glm.severity.coef_[POPULATION] / glm.inputs.scale[POPULATION]
    assert abs(slope - MU_SLOPE) < 4 * slope_se
    raw = glm.raw_mu(z, cause)
    alpha, levels = glm.severity.alpha, glm.severity.coef_[len(FEATURE_NAMES) :]
    for k in np.flatnonzero(counts):
        mine = cause == k
        se = SIGMA[k] / np.sqrt(counts[k])
        # the ridge pulls a cause's level towards the others': its mean training residual
        # is alpha x its one-hot coefficient / its claims (the column's normal equation)
        pull = np.mean(np.log(loss[mine]) - raw[mine])
        assert pull == pytest.approx(alpha * levels[k] / counts[k], rel=1e-6)
        assert abs(pull) < se
        # each cause's level: mean error over its claims within 4 standard errors + the pull
        assert abs(np.mean(raw[mine] - true_mu[mine])) < 4 * se + abs(pull)
    # sigma: each cause's residual scale, credibility-weighted with the pool
    # (models/scoring/severity.py: 30 claims weigh as much as the pool)
    pooled = np.sum(counts * SIGMA**2) / counts.sum()
    expected = np.sqrt((counts * SIGMA**2 + 30 * pooled) / (counts + 30))
    n_valid = len(claims_valid[2])
    rel_se = np.sqrt(1 / (2 * np.maximum(counts, 1)) + 1 / (2 * n_valid) + 1 / (2 * counts.sum()))
    seen = counts > 0
    assert np.all(np.abs(glm.sigma[seen] / expected[seen] - 1) < 4 * rel_se[seen])


def test_the_severity_penalty_is_the_validation_best(fitted):
    glm, _, _, claims, claims_valid, _, _ = fitted
    rows = [
        with_cause(glm.inputs.transform(c[0]), c[2]).astype(np.float64)
        for c in (claims, claims_valid)
    ]
    y = [np.log(c[1]) for c in (claims, claims_valid)]
    error = {
        alpha: np.mean((y[1] - Ridge(alpha=alpha).fit(rows[0], y[0]).predict(rows[1])) ** 2)
        for alpha in SEVERITY_PENALTIES
    }
    assert glm.severity.alpha == min(error, key=error.get)


def test_the_balance_reproduces_each_causes_claims_and_capped_losses(fitted):
    glm, train, _, claims, _, _, _ = fitted
    x, exposure, _, claim_cause = train
    observed = np.bincount(claim_cause, minlength=K)
    expected = (glm.cause_rates(x) * exposure[:, None]).sum(axis=0)
    # rel 1e-12: the factors are these very float64 sums
    seen = observed > 0
    np.testing.assert_allclose(expected[seen], observed[seen], rtol=1e-12)
    # a Poisson GLM with an unpenalised intercept already reproduces its training claims
    # (the intercept's score equation, sum counts = sum exposure x rate, holds to the
    # solver's tolerance): the factor only removes that tolerance
    assert np.all(np.abs(glm.cause_factors[seen] - 1) < 1e-4)
    claim_x, loss, cause = claims
    losses = glm.predict_losses(claim_x)
    mu = losses.mu[np.arange(len(cause)), cause]  # each claim's location of its own cause
    t = losses.tails
    for k in np.flatnonzero(seen):
        mine = cause == k
        cap = np.quantile(loss[mine], CAP_QUANTILE)
        lev = spliced_lev(cap, mu[mine], glm.sigma[k], t.z_u[k], t.xi[k], t.b[k])
        # rel 1e-9: the shift is brentq's root to 1e-9
        assert lev.sum() == pytest.approx(np.minimum(loss[mine], cap).sum(), rel=1e-9)
    # the per-cause losses of the GLM are its parts: rates, shifted locations, its sigma
    np.testing.assert_array_equal(losses.rate, glm.cause_rates(claim_x))
    np.testing.assert_array_equal(losses.sigma, glm.sigma)
    assert glm.fits[0].label == "all causes"
