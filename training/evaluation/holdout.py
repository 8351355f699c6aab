"""Holdout evaluation of a fitted model against the GLM, the active bundle and the truth.

Everything is measured on the holdout policies and their claims, which no
fit has seen. ``summary`` holds the scalar metrics stored in the bundle
metadata; ``tables`` holds what the report plots. With a truth file
(synthetic data) it also gives the share of explainable frequency deviance
captured, (D_null - D_model) / (D_null - D_truth), and the error of the
predicted pure premium of the standard layer ($1M xs $50k, per claim).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.pricing.lognormal import layer_expected_loss
from models.scoring.batch import STANDARD_LIMIT_USD, STANDARD_RETENTION_USD
from models.scoring.severity import tail_check
from models.versions.metadata import (
    HOLDOUT_CLAIMS,
    HOLDOUT_EXPOSURE_YEARS,
    HOLDOUT_POLICIES,
    NULL,
    SEVERITY_TAIL_Q99,
    TRUTH,
    Metric,
    double_lift_error,
)
from training.evaluation import metrics, table_names
from training.world.truth import truth_expected_count, truth_layer_expected_loss


@dataclass(frozen=True)
class Predictions:
    """One model's holdout predictions: claims per year, severity mu (log USD), sigma."""

    name: str
    rate: np.ndarray
    mu: np.ndarray
    sigma: float


@dataclass(frozen=True)
class Holdout:
    """Holdout policies (exposure frame rows), claim counts and their claims."""

    frame: pd.DataFrame
    claim_counts: np.ndarray
    exposure_years: np.ndarray
    claim_owner: np.ndarray  # row in ``frame`` of each holdout claim
    loss_usd: np.ndarray


def layer_pure_premium(rate: np.ndarray, mu: np.ndarray, sigma: float) -> np.ndarray:
    """Expected annual loss in the standard layer (USD per policy-year)."""
    per_claim = layer_expected_loss(STANDARD_RETENTION_USD, STANDARD_LIMIT_USD, mu, sigma)
    return rate * per_claim


def lognormal_nll(loss_usd: np.ndarray, mu: np.ndarray, sigma: float) -> float:
    """Mean negative log-likelihood of the claims under their lognormals (lower = better)."""
    log_loss = np.log(loss_usd)
    z = (log_loss - mu) / sigma
    return float(np.mean(log_loss + np.log(sigma) + 0.5 * np.log(2 * np.pi) + 0.5 * z**2))


def _lorenz_points(h: Holdout, rate: np.ndarray) -> tuple[list[float], float]:
    x, y, gini = metrics.lorenz_curve(h.claim_counts, rate, h.exposure_years)
    grid = np.linspace(0.0, 1.0, 51)
    return [round(float(v), 5) for v in np.interp(grid, x, y)], gini


def _truth_measures(
    h: Holdout, models: list[Predictions], truth: pd.DataFrame, null_deviance: float
) -> dict[str, Any]:
    true_count = truth_expected_count(truth, h.exposure_years)
    d_truth = metrics.poisson_deviance(h.claim_counts, true_count)
    true_pp = truth["claim_rate_per_year"].to_numpy() * truth_layer_expected_loss(
        truth, STANDARD_RETENTION_USD, STANDARD_LIMIT_USD
    )
    out: dict[str, Any] = {Metric.POISSON_DEVIANCE.of(TRUTH): d_truth}
    true_rate = truth["claim_rate_per_year"].to_numpy()
    _, gini_truth = _lorenz_points(h, true_rate)
    out[Metric.GINI.of(TRUTH)] = gini_truth
    # the truth as a model: how far from 1 Poisson noise alone puts the A/E of this holdout
    out[Metric.AE_OVERALL.of(TRUTH)] = float(h.claim_counts.sum() / true_count.sum())
    groups = metrics.exposure_groups(true_rate, h.exposure_years)
    table = metrics.ae_table(groups, h.claim_counts, {TRUTH: true_count})
    out[Metric.AE_DECILE_MAX_ABS_ERROR.of(TRUTH)] = _max_ae_error(table, TRUTH)
    for p in models:
        d_model = metrics.poisson_deviance(h.claim_counts, p.rate * h.exposure_years)
        out[Metric.EXPLAINABLE_DEVIANCE_CAPTURED.of(p.name)] = (null_deviance - d_model) / (
            null_deviance - d_truth
        )
        # calibration against the true expected counts: free of Poisson noise
        groups = metrics.exposure_groups(p.rate, h.exposure_years)
        table = metrics.ae_table(groups, true_count, {p.name: p.rate * h.exposure_years})
        out[Metric.TRUTH_AE_DECILE_MAX_ABS_ERROR.of(p.name)] = _max_ae_error(table, p.name)
        out[Metric.TRUTH_AE_OVERALL.of(p.name)] = float(
            true_count.sum() / (p.rate * h.exposure_years).sum()
        )
        pp = layer_pure_premium(p.rate, p.mu, p.sigma)
        out[Metric.LAYER_PURE_PREMIUM_TOTAL_ERROR.of(p.name)] = float(
            pp.sum() / true_pp.sum() - 1.0
        )
        out[Metric.LAYER_PURE_PREMIUM_MEAN_ABS_ERROR.of(p.name)] = float(
            np.mean(np.abs(pp / true_pp - 1.0))
        )
    return out


def _max_ae_error(table: list[dict[str, float]], name: str) -> float:
    """The largest |A/E - 1| of model ``name`` over the groups of an A/E table."""
    return max(abs(r[table_names.ae_column(name)] - 1.0) for r in table)


def evaluate_model(h: Holdout, model: Predictions) -> dict[str, Any]:
    """The checks of one model alone: its severity tail and one-way A/E by field.

    They need no baseline, so training runs them (and draws their plots)
    while the GLM is still being fitted.
    """
    tail = tail_check(h.loss_usd, model.mu[h.claim_owner], model.sigma)
    q99 = next(r["fitted_to_observed"] for r in tail if r["quantile"] == 0.99)
    return {
        "summary": {SEVERITY_TAIL_Q99: q99},
        "tables": {
            table_names.SEVERITY_TAIL: tail,
            table_names.ONE_WAY: metrics.one_way(
                h.frame, h.claim_counts, model.rate * h.exposure_years
            ),
        },
    }


def _model_measures(
    h: Holdout, p: Predictions, summary: dict[str, Any], tables: dict[str, Any]
) -> None:
    """Deviance, Gini, A/E, lift and severity likelihood of one model, into ``summary``."""
    counts, expected = h.claim_counts, p.rate * h.exposure_years
    summary[Metric.POISSON_DEVIANCE.of(p.name)] = metrics.poisson_deviance(counts, expected)
    tables[table_names.LORENZ][p.name], summary[Metric.GINI.of(p.name)] = _lorenz_points(h, p.rate)
    summary[Metric.AE_OVERALL.of(p.name)] = float(counts.sum() / expected.sum())
    low, high = metrics.ae_interval(float(counts.sum()), float(expected.sum()))
    summary[Metric.AE_OVERALL_LOW95.of(p.name)] = low
    summary[Metric.AE_OVERALL_HIGH95.of(p.name)] = high
    groups = metrics.exposure_groups(p.rate, h.exposure_years)
    deciles = metrics.ae_table(groups, counts, {p.name: expected})
    tables[table_names.deciles(p.name)] = deciles
    summary[Metric.AE_DECILE_MAX_ABS_ERROR.of(p.name)] = _max_ae_error(deciles, p.name)
    summary[Metric.AE_DECILE_CHI2_PVALUE.of(p.name)] = metrics.ae_chi2_pvalue(deciles, p.name)
    top = deciles[-1]
    summary[Metric.LIFT_TOP_DECILE.of(p.name)] = (top["actual"] / counts.sum()) * 10.0
    summary[Metric.SEVERITY_NLL_PER_CLAIM.of(p.name)] = lognormal_nll(
        h.loss_usd, p.mu[h.claim_owner], p.sigma
    )


def _double_lift(
    h: Holdout, model: Predictions, other: Predictions, summary: dict[str, Any]
) -> list[dict[str, float]]:
    """A/E of both in bands of ``model`` rate / ``other`` rate; each one's mean error."""
    groups = metrics.exposure_groups(model.rate / other.rate, h.exposure_years)
    table = metrics.ae_table(
        groups,
        h.claim_counts,
        {model.name: model.rate * h.exposure_years, other.name: other.rate * h.exposure_years},
    )
    for p in (model, other):
        summary[double_lift_error(model.name, other.name, p.name)] = float(
            np.mean([abs(r[table_names.ae_column(p.name)] - 1.0) for r in table])
        )
    return table


def evaluate_holdout(
    h: Holdout,
    model: Predictions,
    glm: Predictions,
    null_rate: float,
    active: Predictions | None = None,
    truth: pd.DataFrame | None = None,
    model_checks: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Metrics and tables; ``null_rate`` is the training portfolio's claims per year.

    ``model_checks`` is ``evaluate_model(h, model)`` when already computed.
    """
    models = [model, glm] + ([active] if active is not None else [])
    counts = h.claim_counts
    null_deviance = metrics.poisson_deviance(counts, null_rate * h.exposure_years)
    summary: dict[str, Any] = {
        HOLDOUT_POLICIES: len(counts),
        HOLDOUT_CLAIMS: float(counts.sum()),
        HOLDOUT_EXPOSURE_YEARS: float(h.exposure_years.sum()),
        Metric.POISSON_DEVIANCE.of(NULL): null_deviance,
    }
    tables: dict[str, Any] = {table_names.LORENZ: {}}
    for p in models:
        _model_measures(h, p, summary, tables)
    for other in models[1:]:
        tables[table_names.double_lift(model.name, other.name)] = _double_lift(
            h, model, other, summary
        )
    checks = model_checks if model_checks is not None else evaluate_model(h, model)
    summary.update(checks["summary"])
    tables.update(checks["tables"])
    if truth is not None:
        summary.update(_truth_measures(h, models, truth, null_deviance))
    return {"summary": summary, "tables": tables}
