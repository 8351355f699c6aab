"""``python -m training train``: fit, evaluate and write a new model bundle version.

Progress of each stage goes to stderr; the new version's name is the last
line of stdout. A file that fails validation writes nothing and exits 1 with
the validation report (training.cli prints it). With ``--dask ADDRESS`` the
XGBoost boosters are fitted on the cluster (training/distributed/boosters.py).
"""

from __future__ import annotations

import argparse
import os
import sys

from models.scoring.booster_params import BoosterParams
from training.distributed.arguments import add_dask_argument, booster_fits
from training.errors import TrainingInputError
from training.reports.plot_worker import PlotWorker

DEFAULT_SEED = 2026


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = BoosterParams()
    parser.add_argument("--policies", required=True, help="policies bordereau (CSV or Parquet)")
    parser.add_argument("--claims", required=True, help="claims bordereau (CSV or Parquet)")
    parser.add_argument(
        "--models-dir", help="bundles directory (default: $POLISURE_MODELS_DIR or models/bundles)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed of the split and the boosters (default {DEFAULT_SEED})",
    )
    parser.add_argument("--promote", action="store_true", help="make the new version active")
    parser.add_argument("--truth", help="truth.csv of a synthetic portfolio: adds truth metrics")
    parser.add_argument(
        "--nthread",
        type=int,
        default=defaults.nthread,
        help=f"XGBoost threads (default {defaults.nthread})",
    )
    parser.add_argument(
        "--max-rounds",
        type=int,
        default=defaults.max_rounds,
        help=f"most boosting rounds per model (default {defaults.max_rounds}; "
        "early stopping usually ends sooner)",
    )
    add_dask_argument(parser)


#: numpy and XGBoost both take a seed in this range.
MAX_SEED = 2**32 - 1


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse, before a minute of fitting, what would fail only when the bundle is written."""
    from models.versions.registry import Registry
    from training.world.truth import load_truth

    if not 0 <= args.seed <= MAX_SEED:
        raise TrainingInputError(f"--seed must be an integer from 0 to {MAX_SEED}, not {args.seed}")
    root = Registry(args.models_dir).root
    # Nothing is created yet (a run refused later must leave no folder): the
    # nearest existing folder on the way must be a directory we can write.
    existing = next(p for p in (root, *root.parents) if p.exists())
    if not existing.is_dir():
        raise TrainingInputError(f"--models-dir {root}: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise TrainingInputError(f"--models-dir {root}: {existing} is not writable")
    if args.truth:
        load_truth(args.truth)  # its defects now, not after the fit


def main(args: argparse.Namespace) -> int:
    if args.nthread < 1 or args.max_rounds < 1:
        print("error: --nthread and --max-rounds must be >= 1", file=sys.stderr)
        return 2
    check_arguments(args)
    params = BoosterParams(nthread=args.nthread, max_rounds=args.max_rounds)
    with PlotWorker() as plots, booster_fits(args.dask) as boosters:
        # imported after the worker has started: it imports matplotlib on the other
        # core while this process imports XGBoost, scikit-learn and pandas (~1.5 s)
        from models.versions.registry import Registry
        from training.pipeline import train_bundle

        version = train_bundle(
            args.policies,
            args.claims,
            Registry(args.models_dir),
            seed=args.seed,
            params=params,
            truth_path=args.truth,
            promote=args.promote,
            progress=lambda message: print(f"[train] {message}", file=sys.stderr, flush=True),
            draw_plots=plots.draw,
            boosters=boosters,
        )
    print(version)
    return 0
