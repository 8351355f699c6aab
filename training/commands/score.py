"""``python -m training score``: batch-score a policies file with a bundle version.

Output (CSV or Parquet by the extension of --out): one row per policy, the
score table of models.scoring.batch (claim rate, expected claim count,
expected annual ground-up loss, expected loss in the file's layer or the
standard $1M xs $50k, risk score, and each of them by claim cause).
With ``--dask ADDRESS`` the workers read, check and score the file's
partitions (training/distributed/scoring.py); the output is the same file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from models.scoring.batch import score_policies
from models.versions.bundle import BundleError
from models.versions.registry import Registry
from training.bordereau.reader import read_policies
from training.bordereau.scores import write_scores
from training.distributed.arguments import add_dask_argument
from training.errors import TrainingInputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", required=True, help="policies file (CSV or Parquet)")
    parser.add_argument("--out", required=True, help="output file: .csv or .parquet")
    parser.add_argument(
        "--models-dir", help="bundles directory (default: $POLISURE_MODELS_DIR or models/bundles)"
    )
    parser.add_argument("--version", help="bundle version (default: the active one)")
    add_dask_argument(parser)


def main(args: argparse.Namespace) -> int:
    if args.dask:
        # imported here: a run without --dask never loads dask
        from training.distributed.scoring import score_on_cluster

        rows, version = score_on_cluster(
            args.dask, args.policies, Path(args.out), args.models_dir, args.version
        )
        print(
            f"[score] {rows} policies scored with {version} on {args.dask} -> {args.out}",
            file=sys.stderr,
        )
        return 0
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
