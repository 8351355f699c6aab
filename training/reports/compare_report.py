"""The champion/challenger report: summary table, HTML with embedded plots, JSON.

Plots use matplotlib's object API (no pyplot state) and training.reports.plots'
PNG embedding, so compare.html is one self-contained file.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from models.versions.metadata import CHALLENGER, CHAMPION
from training.evaluation.table_names import expected_column
from training.reports.plots import figure_png

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
            label=f"expected, {name}",
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


def summary_rows(result: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(metric, challenger, champion) as printed and shown in the report."""
    m = result["metrics"]
    rows = [(k, f"{m[CHALLENGER][k]:.5g}", f"{m[CHAMPION][k]:.5g}") for k in m[CHALLENGER]]
    change = result["premium_change"]
    q = change["ratio_quantiles"]
    rows += [
        ("premium total change", f"{change['total_change']:+.2%}", ""),
        ("premium ratio q05 / q50 / q95", f"{q['q05']:.3f} / {q['q50']:.3f} / {q['q95']:.3f}", ""),
        ("policies up > 10%", f"{change['share_up_more_than_10pct']:.1%}", ""),
        ("policies down > 10%", f"{change['share_down_more_than_10pct']:.1%}", ""),
    ]
    return rows


def summary_text(result: Mapping[str, Any]) -> str:
    book = result["book"]
    lines = [
        f"challenger {result['challenger']} vs champion {result['champion']}: "
        f"{book['policies']:,} policies, {book['claims']:,} claims, "
        f"{book['exposure_years']:,.1f} exposure-years",
        f"{'metric':<34}{'challenger':>22}{'champion':>14}",
    ]
    lines += [f"{k:<34}{a:>22}{b:>14}" for k, a, b in summary_rows(result)]
    lines.append(f"rule: {result['recommendation']['rule']}")
    lines.append(result["recommendation"]["line"])
    return "\n".join(lines)


def render_html(result: Mapping[str, Any]) -> str:
    cells = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>"
        for k, a, b in summary_rows(result)
    )
    images = "".join(
        f'<img alt="plot" src="data:image/png;base64,{figure_png(f)}">'
        for f in (double_lift_figure(result), premium_figure(result))
    )
    rec = result["recommendation"]
    title = f"{result['challenger']} vs {result['champion']}"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Polisure champion/challenger: {html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 8px;"
        "text-align:left}img{margin:4px}</style></head><body>"
        f"<h1>Challenger {html.escape(result['challenger'])} vs champion "
        f"{html.escape(result['champion'])}</h1>"
        f"<p><strong>{html.escape(rec['line'])}</strong></p><p>Rule: {html.escape(rec['rule'])}</p>"
        "<table><tr><th>metric</th><th>challenger</th><th>champion</th></tr>"
        f"{cells}</table><h2>Plots</h2>{images}</body></html>\n"
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
