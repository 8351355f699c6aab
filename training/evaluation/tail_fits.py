"""The fitted severity tails as the report shows them: parameters, QQ and mean excess.

Each ``TailFitShown`` is one GPD fitted to training claims' relative excesses
over their thresholds (one cause, or all causes pooled). The report shows:

- a table of the fit: threshold z_u, P(X > t), xi and b with standard errors,
  the number of exceedances;
- a QQ plot (``training.fitting.tail.qq_points``): sorted relative excesses
  against the fitted GPD's quantiles; on the diagonal if the GPD fits;
- a mean-excess plot of the relative excesses themselves: for Y ~ GPD(xi, b),
  Y - v | Y > v is GPD(xi, b + xi v), so the mean excess over v is the straight
  line (b + xi v) / (1 - xi) (Davison & Smith 1990). The observed means
  (``mean_excess_points`` on the relative excesses, thresholds from 0, the
  splice, to the value leaving ``MIN_COUNT`` claims above) should scatter
  around it; a bend says the threshold or the shape is off.

The excesses come without their claims' z, so the mean excess is taken on
the excess scale, not on the z scale that ``mean_excess_points`` compares
with the normal body: the fitted line is the reference instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from training.fitting.tail import GpdTail, mean_excess_points, qq_points

MIN_COUNT = 10  # claims above the highest threshold of the mean-excess plot
GRID_SIZE = 40


@dataclass(frozen=True)
class TailFitShown:
    """One fitted tail (``label``: a cause, or "all causes") and its training excesses.

    ``relative_excess``: (x_i - t_i) / t_i of the training claims above their
    thresholds t_i, the data ``tail`` was fitted to.
    """

    label: str
    tail: GpdTail
    relative_excess: np.ndarray


def _floats(values: np.ndarray) -> list[float]:
    return [float(v) for v in values]


def tail_fit_rows(tails: Sequence[TailFitShown]) -> list[dict[str, Any]]:
    """One row per fitted tail: where it starts and its parameters with standard errors."""
    return [
        {
            "label": shown.label,
            "threshold_z": shown.tail.z_u,
            "exceedance_probability": shown.tail.exceedance_probability,
            "xi": shown.tail.xi,
            "xi_se": shown.tail.xi_se,
            "b": shown.tail.b,
            "b_se": shown.tail.b_se,
            "exceedances": shown.tail.exceedances,
            "at_bound": shown.tail.at_bound,
        }
        for shown in tails
    ]


def tail_qq(tails: Sequence[TailFitShown]) -> dict[str, dict[str, list[float]]]:
    """label -> the QQ plot's points: fitted GPD quantiles ("model") and sorted excesses."""
    out = {}
    for shown in tails:
        points = qq_points(shown.tail, shown.relative_excess)
        out[shown.label] = {"model": _floats(points.model), "empirical": _floats(points.empirical)}
    return out


def tail_mean_excess(tails: Sequence[TailFitShown]) -> dict[str, dict[str, list[float]]]:
    """label -> observed mean excess of the relative excesses over a grid, and the fitted line."""
    out = {}
    for shown in tails:
        y = np.sort(np.asarray(shown.relative_excess, dtype=np.float64))
        if y.size <= MIN_COUNT:
            continue  # too few excesses for a curve; the QQ plot still shows them
        grid = np.linspace(0.0, y[y.size - MIN_COUNT - 1], GRID_SIZE)
        points = mean_excess_points(y, thresholds=grid)
        xi, b = shown.tail.xi, shown.tail.b
        out[shown.label] = {
            "threshold": _floats(points.threshold_z),
            "mean_excess": _floats(points.mean_excess_z),
            "standard_error": _floats(points.standard_error),
            "fitted": _floats((b + xi * grid) / (1.0 - xi)),
        }
    return out
