"""``python -m training validate --policies P --claims C``: list every defect, exit 1 on any.

A clean pair prints one summary line (policies, exposure-years, claims, total
loss) and exits 0. Warnings (extra columns ignored) go to stderr and do not
change the exit status. Each (file, column, rule) prints at most
``--max-lines`` defects followed by the exact count of the rest.
"""

from __future__ import annotations

import argparse
import sys

from models.tables.defects import ValidationReport
from training.bordereau.reader import validate_bordereaux


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", required=True, help="policies file (.csv or .parquet)")
    parser.add_argument(
        "--claims",
        help="claims file (.csv or .parquet); omit to check a policies file alone",
    )
    parser.add_argument(
        "--max-lines",
        type=int,
        default=10,
        metavar="N",
        help="defect lines printed per file, column and rule (default: 10)",
    )


def main(args: argparse.Namespace) -> int:
    report = ValidationReport(max_examples=max(int(args.max_lines), 0))
    validate_bordereaux(args.policies, args.claims, report)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    report.warnings = []  # already printed
    print(report.format())
    return 0 if report.ok else 1
