"""Actuarial model metrics: deviance, Gini/Lorenz, actual/expected tables.

Claim counts are compared with expected counts (claim rate x exposure_years).

- Poisson deviance: mean per policy of 2 [y ln(y/mu) - (y - mu)].
- Gini: 1 - 2 x area under the Lorenz curve of claims against exposure,
  policies ordered from the lowest to the highest predicted claim rate.
- Noise of A/E: a calibrated model's actual count in a group is Poisson with
  the expected count as mean, so a few hundred holdout claims leave A/E
  several percent from 1 by chance. ``ae_interval`` and
  ``ae_chi2_pvalue`` say whether a deviation is more than that noise.
- Groups (deciles): ten equal-exposure bands of a score, e.g. the
  predicted rate (A/E by decile) or the ratio of two models' predictions
  (double lift: the better model keeps A/E nearer 1 in each band).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2

from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS
from training.evaluation.table_names import ae_column, expected_column


def poisson_deviance(counts: np.ndarray, expected: np.ndarray) -> float:
    """Mean Poisson deviance per policy (claim counts vs expected counts).

    A claim where nothing was expected (m = 0, e.g. a cause the truth cannot
    have) makes the deviance infinite, which is what it is.
    """
    y, m = np.asarray(counts, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    claimed = y > 0
    with np.errstate(divide="ignore"):
        ratio = np.where(claimed, y, 1.0) / np.where(claimed, m, 1.0)
        term = np.where(claimed, y * np.log(ratio), 0.0)
    return float(np.mean(2.0 * (term - (y - m))))


def expected_excess_deviance(true_expected: np.ndarray, expected: np.ndarray) -> float:
    """Mean Poisson deviance per policy above the truth's, in expectation over the counts.

    E[D(y, m)] - E[D(y, t)] = 2 (t log(t / m) - (t - m)) for y ~ Poisson(t):
    the difference is linear in y, so this is exact. Free of the holdout's
    Poisson noise, unlike a deviance of the observed counts. A policy the
    truth expects no claims from (t = 0, e.g. a cause it cannot have) adds 2 m.
    """
    t, m = np.asarray(true_expected, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    some = t > 0
    log_ratio = np.log(np.where(some, t, 1.0) / np.where(some, m, 1.0))
    return float(np.mean(2.0 * (np.where(some, t * log_ratio, 0.0) - (t - m))))


def lorenz_curve(
    counts: np.ndarray, score: np.ndarray, exposure: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """(cumulative exposure share, cumulative claim share, Gini) ordered by ``score``."""
    order = np.argsort(score, kind="stable")
    x = np.concatenate([[0.0], np.cumsum(exposure[order]) / exposure.sum()])
    y = np.concatenate([[0.0], np.cumsum(counts[order]) / counts.sum()])
    area = float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))
    return x, y, 1.0 - 2.0 * area


def exposure_groups(score: np.ndarray, exposure: np.ndarray, groups: int = 10) -> np.ndarray:
    """Group 0..groups-1 of each policy: equal-exposure bands of ``score``."""
    order = np.argsort(score, kind="stable")
    before = np.cumsum(exposure[order]) - exposure[order]
    group = np.empty(len(score), dtype=np.int64)
    group[order] = np.minimum((groups * before / exposure.sum()).astype(np.int64), groups - 1)
    return group


def ae_interval(actual: float, expected: float, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) Poisson interval of A/E for ``actual`` claims against ``expected``.

    The interval of the Poisson mean that could have produced ``actual``
    claims, divided by ``expected``: chi2.ppf(a/2, 2A)/2 to chi2.ppf(1-a/2, 2A+2)/2.
    It holds 1 unless the model is off by more than the noise (at ``level``).
    """
    tail = (1.0 - level) / 2.0
    low = chi2.ppf(tail, 2.0 * actual) / 2.0 if actual > 0 else 0.0
    high = chi2.ppf(1.0 - tail, 2.0 * actual + 2.0) / 2.0
    return float(low / expected), float(high / expected)


def ae_chi2_pvalue(rows: list[dict[str, float]], name: str) -> float:
    """P-value of Pearson's chi-square of an ``ae_table`` for model ``name``.

    sum over groups of (A - E)^2 / E with one degree of freedom per group: the
    expectations come from a model fitted on other data, none is estimated
    from these claims. Below 0.05, the table's deviations are more than noise.
    """
    actual = np.array([r["actual"] for r in rows])
    expected = np.array([r[expected_column(name)] for r in rows])
    statistic = float(np.sum((actual - expected) ** 2 / expected))
    return float(chi2.sf(statistic, len(rows)))


def ae_table(
    groups: np.ndarray, counts: np.ndarray, columns: dict[str, np.ndarray]
) -> list[dict[str, float]]:
    """Actual claims and, per model, expected claims and A/E in each group."""
    rows = []
    for g in np.unique(groups):
        mask = groups == g
        row = {"group": float(g), "actual": float(counts[mask].sum())}
        for name, expected in columns.items():
            row[expected_column(name)] = float(expected[mask].sum())
            row[ae_column(name)] = row["actual"] / max(row[expected_column(name)], 1e-12)
        rows.append(row)
    return rows


def one_way_levels(frame: pd.DataFrame, name: str, kind: str) -> tuple[np.ndarray, list[str]]:
    """(band label of each policy, the bands in their natural order) for field ``name``.

    Numbers: five quantile bands; sets: the member count (3+ pooled);
    ordinals, categories and booleans: their levels.
    """
    values = frame[name]
    if kind in ("int", "number"):
        numbers = values.to_numpy(dtype=np.float64)
        edges = np.unique(np.quantile(numbers, [0.2, 0.4, 0.6, 0.8]))
        band = np.searchsorted(edges, numbers, side="left")  # edges[i-1] < x <= edges[i]
        labels = [f"<= {e:.4g}" for e in edges] + [f"> {edges[-1]:.4g}"]
        return np.asarray(labels)[band], labels
    if kind == "set":
        size = values.fillna("").astype(str).map(lambda s: len(s.split("|")) if s else 0)
        labels = ["0 members", "1 members", "2 members", "3+ members"]
        return np.asarray(labels)[np.minimum(size.to_numpy(dtype=np.int64), 3)], labels
    text = values.astype(str).to_numpy()
    spec = FIELDS_BY_NAME[name]
    order = list(spec.values) if spec.values else sorted(set(text))
    return text, order


def one_way(
    frame: pd.DataFrame, counts: np.ndarray, expected: np.ndarray
) -> dict[str, list[dict[str, object]]]:
    """Actual vs expected claims by band of each model field."""
    out = {}
    for field in MODEL_FIELDS:
        levels, order = one_way_levels(frame, field.name, field.kind)
        rows = []
        for level in order:
            mask = levels == level
            if not mask.any():
                continue
            actual, exp = float(counts[mask].sum()), float(expected[mask].sum())
            rows.append(
                {
                    "level": str(level),
                    "actual": actual,
                    "expected": exp,
                    "ae": actual / exp if exp > 0 else float("nan"),
                }
            )
        out[field.name] = rows
    return out
