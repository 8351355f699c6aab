"""Holdout evaluation of a fitted model against the GLM, the active bundle and the truth.

Everything is measured on the holdout policies and their claims, which no
fit has seen. Every model comes as its per-cause loss model on the holdout
policies (``CauseLosses``: claim rate and spliced severity of each cause).
``summary`` holds the scalar metrics stored in the bundle metadata (names in
models/versions/metadata.py); ``tables`` holds what the reports show and
plot (names in training/evaluation/table_names.py).

- total claim rate: Poisson deviance, Gini, A/E (with its exact interval),
  A/E by decile, top-decile lift, double lifts against the new model;
- by cause (training/evaluation/by_cause.py): A/E and deviance of each
  cause's counts, the cause mix by decile of the predicted total rate;
- severity: negative log-likelihood per claim under the spliced loss of the
  claim's own cause, and the fitted-vs-observed exceedances of the new model
  (training/evaluation/spliced_checks.py); its fitted tails
  (training/evaluation/tail_fits.py);
- with a truth file: training/evaluation/truth_checks.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.scoring.batch import STANDARD_LIMIT_USD, STANDARD_RETENTION_USD
from models.versions.metadata import (
    HOLDOUT_CLAIMS,
    HOLDOUT_EXPOSURE_YEARS,
    HOLDOUT_POLICIES,
    NULL,
    SEVERITY_TAIL_Q99,
    TRUTH,
    Metric,
    cause_metric,
    double_lift_error,
)
from training.evaluation import by_cause, metrics, table_names, tail_fits, truth_checks
from training.evaluation.holdout_data import Holdout, Predictions
from training.evaluation.spliced_checks import severity_nll_per_claim, tail_check
from training.evaluation.tail_fits import TailFitShown

__all__ = [
    "STANDARD_LIMIT_USD",
    "STANDARD_RETENTION_USD",
    "Holdout",
    "Predictions",
    "TailFitShown",
    "evaluate_holdout",
    "evaluate_model",
]


def _lorenz_points(h: Holdout, rate: np.ndarray) -> tuple[list[float], float]:
    x, y, gini = metrics.lorenz_curve(h.claim_counts, rate, h.exposure_years)
    grid = np.linspace(0.0, 1.0, 51)
    return [round(float(v), 5) for v in np.interp(grid, x, y)], gini


def evaluate_model(h: Holdout, model: Predictions, tails: Sequence[TailFitShown]) -> dict[str, Any]:
    """The checks of one model alone: its severity tail, its fitted tails, one-way A/E.

    They need no baseline, so training runs them (and draws their plots)
    while the GLM is still being fitted. ``tails``: the fitted GPD tails to
    show (each cause's and the pooled one), with their training excesses.
    """
    tail = tail_check(h.loss_usd, model.losses, h.claim_owner, h.claim_cause)
    q99 = next(r["fitted_to_observed"] for r in tail if r["quantile"] == 0.99)
    return {
        "summary": {SEVERITY_TAIL_Q99: q99},
        "tables": {
            table_names.TAIL_FITS: tail_fits.tail_fit_rows(tails),
            table_names.TAIL_QQ: tail_fits.tail_qq(tails),
            table_names.TAIL_MEAN_EXCESS: tail_fits.tail_mean_excess(tails),
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
    summary[Metric.AE_DECILE_MAX_ABS_ERROR.of(p.name)] = truth_checks.max_ae_error(deciles, p.name)
    summary[Metric.AE_DECILE_CHI2_PVALUE.of(p.name)] = metrics.ae_chi2_pvalue(deciles, p.name)
    top = deciles[-1]
    summary[Metric.LIFT_TOP_DECILE.of(p.name)] = (top["actual"] / counts.sum()) * 10.0
    summary[Metric.SEVERITY_NLL_PER_CLAIM.of(p.name)] = severity_nll_per_claim(
        h.loss_usd, p.losses, h.claim_owner, h.claim_cause
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


def _cause_measures(
    h: Holdout,
    models: Sequence[Predictions],
    truth: pd.DataFrame | None,
    summary: dict[str, Any],
    tables: dict[str, Any],
) -> None:
    """Per-cause A/E and deviance of each model (and of the truth), and each cause mix."""
    counts = h.cause_counts()
    expected = {p.name: p.losses.rate * h.exposure_years[:, np.newaxis] for p in models}
    true_counts = truth_checks.true_cause_counts(h, truth) if truth is not None else None
    scored = dict(expected) if true_counts is None else {**expected, TRUTH: true_counts}
    rows = by_cause.cause_rows(counts, scored, true_counts)
    tables[table_names.BY_CAUSE] = rows
    for name in scored:
        for row in rows:
            cause = row["cause"]
            summary[cause_metric(Metric.CAUSE_AE, cause, name)] = row[table_names.ae_column(name)]
            summary[cause_metric(Metric.CAUSE_POISSON_DEVIANCE, cause, name)] = row[
                table_names.deviance_column(name)
            ]
    if true_counts is not None:
        summary.update(truth_checks.cause_truth_figures(rows, [p.name for p in models]))
    for name, exp in expected.items():
        tables[table_names.cause_mix(name)] = by_cause.cause_mix_by_decile(
            counts, exp, h.exposure_years
        )


def evaluate_holdout(
    h: Holdout,
    model: Predictions,
    glm: Predictions,
    null_rate: float,
    active: Predictions | None = None,
    truth: pd.DataFrame | None = None,
    model_checks: dict[str, Any] | None = None,
    tails: Sequence[TailFitShown] = (),
) -> dict[str, Any]:
    """Metrics and tables; ``null_rate`` is the training portfolio's claims per year.

    ``model_checks`` is ``evaluate_model(h, model, tails)`` when already
    computed; otherwise it is computed here with ``tails``. ``truth``: the
    truth file's rows of the holdout policies, in ``h.frame``'s order.
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
    _cause_measures(h, models, truth, summary, tables)
    checks = model_checks if model_checks is not None else evaluate_model(h, model, tails)
    summary.update(checks["summary"])
    tables.update(checks["tables"])
    if truth is not None:
        summary.update(truth_checks.truth_measures(h, models, truth, null_deviance))
    return {"summary": summary, "tables": tables}
