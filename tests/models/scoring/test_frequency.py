"""Frequency booster: offset conventions, monotonicity, determinism, recovery of a known truth."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb

from models.scoring.features import FEATURE_NAMES, MONOTONE_CONSTRAINTS, build_features
from models.scoring.frequency import FrequencyModel, fit_frequency, portfolio_intercept
from tests.support.portfolio import make_portfolio, small_params


@pytest.fixture(scope="module")
def fitted():
    p = make_portfolio(4000, 21)
    x = build_features(p.policies)
    counts = p.claim_counts
    t = p.policies["exposure_years"].to_numpy()
    tr, va = np.arange(3000), np.arange(3000, 4000)
    model = fit_frequency((x[tr], counts[tr], t[tr]), (x[va], counts[va], t[va]), small_params(), 5)
    return p, x, counts, t, model


def test_doubling_exposure_doubles_the_expected_count(fitted):
    _, x, _, t, model = fitted
    one = model.expected_claim_count(x, t)
    two = model.expected_claim_count(x, 2 * t)
    np.testing.assert_allclose(two, 2 * one, rtol=1e-5)


def test_rate_path_and_offset_path_agree(fitted):
    _, x, _, t, model = fitted
    by_rate = model.claim_rate_per_year(x) * t
    by_offset = model.expected_claim_count(x, t)
    np.testing.assert_allclose(by_rate, by_offset, rtol=1e-5)
    # and a plain DMatrix prediction with the documented base_margin agrees too
    margin = (np.log(t) + model.log_rate_offset).astype(np.float32)
    dmatrix = xgb.DMatrix(x, base_margin=margin, feature_names=list(FEATURE_NAMES))
    np.testing.assert_allclose(model.booster.predict(dmatrix), by_offset, rtol=1e-5)


def test_base_score_is_a_zero_margin(fitted):
    model = fitted[-1]
    config = json.loads(model.booster.save_config())
    assert float(config["learner"]["learner_model_param"]["base_score"].strip("[]")) == 1.0
    # without any offset the trees alone are centred near 0, not near log(rate)
    raw = model.booster.inplace_predict(fitted[1], predict_type="margin")
    assert abs(float(np.mean(raw))) < 0.5 < abs(model.intercept)


def test_balance_factor_multiplies_rates(fitted):
    _, x, _, _, model = fitted
    np.testing.assert_allclose(
        model.with_balance(1.25).claim_rate_per_year(x),
        1.25 * model.claim_rate_per_year(x),
        rtol=1e-5,
    )


def test_recovers_the_known_rates(fitted):
    p, x, _, t, model = fitted
    rate = model.claim_rate_per_year(x)
    assert np.corrcoef(np.log(rate), np.log(p.true_rate))[0, 1] > 0.9
    assert abs(np.sum(rate * t) / np.sum(p.true_rate * t) - 1) < 0.1


def test_monotone_in_every_constrained_feature(fitted):
    _, x, _, _, model = fitted
    rows = x[:40]
    for j, direction in enumerate(MONOTONE_CONSTRAINTS):
        if direction == 0:
            continue
        low, high = np.quantile(x[:, j], [0.0, 1.0])
        grid = np.linspace(low, high, 8, dtype=np.float32)
        preds = []
        for value in grid:
            probe = rows.copy()
            probe[:, j] = value
            preds.append(model.claim_rate_per_year(probe))
        steps = np.diff(np.asarray(preds), axis=0) * direction
        assert np.all(steps >= -1e-9), FEATURE_NAMES[j]


def test_same_data_and_seed_give_byte_identical_boosters(fitted):
    _, x, counts, t, model = fitted
    tr, va = np.arange(3000), np.arange(3000, 4000)
    again = fit_frequency((x[tr], counts[tr], t[tr]), (x[va], counts[va], t[va]), small_params(), 5)
    assert bytes(again.booster.save_raw("ubj")) == bytes(model.booster.save_raw("ubj"))


def test_intercept_is_the_log_portfolio_rate_and_needs_claims():
    assert portfolio_intercept(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx(
        np.log(2.0)
    )
    with pytest.raises(ValueError, match="no claims"):
        portfolio_intercept(np.zeros(3), np.ones(3))


def test_bad_inputs_are_clear_errors(fitted):
    x, model = fitted[1], fitted[-1]
    with pytest.raises(ValueError, match="columns"):
        model.claim_rate_per_year(x[:, :5])
    with pytest.raises(ValueError, match="exposure_years"):
        model.expected_claim_count(x[:2], np.array([1.0, 0.0]))
    assert isinstance(model, FrequencyModel)
