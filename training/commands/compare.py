"""``python -m training compare``: a challenger bundle against the champion on one book.

Prints the side-by-side summary and the recommendation line (its last line)
on stdout and writes compare.html (double-lift and premium-change plots) and
compare.json into --out. The rule is training.evaluation.champion.RULE. Exit 0 whatever
the recommendation; exit 1 on unknown versions or invalid files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from models.pricing.rating_plan_reader import shipped_rating_plan
from models.versions.registry import Registry
from training.evaluation.champion import compare_files
from training.reports.compare_report import summary_text, write_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--challenger", required=True, help="bundle version to test")
    parser.add_argument("--champion", help="bundle version to beat (default: the active version)")
    parser.add_argument("--policies", required=True, help="policies bordereau (CSV or Parquet)")
    parser.add_argument("--claims", required=True, help="claims bordereau (CSV or Parquet)")
    parser.add_argument(
        "--models-dir", help="bundles directory (default: $POLISURE_MODELS_DIR or models/bundles)"
    )
    parser.add_argument(
        "--out", default="compare-report", help="report directory (default: compare-report)"
    )


def main(args: argparse.Namespace) -> int:
    result = compare_files(
        Registry(args.models_dir),
        (args.challenger, args.champion),
        args.policies,
        args.claims,
        shipped_rating_plan(),
        warn=lambda line: print(line, file=sys.stderr),
    )
    page, data = write_report(result, Path(args.out))
    print(f"[compare] report: {page}, {data}", file=sys.stderr)
    print(summary_text(result))
    return 0
