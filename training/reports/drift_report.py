"""The drift report: PSI bar plot, text table, drift.json, and how much PSI is only sampling noise.

Written by ``python -m training drift`` (training.commands.drift) from the
per-field figures of models.scoring.drift.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from models.scoring.drift import MODERATE_PSI, SIGNIFICANT_PSI, FieldDrift

PLOT_FILE = "drift.png"
JSON_FILE = "drift.json"
_FLAG_COLOURS = {"stable": "#5a9e4b", "moderate": "#d9822b", "significant": "#c0392b"}


def sampling_noise_psi(reference_rows: int, current_rows: int, bins: int = 10) -> float:
    """Expected PSI between two samples of one population: (bins - 1)(1/n_ref + 1/n_cur).

    PSI is a symmetrised chi-square divergence; with no drift at all its
    expectation is about (bins - 1) x (1/n_ref + 1/n_cur).
    """
    return (bins - 1) * (1.0 / reference_rows + 1.0 / current_rows)


def drift_figure(drifts: list[FieldDrift]) -> Figure:
    """Horizontal bars of PSI per field, largest at the top, coloured by flag."""
    fig = Figure(figsize=(7, 9))
    ax = fig.add_subplot()
    shown = list(reversed(drifts))  # largest at the top
    ax.barh(
        [d.field for d in shown],
        [d.psi for d in shown],
        color=[_FLAG_COLOURS[d.flag] for d in shown],
    )
    ax.axvline(MODERATE_PSI, color="grey", linestyle=":")
    ax.axvline(SIGNIFICANT_PSI, color="grey", linestyle="--")
    ax.tick_params(axis="y", labelsize=7)
    ax.set(xlabel="population stability index", title="Exposure drift by field")
    fig.tight_layout()
    return fig


def drift_table(drifts: list[FieldDrift]) -> str:
    """One line per field: name, PSI, flag (in the order given: PSI descending)."""
    lines = [f"{'field':<34}{'PSI':>10}  flag"]
    lines += [f"{d.field:<34}{d.psi:>10.4f}  {d.flag}" for d in drifts]
    return "\n".join(lines)


def write_drift_report(
    out: Path,
    drifts: list[FieldDrift],
    *,
    model_version: str,
    window_days: int,
    since: datetime,
    quotes: int,
    reference_exposures: int,
) -> tuple[Path, Path]:
    """Write drift.png and drift.json into ``out`` (created); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    plot, document = out / PLOT_FILE, out / JSON_FILE
    drift_figure(drifts).savefig(plot, dpi=72, metadata={"Software": None})
    report: dict[str, Any] = {
        "model_version": model_version,
        "window_days": window_days,
        "since_utc": since.isoformat(),
        "quotes": quotes,
        "reference_exposures": reference_exposures,
        "fields": [d.to_dict() for d in drifts],
    }
    document.write_text(json.dumps(report, indent=2) + "\n")
    return plot, document
