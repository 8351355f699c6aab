"""Quote drivers by cause.

Oracles: the boosters' own Saabas contributions (the frequency part is exact; the severity
part is each cause's contributions weighted by its share of the expected loss), a closed
form for a one-slope cause mix whose effect must match a finite difference of log expected
loss to within a bound derived below, and hand-built effects for the driver ranking.
"""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb
from models.scoring.cause_mix import CauseLogit, CauseMixModel

from models.scoring.explain import (
    _FEATURE_TO_FIELD,
    FieldEffects,
    drivers_for,
    field_log_effects,
)
from models.scoring.features import FEATURE_NAMES, FEATURES, build_features
from models.scoring.frequency import FrequencyModel
from models.scoring.glm_inputs import GlmInputs
from models.scoring.loss_model import LossModel
from models.scoring.severity import NO_TAIL, SEVERITY_FEATURE_NAMES, SeverityModel, with_cause
from models.spec.contract import CLAIM_CAUSES
from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS

K = len(CLAIM_CAUSES)
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


def _flat_mix(inputs: GlmInputs, coef: np.ndarray | None = None, factors=None) -> CauseMixModel:
    shares = np.arange(1.0, K + 1) / np.sum(np.arange(1.0, K + 1))
    logit = CauseLogit(inputs, np.zeros((K, len(FEATURE_NAMES))) if coef is None else coef,
                       np.log(shares), 0.01)  # fmt: skip
    booster = _no_trees("multi:softprob", FEATURE_NAMES, num_class=K)
    return CauseMixModel(logit, booster, 0, np.ones(K) if factors is None else factors)


def _flat_severity() -> SeverityModel:
    booster = _no_trees("reg:squarederror", SEVERITY_FEATURE_NAMES, base_score=10.0)
    # causes of different scales and locations: loss shares differ from claim shares
    return SeverityModel(booster, np.linspace(0.8, 1.8, K), np.linspace(-1.0, 1.0, K), NO_TAIL)


def _flat_frequency() -> FrequencyModel:
    return FrequencyModel(_no_trees("count:poisson", FEATURE_NAMES, base_score=1.0), -3.0)


@pytest.fixture(scope="module")
def bundle(trained_registry):
    return trained_registry.load()


@pytest.fixture(scope="module")
def x(bundle) -> np.ndarray:
    return build_features(bundle.reference_exposures.iloc[:ROWS])


def test_the_feature_to_field_matrix_shares_derived_features_equally() -> None:
    np.testing.assert_array_equal(_FEATURE_TO_FIELD, _field_matrix())
    for i, feature in enumerate(FEATURES):
        assert _FEATURE_TO_FIELD[i].sum() == pytest.approx(1.0)
        assert np.count_nonzero(_FEATURE_TO_FIELD[i]) == len(set(feature.fields))
    assert any(len(f.fields) > 1 for f in FEATURES)  # the sharing is exercised


def test_the_frequency_part_is_the_frequency_boosters_contributions(bundle, x) -> None:
    inputs = bundle.model.cause_mix.logit.inputs
    flat = LossModel(bundle.frequency, _flat_mix(inputs), _flat_severity())
    effects = field_log_effects(flat, flat.predict(x), x)
    oracle = _saabas(bundle.frequency.booster, x, FEATURE_NAMES)[:, :-1] @ _field_matrix()
    np.testing.assert_allclose(effects.log_effects, oracle, rtol=1e-12, atol=1e-15)
    assert np.count_nonzero(oracle) > ROWS  # the booster does use fields
    assert np.all(effects.main_cause == "all causes")  # nothing moves one cause more
    # in the full model the frequency part adds on top of the rest, unchanged
    full = bundle.model
    without = LossModel(_flat_frequency(), full.cause_mix, full.severity)
    rest = field_log_effects(without, without.predict(x), x).log_effects
    np.testing.assert_allclose(
        field_log_effects(full, full.predict(x), x).log_effects,
        oracle + rest,
        rtol=1e-9,
        atol=1e-12,
    )


def test_the_severity_part_weights_each_causes_contributions_by_its_loss_share(bundle, x) -> None:
    inputs = bundle.model.cause_mix.logit.inputs
    factors = np.linspace(0.5, 2.0, K)
    model = LossModel(_flat_frequency(), _flat_mix(inputs, factors=factors), bundle.severity)
    losses = model.predict(x)
    effects = field_log_effects(model, losses, x)
    # oracle: for each cause, the booster's contributions on rows of that cause, the cause
    # columns and the bias left out, weighted by the cause's share of the annual loss
    annual = losses.rate * losses.mean_loss()
    share = annual / annual.sum(axis=1, keepdims=True)
    oracle = np.zeros((len(x), len(MODEL_FIELDS)))
    for c in range(K):
        rows = with_cause(x, np.full(len(x), c))
        contribs = _saabas(bundle.severity.booster, rows, SEVERITY_FEATURE_NAMES)
        oracle += share[:, [c]] * (contribs[:, : len(FEATURE_NAMES)] @ _field_matrix())
    np.testing.assert_allclose(effects.log_effects, oracle, rtol=1e-9, atol=1e-12)
    assert np.any(effects.main_cause != "all causes")
    assert set(effects.main_cause.ravel()) <= set(CLAIM_CAUSES) | {"all causes"}


@pytest.mark.parametrize("t", [0.6, 0.3, 0.1, -0.4])
def test_a_mix_effect_matches_a_finite_difference_of_log_expected_loss(bundle, x, t) -> None:
    """One cause's log-odds has slope beta on one input z (a % field, so no log1p), all else flat.

    With f(t) = log EL when z = t, df/dt = beta (s_k - m_k) exactly (s: loss shares, m: the
    mix), and the explanation's effect is t beta (s_k(t) - m_k(t)). Since ds_k/dt = beta
    s_k (1 - s_k) and dm_k/dt = beta m_k (1 - m_k), |d(s_k - m_k)/dt| <= |beta| / 4, so
    |effect - (f(t) - f(0))| <= beta^2 t^2 / 8: the effect is right to first order in t.
    """
    name, k, beta = "default_credentials_pct", K - 1, 1.5  # "other": the largest loss share
    j = FEATURE_NAMES.index(name)
    inputs = bundle.model.cause_mix.logit.inputs
    assert not inputs.log_columns[j]
    coef = np.zeros((K, len(FEATURE_NAMES)))
    coef[k, j] = beta
    model = LossModel(
        _flat_frequency(), _flat_mix(inputs, coef, np.linspace(0.7, 1.3, K)), _flat_severity()
    )
    city = np.repeat(x[:1], 2, axis=0)
    city[:, j] = inputs.mean[j] + np.array([t, 0.0]) * inputs.scale[j]  # z = t, and z = 0
    losses = model.predict(city)
    np.testing.assert_allclose(inputs.transform(city)[:, j], [t, 0.0], atol=1e-6)
    effects = field_log_effects(model, losses, city)
    field = FIELD_NAMES.index(name)
    effect = effects.log_effects[0, field]
    difference = np.log(losses.expected_annual_loss()[0] / losses.expected_annual_loss()[1])
    bound = beta**2 * t**2 / 8
    assert abs(effect - difference) <= bound
    assert abs(effect) > 2 * bound  # the check is not trivially met by two small numbers
    # nothing else moves: every other field's effect is 0, and at z = 0 the field's too
    np.testing.assert_allclose(np.delete(effects.log_effects[0], field), 0.0, atol=1e-12)
    assert effects.log_effects[1, field] == pytest.approx(0.0, abs=1e-6)
    assert effects.main_cause[0, field] == CLAIM_CAUSES[k]


def test_the_full_models_effects_are_finite_and_name_a_cause(bundle, x) -> None:
    effects = field_log_effects(bundle.model, bundle.predict_losses(x), x)
    assert effects.log_effects.shape == effects.main_cause.shape == (len(x), len(MODEL_FIELDS))
    assert np.all(np.isfinite(effects.log_effects))
    assert set(effects.main_cause.ravel()) <= set(CLAIM_CAUSES) | {"all causes"}


def test_saabas_top_driver_matches_exact_treeshap_on_most_rows(bundle, x) -> None:
    booster = bundle.frequency.booster
    dm = xgb.DMatrix(x, feature_names=list(FEATURE_NAMES))
    exact = booster.predict(dm, pred_contribs=True)[:, :-1] @ _field_matrix()
    approx = booster.predict(dm, pred_contribs=True, approx_contribs=True)[:, :-1] @ _field_matrix()
    # both add up to the same margin; the top field is the same on most rows
    np.testing.assert_allclose(exact.sum(axis=1), approx.sum(axis=1), rtol=1e-4, atol=1e-4)
    same_top = np.argmax(np.abs(exact), axis=1) == np.argmax(np.abs(approx), axis=1)
    assert same_top.mean() > 0.9


def test_drivers_are_ranked_and_priced_against_the_expected_loss() -> None:
    log_effects = np.zeros((2, len(MODEL_FIELDS)))
    log_effects[1, 3] = -0.5
    log_effects[1, 7] = np.log(2.0)
    log_effects[1, 9] = 0.1
    causes = np.full((2, len(MODEL_FIELDS)), "all causes", dtype=object)
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
    assert lowered.direction == "lowers" and lowered.cause == "all causes"
    assert lowered.value is None  # not in the exposure given
    # more room than effects: the zero effects are left out; another row, other drivers
    assert len(drivers_for(effects, 1, exposure, 10_000.0, top=10)) == 3
    assert drivers_for(effects, 0, exposure, 10_000.0) == []
    assert set(doubled.to_dict()) == {
        "field", "label", "value", "log_effect", "effect_pct", "effect_usd", "direction", "cause",
    }  # fmt: skip
