"""A book's accumulation report: one self-contained report.html, the same bytes for the same run.

Written by ``python -m training accumulate`` (training/accumulation_output.py)
next to summary.json, ept.csv and ylt.csv. It opens with the headline
figures an underwriter quotes (AAL, 1-in-200 AEP and its TVaR, policies,
total limit), then the EP curves and table, the vendors that are single
points of failure (chart and table), the breakdown by event family, the
largest simulated years with the events that caused them, and the policies
that carry the tail (Euler co-TVaR). Figures are embedded as base64 PNG, so
the file opens anywhere with nothing beside it; it holds no date, path or
timing, so the same book, catalog, years and seed give the same bytes.
"""

from __future__ import annotations

import html

from training.reports.accumulation_plots import accumulation_plots
from training.reports.accumulation_tables import (
    ReportContext,
    RunFigures,
    contributors_table,
    ep_table,
    family_table,
    headline_table,
    largest_years_table,
    spof_table,
)
from training.reports.drawn import DrawnPlot
from training.reports.report import figure_html
from training.reports.table_format import html_table

_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:80em}"
    "table{border-collapse:collapse;margin-bottom:0.5em}th,td{border:1px solid #ccc;"
    "padding:2px 8px;text-align:left;vertical-align:top}figure{display:inline-block;"
    "max-width:44em;vertical-align:top;margin:8px}figcaption{font-size:0.9em}"
    ".note{font-size:0.9em;color:#444}"
)


def _plot(plots: list[DrawnPlot], title: str) -> str:
    return "".join(figure_html(p) for p in plots if p.title == title)


def render_accumulation_report(figures: RunFigures, context: ReportContext) -> str:
    """The HTML of the report of ``RunFigures.of(run)`` (a str; the caller writes it as UTF-8)."""
    plots = accumulation_plots(figures)
    title = f"Book accumulation: {context.book_name}"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>"
        + html_table(headline_table(figures, context), 2)
        + "<h2>Exceedance probability</h2>"
        + _plot(plots, "Exceedance probability curves")
        + html_table(ep_table(figures))
        + "<h2>Single points of failure</h2>"
        + _plot(plots, "Single points of failure")
        + html_table(spof_table(figures))
        + "<h2>Event families</h2>"
        + _plot(plots, "Event families")
        + html_table(family_table(figures))
        + "<h2>Largest simulated years</h2>"
        + html_table(largest_years_table(figures))
        + "<h2>Where the tail comes from</h2>"
        + _plot(plots, "Tail contributors")
        + html_table(contributors_table(figures))
        + "</body></html>\n"
    )
