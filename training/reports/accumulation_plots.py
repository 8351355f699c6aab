"""The figures of a book's accumulation report, as captioned base64 PNGs.

Drawn with matplotlib's object API on the Agg canvas, PNG metadata stripped
(training.reports.plots.figure_png), so the same run draws the same bytes and
report.html is byte-identical from one run to the next.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from models.accumulation.metrics import RETURN_PERIODS
from training.reports.accumulation_tables import RunFigures
from training.reports.drawn import DrawnPlot
from training.reports.plots import figure_png

BARS_SHOWN = 15
_OEP, _AEP = "#1f5fa8", "#d9822b"
_MILLIONS = FuncFormatter(lambda value, _: f"{value / 1e6:,.1f}")
_PLAIN = FuncFormatter(lambda value, _: f"{value:g}")

CAPTIONS = {
    "ep": "Loss against return period from the simulated years (lines) and at the contract's "
    "return periods (points). OEP: the year's largest event; AEP: the year's total. Look for: "
    "the gap between the lines, the losses that come from several events in one year; "
    "a curve still steep at 1,000 years means the tail is driven by a few rare events.",
    "spof": "The book's 1-in-200 loss from each vendor's events alone, largest vendors. Look "
    "for: one bar far ahead of the rest, a vendor whose failure the book cannot diversify.",
    "families": "Average annual loss by event family (and the cities' own claims). Look for: "
    "which kind of event the book's expected loss comes from.",
    "contributors": "Each policy's share of the book's 1-in-200 AEP TVaR (Euler co-TVaR), "
    "largest policies. Look for: policies whose share of the tail is far above their share "
    "of the limit.",
}


def _exceedance(losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(return period N / k, the k-th largest loss), k = 1..N: the ORD ranking."""
    ranked = np.sort(losses)[::-1]
    return len(losses) / np.arange(1, len(losses) + 1), ranked


def ep_figure(figures: RunFigures) -> Figure:
    ep, table = figures.ep, figures.run.table
    fig = Figure(figsize=(7, 4.2))
    ax = fig.add_subplot()
    points = [float(rp) for rp in RETURN_PERIODS]
    for name, losses, colour in (
        ("AEP", table.book_loss, _AEP),
        ("OEP", table.max_occurrence_loss, _OEP),
    ):
        periods, ranked = _exceedance(losses)
        keep = periods >= 1.0
        ax.plot(periods[keep], ranked[keep], color=colour, label=name, linewidth=1.2)
        ax.plot(points, [ep[name.lower()][rp] for rp in RETURN_PERIODS], "o", color=colour, ms=3)
    ax.axvline(200, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(_PLAIN)
    ax.yaxis.set_major_formatter(_MILLIONS)
    ax.set(xlabel="return period (years, log scale)", ylabel="loss (USD million)")
    ax.set_title("Exceedance probability curves")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def _bars(title: str, xlabel: str, labels: Sequence[str], values: Sequence[float]) -> Figure:
    """Horizontal bars, the first label at the top."""
    fig = Figure(figsize=(7, 0.9 + 0.28 * max(len(labels), 1)))
    ax = fig.add_subplot()
    ax.barh(list(reversed(labels)), list(reversed(values)), color=_OEP)
    ax.xaxis.set_major_formatter(_MILLIONS)
    ax.tick_params(axis="y", labelsize=8)
    ax.set(xlabel=xlabel, title=title)
    fig.tight_layout()
    return fig


def accumulation_plots(figures: RunFigures) -> list[DrawnPlot]:
    """EP curves, SPoF bars, AAL by family and the largest tail contributors."""
    ep = figure_png(ep_figure(figures))
    plots = [DrawnPlot("Exceedance probability curves", CAPTIONS["ep"], ep)]
    spof = [r for r in figures.spof if r["loss_1_in_200_usd"] > 0][:BARS_SHOWN]
    if spof:
        fig = _bars(
            "1-in-200 loss by vendor",
            "book loss from the vendor's events, 1 in 200 (USD million)",
            [str(r["vendor"]) for r in spof],
            [float(r["loss_1_in_200_usd"]) for r in spof],
        )
        plots.append(DrawnPlot("Single points of failure", CAPTIONS["spof"], figure_png(fig)))
    families = figures.families
    if len(families):
        fig = _bars(
            "Average annual loss by event family",
            "AAL (USD million)",
            families["family"].astype(str).tolist(),
            families["aal_usd"].tolist(),
        )
        plots.append(DrawnPlot("Event families", CAPTIONS["families"], figure_png(fig)))
    top = figures.top_contributors(BARS_SHOWN)
    if top and top[0][1] > 0:
        fig = _bars(
            "Largest contributors to the 1-in-200 TVaR",
            "co-TVaR (USD million)",
            [p for p, _ in top],
            [v for _, v in top],
        )
        plots.append(DrawnPlot("Tail contributors", CAPTIONS["contributors"], figure_png(fig)))
    return plots
