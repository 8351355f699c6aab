"""The champion/challenger report: summary in words, HTML with captioned plots, JSON.

The same structure as the bundle report (training/reports/report.py): the
book, the comparison in sentences and the recommendation with its rule
first; then the side-by-side figures in words and the per-cause tables
(training/reports/report_tables.py); then the plots, each saying what to look
for. Plots use matplotlib's object API (no pyplot state) and
training.reports.plots' PNG embedding, so compare.html is one self-contained file.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from models.versions.metadata import CHALLENGER, CHAMPION, Metric
from training.evaluation.champion import DOUBLE_LIFT_ERROR
from training.evaluation.table_names import BY_CAUSE, expected_column
from training.reports.drawn import DrawnPlot
from training.reports.metric_words import METRIC_WORDS, format_figure, model_words
from training.reports.plots import CAPTIONS as PLOT_CAPTIONS
from training.reports.plots import cause_ae_plot, cause_mix_plot, figure_png
from training.reports.report import figure_html
from training.reports.report_tables import cause_tables
from training.reports.summary_words import comparison_sentences
from training.reports.table_format import Table, html_table

_COLOURS = {CHALLENGER: "#1f5fa8", CHAMPION: "#d9822b", "actual": "#222222"}


def double_lift_figure(result: Mapping[str, Any]) -> Figure:
    """Actual claims and each model's expected claims per band of the rate ratio."""
    rows = result["double_lift"]
    bands = [int(r["group"]) + 1 for r in rows]
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    ax.plot(bands, [r["actual"] for r in rows], marker="o", label="actual", color="#222222")
    for name in (CHALLENGER, CHAMPION):
        ax.plot(
            bands,
            [r[expected_column(name)] for r in rows],
            marker="x",
            label=f"expected, {model_words(name)}",
            color=_COLOURS[name],
        )
    ax.set(
        xlabel="band of challenger rate / champion rate (equal exposure, low to high)",
        ylabel="claims",
        title="Double lift",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def premium_figure(result: Mapping[str, Any]) -> Figure:
    """Histogram of challenger / champion premium ratios (log scale)."""
    ratios = np.asarray(result["premium_change"]["ratios"])
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    low, high = float(ratios.min()), float(ratios.max())
    bins = np.geomspace(low, high, 41) if high > low else np.asarray([low * 0.99, high * 1.01])
    ax.hist(ratios, bins=bins.tolist(), color=_COLOURS[CHALLENGER])
    ax.set_xscale("log")
    for edge in (0.9, 1.0, 1.1):
        ax.axvline(edge, color="grey", linestyle=":" if edge != 1.0 else "-")
    ax.set(xlabel="premium ratio, challenger / champion", ylabel="policies")
    ax.set_title("Premium change for the book")
    fig.tight_layout()
    return fig


#: The words of the side-by-side rows that are not a ``Metric``.
DOUBLE_LIFT_WORDS = (
    "Double lift: mean |A/E - 1| over bands of challenger rate / champion rate (lower is better)"
)
CAPTIONS = {
    "double_lift": "Actual claims and each model's expected claims in ten equal-exposure bands "
    "of challenger rate / champion rate. Look for: which model's expected line follows the "
    "actual one in the outer bands, where the two models disagree most.",
    "premium": "Distribution of the premium ratio challenger / champion over the book (log "
    "scale; dotted lines at -10% and +10%). Look for: how many policies move by more than 10%, "
    "and whether the change is centred on 1.",
}


def _row_words(key: str) -> str:
    return DOUBLE_LIFT_WORDS if key == DOUBLE_LIFT_ERROR else METRIC_WORDS[Metric(key)]


def _row_format(key: str, value: float) -> str:
    metric = Metric.AE_DECILE_MAX_ABS_ERROR if key == DOUBLE_LIFT_ERROR else Metric(key)
    return format_figure(metric, value)


def summary_rows(result: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(figure in words, challenger, champion) as printed and shown in the report."""
    m = result["metrics"]
    rows = [
        (_row_words(k), _row_format(k, m[CHALLENGER][k]), _row_format(k, m[CHAMPION][k]))
        for k in m[CHALLENGER]
    ]
    change = result["premium_change"]
    q = change["ratio_quantiles"]
    rows += [
        ("Premium of the book, total change", f"{change['total_change']:+.2%}", ""),
        (
            "Premium ratio challenger / champion, 5% / 50% / 95% quantiles",
            f"{q['q05']:.3f} / {q['q50']:.3f} / {q['q95']:.3f}",
            "",
        ),
        (
            "Policies whose premium rises by more than 10%",
            f"{change['share_up_more_than_10pct']:.1%}",
            "",
        ),
        (
            "Policies whose premium falls by more than 10%",
            f"{change['share_down_more_than_10pct']:.1%}",
            "",
        ),
    ]
    return rows


def book_line(result: Mapping[str, Any]) -> str:
    book = result["book"]
    return (
        f"Challenger {result['challenger']} against champion {result['champion']} on "
        f"{book['policies']:,} policies, {book['claims']:,} claims and "
        f"{book['exposure_years']:,.1f} policy-years"
    )


def summary_text(result: Mapping[str, Any]) -> str:
    """The comparison as printed by ``python -m training compare``; the verdict last."""
    width = max(len(k) for k, _, _ in summary_rows(result)) + 2
    lines = [book_line(result), f"{'figure':<{width}}{'challenger':>22}{'champion':>14}"]
    lines += [f"{k:<{width}}{a:>22}{b:>14}" for k, a, b in summary_rows(result)]
    lines.append(f"rule: {result['recommendation']['rule']}")
    lines.append(result["recommendation"]["line"])
    return "\n".join(lines)


def _plots(result: Mapping[str, Any]) -> list[DrawnPlot]:
    roles = [CHALLENGER, CHAMPION]
    plots = [
        DrawnPlot("Double lift", CAPTIONS["double_lift"], figure_png(double_lift_figure(result))),
        DrawnPlot(
            "A/E by cause",
            PLOT_CAPTIONS["cause_ae"],
            figure_png(cause_ae_plot(result["by_cause"], roles)),
        ),
    ]
    for role in roles:
        fig = cause_mix_plot(result["cause_mix"][role], role)
        title = f"Cause mix by decile, {model_words(role)}"
        plots.append(DrawnPlot(title, PLOT_CAPTIONS["cause_mix"], figure_png(fig)))
    plots.append(
        DrawnPlot(
            "Premium change for the book", CAPTIONS["premium"], figure_png(premium_figure(result))
        )
    )
    return plots


def render_html(result: Mapping[str, Any]) -> str:
    """compare.html: the summary and the recommendation, the tables in words, captioned plots."""
    roles = [CHALLENGER, CHAMPION]
    rec = result["recommendation"]
    sentences = comparison_sentences(
        result["summary"], {BY_CAUSE: result["by_cause"]}, CHALLENGER, [CHAMPION]
    )
    headline = Table(
        "Side by side", ("Figure", "Challenger", "Champion"), tuple(summary_rows(result))
    )
    tables = [headline, *cause_tables(result["by_cause"], roles)]
    title = f"{result['challenger']} vs {result['champion']}"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Polisure champion/challenger: {html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:2em;max-width:72em}"
        "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 8px;"
        "text-align:left}figure{display:inline-block;max-width:40em;vertical-align:top;"
        "margin:8px}figcaption{font-size:0.9em}.note{font-size:0.9em;color:#444}</style></head>"
        f"<body><h1>Challenger {html.escape(result['challenger'])} vs champion "
        f"{html.escape(result['champion'])}</h1><h2>Summary</h2>"
        f"<p>{html.escape(book_line(result))}.</p><ul>"
        + "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
        + f"</ul><h3>Recommendation</h3><p><strong>{html.escape(rec['line'])}</strong></p>"
        f"<p class='note'>Rule: {html.escape(rec['rule'])}</p><h2>Tables</h2>"
        + "".join(html_table(t) for t in tables)
        + "<h2>Plots</h2>"
        + "".join(figure_html(p) for p in _plots(result))
        + "</body></html>\n"
    )


def json_ready(result: Mapping[str, Any]) -> dict[str, Any]:
    """The result without the per-policy ratios (the quantiles summarise them)."""
    out = dict(result)
    out["premium_change"] = {k: v for k, v in result["premium_change"].items() if k != "ratios"}
    return out


def write_report(result: Mapping[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """compare.html and compare.json in ``out_dir`` (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page, data = out_dir / "compare.html", out_dir / "compare.json"
    page.write_text(render_html(result))
    data.write_text(json.dumps(json_ready(result), indent=2, allow_nan=False) + "\n")
    return page, data
