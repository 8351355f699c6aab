"""The compiled walk of the boosters' trees against XGBoost itself.

Oracle: XGBoost's own ``inplace_predict(predict_type="margin")`` (bit for bit:
the walk adds the leaves in XGBoost's float32 order) and ``predict(pred_contribs=True,
approx_contribs=True)`` (to float32 precision: XGBoost sums in float32, the
walk in float64), on 12,000 rows of the shipped bundle's reference cities,
seeded jitter included, plus rows sitting exactly on split thresholds and
missing values that take each node's default branch.
"""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb

from models.scoring.booster_params import BoosterParams
from models.scoring.features import build_features
from models.scoring.severity import SEVERITY_FEATURE_NAMES, every_cause, severity_xgb_params
from models.scoring.tree_predictor import (
    compile_forest,
    contributions,
    group_contributions,
    group_margins,
    margins,
    try_compile,
)
from models.versions.bundle import ModelBundle
from models.versions.registry import Registry

ROWS = 12_000


@pytest.fixture(scope="module")
def bundle() -> ModelBundle:
    return Registry(None).load(None, nthread=1)


@pytest.fixture(scope="module")
def rows(bundle: ModelBundle) -> np.ndarray:
    """12,000 feature rows: the reference cities, repeated and jittered by a seeded rng."""
    base = build_features(bundle.reference_exposures)
    repeated = np.tile(base, (ROWS // len(base) + 1, 1))[:ROWS]
    rng = np.random.default_rng(13)
    jitter = rng.uniform(0.7, 1.3, size=repeated.shape).astype(np.float32)
    return np.where(np.arange(ROWS)[:, None] % 2 == 0, repeated, repeated * jitter)


def _xgb_contribs(booster: xgb.Booster, x: np.ndarray) -> np.ndarray:
    matrix = xgb.DMatrix(x, feature_names=booster.feature_names, nthread=1)
    return booster.predict(matrix, pred_contribs=True, approx_contribs=True)


def test_frequency_margins_equal_xgboost_bit_for_bit(bundle, rows) -> None:
    boosters = bundle.frequency.boosters
    walked = margins(compile_forest(boosters), rows)
    assert walked.shape == (ROWS, len(boosters))
    for k, booster in enumerate(boosters):
        np.testing.assert_array_equal(
            walked[:, k], booster.inplace_predict(rows, predict_type="margin")
        )
    assert sum(b.num_boosted_rounds() for b in boosters) > 10  # trees are exercised


def test_severity_margins_equal_xgboost_bit_for_bit(bundle, rows) -> None:
    cause_rows = every_cause(rows[:2000])  # 14,000 (city, cause) rows
    # the shipped booster (the number of trees the folds chose, one at the default), and one
    # of its parameters fitted for 60 rounds on a seeded label, so that many trees are walked
    params = severity_xgb_params(BoosterParams(nthread=1), 5, 0.0)
    label = np.random.default_rng(5).normal(size=len(cause_rows)) + cause_rows[:, 1] / 1e9
    deep = xgb.train(params, xgb.DMatrix(cause_rows, label=label), num_boost_round=60)
    for booster in (bundle.severity.booster, deep):
        walked = margins(compile_forest([booster]), cause_rows)[:, 0]
        np.testing.assert_array_equal(
            walked, booster.inplace_predict(cause_rows, predict_type="margin")
        )
    assert deep.num_boosted_rounds() == 60 and len(np.unique(walked)) > 1000


def test_contributions_equal_xgboosts_saabas_to_float32_precision(bundle, rows) -> None:
    forest = compile_forest(bundle.frequency.boosters)
    walked = contributions(forest, rows)
    for k, booster in enumerate(bundle.frequency.boosters):
        np.testing.assert_allclose(walked[:, k], _xgb_contribs(booster, rows), rtol=1e-6, atol=1e-7)
    severity = bundle.severity.booster
    cause_rows = every_cause(rows[:2000])
    walked_sev = contributions(compile_forest([severity]), cause_rows)[:, 0]
    oracle = _xgb_contribs(severity, cause_rows)
    # the bias (~11, the base score) sums in float32 at XGBoost: 1 ulp is 1e-6
    np.testing.assert_allclose(walked_sev, oracle, rtol=1e-6, atol=2e-6)
    assert np.count_nonzero(oracle[:, :-1]) > len(cause_rows)
    # exact in sum, as Saabas is: the contributions add up to the margin
    sums = walked_sev.sum(axis=1)
    # (to float32 precision: margins near 0 here, the start carrying the level)
    np.testing.assert_allclose(sums, severity.inplace_predict(cause_rows), rtol=1e-6, atol=1e-8)


def test_a_batch_row_equals_the_same_row_alone_bit_for_bit(bundle, rows) -> None:
    frequency = compile_forest(bundle.frequency.boosters)
    severity = compile_forest([bundle.severity.booster])
    batch = rows[:1000]
    cause_batch = every_cause(batch)
    whole = (margins(frequency, batch), contributions(frequency, batch))
    whole_sev = (margins(severity, cause_batch), contributions(severity, cause_batch))
    for i in (0, 1, 517, 999):
        np.testing.assert_array_equal(margins(frequency, batch[i : i + 1])[0], whole[0][i])
        np.testing.assert_array_equal(contributions(frequency, batch[i : i + 1])[0], whole[1][i])
        one = every_cause(batch[i : i + 1])
        np.testing.assert_array_equal(margins(severity, one), whole_sev[0][7 * i : 7 * i + 7])
        np.testing.assert_array_equal(contributions(severity, one), whole_sev[1][7 * i : 7 * i + 7])


def _booster_with_missing_values(objective: str) -> tuple[xgb.Booster, np.ndarray]:
    """A seeded booster trained where a fifth of the values are missing (learnt defaults)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3000, 6)).astype(np.float32)
    y = x[:, 0] - 2 * x[:, 1] * (x[:, 2] > 0) + rng.normal(scale=0.3, size=3000)
    if objective == "count:poisson":
        y = rng.poisson(np.exp(0.3 * y))
    if objective == "reg:logistic":
        y = (y > 0).astype(np.float64)
    x[rng.random(x.shape) < 0.2] = np.nan
    params = {"objective": objective, "max_depth": 5, "eta": 0.3, "seed": 5, "nthread": 1}
    booster = xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=25)
    return booster, x


@pytest.mark.parametrize("objective", ["reg:squarederror", "count:poisson"])
def test_missing_values_and_values_on_a_threshold_take_xgboosts_branch(objective) -> None:
    booster, x = _booster_with_missing_values(objective)
    forest = compile_forest([booster])
    defaults = forest.default_left[forest.left != np.arange(len(forest.left))]
    assert defaults.any() and not defaults.all()  # both default branches occur
    on_threshold = x[:200].copy()
    splits = forest.left != np.arange(len(forest.left))  # internal nodes
    feature, threshold = forest.feature[splits], forest.threshold[splits]
    on_threshold[np.arange(200), feature[:200] % 6] = threshold[:200]
    for data in (x, on_threshold):
        np.testing.assert_array_equal(
            margins(forest, data)[:, 0], booster.inplace_predict(data, predict_type="margin")
        )
        np.testing.assert_allclose(
            contributions(forest, data)[:, 0], _xgb_contribs(booster, data), rtol=1e-6, atol=1e-6
        )


def test_an_objective_the_walk_does_not_know_is_left_to_xgboost() -> None:
    booster, x = _booster_with_missing_values("reg:logistic")
    assert try_compile([booster]) is None
    np.testing.assert_array_equal(
        group_margins([booster], None, x)[:, 0], booster.inplace_predict(x, predict_type="margin")
    )
    np.testing.assert_array_equal(
        group_contributions([booster], None, x)[:, 0], _xgb_contribs(booster, x)
    )


def test_the_models_use_the_walk_and_give_xgboosts_numbers(bundle, rows) -> None:
    """FrequencyModel and SeverityModel through the walk: their XGBoost margins."""
    few = rows[:50]
    frequency, severity = bundle.frequency, bundle.severity
    assert frequency.forest is not None and severity.forest is not None
    expected = np.column_stack(
        [b.inplace_predict(few, predict_type="margin") for b in frequency.boosters]
    )
    # log rate = start + trees + log(balance factor), added in that order
    log_rates = frequency.start.log_rates(few) + expected.astype(np.float64)
    np.testing.assert_array_equal(
        frequency.log_rates(few), log_rates + np.log(frequency.balance_factors)
    )
    sev_rows = every_cause(few)
    sev = severity.booster.inplace_predict(sev_rows, predict_type="margin").astype(np.float64)
    np.testing.assert_array_equal(
        severity.raw_mu(few).ravel(), sev + severity.start.mu(few).ravel()
    )
    assert severity.tree_contributions(few).shape == (50 * 7, len(SEVERITY_FEATURE_NAMES) + 1)


def test_the_walk_is_the_same_from_any_thread_and_after_a_pickle(bundle, rows) -> None:
    """Oracle: the walk on the main thread (itself XGBoost's numbers, above)."""
    import pickle
    import threading

    forest = compile_forest(bundle.frequency.boosters)
    x = np.ascontiguousarray(rows[:50], dtype=np.float32)
    expected = (margins(forest, x), contributions(forest, x))
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    threads = [
        threading.Thread(target=lambda: seen.append((margins(forest, x), contributions(forest, x))))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    copy = pickle.loads(pickle.dumps(forest))  # the bundle's models travel to Dask workers
    for got in (*seen, (margins(copy, x), contributions(copy, x))):
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
    # a float64 or strided frame is the same rows: the walk reads them as float32
    np.testing.assert_array_equal(margins(forest, rows[:50].astype(np.float64)), expected[0])
    np.testing.assert_array_equal(margins(forest, np.asfortranarray(x)), expected[0])
