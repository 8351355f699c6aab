"""The synthetic world, part 5: an insurer's book of the portfolio's cities (CONTRACT §7).

The portfolio (policies.csv) says who the cities are; a book also needs each
policy's terms. The rules, documented so that figures on the synthetic book
can be reproduced and argued with:

* ``limit_usd`` = 10% of the city's annual budget, rounded to the nearest
  $100,000 and clipped to the contract's bounds $100,000 - $500,000,000.
  A tenth of the budget is the order of the limits municipal buyers carry
  (a $1M-$5M limit for a $10M-$50M budget); judgement, L.
* ``retention_usd`` = 1% of the limit, rounded to the nearest $1,000 and
  clipped to $1,000 - $1,000,000: always 0 <= r < limit, and the small
  deductible of a municipal programme.

The book file has ``policy_id``, ``limit_usd``, ``retention_usd``, every
exposure field (sets and ``vendors`` joined by ``|``, booleans ``true`` /
``false``) and nothing of the bordereau's own (period_start, exposure_years).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.spec.contract import LIMIT_USD_MAX, LIMIT_USD_MIN
from models.spec.fields import FIELDS

LIMIT_SHARE_OF_BUDGET = 0.10
LIMIT_ROUNDING_USD = 100_000
RETENTION_SHARE_OF_LIMIT = 0.01
RETENTION_ROUNDING_USD = 1_000
RETENTION_MIN_USD, RETENTION_MAX_USD = 1_000, 1_000_000


def book_limits(annual_revenue_usd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(limit_usd, retention_usd) of each city by the module's rules."""
    budget = np.asarray(annual_revenue_usd, dtype=np.float64)
    limit = np.round(budget * LIMIT_SHARE_OF_BUDGET / LIMIT_ROUNDING_USD) * LIMIT_ROUNDING_USD
    limit = np.clip(limit, LIMIT_USD_MIN, LIMIT_USD_MAX)
    retention = np.round(limit * RETENTION_SHARE_OF_LIMIT / RETENTION_ROUNDING_USD)
    retention = np.clip(retention * RETENTION_ROUNDING_USD, RETENTION_MIN_USD, RETENTION_MAX_USD)
    return limit, retention


def book_frame(policies: pd.DataFrame) -> pd.DataFrame:
    """The book of a portfolio's policies frame (as generated or as read from policies.csv)."""
    limit, retention = book_limits(policies["annual_revenue_usd"].to_numpy(dtype=np.float64))
    out = pd.DataFrame(
        {
            "policy_id": policies["policy_id"].astype(str).to_numpy(),
            "limit_usd": limit,
            "retention_usd": retention,
        }
    )
    for f in FIELDS:
        column = policies[f.name]
        if f.kind == "bool" and column.dtype == bool:
            column = column.map({True: "true", False: "false"})
        out[f.name] = column.fillna("").to_numpy() if f.kind == "list" else column.to_numpy()
    return out


def write_book(policies: pd.DataFrame, path: Path) -> Path:
    """Write the book of ``policies`` to ``path`` (CSV, "\\n" line ends: same seed, same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book_frame(policies).to_csv(path, index=False, lineterminator="\n")
    return path


def book_from_policies_file(policies_csv: Path, out: Path) -> Path:
    """The book of a policies.csv written by ``python -m training synth``."""
    return write_book(pd.read_csv(policies_csv, keep_default_na=False), out)
