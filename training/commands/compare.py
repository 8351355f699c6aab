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
from models.scoring.bundle import BundleError, ModelBundle
from models.scoring.registry import Registry
from training.bordereau.reader import load_bordereaux
from training.errors import TrainingInputError
from training.evaluation.champion import book_from_bordereaux, compare_bundles
from training.pipeline import file_sha256
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


def load_version(registry: Registry, version: str | None, role: str) -> ModelBundle:
    """The bundle ``version`` (None: the active one); a clear error names what exists."""
    known = registry.versions()
    name = version or registry.active_version()
    if name is None:
        raise TrainingInputError(f"--{role}: no active version in {registry.root}; name one")
    if name not in known:
        listed = ", ".join(known) if known else "none"
        raise TrainingInputError(
            f"--{role} {name}: no such bundle version in {registry.root} (versions: {listed})"
        )
    try:
        return registry.load(name)
    except BundleError as exc:
        raise TrainingInputError(f"--{role}: {exc}") from exc


def _in_sample_warnings(bundles: dict[str, ModelBundle], policies_sha256: str) -> list[str]:
    return [
        f"warning: the policies file is the {role}'s training data; the comparison is "
        f"in-sample and favours the {role}"
        for role, bundle in bundles.items()
        if bundle.metadata.get("data", {}).get("policies_sha256") == policies_sha256
    ]


def main(args: argparse.Namespace) -> int:
    registry = Registry(args.models_dir)
    challenger = load_version(registry, args.challenger, "challenger")
    champion = load_version(registry, args.champion, "champion")
    if challenger.version == champion.version:
        raise TrainingInputError(f"challenger and champion are the same version {champion.version}")
    bordereaux = load_bordereaux(args.policies, args.claims)
    book = book_from_bordereaux(bordereaux.policies, bordereaux.claims)
    for line in _in_sample_warnings(
        {"challenger": challenger, "champion": champion}, file_sha256(args.policies)
    ):
        print(line, file=sys.stderr)
    if book.holdout.claim_counts.sum() <= 0:
        raise TrainingInputError(f"{args.claims}: no claims on these policies; nothing to compare")
    result = compare_bundles(challenger, champion, book, shipped_rating_plan())
    page, data = write_report(result, Path(args.out))
    print(f"[compare] report: {page}, {data}", file=sys.stderr)
    print(summary_text(result))
    return 0
