"""Holdout quality across synthetic portfolios: XGBoost at each frequency depth vs the GLM.

    python benchmarks/bench_quality.py [--seeds 7,11,13,2026] [--depths 3,4] [--data-root DIR]

One seed's 212-claim holdout cannot tell two models apart; several seeded
portfolios of 100,000 policies (written with ``python -m training synth``
into DIR/seed-S unless there) can. For each portfolio the pipeline's split
(seed 2026), its GLM baseline and, for each frequency tree depth, its
XGBoost models are fitted and balanced alike, and the holdout is scored against the truth file:

- captured: share of explainable frequency deviance (D_null - D) / (D_null - D_truth);
- expected captured: the same share in expectation over the holdout's counts,
  (X_null - X) / X_null with X the expected deviance above the truth's
  (training.evaluation.metrics.expected_excess_deviance): free of the Poisson noise that
  moves the observed-count deviance of a 200-claim holdout;
- deviance: holdout Poisson deviance (lower is better);
- truth A/E: true / predicted expected claims, overall and worst decile of
  the model's predicted rate (free of the holdout's Poisson noise);
- truth's own A/E: the true rates scored against the actual claims by their
  own deciles (the Poisson noise floor of the A/E-by-decile check);
- rate error: mean |error| per policy of the claim rate;
- layer error: mean |error| per policy of the standard layer's pure premium.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

from models.scoring.batch import STANDARD_LIMIT_USD, STANDARD_RETENTION_USD  # noqa: E402
from models.scoring.booster_params import BoosterParams  # noqa: E402
from training.bordereau.reader import load_bordereaux  # noqa: E402
from training.commands.train import DEFAULT_SEED  # noqa: E402
from training.evaluation import metrics  # noqa: E402
from training.evaluation.holdout import layer_pure_premium  # noqa: E402
from training.fitting.baseline import fit_baseline  # noqa: E402
from training.fitting.boosters import ModelData, PolicySplit, fit_models, model_data, split_policies  # noqa: E402
from training.world.truth import load_truth, truth_layer_expected_loss  # noqa: E402


def _portfolio(directory: Path, policies: int, seed: int) -> None:
    if (directory / "truth.csv").is_file():
        return
    cmd = [sys.executable, "-m", "training", "synth", "--policies", str(policies),
           "--seed", str(seed), "--out", str(directory)]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)


def _decile_ae(
    rate: np.ndarray, exposure: np.ndarray, observed: np.ndarray, expected: np.ndarray
) -> np.ndarray:
    """Observed / expected in each decile of ``rate`` (equal exposure)."""
    groups = metrics.exposure_groups(rate, exposure)
    sums = [(observed[groups == g].sum(), expected[groups == g].sum()) for g in range(10)]
    return np.array([o / e for o, e in sums])


def _measure(h: dict, rate: np.ndarray, mu: np.ndarray, sigma: float) -> dict[str, float]:
    expected = rate * h["exposure"]
    deviance = metrics.poisson_deviance(h["claims"], expected)
    truth_deciles = _decile_ae(rate, h["exposure"], h["true_count"], expected)
    layer = layer_pure_premium(rate, mu, sigma)
    return {
        "captured": (h["d_null"] - deviance) / (h["d_null"] - h["d_truth"]),
        "expected_captured": 1.0
        - metrics.expected_excess_deviance(h["true_count"], expected) / h["x_null"],
        "deviance": deviance,
        "truth_ae": h["true_count"].sum() / expected.sum(),
        "truth_decile": float(np.max(np.abs(truth_deciles - 1.0))),
        "rate_error": float(np.mean(np.abs(expected / h["true_count"] - 1.0))),
        "layer_error": float(np.mean(np.abs(layer / h["true_layer"] - 1.0))),
    }


def _holdout(directory: Path) -> tuple[dict, ModelData, PolicySplit]:
    """The holdout's arrays and truth measures, with the data and split they come from."""
    b = load_bordereaux(directory / "policies.csv", directory / "claims.csv")
    data = model_data(b.policies, b.claims)
    split = split_policies(len(b.policies), DEFAULT_SEED)
    truth = load_truth(directory / "truth.csv")
    rows = pd.Index(truth["policy_id"]).get_indexer(b.policies["policy_id"].iloc[split.holdout])
    t = truth.iloc[rows].reset_index(drop=True)
    exposure = data.exposure_years[split.holdout]
    claims = data.claim_counts[split.holdout]
    true_rate = t["claim_rate_per_year"].to_numpy()
    null_rate = data.claim_counts[split.train].sum() / data.exposure_years[split.train].sum()
    per_claim = truth_layer_expected_loss(t, STANDARD_RETENTION_USD, STANDARD_LIMIT_USD)
    h = {
        "x": data.features[split.holdout],
        "exposure": exposure,
        "claims": claims,
        "true_count": true_rate * exposure,
        "d_null": metrics.poisson_deviance(claims, null_rate * exposure),
        "d_truth": metrics.poisson_deviance(claims, true_rate * exposure),
        "x_null": metrics.expected_excess_deviance(true_rate * exposure, null_rate * exposure),
        "true_layer": true_rate * per_claim,
        "truth_own_decile": float(
            np.max(np.abs(_decile_ae(true_rate, exposure, claims, true_rate * exposure) - 1.0))
        ),
    }
    return h, data, split


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="7,11,13,2026", help="portfolio seeds")
    parser.add_argument("--depths", default="3,4", help="frequency tree depths to compare")
    parser.add_argument("--policies", type=int, default=100_000)
    parser.add_argument("--data-root", type=Path, help="keeps the portfolios between runs")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    depths = [int(d) for d in args.depths.split(",")]
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.data_root or Path(tmp)
        for seed in seeds:
            directory = root / f"seed-{seed}"
            _portfolio(directory, args.policies, seed)
            h, data, split = _holdout(directory)
            claims = data.claims_of(split.train)
            glm = fit_baseline(
                (data.features[split.train], data.claim_counts[split.train],
                 data.exposure_years[split.train]),
                (data.features[data.claim_owner[claims]], data.loss_usd[claims]),
            )  # fmt: skip
            x = h["x"]
            rows = {"GLM": _measure(h, glm.claim_rate_per_year(x), glm.severity_mu(x), glm.sigma)}
            for depth in depths:
                params = dataclasses.replace(BoosterParams(), max_depth=depth)
                fitted = fit_models(data, split, params, DEFAULT_SEED)
                rate = fitted.frequency.claim_rate_per_year(x)
                mu, sigma = fitted.severity.mu(x), fitted.severity.sigma
                rows[f"XGBoost depth {depth}"] = _measure(h, rate, mu, sigma)
            print(f"\nportfolio seed {seed}: {h['claims'].sum():.0f} holdout claims; the truth's "
                  f"own worst decile A/E is {h['truth_own_decile']:.3f} from 1")  # fmt: skip
            print(f"  {'model':18s} captured  expected captured  deviance  truth A/E  worst decile"
                  "  rate error  layer error")  # fmt: skip
            for name, m in rows.items():
                results.setdefault(name, []).append(m)
                print(f"  {name:18s} {m['captured']:8.3f}  {m['expected_captured']:17.3f}"
                      f"  {m['deviance']:.5f}  {m['truth_ae']:9.3f}"
                      f"  {m['truth_decile']:12.3f}  {m['rate_error']:10.3f}"
                      f"  {m['layer_error']:11.3f}")  # fmt: skip
    print(f"\nmean over {len(seeds)} portfolios")
    for name, ms in results.items():
        mean = {k: np.mean([m[k] for m in ms]) for k in ms[0]}
        print(f"  {name:18s} captured {mean['captured']:.3f}, expected captured "
              f"{mean['expected_captured']:.3f}, worst truth decile "
              f"{mean['truth_decile']:.3f}, rate error {mean['rate_error']:.3f}, layer error "
              f"{mean['layer_error']:.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
