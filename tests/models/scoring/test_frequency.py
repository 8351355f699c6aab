"""Claim frequency by cause: the signed Poisson start, the boosters on top of it, the conventions.

Oracles:

- ``fit_signed_poisson``: seeded samples from a known log-linear Poisson model (recovery
  within standard errors from the Fisher information at the truth), the exact optimum of
  the same objective by scipy's L-BFGS-B run to convergence (bounds active where the
  unconstrained fit has the wrong sign; KKT signs), and sklearn's PoissonRegressor
  (exposure as weight, no penalty) where no bound binds;
- ``fit_frequency``: a seeded portfolio with claims of six causes and none of a seventh:
  exact monotonicity along the spec's directions, the rates rebuilt from the start and
  the raw boosters, a booster refitted by hand with base_margin = log(exposure) + start
  (byte-identical), and the penalties chosen again by the held-out deviance of the
  seeded folds of the training policies.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb
from scipy.optimize import minimize
from sklearn.linear_model import PoissonRegressor
from threadpoolctl import threadpool_limits

from models.scoring.features import FEATURE_NAMES, MONOTONE_CONSTRAINTS, build_features
from models.scoring.frequency import (
    RATING_BASE,
    START_FOLDS,
    START_PENALTIES,
    FrequencyModel,
    fit_frequency,
    fit_signed_poisson,
    frequency_xgb_params,
    slope_bounds,
)
from models.scoring.glm_inputs import GlmInputs
from models.spec.contract import CLAIM_CAUSES
from tests.support.portfolio import make_portfolio, small_params

K = len(CLAIM_CAUSES)
P = len(FEATURE_NAMES)
DIRECTION = np.array(MONOTONE_CONSTRAINTS)
DIRECTED = np.flatnonzero(DIRECTION != 0)
FREE = np.flatnonzero(DIRECTION == 0)
RATING_COLUMNS = np.array([FEATURE_NAMES.index(name) for name in RATING_BASE])
#: The optimizer's own stall (see test_the_signed_fit_is_the_exact_constrained_optimum):
#: the objective comes within this of its minimum, not closer.
OBJECTIVE_GAP = 1e-8


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """As training fits (models/scoring/frequency.py): small products, no spinning threads."""
    with threadpool_limits(1, user_api="blas"):
        yield


# --- fit_signed_poisson ----------------------------------------------------------------------


def _ridge(penalty):
    """The penalty of each coefficient: none on the intercept and the rating base's slopes."""
    ridge = np.r_[0.0, np.full(P, penalty)]
    ridge[1 + RATING_COLUMNS] = 0.0
    return ridge


def _objective(theta, z, y, e, penalty):
    """mean(mu - y eta) + penalty/2 |slopes|^2 (the rating base's left out) and its gradient,
    written here from the docstring."""
    eta = np.log(e) + theta[0] + z @ theta[1:]
    mu = np.exp(eta)
    ridge = _ridge(penalty)
    value = np.mean(mu - y * eta) + 0.5 * np.sum(ridge * theta**2)
    grad = np.r_[np.sum(mu - y), z.T @ (mu - y)] / len(y) + ridge * theta
    return value, grad


def _sample(seed, slopes, n=10_000, intercept=-1.2):
    """n policies of standard normal inputs, exposure U(0.5, 1.5), counts from the truth."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, P))
    e = rng.uniform(0.5, 1.5, n)
    y = rng.poisson(e * np.exp(intercept + z @ slopes)).astype(np.float64)
    return z, y, e


def _exact(z, y, e, penalty):
    """The constrained optimum by L-BFGS-B on the same objective, to a gradient of 1e-13."""
    result = minimize(
        _objective, np.zeros(P + 1), args=(z, y, e, penalty), jac=True, method="L-BFGS-B",
        bounds=[(None, None), *slope_bounds()],
        options={"ftol": 0.0, "gtol": 1e-13, "maxiter": 10_000, "maxcor": 100, "maxls": 100},
    )  # fmt: skip
    assert result.success or "REDUCTION" in str(result.message), result.message
    return result.x


def _fisher_se(z, e, theta):
    """Standard errors of (intercept, slopes) from the Fisher information at ``theta``."""
    design = np.column_stack([np.ones(len(z)), z])
    mu = e * np.exp(design @ theta)
    info = (design * mu[:, None]).T @ design
    return np.sqrt(np.diag(np.linalg.inv(info)))


def _signed_slopes(size):
    """Every slope of its field's sign (undirected: either sign), all of ``size``."""
    slopes = DIRECTION * size
    slopes[FREE] = size * np.array([1.0, -1.0, 0.5, -0.5, 1.0])[: len(FREE)]
    return slopes


def test_slope_bounds_follow_the_spec_directions():
    bounds = slope_bounds()
    assert len(bounds) == P and len(FREE) == 5 and len(DIRECTED) == P - 5
    for direction, bound in zip(MONOTONE_CONSTRAINTS, bounds, strict=True):
        assert bound == {1: (0.0, None), -1: (None, 0.0), 0: (None, None)}[direction]


def test_recovers_known_slopes_of_known_signs_within_their_standard_errors():
    truth = np.zeros(P)
    strong = DIRECTED[[0, 11, 16, 19, 28, 46, 50, 55]]  # population, security_fte, ...
    truth[strong] = DIRECTION[strong] * np.linspace(0.2, 0.5, len(strong))
    truth[FREE[:2]] = [0.3, -0.3]  # undirected: free either way
    z, y, e = _sample(1, truth, n=20_000)
    theta = fit_signed_poisson(z, y, e, penalty=0.0)
    se = _fisher_se(z, e, np.r_[-1.2, truth])
    assert np.max(se) < 0.02  # 20,000 policies, ~6,000 claims
    # 5 standard errors: a false alarm below 1e-6 per coefficient, 62 coefficients
    np.testing.assert_array_less(np.abs(theta - np.r_[-1.2, truth]), 5 * se)
    assert np.all(DIRECTION * theta[1:] >= 0)  # every directed slope has its sign, exactly
    assert np.sign(theta[1 + FREE[1]]) == -1  # an undirected slope may be negative
    # the true zeros whose estimate would have the wrong sign are held at 0: about half
    held = np.flatnonzero(theta[1:] == 0.0)
    assert set(held) <= set(DIRECTED) - set(strong)
    assert 10 <= len(held) <= 40


@pytest.mark.parametrize("penalty", [0.0, 1e-2])
def test_a_wrong_signed_slope_is_held_at_its_bound_with_the_kkt_signs(penalty):
    """Two directed slopes are truly of the wrong sign: their bounds are active.

    KKT for min f with theta_j >= 0 (direction +1): theta_j = 0 and df/dtheta_j >= 0; with
    theta_j <= 0 (direction -1): df/dtheta_j <= 0; free coordinates: df/dtheta = 0.
    """
    truth = _signed_slopes(0.12)
    wrong = np.array([DIRECTED[0], DIRECTED[19]])  # population (+1), it_ot_segmentation (-1)
    assert list(DIRECTION[wrong]) == [1, -1]
    truth[wrong] = -DIRECTION[wrong] * np.array([0.3, 0.2])
    z, y, e = _sample(0, truth)
    theta = fit_signed_poisson(z, y, e, penalty)
    exact = _exact(z, y, e, penalty)
    active = np.flatnonzero(exact[1:] == 0.0)
    np.testing.assert_array_equal(active, wrong)  # the oracle agrees on the active set
    np.testing.assert_array_equal(np.flatnonzero(theta[1:] == 0.0), wrong)
    _, grad = _objective(theta, z, y, e, penalty)
    # at the bound, moving inside would raise the objective, and not by a rounding error
    assert np.all(DIRECTION[wrong] * grad[1 + wrong] > 0.05)
    free = np.delete(np.arange(P + 1), 1 + wrong)
    assert np.max(np.abs(grad[free])) < 1e-4
    value, _ = _objective(theta, z, y, e, penalty)
    exact_value, _ = _objective(exact, z, y, e, penalty)
    # (at most a rounding below the oracle's: both sit at the optimum to float precision)
    assert -1e-14 <= value - exact_value < OBJECTIVE_GAP
    # so |theta - exact| <= sqrt(2 gap / lambda_min) on the free coordinates (strong convexity)
    design = np.column_stack([np.ones(len(z)), z])[:, free]
    mu = e * np.exp(np.column_stack([np.ones(len(z)), z]) @ exact)
    hessian = (design * mu[:, None]).T @ design / len(z) + np.diag(_ridge(penalty)[free])
    bound = np.sqrt(2 * OBJECTIVE_GAP / np.linalg.eigvalsh(hessian)[0])
    assert np.max(np.abs(theta - exact)) < bound < 1e-3


@pytest.mark.parametrize("penalty", [0.0, 1e-2])
def test_the_signed_fit_is_the_exact_constrained_optimum(penalty):
    """The sample of the KKT test above, to the brief's 1e-6."""
    truth = _signed_slopes(0.12)
    wrong = np.array([DIRECTED[0], DIRECTED[19]])
    truth[wrong] = -DIRECTION[wrong] * np.array([0.3, 0.2])
    z, y, e = _sample(0, truth)
    np.testing.assert_allclose(
        fit_signed_poisson(z, y, e, penalty), _exact(z, y, e, penalty), rtol=0, atol=1e-6
    )


def test_the_rating_base_is_not_shrunk_by_the_penalty():
    """A strong penalty shrinks every slope but the city's size (population, budget, staff)."""
    truth = np.zeros(P)
    others = DIRECTED[[11, 16, 19, 46]]  # security_fte, default_credentials_pct, ...
    assert not set(others) & set(RATING_COLUMNS)
    truth[RATING_COLUMNS] = 0.3
    truth[others] = DIRECTION[others] * 0.3
    z, y, e = _sample(2, truth, n=20_000)
    free = fit_signed_poisson(z, y, e, penalty=0.0)
    strong = fit_signed_poisson(z, y, e, penalty=0.5)  # about the data's own curvature
    se = _fisher_se(z, e, np.r_[-1.2, truth])
    np.testing.assert_array_less(np.abs(free[1:] - truth), 5 * se[1:])
    # the size slopes stay where the data put them (the others' shrinkage moves them a
    # little, through the inputs' sample correlation); every other slope loses over a third
    np.testing.assert_allclose(strong[1 + RATING_COLUMNS], free[1 + RATING_COLUMNS], atol=0.02)
    assert np.all(np.abs(strong[1 + others]) < 0.67 * np.abs(free[1 + others]))


def _sklearn(z, y, e):
    """Poisson regression of y / e weighted by e: the same likelihood as the log(e) offset."""
    fit = PoissonRegressor(alpha=0.0, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    fit.fit(z, y / e, sample_weight=e)
    return np.r_[fit.intercept_, fit.coef_]


def test_without_a_binding_bound_or_penalty_it_is_sklearns_poisson_regression():
    z, y, e = _sample(3, _signed_slopes(0.12))
    reference = _sklearn(z, y, e)
    assert np.min(DIRECTION[DIRECTED] * reference[1 + DIRECTED]) > 0.05  # no bound binds
    theta = fit_signed_poisson(z, y, e, penalty=0.0)
    assert np.min(DIRECTION[DIRECTED] * theta[1 + DIRECTED]) > 0.05
    value, _ = _objective(theta, z, y, e, 0.0)
    assert 0.0 <= value - _objective(reference, z, y, e, 0.0)[0] < OBJECTIVE_GAP
    np.testing.assert_allclose(theta, reference, rtol=0, atol=1e-3)  # sqrt(2 gap / ~0.2)
    # with a penalty the fit moves off sklearn's: the comparison can tell them apart
    assert np.max(np.abs(fit_signed_poisson(z, y, e, penalty=3e-2) - reference)) > 1e-2


@pytest.mark.parametrize("seed", [12, 14])
def test_without_a_binding_bound_it_equals_sklearn_to_1e_5(seed):
    z, y, e = _sample(seed, _signed_slopes(0.12))
    np.testing.assert_allclose(
        fit_signed_poisson(z, y, e, penalty=0.0), _sklearn(z, y, e), rtol=0, atol=1e-5
    )


# --- fit_frequency ---------------------------------------------------------------------------

#: Each cause's share of the portfolio's true rate; vendor_outage never claims.
CAUSE_SHARE = dict(zip(CLAIM_CAUSES, (0.3, 0.2, 0.15, 0.1, 0.0, 0.05, 0.2), strict=True))
CLAIMLESS = CLAIM_CAUSES.index("vendor_outage")
TRAIN, VALID = 3000, 1000
SEED = 5


@pytest.fixture(scope="module")
def fitted():
    p = make_portfolio(TRAIN + VALID, 21)
    x = build_features(p.policies)
    e = p.policies["exposure_years"].to_numpy()
    rng = np.random.default_rng(22)
    # ransomware also rises with the share of unpatched devices: a second, cause-own effect
    tilt = np.exp(0.8 * (x[:, FEATURE_NAMES.index("unsupported_device_pct")] / 100 - 0.5))
    rate = p.true_rate[:, None] * np.array(list(CAUSE_SHARE.values()))
    rate[:, 0] *= tilt
    counts = rng.poisson(rate * e[:, None]).astype(np.float64)
    train = (x[:TRAIN], counts[:TRAIN], e[:TRAIN])
    valid = (x[TRAIN:], counts[TRAIN:], e[TRAIN:])
    model = fit_frequency(train, valid, small_params(), SEED)
    return train, valid, model


def test_the_sample_has_claims_of_every_cause_but_one(fitted):
    train, _, model = fitted
    by_cause = train[1].sum(axis=0)
    assert by_cause[CLAIMLESS] == 0 and np.all(np.delete(by_cause, CLAIMLESS) >= 25)
    assert isinstance(model, FrequencyModel)
    assert len(model.boosters) == len(model.best_iterations) == K
    np.testing.assert_array_equal(model.balance_factors, np.ones(K))  # as fitted


def _steps(column):
    """Perturbations of a feature: a quarter, one and four of its spread (1 for a flag)."""
    spread = max(float(np.std(column)), 1.0)
    return spread * np.array([0.25, 1.0, 4.0])


def test_every_causes_rate_is_monotone_in_every_directed_feature_exactly(fitted):
    """Up (down) a directed feature, no cause's rate moves against the spec, not by one ulp.

    Each term is monotone: log1p, the standardisation, a slope of the field's sign, the
    monotone trees, and a float sum in a fixed order is monotone in each of its terms.
    """
    (x, _, _), (xv, _, _), model = fitted
    rows = np.vstack([x[:250], xv[:250]])
    base = model.claim_rates(rows)
    moved = np.zeros(K, dtype=int)
    for j in DIRECTED:
        for step in _steps(x[:, j]):
            for sign in (1.0, -1.0):
                probe = rows.copy()
                probe[:, j] += np.float32(sign * step)
                change = DIRECTION[j] * sign * (model.claim_rates(probe) - base)
                assert np.all(change >= 0.0), (FEATURE_NAMES[j], step, sign)
                moved += np.any(change > 0, axis=0)
    # not vacuous: every cause with claims moves; the claimless one is flat
    assert moved[CLAIMLESS] == 0 and np.all(np.delete(moved, CLAIMLESS) > 10)


def _start_by_hand(model, features):
    """(rows, K) start_c: the inputs standardised as the start documents it, by hand."""
    inputs = model.start.inputs
    x = features.astype(np.float64)
    z = np.where(inputs.log_columns, np.log1p(np.maximum(x, 0.0)), x)
    return ((z - inputs.mean) / inputs.scale) @ model.start.coef.T + model.start.intercept


def test_log_rates_are_the_start_plus_the_boosters_margins(fitted):
    (x, _, _), _, model = fitted
    inputs, _ = GlmInputs.fit_transform(x)  # the start's inputs are the training rows'
    np.testing.assert_array_equal(model.start.inputs.mean, inputs.mean)
    np.testing.assert_array_equal(model.start.inputs.scale, inputs.scale)
    start = _start_by_hand(model, x)
    np.testing.assert_allclose(model.start.log_rates(x), start, rtol=1e-12, atol=1e-12)
    log_rates = model.log_rates(x)
    for k, booster in enumerate(model.boosters):
        matrix = xgb.DMatrix(x, base_margin=start[:, k], feature_names=list(FEATURE_NAMES))
        margin = booster.predict(matrix, output_margin=True)  # trees + base_margin, float32
        np.testing.assert_allclose(log_rates[:, k], margin, rtol=2e-6, atol=2e-6)
    # the trees add something for the causes with claims (the test sees them)
    trees = log_rates - start
    assert np.all(np.delete(np.ptp(trees, axis=0), CLAIMLESS) > 0)
    # and a balance factor multiplies the cause's rate
    factors = np.linspace(0.5, 2.0, K)
    np.testing.assert_allclose(
        model.with_balance(factors).claim_rates(x), model.claim_rates(x) * factors, rtol=1e-12
    )
    np.testing.assert_allclose(model.claim_rate_per_year(x), model.claim_rates(x).sum(axis=1))


def test_base_score_is_a_zero_margin(fitted):
    (x, _, _), _, model = fitted
    for booster in model.boosters:
        config = json.loads(booster.save_config())
        assert float(config["learner"]["learner_model_param"]["base_score"].strip("[]")) == 1.0
    empty = model.boosters[CLAIMLESS]
    np.testing.assert_array_equal(empty.inplace_predict(x[:5], predict_type="margin"), 0.0)


def test_the_boosters_were_fitted_on_the_exposure_offset_and_the_start(fitted):
    """Refit by hand: base_margin = log(exposure_years) + start_c gives the same bytes.

    So an expected count is rate x exposure: XGBoost's count prediction with that margin.
    """
    train, valid, model = fitted
    params = small_params()
    xgb_params = frequency_xgb_params(params, SEED)
    margins = [np.log(part[2])[:, None] + _start_by_hand(model, part[0]) for part in (train, valid)]
    k = int(np.argmax(model.best_iterations))  # the cause with the most trees
    assert model.best_iterations[k] >= 3

    def refit(offsets):
        dtrain, dvalid = (
            xgb.DMatrix(part[0], label=part[1][:, k], base_margin=m[:, k],
                        feature_names=list(FEATURE_NAMES))
            for part, m in zip((train, valid), offsets, strict=True)
        )  # fmt: skip
        booster = xgb.train(
            xgb_params, dtrain, params.max_rounds, evals=[(dvalid, "valid")],
            early_stopping_rounds=params.early_stopping_rounds, verbose_eval=False,
        )  # fmt: skip
        return booster[: booster.best_iteration + 1], booster.best_iteration

    booster, best = refit(margins)
    assert best == model.best_iterations[k]
    assert bytes(booster.save_raw("ubj")) == bytes(model.boosters[k].save_raw("ubj"))
    # the same trees from the start without the exposure would differ: the check can fail
    without = [
        m - np.log(part[2])[:, None] for m, part in zip(margins, (train, valid), strict=True)
    ]
    assert bytes(refit(without)[0].save_raw("ubj")) != bytes(model.boosters[k].save_raw("ubj"))
    # the expected count through base_margin is the rate times the exposure
    x, _, e = valid
    counts = model.boosters[k].predict(
        xgb.DMatrix(x, base_margin=margins[1][:, k], feature_names=list(FEATURE_NAMES))
    )
    np.testing.assert_allclose(counts, model.claim_rates(x)[:, k] * e, rtol=2e-6)
    np.testing.assert_allclose(
        model.claim_rates(x)[:, k] * 2 * e,
        2 * counts,
        rtol=2e-6,
    )


def _deviance(y, mu):
    """Poisson deviance, 2 sum(y log(y / mu) - (y - mu)), y log y = 0 at y = 0."""
    ratio = np.where(y > 0, y / mu, 1.0)
    return 2.0 * float(np.sum(y * np.log(ratio) - (y - mu)))


def test_each_causes_penalty_is_the_best_over_the_seeded_folds(fitted):
    """Cut the training policies into the seeded folds by hand, refit each cause at each
    START_PENALTIES from cold on each fold's rest, and rank them by the held-out deviance
    summed over folds; the start is the chosen penalty's fit on every training policy."""
    train, _, model = fitted
    _, z = GlmInputs.fit_transform(train[0])
    n = len(z)
    fold = np.empty(n, dtype=np.int64)
    fold[np.random.default_rng(SEED).permutation(n)] = np.arange(n) % START_FOLDS
    chosen = []
    for k in range(K):
        if k == CLAIMLESS:
            continue
        deviance = np.zeros(len(START_PENALTIES))
        for f in range(START_FOLDS):
            fit, held = fold != f, fold == f
            for j, a in enumerate(START_PENALTIES):
                t = fit_signed_poisson(z[fit], train[1][fit, k], train[2][fit], a)
                mu = train[2][held] * np.exp(t[0] + z[held] @ t[1:])
                deviance[j] += _deviance(train[1][held, k], mu)
        best = int(np.argmin(deviance))
        second = np.partition(deviance, 1)[1]
        assert second - deviance[best] > 1e-3, CLAIM_CAUSES[k]  # no near tie to misjudge
        assert model.start.penalty[k] == START_PENALTIES[best], CLAIM_CAUSES[k]
        theta = np.r_[model.start.intercept[k], model.start.coef[k]]
        whole = fit_signed_poisson(z, train[1][:, k], train[2], START_PENALTIES[best])
        np.testing.assert_allclose(theta, whole, rtol=0, atol=1e-3)
        assert np.all(DIRECTION * model.start.coef[k] >= 0)
        chosen.append(best)
    assert len(chosen) == K - 1


def test_a_cause_without_training_claims_gets_half_a_claim_and_no_trees(fitted):
    train, _, model = fitted
    k = CLAIMLESS
    assert model.start.intercept[k] == pytest.approx(np.log(0.5 / train[2].sum()), rel=1e-12)
    assert not np.any(model.start.coef[k])
    assert model.start.penalty[k] == START_PENALTIES[0]
    assert model.best_iterations[k] == -1 and model.boosters[k].num_boosted_rounds() == 0
    rates = model.claim_rates(train[0])[:, k]
    np.testing.assert_allclose(rates, 0.5 / train[2].sum(), rtol=1e-12)
    assert all(b >= 0 for i, b in enumerate(model.best_iterations) if i != k)


def test_same_data_and_seed_give_byte_identical_boosters(fitted):
    train, valid, model = fitted
    again = fit_frequency(train, valid, small_params(), SEED)
    for k in range(K):
        assert bytes(again.boosters[k].save_raw("ubj")) == bytes(model.boosters[k].save_raw("ubj"))
    np.testing.assert_array_equal(again.start.coef, model.start.coef)
    np.testing.assert_array_equal(again.start.intercept, model.start.intercept)


def test_bad_inputs_are_clear_errors(fitted):
    (x, _, _), _, model = fitted
    with pytest.raises(ValueError, match="columns"):
        model.claim_rate_per_year(x[:, :5])
    with pytest.raises(ValueError, match="columns"):
        fit_frequency((x[:, :5], np.zeros((len(x), K)), np.ones(len(x))), None, small_params(), 1)
