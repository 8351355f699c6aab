"""``python -m training score``: batch-score a policies file with a bundle version.

Output (CSV or Parquet by the extension of --out), one row per policy:

- ``policy_id``
- ``claim_rate_per_year``: expected claims per policy-year
- ``expected_claim_count``: claim_rate_per_year x exposure_years
- ``severity_mu``, ``severity_sigma``: lognormal of one ground-up loss (log USD)
- ``expected_loss_usd``: expected insured loss over the exposure period in the
  layer ``limit_usd`` xs ``retention_usd`` per claim (the file's optional
  columns; where absent or empty, the standard layer $1M xs $50k), i.e.
  expected_claim_count x (LEV(retention + limit) - LEV(retention)). The
  aggregate limit is not applied here (the quote API applies it).
- ``risk_score``: percentile (0-100) of the expected annual ground-up loss
  per USD of budget among the policies the bundle was trained on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from models.bundle import BundleError, ModelBundle
from models.lognormal import layer_expected_loss
from models.registry import Registry
from training.bordereau import read_policies
from training.errors import TrainingInputError
from training.evaluate import STANDARD_LIMIT_USD, STANDARD_RETENTION_USD


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", required=True, help="policies file (CSV or Parquet)")
    parser.add_argument("--out", required=True, help="output file: .csv or .parquet")
    parser.add_argument(
        "--models-dir", help="bundles directory (default: $POLISURE_MODELS_DIR or models/bundles)"
    )
    parser.add_argument("--version", help="bundle version (default: the active one)")


def layer_column(policies: pd.DataFrame, name: str, default: float) -> np.ndarray:
    if name not in policies:
        return np.full(len(policies), default)
    values = policies[name].to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isnan(values), default, values)


def score_policies(bundle: ModelBundle, policies: pd.DataFrame) -> pd.DataFrame:
    """The score table of a validated policies frame (see the module docstring)."""
    rate, mu, sigma = bundle.predict(policies)
    count = rate * policies["exposure_years"].to_numpy(dtype=np.float64)
    retention = layer_column(policies, "retention_usd", STANDARD_RETENTION_USD)
    limit = layer_column(policies, "limit_usd", STANDARD_LIMIT_USD)
    per_claim = layer_expected_loss(retention, limit, mu, sigma)
    return pd.DataFrame(
        {
            # the column as it is: no 1M Python strings from an Arrow-backed column
            "policy_id": policies["policy_id"].reset_index(drop=True),
            "claim_rate_per_year": rate,
            "expected_claim_count": count,
            "severity_mu": mu,
            "severity_sigma": np.full(len(rate), sigma),
            "expected_loss_usd": count * per_claim,
            "risk_score": bundle.risk_score(
                bundle.expected_annual_loss(rate, mu),
                policies["annual_revenue_usd"].to_numpy(dtype=np.float64),
            ),
        }
    )


def write_scores(scores: pd.DataFrame, out: Path) -> None:
    """CSV or Parquet by extension, written to a temporary name then renamed."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise TrainingInputError(f"--out {out}: name the output .csv or .parquet")
    tmp = out.with_name(f".{out.name}.tmp")
    table = pa.Table.from_pandas(scores, preserve_index=False)
    try:
        if suffix == ".csv":
            pa_csv.write_csv(table, tmp)
        else:
            scores.to_parquet(tmp, index=False)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def main(args: argparse.Namespace) -> int:
    try:
        bundle = Registry(args.models_dir).load(args.version)
    except BundleError as exc:
        raise TrainingInputError(str(exc)) from exc
    policies = read_policies(args.policies)
    scores = score_policies(bundle, policies)
    write_scores(scores, Path(args.out))
    print(
        f"[score] {len(scores)} policies scored with {bundle.version} -> {args.out}",
        file=sys.stderr,
    )
    return 0
