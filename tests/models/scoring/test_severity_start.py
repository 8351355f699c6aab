"""The severity start: per-cause level and size slopes recovered from a known log-linear
truth (with and without a large-estate slope above the knot), the slopes' signs kept, a
claimless cause pooled, the base margin added where the booster is read, and the number
of trees from the summed out-of-fold curves."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb

from models.pricing.cause_losses import CAUSE_COUNT
from models.scoring.booster_params import BoosterParams
from models.scoring.features import build_features
from models.scoring.severity import (
    LARGE_ESTATE_QUANTILE,
    SEVERITY_FEATURE_NAMES,
    SIZE_COLUMNS,
    START_PENALTIES,
    _Folds,
    _nonnegative_solve,
    fit_severity,
    fit_start,
    start_columns,
    with_cause,
)
from tests.support.portfolio import exposure_frame

LEVEL = np.array([13.0, 11.5, 11.0, 11.5, 11.2, 11.1, 11.4])  # at the claims' mean log sizes
#: per cause, slopes on log1p(budget), log1p(records), log1p(OT controllers)
SLOPE = np.array(
    [[0.75, 0.0, 0.1], [0.3, 0.55, 0.0], [0.35, 0.0, 0.0], [0.4, 0.0, 0.3],
     [0.5, 0.0, 0.0], [0.2, 0.4, 0.0], [0.75, 0.0, 0.0]]
)  # fmt: skip
SIGMA = 1.3


def _claims(
    n: int,
    seed: int,
    slope: np.ndarray = SLOPE,
    causes: int = CAUSE_COUNT,
    large_estate: np.ndarray | None = None,
    knot: float = 0.0,
):
    """Claims of a log-linear truth; ``large_estate``: each cause's extra slope above ``knot``."""
    x = build_features(exposure_frame(3000, seed))
    rng = np.random.default_rng(seed)
    owner, cause = rng.integers(0, len(x), n), rng.integers(0, causes, n)
    u = np.log1p(x[owner][:, SIZE_COLUMNS].astype(np.float64))
    mu = LEVEL[cause] + np.einsum("ns,ns->n", slope[cause], u - u.mean(axis=0))
    if large_estate is not None:
        mu += large_estate[cause] * np.maximum(u[:, 0] - knot, 0.0)
    return x[owner], np.exp(mu + SIGMA * rng.standard_normal(n)), cause


def _check_recovery(start, train, slope: np.ndarray) -> None:
    """Levels at the centre and the (K, 4) slopes within their least-squares errors."""
    columns = start_columns(train[0], start.knot)
    np.testing.assert_allclose(start.center, columns.mean(axis=0), rtol=1e-12)
    n = np.bincount(train[2], minlength=CAUSE_COUNT)
    # the level at the centre of the columns: the truth's, moved by its slopes there
    true_level = LEVEL + slope @ (columns.mean(axis=0) - np.r_[columns[:, :3].mean(axis=0), 0.0])
    # least squares' standard errors, times four: sigma / sqrt(n) for a level at the
    # centre, sigma / (sqrt(n) sd(u_s)) for a slope, inflated by the columns' correlation
    # (1 / sqrt(1 - R^2) < 2 here); n ~ 8,500 a cause. A slope held at 0 is exact; the
    # pull to the pooled slopes is at most 1,000 claims' worth, kept small by the validation.
    np.testing.assert_array_less(np.abs(start.level - true_level), 4 * SIGMA / np.sqrt(n) + 0.02)
    se = SIGMA / (np.sqrt(n)[:, None] * columns.std(axis=0)[None, :])
    np.testing.assert_array_less(np.abs(start.slope - slope), 8 * se + 0.02)
    assert np.all(start.slope >= 0.0)
    # the large-estate slopes (one sample column of sd ~0.11: an error ~0.12 a cause) in
    # their mean over the causes, to four of its standard errors
    mean_se = float(np.sqrt(np.sum(se[:, 3] ** 2))) / CAUSE_COUNT
    assert abs(start.slope[:, 3].mean() - slope[:, 3].mean()) < 4 * mean_se + 0.02


def test_fit_start_recovers_each_causes_level_and_slopes():
    train, valid = _claims(60_000, 1), _claims(10_000, 2)
    start = fit_start(train, valid)
    assert start.penalty in START_PENALTIES
    budget = np.log1p(train[0][:, SIZE_COLUMNS[0]].astype(np.float64))
    assert start.knot == np.quantile(budget, LARGE_ESTATE_QUANTILE)
    # a straight truth: the large-estate slope comes out near 0 (>= 0: not below it)
    _check_recovery(start, train, np.column_stack([SLOPE, np.zeros(CAUSE_COUNT)]))


def test_fit_start_recovers_a_large_estate_slope_above_the_knot():
    extra = np.full(CAUSE_COUNT, 0.8)  # alike: the pull to the pooled slopes moves none
    # the truth's knot: the fit's rule on the training claims (the same cities as below)
    owners = _claims(60_000, 1)[0]
    budget = np.log1p(owners[:, SIZE_COLUMNS[0]].astype(np.float64))
    knot = float(np.quantile(budget, LARGE_ESTATE_QUANTILE))
    train = _claims(60_000, 1, large_estate=extra, knot=knot)
    valid = _claims(10_000, 2, large_estate=extra, knot=knot)
    start = fit_start(train, valid)
    assert start.knot == knot
    _check_recovery(start, train, np.column_stack([SLOPE, extra]))
    # the start's effects fold the large-estate column into the budget's
    x = train[0][:50]
    effects = start.effects(x)
    terms = start.log_size(x)[:, None, :] * start.slope[None, :, :]
    np.testing.assert_allclose(effects[:, :, 0], terms[:, :, 0] + terms[:, :, 3], rtol=1e-12)
    np.testing.assert_array_equal(effects[:, :, 1:], terms[:, :, 1:3])
    np.testing.assert_allclose(start.mu(x), start.level + effects.sum(axis=2), rtol=0, atol=1e-12)


def test_the_nonnegative_solve_is_the_constrained_least_squares():
    # a 3-column problem whose unconstrained optimum has a negative second slope: the
    # constrained optimum (checked against every feasible corner and face by brute force)
    rng = np.random.default_rng(3)
    a = rng.normal(size=(200, 3))
    y = a @ np.array([1.0, -0.5, 0.2]) + rng.normal(size=200)
    b = _nonnegative_solve(a.T @ a, a.T @ y)
    best = None
    for free in ([0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]):
        c = np.zeros(3)
        c[free] = np.linalg.lstsq(a[:, free], y, rcond=None)[0]
        if np.all(c >= 0) and (best is None or np.sum((y - a @ c) ** 2) < best[0]):
            best = (np.sum((y - a @ c) ** 2), c)
    np.testing.assert_allclose(b, best[1], atol=1e-12)
    assert b[1] == 0.0 and b[0] > 0.0


def test_a_falling_slope_is_held_at_zero_and_a_claimless_cause_pooled():
    slope = SLOPE.copy()
    slope[1, 0] = -0.8  # against the spec's direction for the budget
    train = _claims(20_000, 3, slope, causes=CAUSE_COUNT - 1)  # no claim of the last cause
    valid = _claims(4_000, 4, slope, causes=CAUSE_COUNT - 1)
    start = fit_start(train, valid)
    assert start.slope[1, 0] == 0.0 and np.all(start.slope >= 0.0)
    # the pooled slopes, by hand: least squares within causes (each its own mean), >= 0
    x, loss, cause = train
    u = start_columns(x, start.knot)
    y = np.log(loss)
    for k in range(CAUSE_COUNT - 1):
        u[cause == k] -= u[cause == k].mean(axis=0)
        y[cause == k] -= y[cause == k].mean()
    pooled = _nonnegative_solve(u.T @ u, u.T @ y)
    np.testing.assert_allclose(start.slope[-1], pooled, rtol=1e-9, atol=1e-12)
    assert start.level[-1] == pytest.approx(np.log(loss).mean(), rel=1e-12)


@pytest.fixture(scope="module")
def model():
    params = BoosterParams(max_rounds=60, early_stopping_rounds=10, eta=0.3, nthread=1)
    return fit_severity(_claims(6_000, 5), _claims(1_500, 6), params, 3)


def test_the_location_is_the_trees_on_the_start_as_xgboost_reads_them(model):
    x, _, cause = _claims(500, 7)
    rows = with_cause(x, cause)
    margin = model.start.claim_mu(x, cause)
    matrix = xgb.DMatrix(rows, base_margin=margin, feature_names=list(SEVERITY_FEATURE_NAMES))
    expected = model.booster.predict(matrix, output_margin=True)
    np.testing.assert_allclose(model.raw_claim_mu(x, cause), expected, rtol=1e-6)
    assert model.best_iteration + 1 == model.booster.num_boosted_rounds()


def test_the_number_of_trees_is_the_minimum_of_the_summed_fold_curves():
    folds = object.__new__(_Folds)
    # three folds whose own minima are at rounds 2, 5 and 9; their sum's at round 5,
    # and only the first six rounds (the shortest curve) count
    folds.squared_errors = [
        np.array([5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
        np.array([9.0, 8.0, 7.0, 6.0, 1.0, 3.0]),
        np.array([9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 0.0]),
    ]
    # sums of the first six rounds: 23, 17, 16, 15, 10, 12
    assert folds.best_rounds() == 5


def test_a_size_that_never_varies_gets_a_zero_slope():
    x, loss, cause = _claims(5_000, 8)
    x, x_valid = x.copy(), _claims(1_000, 9)[0].copy()
    ot = SIZE_COLUMNS[2]
    x[:, ot], x_valid[:, ot] = 0.0, 0.0  # a world without OT controllers
    valid = (x_valid, _claims(1_000, 9)[1], _claims(1_000, 9)[2])
    start = fit_start((x, loss, cause), valid)
    assert np.all(start.slope[:, 2] == 0.0) and np.all(np.isfinite(start.level))
