"""Claim frequency by cause on the holdout: A/E, Poisson deviance and the cause mix.

Each cause is its own Poisson process, so each is checked like the total:

- A/E of the cause (actual claims of that cause / the model's expected), with
  the exact Poisson interval of metrics.ae_interval; a cause with a few dozen
  holdout claims has a wide one;
- mean Poisson deviance per policy of the cause's claim counts;
- with the truth's expected counts of each cause, the expected excess
  deviance (metrics.expected_excess_deviance), free of the holdout's noise;
- the cause mix by decile of the predicted total claim rate: the model's
  expected share of each cause against the actual share of the holdout
  claims. A model that gets the total right but the mix wrong prices
  cause-specific coverage and the severity mix wrongly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from models.spec.contract import CLAIM_CAUSES
from training.evaluation import metrics, table_names


def cause_index(causes: pd.Series | np.ndarray) -> np.ndarray:
    """Position in CLAIM_CAUSES of each claim's cause; an unknown cause is an error."""
    index = pd.Index(CLAIM_CAUSES).get_indexer(pd.Index(np.asarray(causes, dtype=str)))
    if np.any(index < 0):
        unknown = sorted(set(np.asarray(causes, dtype=str)[index < 0]))
        raise ValueError(f"unknown claim cause(s) {', '.join(unknown)}; known: {CLAIM_CAUSES}")
    return np.asarray(index, dtype=np.int64)


def cause_counts(claim_owner: np.ndarray, claim_cause: np.ndarray, policies: int) -> np.ndarray:
    """Claims of each cause per policy, policies x causes."""
    counts = np.zeros((policies, len(CLAIM_CAUSES)))
    np.add.at(counts, (claim_owner, claim_cause), 1.0)
    return counts


def cause_rows(
    counts: np.ndarray,
    expected: Mapping[str, np.ndarray],
    true_expected: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """One row per cause: actual claims and, per model, expected, A/E, interval, deviance.

    ``counts`` and each of ``expected`` (model name -> expected claims) are
    policies x causes. With ``true_expected`` each model also gets its
    expected excess deviance over the truth's.
    """
    rows = []
    for c, cause in enumerate(CLAIM_CAUSES):
        actual = float(counts[:, c].sum())
        row: dict[str, Any] = {"cause": cause, "actual": actual}
        for name, exp in expected.items():
            total = float(exp[:, c].sum())
            low, high = metrics.ae_interval(actual, max(total, 1e-12))
            row[table_names.expected_column(name)] = total
            row[table_names.ae_column(name)] = actual / max(total, 1e-12)
            row[table_names.ae_low_column(name)] = low
            row[table_names.ae_high_column(name)] = high
            row[table_names.deviance_column(name)] = metrics.poisson_deviance(
                counts[:, c], exp[:, c]
            )
            if true_expected is not None:
                row[table_names.excess_deviance_column(name)] = metrics.expected_excess_deviance(
                    true_expected[:, c], exp[:, c]
                )
        rows.append(row)
    return rows


def cause_mix_by_decile(
    counts: np.ndarray, expected: np.ndarray, exposure_years: np.ndarray
) -> list[dict[str, float]]:
    """Predicted and actual cause shares in ten equal-exposure bands of the predicted total rate.

    Predicted share of cause c in a band: the model's expected claims of c over
    its expected claims of all causes; actual share: the band's holdout claims
    of c over all its claims (every share 0 in a band without claims). Each
    set of shares sums to 1 over the causes.
    """
    total = expected.sum(axis=1)
    groups = metrics.exposure_groups(total / exposure_years, exposure_years)
    rows = []
    for g in np.unique(groups):
        mask = groups == g
        band_expected = expected[mask].sum(axis=0)
        band_actual = counts[mask].sum(axis=0)
        claims = float(band_actual.sum())
        row = {"group": float(g), "claims": claims, "expected": float(band_expected.sum())}
        for c, cause in enumerate(CLAIM_CAUSES):
            row[table_names.predicted_share_column(cause)] = float(
                band_expected[c] / band_expected.sum()
            )
            row[table_names.actual_share_column(cause)] = (
                float(band_actual[c] / claims) if claims > 0 else 0.0
            )
        rows.append(row)
    return rows
