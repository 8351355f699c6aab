"""Quote drivers: which exposure fields move a city's expected loss, and how much.

Both boosters decompose their margin additively: log(claim rate) and the
lognormal location mu (log USD of one loss) are each a bias plus one
contribution per feature. Expected ground-up loss is rate x exp(mu + sigma^2/2),
so the sum of a feature's two contributions is its effect on log expected
loss, relative to the portfolio baseline the bias stands for.

Exact TreeSHAP costs several ms per row for a few hundred trees; drivers use
XGBoost's Saabas path attribution instead (``approx_contribs=True``), about
six times cheaper and, like TreeSHAP, exact in sum (the contributions add up
to the margin); only how that sum is split between correlated features
differs. tests/models/scoring/test_explain.py checks both properties.

A field's effect is the sum over its features; a derived feature built from
several fields is shared equally between them. ``effect_usd`` says how much of
this city's expected loss the field accounts for: expected loss x (1 -
exp(-effect)), negative when the field lowers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import xgboost as xgb

from models.scoring.features import FEATURE_NAMES, FEATURES
from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS

_FIELD_INDEX = {f.name: i for i, f in enumerate(MODEL_FIELDS)}


def _feature_to_field_matrix() -> np.ndarray:
    """(features x fields) weights that share each feature among its source fields."""
    matrix = np.zeros((len(FEATURES), len(MODEL_FIELDS)))
    for i, feature in enumerate(FEATURES):
        for name in feature.fields:
            matrix[i, _FIELD_INDEX[name]] = 1.0 / len(feature.fields)
    return matrix


_FEATURE_TO_FIELD = _feature_to_field_matrix()


@dataclass(frozen=True)
class Driver:
    """One field's effect on this city's expected loss."""

    field: str
    label: str
    value: Any
    log_effect: float  # effect on log expected loss
    effect_pct: float  # expected loss is (1 + effect_pct/100) x what it would be at baseline
    effect_usd: float  # part of the expected loss due to this field (negative: it lowers it)
    direction: str  # "raises" | "lowers"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def field_log_effects(
    frequency: xgb.Booster, severity: xgb.Booster, features: np.ndarray
) -> np.ndarray:
    """Per-field effects on log expected ground-up loss, shape (rows, fields)."""
    # nthread=1: a DMatrix of one row built with every core costs ms in thread start-up
    matrix = xgb.DMatrix(features, feature_names=list(FEATURE_NAMES), nthread=1)
    total = np.zeros((len(features), len(FEATURES)))
    for booster in (frequency, severity):
        contribs = booster.predict(matrix, pred_contribs=True, approx_contribs=True)
        total += np.asarray(contribs, dtype=np.float64)[:, :-1]  # last column: bias
    return total @ _FEATURE_TO_FIELD


def drivers_for(
    log_effects: np.ndarray,
    exposure: Mapping[str, Any],
    expected_loss_usd: float,
    top: int = 6,
) -> list[Driver]:
    """The ``top`` fields with the largest effects for one city, largest first."""
    order = np.argsort(-np.abs(log_effects), kind="stable")[:top]
    out = []
    for i in order:
        effect = float(log_effects[i])
        if effect == 0.0:
            break
        name = MODEL_FIELDS[i].name
        out.append(
            Driver(
                field=name,
                label=FIELDS_BY_NAME[name].label,
                value=exposure.get(name),
                log_effect=effect,
                effect_pct=100.0 * float(np.expm1(effect)),
                effect_usd=expected_loss_usd * float(-np.expm1(-effect)),
                direction="raises" if effect > 0 else "lowers",
            )
        )
    return out
