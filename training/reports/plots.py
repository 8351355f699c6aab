"""The holdout plots of a bundle report, as captioned base64 PNGs.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, no
display). PNG metadata is stripped so that the same evaluation gives the same
bytes, whichever process draws them. Every plot comes with a caption that
says what to look for (``DrawnPlot``).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from models.spec.contract import CLAIM_CAUSES
from models.versions.metadata import ACTIVE, CHALLENGER, CHAMPION, GLM, TRUTH, XGBOOST
from training.evaluation import table_names
from training.reports.drawn import DrawnPlot
from training.reports.metric_words import cause_words, label_words, model_words
from training.reports.report_tables import one_way_worst

COLOURS = {
    XGBOOST: "#1f5fa8",
    GLM: "#d9822b",
    ACTIVE: "#5a9e4b",
    TRUTH: "#555555",
    CHALLENGER: "#1f5fa8",
    CHAMPION: "#d9822b",
}
_PLAIN = FuncFormatter(lambda value, _: f"{value:g}")
_CAUSE_COLOURS = ("#1f5fa8", "#d9822b", "#5a9e4b", "#b8433b", "#7d5ba6", "#8c6d31", "#999999")

CAPTIONS = {
    "lorenz": "Share of holdout claims against share of exposure, policies from the lowest to "
    "the highest predicted claim rate. Look for: the curve furthest below the diagonal orders "
    "risks best (its Gini is the larger).",
    "deciles": "Actual / expected claims in ten equal-exposure bands of each model's own "
    "predicted rate. Look for: points near 1 across the bands; a slope means the model "
    "spreads its rates too much (falling) or too little (rising).",
    "double_lift": "Actual / expected claims of both models in bands of the ratio of their "
    "rates. Look for: the better model keeps A/E near 1 where the two disagree most (the "
    "outer bands).",
    "cause_ae": "Actual / expected claims of each cause with its exact 95% Poisson interval. "
    "Look for: intervals that exclude 1; a cause with few claims has a wide interval and little "
    "to say.",
    "cause_mix": "Predicted (left) and actual (right) share of each cause in the holdout claims, "
    "by decile of the predicted total rate. Look for: the predicted shares following the actual "
    "ones from low-rate to high-rate policies; actual shares are noisy in small deciles.",
    "tail_qq": "Training claims' relative excess over the threshold against the fitted "
    "generalised Pareto's quantiles, one panel per tail, log scales. Look for: points on the "
    "diagonal; points bending above it at the top mean the data's tail is heavier than the fit.",
    "tail_mean_excess": "Mean relative excess of the training claims above a moving threshold "
    "(points, with 2 standard errors) and the fitted GPD's straight line (b + xi v) / (1 - xi). "
    "Look for: points scattering around the line; a steady bend says the threshold or the "
    "shape is off.",
    "severity_tail": "Holdout claims above high loss quantiles: observed against the sum of "
    "each claim's spliced-model probability. Look for: the two lines together at the top "
    "quantiles; fitted below observed means the tail is too light.",
    "one_way": "Actual / expected claims of XGBoost by band of the six fields with the largest "
    "deviation. Look for: a trend across a field's bands, which the model has not captured.",
}


def figure_png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode()


def _lorenz_plot(tables: Mapping[str, Any]) -> Figure:
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    for name, ys in tables[table_names.LORENZ].items():
        xs = [i / (len(ys) - 1) for i in range(len(ys))]
        ax.plot(xs, ys, label=model_words(name), color=COLOURS.get(name))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="no skill")
    ax.set(xlabel="share of exposure (lowest predicted rate first)", ylabel="share of claims")
    ax.set_title("Lorenz curve (holdout)")
    ax.legend()
    return fig


def ae_plot(tables: Mapping[str, Any], key: str | None, names: Sequence[str], title: str) -> Figure:
    """A/E of each of ``names`` in table ``key``, or (None) in each one's own deciles."""
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    for name in names:
        rows = tables[key] if key is not None else tables[table_names.deciles(name)]
        ax.plot(
            [r["group"] + 1 for r in rows],
            [r[table_names.ae_column(name)] for r in rows],
            marker="o",
            label=model_words(name),
            color=COLOURS.get(name),
        )
    ax.axhline(1.0, color="grey", linestyle=":")
    ax.set(xlabel="decile (equal exposure)", ylabel="actual / expected claims", title=title)
    ax.legend()
    return fig


def cause_ae_plot(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> Figure:
    """Per cause, each model's A/E with its 95% interval as an error bar."""
    fig = Figure(figsize=(8, 4))
    ax = fig.add_subplot()
    width = 0.8 / max(len(names), 1)
    for j, name in enumerate(names):
        xs = [i + (j - (len(names) - 1) / 2) * width for i in range(len(rows))]
        ae = [r[table_names.ae_column(name)] for r in rows]
        low = [a - r[table_names.ae_low_column(name)] for a, r in zip(ae, rows, strict=True)]
        high = [r[table_names.ae_high_column(name)] - a for a, r in zip(ae, rows, strict=True)]
        ax.errorbar(
            xs, ae, yerr=[low, high], fmt="o", capsize=3, label=model_words(name),
            color=COLOURS.get(name),
        )  # fmt: skip
    ax.axhline(1.0, color="grey", linestyle=":")
    labels = [cause_words(r["cause"]) for r in rows]
    ax.set_xticks(range(len(rows)), labels, rotation=20, fontsize=7)
    ax.set(ylabel="actual / expected claims", title="A/E by cause (holdout)")
    ax.legend(fontsize=8)
    fig.subplots_adjust(bottom=0.22)
    return fig


def cause_mix_plot(rows: Sequence[Mapping[str, float]], name: str) -> Figure:
    """Stacked predicted and actual cause shares by decile of ``name``'s total rate."""
    fig = Figure(figsize=(10, 4))
    deciles = [int(r["group"]) + 1 for r in rows]
    for k, (side, column) in enumerate(
        (("predicted", table_names.predicted_share_column),
         ("actual", table_names.actual_share_column))
    ):  # fmt: skip
        ax = fig.add_subplot(1, 2, k + 1)
        bottom = [0.0] * len(rows)
        for c, cause in enumerate(CLAIM_CAUSES):
            share = [r[column(cause)] for r in rows]
            ax.bar(deciles, share, bottom=bottom, color=_CAUSE_COLOURS[c], label=cause_words(cause))
            bottom = [b + s for b, s in zip(bottom, share, strict=True)]
        ax.set(xlabel="decile of the predicted total rate", ylabel=f"{side} share of claims")
        ax.set_title(f"{model_words(name)}: {side} cause mix", fontsize=9)
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.subplots_adjust(left=0.06, right=0.82, wspace=0.25, bottom=0.14)
    return fig


def _grid(count: int) -> tuple[int, int]:
    columns = min(count, 4)
    return math.ceil(count / columns), columns


def tail_qq_plot(points: Mapping[str, Mapping[str, list[float]]]) -> Figure:
    rows, columns = _grid(len(points))
    fig = Figure(figsize=(3 * columns, 3.2 * rows))
    for i, (label, qq) in enumerate(points.items()):
        ax = fig.add_subplot(rows, columns, i + 1)
        model, empirical = qq["model"], qq["empirical"]
        ax.loglog(model, empirical, ".", markersize=3, color=COLOURS[XGBOOST])
        ends = [min(model[0], empirical[0]), max(model[-1], empirical[-1])]
        ax.loglog(ends, ends, color="grey", linestyle=":")
        # minor log ticks and mathtext labels (10^k) cost more to lay out than the rest
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_minor_locator(NullLocator())
            axis.set_major_formatter(_PLAIN)
        ax.set_title(label_words(label), fontsize=9)
        ax.set_xlabel("fitted GPD quantile", fontsize=7)
        ax.set_ylabel("relative excess", fontsize=7)
    fig.suptitle("Tail QQ plots (training exceedances)")
    fig.subplots_adjust(left=0.08, right=0.98, top=0.86, bottom=0.16, wspace=0.35, hspace=0.6)
    return fig


def tail_mean_excess_plot(curves: Mapping[str, Mapping[str, list[float]]]) -> Figure:
    rows, columns = _grid(len(curves))
    fig = Figure(figsize=(3 * columns, 3.2 * rows))
    for i, (label, curve) in enumerate(curves.items()):
        ax = fig.add_subplot(rows, columns, i + 1)
        se2 = [2 * s for s in curve["standard_error"]]
        ax.errorbar(
            curve["threshold"], curve["mean_excess"], yerr=se2, fmt=".", markersize=3,
            color=COLOURS[XGBOOST], elinewidth=0.5,
        )  # fmt: skip
        ax.plot(curve["threshold"], curve["fitted"], color=COLOURS[GLM])
        ax.set_title(label_words(label), fontsize=9)
        ax.set_xlabel("threshold v (relative excess)", fontsize=7)
        ax.set_ylabel("mean excess over v", fontsize=7)
    fig.suptitle("Tail mean-excess plots (training exceedances; line: fitted GPD)")
    fig.subplots_adjust(left=0.08, right=0.98, top=0.86, bottom=0.16, wspace=0.35, hspace=0.6)
    return fig


def _tail_check_plot(tables: Mapping[str, Any]) -> Figure:
    rows = tables[table_names.SEVERITY_TAIL]
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    thresholds = [r["threshold_usd"] for r in rows]
    ax.loglog(thresholds, [r["observed_exceedances"] for r in rows], marker="o", label="observed")
    ax.loglog(
        thresholds, [r["fitted_exceedances"] for r in rows], marker="x", label="fitted (spliced)"
    )
    ax.set(xlabel="threshold (USD)", ylabel="claims above threshold")
    ax.set_title("Severity tail check (holdout claims)")
    ax.legend()
    return fig


def _one_way_plot(tables: Mapping[str, Any], fields: list[str]) -> Figure:
    fig = Figure(figsize=(12, 6))
    for i, field in enumerate(fields):
        ax = fig.add_subplot(2, 3, i + 1)
        rows = tables[table_names.ONE_WAY][field]
        ax.plot(range(len(rows)), [r["ae"] for r in rows], marker="o", color=COLOURS[XGBOOST])
        ax.axhline(1.0, color="grey", linestyle=":")
        ax.set_xticks(range(len(rows)), [r["level"] for r in rows], rotation=30, fontsize=7)
        ax.set_title(field, fontsize=9)
        ax.set_ylabel("actual / expected", fontsize=8)
    fig.suptitle("One-way A/E (holdout), the six fields with the largest deviation")
    # fixed margins: tight_layout would lay every tick label out once more (~0.4 s)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.9, bottom=0.12, wspace=0.3, hspace=0.55)
    return fig


def drawn(title: str, caption_key: str, fig: Figure) -> DrawnPlot:
    return DrawnPlot(title, CAPTIONS[caption_key], figure_png(fig))


def _comparison_plots(tables: Mapping[str, Any], names: list[str]) -> list[DrawnPlot]:
    plots = []
    if table_names.LORENZ in tables:
        plots.append(drawn("Lorenz curve", "lorenz", _lorenz_plot(tables)))
    if names:
        fig = ae_plot(tables, None, names, "A/E by predicted decile")
        plots.append(drawn("A/E by decile of the predicted rate", "deciles", fig))
    for other in names[1:]:
        title = f"Double lift against the {model_words(other)}"
        fig = ae_plot(tables, table_names.double_lift(XGBOOST, other), [XGBOOST, other], title)
        plots.append(drawn(title, "double_lift", fig))
    if table_names.BY_CAUSE in tables:
        fig = cause_ae_plot(tables[table_names.BY_CAUSE], names)
        plots.append(drawn("A/E by cause", "cause_ae", fig))
    for name in names:
        if table_names.cause_mix(name) in tables:
            fig = cause_mix_plot(tables[table_names.cause_mix(name)], name)
            plots.append(drawn(f"Cause mix by decile, {model_words(name)}", "cause_mix", fig))
    return plots


def _model_plots(tables: Mapping[str, Any]) -> list[DrawnPlot]:
    plots = []
    if tables.get(table_names.TAIL_QQ):
        fig = tail_qq_plot(tables[table_names.TAIL_QQ])
        plots.append(drawn("Tail QQ plots", "tail_qq", fig))
    if tables.get(table_names.TAIL_MEAN_EXCESS):
        fig = tail_mean_excess_plot(tables[table_names.TAIL_MEAN_EXCESS])
        plots.append(drawn("Tail mean-excess plots", "tail_mean_excess", fig))
    if table_names.SEVERITY_TAIL in tables:
        plots.append(drawn("Severity tail check", "severity_tail", _tail_check_plot(tables)))
    if table_names.ONE_WAY in tables:
        fig = _one_way_plot(tables, [f for f, _ in one_way_worst(tables)[:6]])
        plots.append(drawn("One-way A/E", "one_way", fig))
    return plots


def holdout_plots(tables: Mapping[str, Any]) -> list[DrawnPlot]:
    """The figures of whichever holdout tables are given, in report order.

    The comparison figures first (Lorenz, deciles, double lifts, A/E by cause,
    cause mixes), then the new model's own checks (tail QQ and mean excess,
    severity tail check, one-way A/E), so that the plots of the comparison
    tables followed by those of the checks are the plots of all tables.
    """
    names = [n for n in (XGBOOST, GLM, ACTIVE) if table_names.deciles(n) in tables]
    return _comparison_plots(tables, names) + _model_plots(tables)
