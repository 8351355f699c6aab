"""Batch scoring: a validated policies frame and a bundle give one score row per policy.

Pure model code (no files, no command line), so that it runs the same in
``python -m training score`` and on a worker that scores one chunk of a book.
The score table, one row per policy:

- ``policy_id``
- ``claim_rate_per_year``: expected claims per policy-year
- ``expected_claim_count``: claim_rate_per_year x exposure_years
- ``severity_mu``, ``severity_sigma``: lognormal of one ground-up loss (log USD)
- ``expected_loss_usd``: expected insured loss over the exposure period in the
  layer ``limit_usd`` xs ``retention_usd`` per claim (the frame's optional
  columns; where absent or empty, the standard layer $1M xs $50k), i.e.
  expected_claim_count x (LEV(retention + limit) - LEV(retention)). The
  aggregate limit is not applied here (the quote API applies it).
- ``risk_score``: percentile (0-100) of the expected annual ground-up loss
  per USD of budget among the policies the bundle was trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from models.pricing.lognormal import layer_expected_loss
from models.versions.bundle import ModelBundle

#: The layer a policy without limit_usd / retention_usd is scored in (USD).
STANDARD_LIMIT_USD = 1_000_000.0
STANDARD_RETENTION_USD = 50_000.0
#: From this many policies the arithmetic after the boosters runs on two threads.
_THREADED_ROWS = 100_000


def layer_column(policies: pd.DataFrame, name: str, default: float) -> np.ndarray | float:
    """A layer column of the frame, empty cells filled; the default alone when it has none."""
    if name not in policies:
        return default
    values = policies[name].to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isnan(values), default, values)


def by_halves(n: int, work: Callable[[slice], None]) -> None:
    """Run ``work`` on rows ``0:n``; a large batch in halves on two threads.

    For the arithmetic after the boosters: the lognormal's ufuncs and
    ``np.interp`` release the GIL, so two threads halve it (1M rows: layer
    0.07 -> 0.04 s, risk score 0.065 -> 0.035 s).
    """
    if n < _THREADED_ROWS:
        work(slice(0, n))
        return
    middle = n // 2
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(work, (slice(0, middle), slice(middle, n))))


def layer_per_claim(policies: pd.DataFrame, mu: np.ndarray, sigma: float) -> np.ndarray:
    """Expected insured loss of one claim in each policy's layer (USD)."""
    retention = layer_column(policies, "retention_usd", STANDARD_RETENTION_USD)
    limit = layer_column(policies, "limit_usd", STANDARD_LIMIT_USD)
    out = np.empty(len(mu))

    def part(rows: slice) -> None:
        d = retention[rows] if isinstance(retention, np.ndarray) else retention
        cap = limit[rows] if isinstance(limit, np.ndarray) else limit
        out[rows] = layer_expected_loss(d, cap, mu[rows], sigma)

    by_halves(len(mu), part)
    return out


def score_policies(bundle: ModelBundle, policies: pd.DataFrame) -> pd.DataFrame:
    """The score table of a validated policies frame (see the module docstring)."""
    rate, mu, sigma = bundle.predict(policies)
    count = rate * policies["exposure_years"].to_numpy(dtype=np.float64)
    per_claim = layer_per_claim(policies, mu, sigma)
    revenue = policies["annual_revenue_usd"].to_numpy(dtype=np.float64)
    risk = np.empty(len(rate))

    def risk_part(rows: slice) -> None:
        annual = bundle.expected_annual_loss(rate[rows], mu[rows])
        risk[rows] = bundle.risk_score(annual, revenue[rows])

    by_halves(len(rate), risk_part)
    return pd.DataFrame(
        {
            # the column as it is: no 1M Python strings from an Arrow-backed column
            "policy_id": policies["policy_id"].reset_index(drop=True),
            "claim_rate_per_year": rate,
            "expected_claim_count": count,
            "severity_mu": mu,
            "severity_sigma": np.full(len(rate), sigma),
            "expected_loss_usd": count * per_claim,
            "risk_score": risk,
        }
    )
