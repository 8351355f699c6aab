"""Batch scoring: each policy's layer, the standard layer where none is given, halves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.pricing.lognormal import layer_expected_loss
from models.scoring.batch import (
    STANDARD_LIMIT_USD,
    STANDARD_RETENTION_USD,
    by_halves,
    layer_column,
    layer_per_claim,
)


@pytest.mark.parametrize("rows", [50, 150_000])  # one thread; two halves on two threads
def test_layer_per_claim_is_the_lognormal_layer_of_each_policy(rows: int) -> None:
    rng = np.random.default_rng(4)
    mu = rng.normal(11.0, 1.0, rows)
    limit = rng.choice([np.nan, 2e6, 5e6], rows)
    frame = pd.DataFrame({"limit_usd": limit, "retention_usd": rng.choice([1e4, 2.5e5], rows)})
    filled = np.where(np.isnan(limit), STANDARD_LIMIT_USD, limit)
    expected = layer_expected_loss(frame["retention_usd"].to_numpy(), filled, mu, 1.3)
    np.testing.assert_array_equal(layer_per_claim(frame, mu, 1.3), expected)
    # no layer columns: the standard layer for every policy
    standard = layer_expected_loss(STANDARD_RETENTION_USD, STANDARD_LIMIT_USD, mu, 1.3)
    np.testing.assert_array_equal(
        layer_per_claim(pd.DataFrame(index=range(rows)), mu, 1.3), standard
    )


def test_layer_column_fills_empty_cells_and_is_the_default_when_absent() -> None:
    frame = pd.DataFrame({"limit_usd": pd.array([2e6, None, 5e6], dtype="Float64")})
    np.testing.assert_array_equal(layer_column(frame, "limit_usd", 1e6), [2e6, 1e6, 5e6])
    assert layer_column(frame, "retention_usd", 5e4) == 5e4


@pytest.mark.parametrize(("rows", "parts"), [(99_999, 1), (100_000, 2), (100_001, 2)])
def test_by_halves_covers_every_row_once(rows: int, parts: int) -> None:
    """Oracle: the slices partition 0:rows; halves from 100,000 rows on."""
    seen = np.zeros(rows, dtype=np.int64)
    calls: list[slice] = []

    def work(part: slice) -> None:
        calls.append(part)
        seen[part] += 1

    by_halves(rows, work)
    assert len(calls) == parts
    assert np.all(seen == 1)
