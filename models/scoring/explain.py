"""Quote drivers: which exposure fields move a city's expected loss, how much, through which cause.

Expected ground-up loss is ``EL = sum_c r_c E_c``: r_c the cause's claim rate
(log r_c = signed start + trees, each additive per feature) and
E_c = exp(mu_c) x a constant of the cause's shape (the spliced severity is a
scale family in exp(mu)), mu_c the severity's start (slopes on the log sizes: budget, records, OT
controllers, relative to the training claims' means) plus its trees. So

    d log EL = sum_c s_c (d log r_c + d mu_c),      s_c = r_c E_c / EL,

and a feature's effect is its contributions to each cause's log rate and
location, weighted by the city's own loss shares s_c: exact within a cause
(the contributions add up to its margins, relative to the portfolio
average that the start's intercept and the boosters' bias stand for), first
order across causes (linearised at the city's shares). The cause a field
moves most is the one with the largest weighted contribution.

Exact TreeSHAP costs several ms per row for a few hundred trees; drivers use
XGBoost's Saabas path attribution instead (``approx_contribs=True``), about
six times cheaper and, like TreeSHAP, exact in sum; only how that sum is
split between correlated features differs. For a quote or a batch the
contributions come from the compiled walk of the boosters' own trees
(models/scoring/tree_predictor.py, equal to XGBoost's to float32
precision). The cause one-hot columns of the severity booster are the
cause's own level, not a field, and are left out.

A field's effect is the sum over its features; a derived feature built from
several fields is shared equally between them. ``effect_usd`` says how much of
this city's expected loss the field accounts for: expected loss x (1 -
exp(-effect)), negative when the field lowers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from models.pricing.cause_losses import CauseLosses
from models.scoring.features import FEATURE_NAMES, FEATURES
from models.scoring.loss_model import LossModel
from models.scoring.severity import SIZE_COLUMNS
from models.spec.contract import CLAIM_CAUSES
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


def _field_gather() -> tuple[np.ndarray, np.ndarray]:
    """Per field, its features' columns and weights, padded with weight 0: (fields, most)."""
    columns = [np.flatnonzero(_FEATURE_TO_FIELD[:, j]) for j in range(len(MODEL_FIELDS))]
    most = max(len(c) for c in columns)
    index = np.zeros((len(columns), most), dtype=np.int64)
    weight = np.zeros((len(columns), most))
    for j, c in enumerate(columns):
        index[j, : len(c)] = c
        weight[j, : len(c)] = _FEATURE_TO_FIELD[c, j]
    return index, weight


_FIELD_INDEX_PADDED, _FIELD_WEIGHT_PADDED = _field_gather()


def _to_fields(by_feature: np.ndarray) -> np.ndarray:
    """(..., features) -> (..., fields) by _FEATURE_TO_FIELD, each field's sum on its own.

    The same as ``by_feature @ _FEATURE_TO_FIELD`` up to rounding, but a row's
    numbers never depend on the other rows (a BLAS product may block rows), so
    a batch item's drivers equal its single quote's bit for bit.
    """
    gathered = by_feature[..., _FIELD_INDEX_PADDED] * _FIELD_WEIGHT_PADDED
    return gathered.sum(axis=-1)


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
    cause: str  # the claim cause whose loss the field moves most

    def to_dict(self) -> dict[str, Any]:
        # asdict's deep copy of every field cost more than the drivers themselves
        return {name: getattr(self, name) for name in _DRIVER_FIELDS}


_DRIVER_FIELDS = tuple(f.name for f in fields(Driver))


@dataclass(frozen=True)
class FieldEffects:
    """Per city and field: the effect on log expected loss, and the cause it moves most."""

    log_effects: np.ndarray  # (rows, fields)
    main_cause: np.ndarray  # (rows, fields) of str


def field_log_effects(model: LossModel, losses: CauseLosses, features: np.ndarray) -> FieldEffects:
    """Per-field effects on log expected ground-up loss (see the module docstring)."""
    n, k, f = len(features), len(CLAIM_CAUSES), len(FEATURE_NAMES)
    start = model.frequency.start
    z = start.inputs.transform(features)
    rate = z[:, np.newaxis, :] * start.coef[np.newaxis, :, :]  # the start's part, (n, K, F)
    rate += model.frequency.tree_contributions(features)[:, :, :f]
    sev = model.severity.tree_contributions(features)
    sev = sev.reshape(n, k, -1)[:, :, :f].copy()  # the cause columns and the bias are left out
    sev[:, :, SIZE_COLUMNS] += model.severity.start.effects(features)  # the start's size slopes
    annual = losses.annual_ground_up_loss_by_cause()
    share = annual / annual.sum(axis=1, keepdims=True)
    by_cause = _to_fields(share[:, :, np.newaxis] * (rate + sev))  # (n, K, fields)
    strongest = np.argmax(np.abs(by_cause), axis=1)  # (n, fields)
    return FieldEffects(by_cause.sum(axis=1), np.array(CLAIM_CAUSES, dtype=object)[strongest])


def drivers_for(
    effects: FieldEffects,
    row: int,
    exposure: Mapping[str, Any],
    expected_loss_usd: float,
    top: int = 6,
) -> list[Driver]:
    """The ``top`` fields with the largest effects for city ``row``, largest first."""
    rows = driver_rows(effects, [row], [exposure], [expected_loss_usd], top)[0]
    return [Driver(**d) for d in rows]


def driver_rows(
    effects: FieldEffects,
    rows: Sequence[int],
    exposures: Sequence[Mapping[str, Any]],
    expected_losses_usd: Sequence[float],
    top: int = 6,
) -> list[list[dict[str, Any]]]:
    """:func:`drivers_for` of each of ``rows`` as plain dicts (``Driver.to_dict``), all at once.

    A batch's ranking and its exponentials are one numpy pass over every row
    (each row's numbers on its own: a stable sort and elementwise functions),
    and no Driver is built: a quote needs the dicts only (issue 13).
    """
    index = np.asarray(rows, dtype=np.intp)
    log_effects = effects.log_effects[index]
    order = np.argsort(-np.abs(log_effects), axis=1, kind="stable")[:, :top]
    values = np.take_along_axis(log_effects, order, axis=1)
    causes = np.take_along_axis(effects.main_cause[index], order, axis=1).tolist()
    pct = (100.0 * np.expm1(values)).tolist()
    lowered = (-np.expm1(-values)).tolist()
    out: list[list[dict[str, Any]]] = []
    for r, exposure in enumerate(exposures):
        expected = expected_losses_usd[r]
        drivers = []
        for i, effect, p, low, cause in zip(
            order[r].tolist(), values[r].tolist(), pct[r], lowered[r], causes[r], strict=True
        ):
            if effect == 0.0:
                break
            name = _FIELD_NAMES[i]
            drivers.append(
                {
                    "field": name,
                    "label": _FIELD_LABELS[i],
                    "value": exposure.get(name),
                    "log_effect": effect,
                    "effect_pct": p,
                    "effect_usd": expected * low,
                    "direction": "raises" if effect > 0 else "lowers",
                    "cause": str(cause),
                }
            )
        out.append(drivers)
    return out


_FIELD_NAMES = tuple(f.name for f in MODEL_FIELDS)
_FIELD_LABELS = tuple(FIELDS_BY_NAME[f.name].label for f in MODEL_FIELDS)
