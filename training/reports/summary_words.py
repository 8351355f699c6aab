"""The opening summary of a report in sentences: how the model compares on the holdout.

An actuary should learn from the first screen what the tables below say in
detail: deviance, ordering, calibration and severity against each other
model, layer errors against the truth where there is one, and the causes
whose A/E is off by more than noise. Every figure is named in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from models.versions.metadata import (
    HOLDOUT_CLAIMS,
    HOLDOUT_EXPOSURE_YEARS,
    HOLDOUT_POLICIES,
    Metric,
)
from training.evaluation import table_names
from training.reports.metric_words import cause_words, format_figure, model_words


def _get(metrics: Mapping[str, Any], metric: Metric, model: str) -> float | None:
    value = metrics.get(metric.of(model))
    return None if value is None else float(value)


def _relative(mine: float, theirs: float) -> str:
    change = mine / theirs - 1.0
    if abs(change) < 5e-4:
        return "the same as"
    return f"{abs(change):.1%} {'lower' if change < 0 else 'higher'} than"


def deviance_sentence(metrics: Mapping[str, Any], first: str, others: Sequence[str]) -> str:
    """Poisson deviance of ``first`` and how much lower or higher than each other model's."""
    mine = _get(metrics, Metric.POISSON_DEVIANCE, first)
    parts = []
    for other in others:
        theirs = _get(metrics, Metric.POISSON_DEVIANCE, other)
        if mine is not None and theirs is not None:
            parts.append(f"{_relative(mine, theirs)} the {model_words(other)}'s ({theirs:.5g})")
    text = f"Poisson deviance per holdout policy: {model_words(first)} {format_figure(Metric.POISSON_DEVIANCE, mine)}"
    return text + (", " + " and ".join(parts) if parts else "") + "."


def _against(
    metrics: Mapping[str, Any], metric: Metric, first: str, others: Sequence[str], words: str
) -> str:
    mine = format_figure(metric, _get(metrics, metric, first))
    theirs = [
        f"{model_words(o)} {format_figure(metric, _get(metrics, metric, o))}"
        for o in others
        if metric.of(o) in metrics
    ]
    return f"{words}: {model_words(first)} {mine}" + (
        f" against {', '.join(theirs)}." if theirs else "."
    )


def _ae_words(metrics: Mapping[str, Any], model: str) -> str:
    ae = _get(metrics, Metric.AE_OVERALL, model)
    low = _get(metrics, Metric.AE_OVERALL_LOW95, model)
    high = _get(metrics, Metric.AE_OVERALL_HIGH95, model)
    if ae is None or low is None or high is None:
        return f"{model_words(model)} n/a"
    return f"{model_words(model)} {ae:.3f} (exact 95% interval {low:.3f} to {high:.3f})"


def truth_sentence(metrics: Mapping[str, Any], models: Sequence[str]) -> str | None:
    """Explainable deviance and layer errors against the truth, one clause per model."""
    if Metric.EXPLAINABLE_DEVIANCE_CAPTURED.of(models[0]) not in metrics:
        return None
    clauses = []
    for m in models:
        if Metric.EXPLAINABLE_DEVIANCE_CAPTURED.of(m) not in metrics:
            continue

        def fig(metric: Metric, model: str = m) -> str:
            return format_figure(metric, _get(metrics, metric, model))

        clauses.append(
            f"{model_words(m)} captures {fig(Metric.EXPLAINABLE_DEVIANCE_CAPTURED)} of the "
            f"explainable deviance; its pure premium of the $1M xs $50k layer is off by "
            f"{fig(Metric.LAYER_PURE_PREMIUM_TOTAL_ERROR)} in total and "
            f"{fig(Metric.LAYER_PURE_PREMIUM_MEAN_ABS_ERROR)} per policy on average, of the "
            f"$4M xs $1M layer by {fig(Metric.EXCESS_LAYER_PURE_PREMIUM_TOTAL_ERROR)} and "
            f"{fig(Metric.EXCESS_LAYER_PURE_PREMIUM_MEAN_ABS_ERROR)}"
        )
    return "Against the truth (synthetic data): " + "; ".join(clauses) + "."


def cause_sentence(rows: Sequence[Mapping[str, Any]], model: str) -> str | None:
    """The causes whose A/E interval excludes 1 for ``model``, or that none does."""
    if not rows or table_names.ae_column(model) not in rows[0]:
        return None
    off = [
        f"{cause_words(r['cause'])} (A/E {r[table_names.ae_column(model)]:.2f}, interval "
        f"{r[table_names.ae_low_column(model)]:.2f} to {r[table_names.ae_high_column(model)]:.2f})"
        for r in rows
        if not r[table_names.ae_low_column(model)] <= 1.0 <= r[table_names.ae_high_column(model)]
    ]
    if not off:
        return (
            f"By cause: every cause's actual / expected claims interval of {model_words(model)} "
            "holds 1."
        )
    return f"By cause, {model_words(model)}'s A/E interval excludes 1 for: " + "; ".join(off) + "."


def comparison_sentences(
    metrics: Mapping[str, Any],
    tables: Mapping[str, Any],
    first: str,
    others: Sequence[str],
) -> list[str]:
    """The summary's sentences for model ``first`` against ``others`` (in column order)."""
    lines = [
        f"Holdout: {int(metrics[HOLDOUT_POLICIES]):,} policies, "
        f"{float(metrics[HOLDOUT_CLAIMS]):,.0f} claims, "
        f"{float(metrics[HOLDOUT_EXPOSURE_YEARS]):,.1f} policy-years, none of them seen by a fit.",
        deviance_sentence(metrics, first, others),
        _against(metrics, Metric.GINI, first, others, "Gini of the claim-rate ordering"),
        "Actual / expected claims, all causes: "
        + "; ".join(
            _ae_words(metrics, m) for m in (first, *others) if Metric.AE_OVERALL.of(m) in metrics
        )
        + ".",
        _against(
            metrics,
            Metric.SEVERITY_NLL_PER_CLAIM,
            first,
            others,
            "Severity negative log-likelihood per claim (own cause)",
        ),
    ]
    truth = truth_sentence(metrics, [first, *others])
    causes = cause_sentence(tables.get(table_names.BY_CAUSE, []), first)
    return lines + [s for s in (truth, causes) if s is not None]
