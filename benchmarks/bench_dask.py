"""``--dask local:2`` against one process: score rows/s, train and accumulate times, on one machine.

    python -m benchmarks.bench_dask [--rows 10000000] [--train-policies 100000]
                                    [--cities 2000] [--years 50000] [--train-seeds 11]

Builds a policies CSV of ``--rows`` rows by repeating the seeded synthetic
portfolio (100,000 policies, seed 2026; fresh policy ids) and a book file of
``--cities`` cities of the synthetic world (seed 7), and uses the active
bundle of models/bundles. Then runs each command end to end, as a user
would (interpreter start, reading, checking, scoring, writing):

- ``score --policies F.csv --out S.csv`` and the same with ``--dask local:2``
  (the local cluster's start and stop included): rows/s both ways and the
  ratio dask / one process (target >= 0.7 on a 2-core machine: the two
  workers share the cores the single process's XGBoost threads use, so the
  ratio measures the cluster's overhead, not a speed-up);
- ``train`` on a ``synth`` portfolio of ``--train-policies`` policies (seed 7)
  and the same with ``--dask local:2``, once a ``--train-seeds`` seed: seconds
  both ways, and the two bundles' expected annual loss on the portfolio
  compared as the README's tolerance does (Spearman rank correlation, ratio
  of totals), beside one process with the next seed (another split: the
  spread the data alone gives);
- ``accumulate --book B --years N`` and the same with ``--dask local:2``:
  seconds both ways.

On N machines each worker scores its partitions alone (no shuffle, one
bundle load per worker), so score throughput grows about N-fold until the
shared filesystem or the client's final join of the part files (a copy at
disk speed) bounds it; accumulate's blocks are independent too, and only
the in-order fold and the client's setup (the years' occurrences, one batch
prediction of the book) do not spread. Training spreads only its XGBoost
fits, and each boosting round ends in an allreduce of the histograms
(features x bins x nodes, independent of the rows), so its speed-up on N
machines grows with the rows per worker: nothing at 100,000 policies, where a
round's arithmetic is milliseconds, more at tens of millions; the client's
reading, starts, tails, GLM and evaluation stay on one machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _timed_cli(*args: str) -> float:
    """Seconds of ``python -m training ARGS`` end to end."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "training", *args], cwd=ROOT, check=True,
                   capture_output=True, text=True)  # fmt: skip
    return time.perf_counter() - start


def _policies_csv(rows: int, directory: Path) -> Path:
    from training.world.portfolio import generate_portfolio

    base = generate_portfolio(100_000, 2026).policies
    reps = -(-rows // len(base))
    frame = pd.concat([base] * reps, ignore_index=True).iloc[:rows].copy()
    frame["policy_id"] = [f"D{i:09d}" for i in range(len(frame))]
    path = directory / "policies.csv"
    frame.to_csv(path, index=False)
    return path


def _train_both(policies: int, folder: Path, seeds: list[int]) -> list[str]:
    """One line a seed: train seconds both ways, the two bundles' agreement, the next seed's."""
    from scipy.stats import spearmanr

    from models.scoring.batch import score_policies
    from models.versions.registry import Registry
    from training.bordereau.reader import read_policies

    world = folder / "world"
    subprocess.run([sys.executable, "-m", "training", "synth", "--policies", str(policies),
                    "--seed", "7", "--out", str(world)], cwd=ROOT, check=True,
                   capture_output=True)  # fmt: skip
    data = ["--policies", str(world / "policies.csv"), "--claims", str(world / "claims.csv")]
    frame = read_policies(world / "policies.csv")

    def expected_loss(name: str, seed: int, *cluster: str) -> tuple[float, pd.Series]:
        seconds = _timed_cli("train", *data, "--models-dir", str(folder / name),
                             "--seed", str(seed), *cluster)  # fmt: skip
        registry = Registry(folder / name)
        bundle = registry.load(registry.versions()[-1])
        return seconds, score_policies(bundle, frame)["expected_annual_ground_up_loss_usd"]

    lines = []
    for seed in seeds:
        one_s, one = expected_loss(f"one-{seed}", seed)
        spread_s, spread = expected_loss(f"dask-{seed}", seed, "--dask", "local:2")
        _, other = expected_loss(f"next-{seed}", seed + 1)
        lines.append(
            f"train {policies:,} policies, seed {seed}: one process {one_s:.1f} s, local:2 "
            f"{spread_s:.1f} s; cluster vs one process: expected loss rank correlation "
            f"{spearmanr(one, spread).statistic:.4f}, total ratio {spread.sum() / one.sum():.4f} "
            f"(tolerance 0.99, within 0.02); seed {seed + 1} (another split) vs {seed}: rank "
            f"{spearmanr(one, other).statistic:.4f}, total {other.sum() / one.sum():.4f}"
        )
    return lines


def _book_csv(cities: int, directory: Path) -> Path:
    from training.world.book import book_frame
    from training.world.portfolio import generate_portfolio

    path = directory / "book.csv"
    book_frame(generate_portfolio(cities, 7).policies).to_csv(path, index=False)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--train-policies", type=int, default=100_000)
    parser.add_argument("--cities", type=int, default=2_000)
    parser.add_argument("--years", type=int, default=50_000)
    parser.add_argument("--train-seeds", default="11", help="split/booster seeds of the train run")
    args = parser.parse_args()
    seeds = [int(s) for s in args.train_seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        policies = _policies_csv(args.rows, folder)
        size_mib = policies.stat().st_size / 2**20
        one = _timed_cli("score", "--policies", str(policies), "--out", str(folder / "one.csv"))
        spread = _timed_cli("score", "--policies", str(policies), "--out",
                            str(folder / "dask.csv"), "--dask", "local:2")  # fmt: skip
        same = (folder / "one.csv").read_bytes() == (folder / "dask.csv").read_bytes()
        print(f"score {args.rows:,} rows ({size_mib:,.0f} MiB CSV): one process {one:.1f} s "
              f"({args.rows / one:,.0f} rows/s), local:2 {spread:.1f} s "
              f"({args.rows / spread:,.0f} rows/s), ratio {one / spread:.2f} (target >= 0.7); "
              f"files identical: {same}")  # fmt: skip
        for line in _train_both(args.train_policies, folder, seeds):
            print(line, flush=True)
        book = _book_csv(args.cities, folder)
        run = ["accumulate", "--book", str(book), "--years", str(args.years)]
        one = _timed_cli(*run, "--out", str(folder / "acc-one"))
        spread = _timed_cli(*run, "--out", str(folder / "acc-dask"), "--dask", "local:2")
        same = all(
            (folder / "acc-one" / name).read_bytes() == (folder / "acc-dask" / name).read_bytes()
            for name in ("summary.json", "ept.csv", "ylt.csv")
        )
        print(f"accumulate {args.cities:,} cities x {args.years:,} years: one process "
              f"{one:.1f} s, local:2 {spread:.1f} s; files identical: {same}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
