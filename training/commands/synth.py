"""``python -m training synth``: write a seeded synthetic smart-city portfolio.

Writes DIR/policies.csv and DIR/claims.csv (CONTRACT §2) and DIR/truth.csv,
the ground truth that training never reads (training/world/truth.py). The same
``--policies`` and ``--seed`` always give byte-identical files. The world
model is described in docs/synthetic-portfolio.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from models.spec.fields import FIELDS
from training.errors import TrainingInputError
from training.world.portfolio import Portfolio, generate_portfolio

MAX_POLICIES = 10_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", type=int, required=True, help="number of policies")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")


def _csv_policies(policies: pd.DataFrame) -> pd.DataFrame:
    """Booleans as ``true``/``false`` (CONTRACT §1); everything else as generated."""
    out = policies.copy()
    for f in FIELDS:
        if f.kind == "bool":
            out[f.name] = out[f.name].map({True: "true", False: "false"})
    return out


def write_portfolio(portfolio: Portfolio, out_dir: Path) -> dict[str, Path]:
    """Write the three CSV files into ``out_dir`` (created if needed); return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.csv" for name in ("policies", "claims", "truth")}
    # "\n" line ends on every platform: the same seed gives the same bytes.
    _csv_policies(portfolio.policies).to_csv(paths["policies"], index=False, lineterminator="\n")
    portfolio.claims.to_csv(paths["claims"], index=False, lineterminator="\n")
    portfolio.truth.to_csv(paths["truth"], index=False, lineterminator="\n")
    return paths


def main(args: argparse.Namespace) -> int:
    if not 1 <= args.policies <= MAX_POLICIES:
        raise TrainingInputError(f"--policies must be between 1 and {MAX_POLICIES:,}")
    if args.seed < 0:
        raise TrainingInputError("--seed must be >= 0")
    if args.out.exists() and not args.out.is_dir():
        raise TrainingInputError(f"--out {args.out} exists and is not a directory")
    started = time.perf_counter()
    portfolio = generate_portfolio(args.policies, args.seed)
    paths = write_portfolio(portfolio, args.out)
    years = float(portfolio.policies["exposure_years"].sum())
    print(
        f"wrote {args.policies:,} policies ({years:,.1f} exposure-years), "
        f"{len(portfolio.claims):,} claims (USD {portfolio.claims['loss_usd'].sum():,.0f}) "
        f"and the truth to {args.out} in {time.perf_counter() - started:.1f} s"
    )
    for path in paths.values():
        print(path)
    return 0
