"""The people-facing files of a bundle: a self-contained HTML report and a model card.

Both open with a summary an actuary can act on: what was fitted and on what
data, how the model compares with the GLM and the active model on the
holdout (in sentences), and the recommendation with its rule
(training/evaluation/recommendation.py). Then the holdout tables, one column
per model and figures named in words (training/reports/report_tables.py),
and in the HTML the plots, each with a caption that says what to look for.

The report embeds the plots as base64 PNG (drawn by training.reports.plots,
possibly in another process: training.reports.plot_worker), so report.html is
one file that opens anywhere. This module does not import matplotlib.

``tables`` is the evaluation's tables plus ``tables["fitted"]``
(training.evaluation.table_names.FITTED): rows of
``{"component": str, "description": str}`` that the pipeline supplies.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from models.versions.metadata import ACTIVE, GLM, TRUTH, XGBOOST, BundleMetadata
from training.evaluation import table_names
from training.evaluation.recommendation import Recommendation, recommend_promotion
from training.reports import report_tables
from training.reports.drawn import DrawnPlot
from training.reports.summary_words import comparison_sentences
from training.reports.table_format import Table, html_table, markdown_table

_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:72em}"
    "table{border-collapse:collapse;margin-bottom:0.5em}th,td{border:1px solid #ccc;"
    "padding:2px 8px;text-align:left}figure{display:inline-block;max-width:40em;"
    "vertical-align:top;margin:8px}figcaption{font-size:0.9em}.note{font-size:0.9em;color:#444}"
    ".promote{color:#1b6e20}.keep{color:#a12a1f}"
)

_INTENDED_USE = (
    "Expected claim rate per year of each claim cause and the distribution of one ground-up "
    "loss of that cause (lognormal body, generalised Pareto tail) for a city's exposure, as "
    "input to layer pricing. Not for exposures outside the field spec ranges, nor for "
    "accumulation (the `vendors` field is not a feature)."
)
_LIMITATIONS = (
    "One lognormal scale per cause for every city: the body's width does not vary with exposure.",
    "One tail per cause, its threshold a fixed number of body standard deviations above the "
    "city's location: a city-specific tail shape is not modelled. Causes with few large "
    "losses have wide standard errors of the tail shape (see the tail table).",
    "Trained on the data above; a portfolio that differs from it needs a retrain.",
    "Per-claim layer figures ignore the aggregate limit (pricing applies it).",
)


def _fitted_rows(tables: Mapping[str, Any]) -> list[Mapping[str, str]]:
    if table_names.FITTED not in tables:
        raise ValueError(
            f"tables[{table_names.FITTED!r}] is missing: the pipeline must say what was fitted"
        )
    return list(tables[table_names.FITTED])


def report_models(metrics: Mapping[str, Any]) -> list[str]:
    """The columns of the report's tables: XGBoost, GLM, then active and truth where measured."""
    return report_tables.models_measured(metrics, (XGBOOST, GLM, ACTIVE, TRUTH))


def summary_parts(
    metadata: BundleMetadata, tables: Mapping[str, Any]
) -> tuple[list[Table], list[str], Recommendation]:
    """(what was fitted and on what, the comparison in sentences, the recommendation)."""
    metrics = metadata.metrics
    others = [m for m in report_models(metrics) if m not in (XGBOOST, TRUTH)]
    facts = [report_tables.fitted_table(_fitted_rows(tables)), report_tables.data_table(metadata)]
    sentences = comparison_sentences(metrics, tables, XGBOOST, others)
    return facts, sentences, recommend_promotion(metrics)


def detail_tables(metrics: Mapping[str, Any], tables: Mapping[str, Any]) -> list[Table]:
    """The holdout tables after the summary, in reading order (those with data)."""
    models = report_models(metrics)
    out = [report_tables.frequency_table(metrics, models)]
    truth = report_tables.truth_table(metrics, models)
    out += [truth] if truth is not None else []
    out += report_tables.cause_tables(tables.get(table_names.BY_CAUSE, []), models)
    if tables.get(table_names.TAIL_FITS):
        out.append(report_tables.tail_fit_table(tables[table_names.TAIL_FITS]))
    if table_names.SEVERITY_TAIL in tables:
        out.append(report_tables.tail_check_table(tables[table_names.SEVERITY_TAIL]))
    if table_names.ONE_WAY in tables:
        out.append(report_tables.one_way_table(tables))
    return out


def _recommendation_html(rec: Recommendation) -> str:
    css = "promote" if rec.promote else "keep"
    checks = "".join(
        f"<li>{'passed' if c.passed else 'failed'}: {html.escape(c.name)} "
        f"({html.escape(c.detail)})</li>"
        for c in rec.checks
    )
    return (
        f"<p class='{css}'><strong>{html.escape(rec.line)}</strong></p><ul>{checks}</ul>"
        f"<p class='note'>Rule: {html.escape(rec.rule)}.</p>"
    )


def figure_html(plot: DrawnPlot) -> str:
    """One plot as a <figure> with its title and caption."""
    return (
        f"<figure><img alt='{html.escape(plot.title)}' src='data:image/png;base64,{plot.png}'>"
        f"<figcaption><strong>{html.escape(plot.title)}.</strong> "
        f"{html.escape(plot.caption)}</figcaption></figure>"
    )


def render_report(
    version: str,
    metadata: BundleMetadata,
    tables: Mapping[str, Any],
    plots: Sequence[DrawnPlot],
) -> str:
    """The self-contained HTML report of a bundle version."""
    facts, sentences, rec = summary_parts(metadata, tables)
    comparison = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Polisure model {html.escape(version)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>Model {html.escape(version)}</h1><h2>Summary</h2>"
        + "".join(html_table(t) for t in facts)
        + f"<h3>How it compares on the holdout</h3><ul>{comparison}</ul>"
        + "<h3>Recommendation</h3>"
        + _recommendation_html(rec)
        + "<h2>Holdout tables</h2>"
        + "".join(html_table(t) for t in detail_tables(metadata.metrics, tables))
        + "<h2>Plots</h2>"
        + "".join(figure_html(p) for p in plots)
        + "</body></html>\n"
    )


def render_model_card(version: str, metadata: BundleMetadata, tables: Mapping[str, Any]) -> str:
    """The model card (Markdown) of a bundle version; ``tables`` as for ``render_report``."""
    facts, sentences, rec = summary_parts(metadata, tables)
    lines = [f"# Model card: {version}", "", "## Summary", ""]
    for table in facts:
        lines += markdown_table(table)
    lines += ["### How it compares on the holdout", "", *(f"- {s}" for s in sentences), ""]
    lines += ["### Recommendation", "", f"**{rec.line}**", ""]
    lines += [f"- {'passed' if c.passed else 'failed'}: {c.name} ({c.detail})" for c in rec.checks]
    lines += ["", f"Rule: {rec.rule}.", "", "## Intended use", "", _INTENDED_USE, ""]
    lines += ["## Holdout performance", ""]
    for table in detail_tables(metadata.metrics, tables):
        lines += markdown_table(table)
    lines += ["The plots (with what to look for in each) are in report.html.", ""]
    lines += ["## Limitations", "", *(f"- {item}" for item in _LIMITATIONS), ""]
    return "\n".join(lines)
