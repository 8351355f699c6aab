"""Quote drivers by cause: the signed start's and the boosters' contributions, weighted by loss.

Oracles: the start's terms coef x z (z standardised by hand from the stored inputs), each
booster's own Saabas contributions, the city's loss shares; the identity

    effect(field) = sum_c s_c (start_c + trees_c + severity_c contributions)(field)

recomputed by hand; a city whose loss is one cause's (shares within 1e-6 of it) gets that
cause's contributions to within (1 - s_c) x their spread; a one-slope model whose effect
must match a finite difference of log expected loss within beta^2 t^2 / 8 (derived below);
hand-built effects for the driver ranking.
"""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb

from models.scoring.explain import (
    _FEATURE_TO_FIELD,
    FieldEffects,
    driver_rows,
    drivers_for,
    field_log_effects,
)
from models.scoring.features import FEATURE_NAMES, FEATURES, build_features
from models.scoring.frequency import FrequencyModel, SignedStart
from models.scoring.loss_model import LossModel
from models.scoring.severity import (
    NO_TAIL,
    SEVERITY_FEATURE_NAMES,
    SIZE_FEATURES,
    SeverityModel,
    with_cause,
)
from models.spec.contract import CLAIM_CAUSES
from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS

K = len(CLAIM_CAUSES)
F = len(FEATURE_NAMES)
ROWS = 120
FIELD_NAMES = [f.name for f in MODEL_FIELDS]


def _field_matrix() -> np.ndarray:
    """features x fields: each feature shared equally by its source fields (built here, by name)."""
    matrix = np.zeros((len(FEATURES), len(MODEL_FIELDS)))
    for i, feature in enumerate(FEATURES):
        for name in feature.fields:
            matrix[i, FIELD_NAMES.index(name)] += 1.0 / len(feature.fields)
    return matrix


def _saabas(booster: xgb.Booster, rows: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    matrix = xgb.DMatrix(rows, feature_names=list(names))
    return booster.predict(matrix, pred_contribs=True, approx_contribs=True).astype(np.float64)


def _no_trees(objective: str, names: tuple[str, ...], **params) -> xgb.Booster:
    """A booster of zero rounds: its margin is its base score, its contributions all zero."""
    data = xgb.DMatrix(
        np.zeros((2, len(names)), np.float32), label=[0, 0], feature_names=list(names)
    )
    return xgb.train({"objective": objective, **params}, data, 0)


def _flat_severity() -> SeverityModel:
    booster = _no_trees("reg:squarederror", SEVERITY_FEATURE_NAMES, base_score=10.0)
    # causes of different scales and locations: loss shares differ from claim shares
    return SeverityModel(booster, np.linspace(0.8, 1.8, K), np.linspace(-1.0, 1.0, K), NO_TAIL)


def _z(start: SignedStart, features: np.ndarray) -> np.ndarray:
    """The start's inputs, standardised by hand: log1p where marked, then (x - mean) / scale."""
    x = features.astype(np.float64)
    x = np.where(start.inputs.log_columns, np.log1p(np.maximum(x, 0.0)), x)
    return (x - start.inputs.mean) / start.inputs.scale


@pytest.fixture(scope="module")
def bundle(trained_registry):
    return trained_registry.load()


@pytest.fixture(scope="module")
def x(bundle) -> np.ndarray:
    return build_features(bundle.reference_exposures.iloc[:ROWS])


def _frequency_parts(model: LossModel, x: np.ndarray) -> np.ndarray:
    """(rows, K, features): coef_c x z plus booster c's Saabas contributions (bias left out)."""
    start = model.frequency.start
    parts = _z(start, x)[:, None, :] * start.coef[None, :, :]
    for c, booster in enumerate(model.frequency.boosters):
        parts[:, c, :] += _saabas(booster, x, FEATURE_NAMES)[:, :F]
    return parts


def test_the_feature_to_field_matrix_shares_derived_features_equally() -> None:
    np.testing.assert_array_equal(_FEATURE_TO_FIELD, _field_matrix())
    for i, feature in enumerate(FEATURES):
        assert _FEATURE_TO_FIELD[i].sum() == pytest.approx(1.0)
        assert np.count_nonzero(_FEATURE_TO_FIELD[i]) == len(set(feature.fields))
    assert any(len(f.fields) > 1 for f in FEATURES)  # the sharing is exercised


def test_the_effects_are_the_loss_weighted_sum_of_every_causes_contributions(bundle, x) -> None:
    model = bundle.model
    losses = model.predict(x)
    effects = field_log_effects(model, losses, x)
    frequency = _frequency_parts(model, x)
    severity = np.stack(
        [_saabas(model.severity.booster, with_cause(x, np.full(len(x), c)), SEVERITY_FEATURE_NAMES)
         [:, :F] for c in range(K)], axis=1,
    )  # fmt: skip
    # the severity start's slopes on its log1p sizes, relative to the training claims' means,
    # and its large-estate slope on the log1p budget above the knot, the budget's too
    start = model.severity.start
    for s, name in enumerate(SIZE_FEATURES):
        log_size = np.log1p(x[:, FEATURE_NAMES.index(name)].astype(np.float64)) - start.center[s]
        severity[:, :, FEATURE_NAMES.index(name)] += log_size[:, None] * start.slope[None, :, s]
    budget = np.log1p(x[:, FEATURE_NAMES.index("annual_revenue_usd")].astype(np.float64))
    above = np.maximum(budget - start.knot, 0.0) - start.center[-1]
    severity[:, :, FEATURE_NAMES.index("annual_revenue_usd")] += (
        above[:, None] * start.slope[None, :, -1]
    )
    annual = losses.rate * losses.mean_loss()
    share = annual / annual.sum(axis=1, keepdims=True)
    by_cause = share[:, :, None] * (frequency + severity) @ _field_matrix()
    # XGBoost sums the contributions in float32, the compiled walk in float64
    # (models/scoring/tree_predictor.py): equal to float32 precision of these ~1-10 sums
    np.testing.assert_allclose(effects.log_effects, by_cause.sum(axis=1), rtol=1e-6, atol=1e-6)
    # the cause a field moves most: the largest weighted contribution (clear leaders only)
    ordered = np.sort(np.abs(by_cause), axis=1)
    clear = ordered[:, -1, :] - ordered[:, -2, :] > 1e-5
    expected = np.array(CLAIM_CAUSES, dtype=object)[np.argmax(np.abs(by_cause), axis=1)]
    np.testing.assert_array_equal(effects.main_cause[clear], expected[clear])
    assert clear.mean() > 0.5
    # every part is exercised: the start's slopes, the trees and the severity, and the
    # loss shares are not the claim shares
    start_part = _z(model.frequency.start, x)[:, None, :] * model.frequency.start.coef
    assert np.count_nonzero(start_part) > ROWS
    assert np.count_nonzero(frequency - start_part) > ROWS
    assert np.count_nonzero(severity) > ROWS
    assert np.max(np.abs(share - losses.cause_weights)) > 0.01
    assert set(effects.main_cause.ravel()) <= set(CLAIM_CAUSES)


def test_a_city_whose_loss_is_one_causes_gets_that_causes_contributions(bundle, x) -> None:
    """Raise one cause's start by e^20: its loss share is 1 - O(1e-6) in every city.

    effect - A_c = sum_c' s_c' (A_c' - A_c) exactly (A: contributions mapped to fields), so
    |effect - A_c| <= (1 - s_c) max_c' |A_c' - A_c|; and the A_c of a field sum to the
    cause's log rate less its intercept, balance and the booster's bias (Saabas is exact).
    """
    frequency = bundle.frequency
    c = int(np.argmax(frequency.best_iterations))  # the cause with the most trees
    assert frequency.best_iterations[c] >= 3
    start = frequency.start
    lifted = SignedStart(start.inputs, start.intercept + 20.0 * (np.arange(K) == c),
                         start.coef, start.penalty)  # fmt: skip
    dominated = FrequencyModel(
        lifted, frequency.boosters, frequency.best_iterations, frequency.balance_factors
    )
    model = LossModel(dominated, _flat_severity())
    losses = model.predict(x)
    effects = field_log_effects(model, losses, x)
    share = losses.annual_ground_up_loss_by_cause() / losses.expected_annual_loss()[:, None]
    rest = 1.0 - share[:, c]
    assert np.max(rest) < 1e-5
    fields = _frequency_parts(model, x) @ _field_matrix()  # (rows, K, fields)
    own = fields[:, c, :]
    spread = np.max(np.abs(fields - own[:, None, :]), axis=1)
    # + 1e-6: the oracle is XGBoost's float32 sum, the walk's is float64 (tree_predictor.py)
    assert np.all(np.abs(effects.log_effects - own) <= rest[:, None] * spread + 1e-6)
    assert np.max(np.abs(own)) > 0.1  # the cause's own effects are not all small
    # the cause is named wherever its field effect is not negligible
    visible = np.abs(own) > 1e-3
    assert np.all(effects.main_cause[visible] == CLAIM_CAUSES[c]) and visible.sum() > ROWS
    # exact in sum: the field effects of the cause add up to its log rate, less its level
    bias = _saabas(frequency.boosters[c], x, FEATURE_NAMES)[:, -1]
    level = lifted.intercept[c] + np.log(frequency.balance_factors[c]) + bias
    np.testing.assert_allclose(own.sum(axis=1), dominated.log_rates(x)[:, c] - level, atol=2e-5)


@pytest.mark.parametrize("t", [0.6, 0.3, 0.1, -0.4])
def test_a_start_slope_matches_a_finite_difference_of_log_expected_loss(bundle, x, t) -> None:
    """One cause's start has slope beta on one input z (a % field, so no log1p), all else flat.

    With f(t) = log EL when z = t, df/dt = beta s_k(t) exactly (s: loss shares), and the
    explanation's effect is t beta s_k(t). Since ds_k/dt = beta s_k (1 - s_k) <= beta / 4,
    |t beta s_k(t) - int_0^t beta s_k| <= beta^2 t^2 / 8: the effect is right to first
    order in t, and the weighting by loss shares (not claim shares) is what makes it so.
    """
    name, k, beta = "default_credentials_pct", K - 1, 1.5
    j = FEATURE_NAMES.index(name)
    start = bundle.frequency.start
    assert not start.inputs.log_columns[j]
    coef = np.zeros((K, F))
    coef[k, j] = beta
    flat = tuple(_no_trees("count:poisson", FEATURE_NAMES, base_score=1.0) for _ in range(K))
    one_slope = SignedStart(start.inputs, np.log(np.linspace(0.01, 0.05, K)), coef, start.penalty)
    model = LossModel(
        FrequencyModel(one_slope, flat, (-1,) * K, np.linspace(0.7, 1.3, K)), _flat_severity()
    )
    city = np.repeat(x[:1], 2, axis=0)
    city[:, j] = start.inputs.mean[j] + np.array([t, 0.0]) * start.inputs.scale[j]  # z = t, 0
    np.testing.assert_allclose(_z(one_slope, city)[:, j], [t, 0.0], atol=1e-6)
    losses = model.predict(city)
    effects = field_log_effects(model, losses, city)
    field = FIELD_NAMES.index(name)
    effect = effects.log_effects[0, field]
    difference = np.log(losses.expected_annual_loss()[0] / losses.expected_annual_loss()[1])
    bound = beta**2 * t**2 / 8
    assert abs(effect - difference) <= bound
    assert abs(effect) > 2 * bound  # the check is not trivially met by two small numbers
    # weighted by claim shares instead, the effect would be off by more than the bound
    claim_share = losses.cause_weights[0, k]
    assert abs(t * beta * claim_share - difference) > bound
    # nothing else moves: every other field's effect is 0, and at z = 0 the field's too
    np.testing.assert_allclose(np.delete(effects.log_effects[0], field), 0.0, atol=1e-12)
    assert effects.log_effects[1, field] == pytest.approx(0.0, abs=1e-6)
    assert effects.main_cause[0, field] == CLAIM_CAUSES[k]


def test_saabas_top_driver_matches_exact_treeshap_on_most_rows(bundle, x) -> None:
    """What drivers rank is each cause's start effects plus its trees' contributions: with
    the trees' part from Saabas or from exact TreeSHAP, the top field is the same on most
    rows. (The trees' part alone is not compared: a booster of a few trees spreads a few
    hundredths of a margin over near-tied fields, whose order means nothing.)"""
    start = bundle.frequency.start
    start_effects = _z(start, x)[:, None, :] * start.coef[None, :, :]
    for c, booster in enumerate(bundle.frequency.boosters):
        if booster.num_boosted_rounds() < 3:
            continue
        dm = xgb.DMatrix(x, feature_names=list(FEATURE_NAMES))
        exact = booster.predict(dm, pred_contribs=True)[:, :-1]
        approx = booster.predict(dm, pred_contribs=True, approx_contribs=True)[:, :-1]
        # both add up to the same margin; the top field is the same on most rows
        np.testing.assert_allclose(exact.sum(axis=1), approx.sum(axis=1), rtol=1e-4, atol=1e-4)
        exact_fields = (start_effects[:, c] + exact) @ _field_matrix()
        approx_fields = (start_effects[:, c] + approx) @ _field_matrix()
        same_top = np.argmax(np.abs(exact_fields), axis=1) == np.argmax(np.abs(approx_fields), 1)
        assert same_top.mean() > 0.9, CLAIM_CAUSES[c]


def test_drivers_are_ranked_and_priced_against_the_expected_loss() -> None:
    log_effects = np.zeros((2, len(MODEL_FIELDS)))
    log_effects[1, 3] = -0.5
    log_effects[1, 7] = np.log(2.0)
    log_effects[1, 9] = 0.1
    causes = np.full((2, len(MODEL_FIELDS)), "other", dtype=object)
    causes[1, 7] = "ransomware"
    effects = FieldEffects(log_effects, causes)
    exposure = {MODEL_FIELDS[7].name: 120}
    drivers = drivers_for(effects, 1, exposure, expected_loss_usd=10_000.0, top=2)
    assert [d.field for d in drivers] == [MODEL_FIELDS[7].name, MODEL_FIELDS[3].name]
    doubled, lowered = drivers
    # the field doubles expected loss: half of the 10,000 is due to it
    assert doubled.effect_usd == pytest.approx(5_000.0)
    assert doubled.effect_pct == pytest.approx(100.0)
    assert doubled.value == 120 and doubled.direction == "raises"
    assert doubled.cause == "ransomware" and doubled.log_effect == np.log(2.0)
    assert doubled.label == FIELDS_BY_NAME[MODEL_FIELDS[7].name].label
    assert lowered.effect_usd == pytest.approx(10_000.0 * (1 - np.exp(0.5)))
    assert lowered.effect_pct == pytest.approx(100.0 * (np.exp(-0.5) - 1))
    assert lowered.direction == "lowers" and lowered.cause == "other"
    assert lowered.value is None  # not in the exposure given
    # more room than effects: the zero effects are left out; another row, other drivers
    assert len(drivers_for(effects, 1, exposure, 10_000.0, top=10)) == 3
    assert drivers_for(effects, 0, exposure, 10_000.0) == []
    assert set(doubled.to_dict()) == {
        "field", "label", "value", "log_effect", "effect_pct", "effect_usd", "direction", "cause",
    }  # fmt: skip


def test_driver_rows_are_each_rows_drivers_as_dicts(bundle, x) -> None:
    """A batch's drivers (one numpy pass) equal ``drivers_for`` row by row, bit for bit."""
    losses = bundle.predict_losses(x)
    effects = field_log_effects(bundle.model, losses, x)
    exposures = [{"population": 1000 + i} for i in range(len(x))]
    expected = [1e4 * (i + 1) for i in range(len(x))]
    rows = driver_rows(effects, range(len(x)), exposures, expected)
    for i in range(len(x)):
        alone = drivers_for(effects, i, exposures[i], expected[i])
        assert rows[i] == [d.to_dict() for d in alone]
        assert driver_rows(effects, [i], exposures[i : i + 1], expected[i : i + 1])[0] == rows[i]
    assert all(len(r) == 6 for r in rows)


def test_the_full_models_drivers_name_a_cause_and_add_up(bundle, x) -> None:
    losses = bundle.predict_losses(x)
    effects = field_log_effects(bundle.model, losses, x)
    assert effects.log_effects.shape == effects.main_cause.shape == (len(x), len(MODEL_FIELDS))
    assert np.all(np.isfinite(effects.log_effects))
    assert set(effects.main_cause.ravel()) <= set(CLAIM_CAUSES)
    expected = losses.expected_annual_loss()
    for row in range(5):
        drivers = drivers_for(effects, row, {}, float(expected[row]), top=6)
        sizes = [abs(d.log_effect) for d in drivers]
        assert sizes == sorted(sizes, reverse=True) and len(drivers) == 6
        top = np.sort(np.abs(effects.log_effects[row]))[::-1][:6]
        np.testing.assert_array_equal(sizes, top)
        for d in drivers:
            assert d.effect_usd == pytest.approx(expected[row] * -np.expm1(-d.log_effect))
            assert d.cause in CLAIM_CAUSES
            assert d.cause == effects.main_cause[row, FIELD_NAMES.index(d.field)]
