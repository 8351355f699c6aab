"""How close each model came to the synthetic truth (only with a truth file).

The truth gives, per holdout policy and cause, the claim rate and the
lognormal of one loss (training/world/truth.py). Measured against it:

- the share of explainable frequency deviance captured,
  (D_null - D_model) / (D_null - D_truth), and calibration against the true
  expected counts (A/E free of Poisson noise);
- the expected excess deviance of each cause's counts over the truth's,
  summed over causes (0 for a model whose cause rates are the truth's);
- the cause mix of expected ground-up loss: total-variation distance
  1/2 sum_c |p_c - q_c| between the predicted shares p and the true ones q,
  median over policies (0: the same mix);
- layer pure premiums (expected annual loss in a per-claim layer, no
  aggregate limit) in the standard layer $1M xs $50k and the excess layer
  $4M xs $1M, which only the tail reaches: total error sum(pred) / sum(true) - 1
  and the mean over policies of |pred / true - 1|.

The truth is also scored as a model (the noise floor of Poisson deviance,
Gini and A/E on this holdout).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from models.scoring.batch import STANDARD_LIMIT_USD, STANDARD_RETENTION_USD
from models.versions.metadata import TRUTH, Metric, cause_metric
from training.evaluation import metrics, table_names
from training.evaluation.holdout_data import Holdout, Predictions
from training.world.truth import (
    truth_annual_layer_loss,
    truth_annual_loss_by_cause,
    truth_cause_expected_counts,
)

EXCESS_RETENTION_USD = 1_000_000.0
EXCESS_LIMIT_USD = 4_000_000.0


class Layer(NamedTuple):
    """A per-claim layer and the names of its two pure-premium errors."""

    retention_usd: float
    limit_usd: float
    total_error: Metric
    mean_abs_error: Metric


LAYERS = (
    Layer(
        STANDARD_RETENTION_USD,
        STANDARD_LIMIT_USD,
        Metric.LAYER_PURE_PREMIUM_TOTAL_ERROR,
        Metric.LAYER_PURE_PREMIUM_MEAN_ABS_ERROR,
    ),
    Layer(
        EXCESS_RETENTION_USD,
        EXCESS_LIMIT_USD,
        Metric.EXCESS_LAYER_PURE_PREMIUM_TOTAL_ERROR,
        Metric.EXCESS_LAYER_PURE_PREMIUM_MEAN_ABS_ERROR,
    ),
)


def max_ae_error(table: list[dict[str, float]], name: str) -> float:
    """The largest |A/E - 1| of model ``name`` over the groups of an A/E table."""
    return max(abs(r[table_names.ae_column(name)] - 1.0) for r in table)


def mix_tv_distance(predicted: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Total-variation distance, per row, between two rows of non-negative weights by cause.

    Each row is normalised to shares first: 1/2 sum_c |p_c - q_c|, in [0, 1].
    """
    p = predicted / predicted.sum(axis=-1, keepdims=True)
    q = true / true.sum(axis=-1, keepdims=True)
    return np.asarray(0.5 * np.abs(p - q).sum(axis=-1))


def _truth_as_model(h: Holdout, true_rate: np.ndarray, out: dict[str, Any]) -> np.ndarray:
    """The truth's deviance, Gini and A/E on this holdout (Poisson noise alone); its counts."""
    true_count = true_rate * h.exposure_years
    out[Metric.POISSON_DEVIANCE.of(TRUTH)] = metrics.poisson_deviance(h.claim_counts, true_count)
    out[Metric.GINI.of(TRUTH)] = metrics.lorenz_curve(h.claim_counts, true_rate, h.exposure_years)[
        2
    ]
    out[Metric.AE_OVERALL.of(TRUTH)] = float(h.claim_counts.sum() / true_count.sum())
    groups = metrics.exposure_groups(true_rate, h.exposure_years)
    table = metrics.ae_table(groups, h.claim_counts, {TRUTH: true_count})
    out[Metric.AE_DECILE_MAX_ABS_ERROR.of(TRUTH)] = max_ae_error(table, TRUTH)
    return true_count


def _frequency_against_truth(
    h: Holdout, p: Predictions, true_count: np.ndarray, d_null_truth: tuple[float, float]
) -> dict[str, float]:
    """Explainable deviance captured and the A/E against the true expected counts."""
    d_null, d_truth = d_null_truth
    rate = p.losses.claim_rate_per_year
    expected = rate * h.exposure_years
    d_model = metrics.poisson_deviance(h.claim_counts, expected)
    groups = metrics.exposure_groups(rate, h.exposure_years)
    table = metrics.ae_table(groups, true_count, {p.name: expected})
    return {
        Metric.EXPLAINABLE_DEVIANCE_CAPTURED.of(p.name): (d_null - d_model) / (d_null - d_truth),
        Metric.TRUTH_AE_DECILE_MAX_ABS_ERROR.of(p.name): max_ae_error(table, p.name),
        Metric.TRUTH_AE_OVERALL.of(p.name): float(true_count.sum() / expected.sum()),
    }


def _losses_against_truth(
    p: Predictions, true_mix: np.ndarray, true_layers: Sequence[np.ndarray]
) -> dict[str, float]:
    """Cause-mix distance and the layer pure-premium errors of one model."""
    out = {
        Metric.CAUSE_MIX_TV_DISTANCE.of(p.name): float(
            np.median(mix_tv_distance(p.losses.annual_ground_up_loss_by_cause(), true_mix))
        )
    }
    for layer, true_pp in zip(LAYERS, true_layers, strict=True):
        pp = p.losses.annual_layer_loss(layer.retention_usd, layer.limit_usd)
        out[layer.total_error.of(p.name)] = float(pp.sum() / true_pp.sum() - 1.0)
        out[layer.mean_abs_error.of(p.name)] = float(np.mean(np.abs(pp / true_pp - 1.0)))
    return out


def cause_truth_figures(rows: list[dict[str, Any]], names: Sequence[str]) -> dict[str, float]:
    """Per-cause expected excess deviance of each model and its sum over causes."""
    out: dict[str, float] = {}
    for name in names:
        column = table_names.excess_deviance_column(name)
        for row in rows:
            out[cause_metric(Metric.CAUSE_EXPECTED_EXCESS_DEVIANCE, row["cause"], name)] = row[
                column
            ]
        out[Metric.EXPECTED_EXCESS_DEVIANCE.of(name)] = float(sum(r[column] for r in rows))
    return out


def truth_measures(
    h: Holdout, models: Sequence[Predictions], truth: pd.DataFrame, null_deviance: float
) -> dict[str, float]:
    """Every truth figure of ``models`` except the per-cause ones (``cause_truth_figures``)."""
    out: dict[str, Any] = {}
    true_count = _truth_as_model(h, truth["claim_rate_per_year"].to_numpy(), out)
    d_truth = out[Metric.POISSON_DEVIANCE.of(TRUTH)]
    true_mix = truth_annual_loss_by_cause(truth)
    true_layers = [truth_annual_layer_loss(truth, ly.retention_usd, ly.limit_usd) for ly in LAYERS]
    for p in models:
        out.update(_frequency_against_truth(h, p, true_count, (null_deviance, d_truth)))
        out.update(_losses_against_truth(p, true_mix, true_layers))
    return out


def true_cause_counts(h: Holdout, truth: pd.DataFrame) -> np.ndarray:
    """The truth's expected claims of each cause on the holdout, policies x causes."""
    return truth_cause_expected_counts(truth, h.exposure_years)
