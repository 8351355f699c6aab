"""A small valid book file drawn from the synthetic world (its cities and their vendors)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from training.world.portfolio import generate_portfolio


def book_frame(n: int, seed: int) -> pd.DataFrame:
    """``n`` policies of the synthetic world with limits and retentions, the book file's columns.

    Limits are half the city's budget (1M-10M USD), retentions 1% of the limit
    (10k-250k USD): every row is valid by construction.
    """
    policies = generate_portfolio(n, seed).policies.drop(columns=["period_start", "exposure_years"])
    limit = np.clip(np.round(policies["annual_revenue_usd"] * 0.5, -5), 1e6, 1e7)
    policies.insert(1, "limit_usd", limit)
    policies.insert(2, "retention_usd", np.clip(np.round(limit * 0.01, -3), 1e4, 2.5e5))
    return policies


def write_book(directory: Path, n: int = 60, seed: int = 5, name: str = "book.csv") -> Path:
    """The book of ``book_frame(n, seed)`` as CSV (or Parquet by ``name``) in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    frame = book_frame(n, seed)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path
