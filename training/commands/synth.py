"""``python -m training synth``: write a seeded synthetic smart-city portfolio.

Writes DIR/policies.csv and DIR/claims.csv (CONTRACT §2), DIR/truth.csv,
the ground truth that training never reads (training/world/truth.py), and
DIR/book.csv, the same cities as an insurer's book in the CONTRACT §7 book
file format (limits and retentions by the rules of training/world/book.py),
for ``python -m training accumulate``. The same
``--policies`` and ``--seed`` always give byte-identical files. The world
model is described in docs/synthetic-portfolio.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from training.errors import TrainingInputError
from training.world.book import write_book
from training.world.portfolio import generate_portfolio, write_portfolio

MAX_POLICIES = 10_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", type=int, required=True, help="number of policies")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")


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
    paths["book"] = write_book(portfolio.policies, args.out / "book.csv")
    years = float(portfolio.policies["exposure_years"].sum())
    print(
        f"wrote {args.policies:,} policies ({years:,.1f} exposure-years), "
        f"{len(portfolio.claims):,} claims (USD {portfolio.claims['loss_usd'].sum():,.0f}) "
        f"and the truth to {args.out} in {time.perf_counter() - started:.1f} s"
    )
    for path in paths.values():
        print(path)
    return 0
