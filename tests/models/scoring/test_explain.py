"""Quote drivers: additivity (the oracle is the boosters' own margins) and agreement
of the cheap Saabas attribution with exact TreeSHAP."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb

from models.scoring.explain import _FEATURE_TO_FIELD, drivers_for, field_log_effects
from models.scoring.features import FEATURE_NAMES, FEATURES
from models.spec.fields import MODEL_FIELDS

N_ROWS = 600


@pytest.fixture(scope="module")
def boosters() -> tuple[xgb.Booster, xgb.Booster, np.ndarray]:
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 10, size=(N_ROWS, len(FEATURE_NAMES))).astype(np.float32)
    names = list(FEATURE_NAMES)
    # frequency driven by two features, severity by one of them and a third
    log_rate = -4 + 0.3 * x[:, 0] - 0.2 * x[:, 5]
    counts = rng.poisson(np.exp(log_rate) * 20)
    log_loss = 11 + 0.25 * x[:, 0] + 0.15 * x[:, 9] + rng.normal(0, 0.3, N_ROWS)
    params = {"max_depth": 3, "eta": 0.3, "nthread": 1, "seed": 1}
    freq = xgb.train(
        {**params, "objective": "count:poisson"}, xgb.DMatrix(x, counts, feature_names=names), 30
    )
    sev = xgb.train(
        {**params, "objective": "reg:squarederror"},
        xgb.DMatrix(x, log_loss, feature_names=names),
        30,
    )
    return freq, sev, x


def test_field_effects_add_up_to_both_margins_less_their_bias(boosters) -> None:
    freq, sev, x = boosters
    effects = field_log_effects(freq, sev, x[:50])
    assert effects.shape == (50, len(MODEL_FIELDS))
    dm = xgb.DMatrix(x[:50], feature_names=list(FEATURE_NAMES))
    bias = sum(b.predict(dm, pred_contribs=True, approx_contribs=True)[:, -1] for b in (freq, sev))
    margins = freq.predict(dm, output_margin=True) + sev.predict(dm, output_margin=True)
    np.testing.assert_allclose(effects.sum(axis=1) + bias, margins, rtol=1e-5, atol=1e-4)


def test_a_derived_feature_is_shared_equally_between_its_source_fields() -> None:
    for i, feature in enumerate(FEATURES):
        row = _FEATURE_TO_FIELD[i]
        sources = [j for j, f in enumerate(MODEL_FIELDS) if f.name in feature.fields]
        assert row[sources] == pytest.approx([1 / len(sources)] * len(sources))
        assert row.sum() == pytest.approx(1.0)


def test_saabas_top_driver_matches_exact_treeshap_on_most_rows(boosters) -> None:
    freq, sev, x = boosters
    dm = xgb.DMatrix(x, feature_names=list(FEATURE_NAMES))
    exact = sum(b.predict(dm, pred_contribs=True)[:, :-1] for b in (freq, sev))
    approx = sum(
        b.predict(dm, pred_contribs=True, approx_contribs=True)[:, :-1] for b in (freq, sev)
    )
    same_top = np.argmax(np.abs(exact), axis=1) == np.argmax(np.abs(approx), axis=1)
    assert same_top.mean() > 0.9


def test_drivers_are_ranked_and_priced_against_the_expected_loss() -> None:
    effects = np.zeros(len(MODEL_FIELDS))
    effects[3] = -0.5
    effects[7] = np.log(2.0)
    drivers = drivers_for(effects, {MODEL_FIELDS[7].name: 120}, expected_loss_usd=10_000.0, top=5)
    assert [d.field for d in drivers] == [MODEL_FIELDS[7].name, MODEL_FIELDS[3].name]
    doubled, lowered = drivers
    # the field doubles expected loss: half of the 10,000 is due to it
    assert doubled.effect_usd == pytest.approx(5_000.0)
    assert doubled.effect_pct == pytest.approx(100.0)
    assert doubled.value == 120 and doubled.direction == "raises"
    assert lowered.effect_usd == pytest.approx(10_000.0 * (1 - np.exp(0.5)))
    assert lowered.direction == "lowers"
