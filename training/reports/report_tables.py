"""The tables of the bundle report, the model card and the compare report, in words.

One column per model (XGBoost | GLM | active | truth, or challenger |
champion), one row per figure named in words (training/reports/metric_words.py).
A model a figure does not apply to (the truth has no severity likelihood
here) gets "-". Inputs are the holdout ``metrics`` (metadata.json's, or an
evaluation's summary) and the evaluation ``tables``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from models.versions.metadata import TRUTH, BundleMetadata, Metric, double_lift_error
from training.evaluation import table_names
from training.reports.metric_words import (
    METRIC_WORDS,
    cause_words,
    format_figure,
    label_words,
    model_words,
)
from training.reports.table_format import Table

FREQUENCY_ROWS = (
    Metric.POISSON_DEVIANCE,
    Metric.GINI,
    Metric.AE_OVERALL,
    Metric.AE_OVERALL_LOW95,
    Metric.AE_OVERALL_HIGH95,
    Metric.AE_DECILE_MAX_ABS_ERROR,
    Metric.AE_DECILE_CHI2_PVALUE,
    Metric.LIFT_TOP_DECILE,
    Metric.SEVERITY_NLL_PER_CLAIM,
)
TRUTH_ROWS = (
    Metric.EXPLAINABLE_DEVIANCE_CAPTURED,
    Metric.EXPECTED_EXCESS_DEVIANCE,
    Metric.TRUTH_AE_OVERALL,
    Metric.TRUTH_AE_DECILE_MAX_ABS_ERROR,
    Metric.CAUSE_MIX_TV_DISTANCE,
    Metric.LAYER_PURE_PREMIUM_TOTAL_ERROR,
    Metric.LAYER_PURE_PREMIUM_MEAN_ABS_ERROR,
    Metric.EXCESS_LAYER_PURE_PREMIUM_TOTAL_ERROR,
    Metric.EXCESS_LAYER_PURE_PREMIUM_MEAN_ABS_ERROR,
)
NOT_APPLICABLE = "-"


def models_measured(metrics: Mapping[str, Any], candidates: Sequence[str]) -> list[str]:
    """The models of ``candidates`` that have a holdout deviance in ``metrics``, in order."""
    return [m for m in candidates if Metric.POISSON_DEVIANCE.of(m) in metrics]


def _cell(metrics: Mapping[str, Any], metric: Metric, model: str) -> str:
    key = metric.of(model)
    return format_figure(metric, metrics[key]) if key in metrics else NOT_APPLICABLE


def metric_table(
    title: str,
    metrics: Mapping[str, Any],
    rows: Sequence[Metric],
    models: Sequence[str],
    note: str = "",
) -> Table:
    """One row per metric of ``rows`` measured for at least one of ``models``."""
    body = tuple(
        (METRIC_WORDS[metric], *(_cell(metrics, metric, m) for m in models))
        for metric in rows
        if any(metric.of(m) in metrics for m in models)
    )
    return Table(title, ("Figure", *(model_words(m) for m in models)), body, note)


def frequency_table(metrics: Mapping[str, Any], models: Sequence[str]) -> Table:
    """Claim frequency (all causes) and severity likelihood, with the double-lift errors."""
    table = metric_table(
        "Holdout figures, all causes",
        metrics,
        FREQUENCY_ROWS,
        models,
        "A/E by decile groups the policies in ten equal-exposure bands of each model's own "
        "predicted claim rate. The truth's own A/E shows how far Poisson noise alone moves A/E "
        "on this holdout.",
    )
    first = models[0]
    extra = []
    for other in models[1:]:
        keys = [double_lift_error(first, other, m) for m in models]
        if keys[0] not in metrics:
            continue
        words = (
            f"Double lift against the {model_words(other)}: mean |A/E - 1| over bands of "
            f"{model_words(first)} rate / {model_words(other)} rate"
        )
        cells = [
            format_figure(Metric.AE_DECILE_MAX_ABS_ERROR, metrics[k]) if k in metrics else "-"
            for k in keys
        ]
        extra.append((words, *cells))
    return Table(table.title, table.columns, table.rows + tuple(extra), table.note)


def truth_table(metrics: Mapping[str, Any], models: Sequence[str]) -> Table | None:
    """Figures against the synthetic truth, or None without a truth file."""
    if Metric.EXPLAINABLE_DEVIANCE_CAPTURED.of(models[0]) not in metrics:
        return None
    return metric_table(
        "Against the truth (synthetic data)",
        metrics,
        TRUTH_ROWS,
        models,
        "Pure premium: expected annual loss in a per-claim layer, no aggregate limit; "
        "error = predicted / true - 1. The $4M xs $1M layer is priced by the severity tail.",
    )


def _ae_cell(row: Mapping[str, Any], model: str) -> str:
    ae = row[table_names.ae_column(model)]
    low, high = row[table_names.ae_low_column(model)], row[table_names.ae_high_column(model)]
    return f"{ae:.3f} ({low:.2f} to {high:.2f})"


def cause_tables(rows: Sequence[Mapping[str, Any]], models: Sequence[str]) -> list[Table]:
    """A/E (with its interval), deviance and, with a truth, excess deviance, by cause."""
    measured = [m for m in models if rows and table_names.ae_column(m) in rows[0]]
    heads = tuple(model_words(m) for m in measured)
    ae = Table(
        "Actual / expected claims by cause (exact 95% interval)",
        ("Cause", "Holdout claims", *heads),
        tuple(
            (cause_words(r["cause"]), f"{r['actual']:.0f}", *(_ae_cell(r, m) for m in measured))
            for r in rows
        ),
        "A cause with few holdout claims has a wide interval: an A/E away from 1 is only a "
        "signal when its interval excludes 1.",
    )
    deviance = Table(
        "Poisson deviance of each cause's claim counts, holdout (mean per policy)",
        ("Cause", *heads),
        tuple(
            (
                cause_words(r["cause"]),
                *(
                    format_figure(Metric.CAUSE_POISSON_DEVIANCE, r[table_names.deviance_column(m)])
                    for m in measured
                ),
            )
            for r in rows
        ),
        "Lower is better; compare across a row, not down a column (causes differ in frequency).",
    )
    tables = [ae, deviance]
    fitted = [
        m
        for m in measured
        if m != TRUTH and rows and table_names.excess_deviance_column(m) in rows[0]
    ]
    if fitted:
        tables.append(
            Table(
                "Expected deviance above the truth's, by cause (synthetic data)",
                ("Cause", *(model_words(m) for m in fitted)),
                tuple(
                    (
                        cause_words(r["cause"]),
                        *(f"{r[table_names.excess_deviance_column(m)]:.3g}" for m in fitted),
                    )
                    for r in rows
                ),
                "0 for a model whose rates of the cause are the truth's; free of holdout noise.",
            )
        )
    return tables


def tail_fit_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    """Where each fitted GPD tail starts and its parameters with standard errors."""

    def pm(value: float, se: float) -> str:
        return f"{value:.3f} ± {se:.3f}" if se == se else f"{value:.3f} (at a bound, no s.e.)"

    body = tuple(
        (
            label_words(r["label"]),
            f"{r['threshold_z']:.3f}",
            f"{r['exceedance_probability']:.2%}",
            pm(r["xi"], r["xi_se"]),
            pm(r["b"], r["b_se"]),
            f"{r['exceedances']:d}",
        )
        for r in rows
    )
    return Table(
        "Fitted severity tails (generalised Pareto on the relative excess over the threshold)",
        (
            "Tail",
            "Threshold z_u (body s.d. above mu)",
            "P(loss above the threshold)",
            "Shape xi ± s.e.",
            "Scale b ± s.e. (multiple of the threshold)",
            "Training exceedances",
        ),
        body,
        "xi > 0: a Pareto-like tail (the larger xi, the heavier); xi < 0: a tail with an upper "
        "end. Standard errors from the observed information.",
    )


def tail_check_table(rows: Sequence[Mapping[str, float]]) -> Table:
    """Observed vs fitted holdout claims above high loss quantiles (spliced model)."""
    return Table(
        "Severity tail check: holdout claims above high loss quantiles",
        (
            "Loss quantile",
            "Threshold (USD)",
            "Observed claims",
            "Fitted claims",
            "Fitted / observed",
        ),
        tuple(
            (
                f"{r['quantile']:.1%}",
                f"{r['threshold_usd']:,.0f}",
                f"{r['observed_exceedances']:.0f}",
                f"{r['fitted_exceedances']:.1f}",
                f"{r['fitted_to_observed']:.3f}",
            )
            for r in rows
        ),
        "Fitted: the sum over claims of P(loss above the threshold) under the spliced severity "
        "of the claim's own cause. Near 1 at the top quantiles: the tail carries the right weight.",
    )


def fitted_table(rows: Sequence[Mapping[str, str]]) -> Table:
    """What was fitted: the pipeline's component descriptions."""
    return Table(
        "What was fitted",
        ("Component", "Description"),
        tuple((r["component"], r["description"]) for r in rows),
    )


def data_table(metadata: BundleMetadata) -> Table:
    """On what: the training files, their sizes and the split."""
    data, split = metadata.data, metadata.split
    fractions = " / ".join(f"{f:.0%}" for f in split.fractions)
    return Table(
        "Training data",
        ("Item", "Value"),
        (
            ("Policies file", f"{data.policies_file} (SHA-256 {data.policies_sha256[:16]})"),
            ("Claims file", f"{data.claims_file} (SHA-256 {data.claims_sha256[:16]})"),
            ("Policies, claims", f"{data.policies:,}, {data.claims:,}"),
            ("Exposure", f"{data.exposure_years:,.1f} policy-years"),
            (
                "Split by policy (training / validation / holdout)",
                f"{fractions}: {split.train:,} / {split.valid:,} / {split.holdout:,} policies",
            ),
            ("Seed", str(metadata.seed)),
            ("Trained", metadata.created_at),
        ),
    )


def one_way_worst(tables: Mapping[str, Any], min_expected: float = 20.0) -> list[tuple[str, float]]:
    """(field, largest |A/E - 1| over bands with enough expected claims), worst first."""
    worst = []
    for field, rows in tables[table_names.ONE_WAY].items():
        errors = [abs(r["ae"] - 1.0) for r in rows if r["expected"] >= min_expected]
        worst.append((field, max(errors) if errors else 0.0))
    return sorted(worst, key=lambda fe: -fe[1])


def one_way_table(tables: Mapping[str, Any]) -> Table:
    """The largest one-way deviation of each model field, worst first."""
    return Table(
        "One-way A/E of XGBoost: largest |A/E - 1| per field",
        ("Field", "Largest |A/E - 1|"),
        tuple((field, f"{error:.1%}") for field, error in one_way_worst(tables)),
        "Over the bands of each field holding at least 20 expected claims; a large value points "
        "at a field whose effect the model has wrong.",
    )
