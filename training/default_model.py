"""``make model``: rebuild the shipped default bundle from the seeded synthetic portfolio.

Synthesises 100,000 policies with seed 2026 (``python -m training synth``'s
generator) into a temporary directory, trains with seed 2026 and the default
hyperparameters, evaluates against the synthetic truth, and writes and
promotes the bundle in models/bundles (or --models-dir).

Reproducible: the creation time is fixed and the active bundle is not
compared, so with the pinned libraries the same code gives the same
boosters, metadata and version name; running it again then changes nothing. A code change that changes the model gives a new
version beside the old one (bundles are immutable); delete the old directory
in the same commit if it should no longer ship.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from models.scoring.booster_params import BoosterParams
from models.versions.registry import DEFAULT_MODELS_DIR, Registry
from training.pipeline import train_bundle
from training.world.portfolio import generate_portfolio, write_portfolio

DEFAULT_POLICIES = 100_000
DEFAULT_SEED = 2026
#: Fixed creation time of the default bundle (its version name starts with it).
CREATED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def build_default_model(models_dir: Path, policies: int, seed: int) -> str:
    """Synthesise, train, write and promote; return the version."""

    def progress(message: str) -> None:
        print(f"[model] {message}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        progress(f"synth: {policies} policies, seed {seed}")
        paths = write_portfolio(generate_portfolio(policies, seed), Path(tmp))
        return train_bundle(
            paths["policies"],
            paths["claims"],
            Registry(models_dir),
            seed=seed,
            params=BoosterParams(),
            truth_path=paths["truth"],
            promote=True,
            created_at=CREATED_AT,
            progress=progress,
            # the bundle must not depend on which version happens to be active
            compare_active=False,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.default_model", description=__doc__)
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--policies", type=int, default=DEFAULT_POLICIES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    print(build_default_model(args.models_dir, args.policies, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
