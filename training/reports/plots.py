"""The holdout plots of a bundle report, as base64 PNG.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, no
display). PNG metadata is stripped so that the same evaluation gives the same
bytes, whichever process draws them.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

from models.versions.metadata import ACTIVE, GLM, XGBOOST
from training.evaluation import table_names
from training.reports.report import one_way_worst

_COLOURS = {XGBOOST: "#1f5fa8", GLM: "#d9822b", ACTIVE: "#5a9e4b"}


def figure_png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode()


def _lorenz_plot(tables: Mapping[str, Any]) -> Figure:
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    for name, ys in tables[table_names.LORENZ].items():
        xs = [i / (len(ys) - 1) for i in range(len(ys))]
        ax.plot(xs, ys, label=name, color=_COLOURS.get(name))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="no skill")
    ax.set(xlabel="share of exposure (lowest predicted rate first)", ylabel="share of claims")
    ax.set_title("Lorenz curve (holdout)")
    ax.legend()
    return fig


def _ae_plot(tables: Mapping[str, Any], key: str | None, names: list[str], title: str) -> Figure:
    """A/E of each of ``names`` in table ``key``, or (None) in each one's own deciles."""
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    for name in names:
        rows = tables[key] if key is not None else tables[table_names.deciles(name)]
        ax.plot(
            [r["group"] + 1 for r in rows],
            [r[table_names.ae_column(name)] for r in rows],
            marker="o",
            label=name,
            color=_COLOURS.get(name),
        )
    ax.axhline(1.0, color="grey", linestyle=":")
    ax.set(xlabel="decile (equal exposure)", ylabel="actual / expected claims", title=title)
    ax.legend()
    return fig


def _tail_plot(tables: Mapping[str, Any]) -> Figure:
    rows = tables[table_names.SEVERITY_TAIL]
    fig = Figure(figsize=(5, 4))
    ax = fig.add_subplot()
    ax.loglog(
        [r["threshold_usd"] for r in rows],
        [r["observed_exceedances"] for r in rows],
        marker="o",
        label="observed",
    )
    ax.loglog(
        [r["threshold_usd"] for r in rows],
        [r["fitted_exceedances"] for r in rows],
        marker="x",
        label="fitted lognormal",
    )
    ax.set(
        xlabel="threshold (USD)",
        ylabel="claims above threshold",
        title="Severity tail (holdout claims)",
    )
    ax.legend()
    return fig


def _one_way_plot(tables: Mapping[str, Any], fields: list[str]) -> Figure:
    fig = Figure(figsize=(12, 6))
    for i, field in enumerate(fields):
        ax = fig.add_subplot(2, 3, i + 1)
        rows = tables[table_names.ONE_WAY][field]
        ax.plot(range(len(rows)), [r["ae"] for r in rows], marker="o", color=_COLOURS[XGBOOST])
        ax.axhline(1.0, color="grey", linestyle=":")
        ax.set_xticks(range(len(rows)), [r["level"] for r in rows], rotation=30, fontsize=7)
        ax.set_title(field, fontsize=9)
        ax.set_ylabel("actual / expected", fontsize=8)
    fig.suptitle("One-way A/E (holdout), the six fields with the largest deviation")
    # fixed margins: tight_layout would lay every tick label out once more (~0.4 s)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.9, bottom=0.12, wspace=0.3, hspace=0.55)
    return fig


def holdout_plots(tables: Mapping[str, Any]) -> list[str]:
    """The figures of whichever holdout tables are given, in report order (base64 PNG).

    Lorenz curves, A/E by decile, double lifts (the comparison tables), then
    the severity tail and one-way A/E (one model's own checks).
    """
    names = [n for n in (XGBOOST, GLM, ACTIVE) if table_names.deciles(n) in tables]
    figures = []
    if table_names.LORENZ in tables:
        figures.append(_lorenz_plot(tables))
    if names:
        figures.append(_ae_plot(tables, None, names, "A/E by predicted decile"))
    for other in names[1:]:
        key = table_names.double_lift(XGBOOST, other)
        figures.append(_ae_plot(tables, key, [XGBOOST, other], f"Double lift vs {other}"))
    if table_names.SEVERITY_TAIL in tables:
        figures.append(_tail_plot(tables))
    if table_names.ONE_WAY in tables:
        figures.append(_one_way_plot(tables, [f for f, _ in one_way_worst(tables)[:6]]))
    return [figure_png(f) for f in figures]
