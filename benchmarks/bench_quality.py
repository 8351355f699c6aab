"""Holdout quality across synthetic portfolios: the per-cause XGBoost model vs the per-cause GLM.

    python benchmarks/bench_quality.py [--seeds 7,11,13,2026] [--policies 100000] [--data-root DIR]

One seed's holdout cannot tell two models apart; several seeded portfolios
(written with ``python -m training synth`` into DIR/seed-S unless there) can.
For each portfolio the pipeline's split (seed 2026), its per-cause GLM
baseline and its XGBoost loss model are fitted and balanced alike
(training/fitting), and the holdout policies are scored against the truth
file (per-cause rates and lognormals), free of the holdout's Poisson noise:

- cause deviance: sum over causes of the expected Poisson deviance above the
  truth's, x 1e4 per policy (training.evaluation.metrics.expected_excess_deviance
  with the truth's per-cause expected counts); total deviance: the same for
  the total claim count;
- layer error: mean |predicted / true - 1| per policy of the standard
  layer's annual pure premium ($1M xs $50k per claim);
- excess total: predicted / true total of the $4M xs $1M layer;
- pure premium: median |log(predicted / true)| of the expected annual
  ground-up loss; cause mix: median total-variation distance between the
  predicted and the true shares of expected ground-up loss by cause;
- ground-up total: predicted / true total expected annual ground-up loss
  (the holdout's ten largest cities carry about 40% of it); rank: Spearman's
  correlation of the predicted and the true expected ground-up loss.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]

from models.pricing.cause_losses import CauseLosses  # noqa: E402
from models.pricing.lognormal import lognormal_lev, lognormal_mean  # noqa: E402
from models.scoring.batch import STANDARD_LIMIT_USD, STANDARD_RETENTION_USD  # noqa: E402
from models.scoring.booster_params import BoosterParams  # noqa: E402
from models.spec.contract import CLAIM_CAUSES  # noqa: E402
from training.bordereau.reader import load_bordereaux  # noqa: E402
from training.commands.train import DEFAULT_SEED  # noqa: E402
from training.evaluation.metrics import expected_excess_deviance  # noqa: E402
from training.fitting.baseline import fit_baseline  # noqa: E402
from training.fitting.boosters import (  # noqa: E402
    claims_part,
    fit_models,
    model_data,
    policy_part,
    split_policies,
)
from training.world.truth import load_truth  # noqa: E402

EXCESS_LAYER = (1_000_000.0, 4_000_000.0)  # retention, limit per claim (USD)


def _portfolio(directory: Path, policies: int, seed: int) -> None:
    if (directory / "truth.csv").is_file():
        return
    cmd = [sys.executable, "-m", "training", "synth", "--policies", str(policies),
           "--seed", str(seed), "--out", str(directory)]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)


class Truth:
    """The holdout's true per-cause rates and lognormals, (policies, K)."""

    def __init__(self, truth: pd.DataFrame, exposure: np.ndarray) -> None:
        self.rate = truth[[f"rate_{c}" for c in CLAIM_CAUSES]].to_numpy()
        self.mu = truth[[f"sev_mu_{c}" for c in CLAIM_CAUSES]].to_numpy()
        self.sigma = truth[[f"sev_sigma_{c}" for c in CLAIM_CAUSES]].to_numpy()
        self.exposure = exposure

    def layer(self, retention: float, limit: float) -> np.ndarray:
        top = lognormal_lev(retention + limit, self.mu, self.sigma)
        per_claim = top - lognormal_lev(retention, self.mu, self.sigma)
        return (self.rate * per_claim).sum(axis=1)

    def annual_by_cause(self) -> np.ndarray:
        return self.rate * lognormal_mean(self.mu, self.sigma)


def measure(t: Truth, losses: CauseLosses) -> dict[str, float]:
    e = t.exposure[:, None]
    cause_deviance = sum(
        expected_excess_deviance(t.rate[:, k] * e[:, 0], losses.rate[:, k] * e[:, 0])
        for k in range(len(CLAIM_CAUSES))
    )
    total_deviance = expected_excess_deviance(
        t.rate.sum(axis=1) * e[:, 0], losses.claim_rate_per_year * e[:, 0]
    )
    standard = losses.annual_layer_loss(STANDARD_RETENTION_USD, STANDARD_LIMIT_USD)
    true_standard = t.layer(STANDARD_RETENTION_USD, STANDARD_LIMIT_USD)
    excess, true_excess = losses.annual_layer_loss(*EXCESS_LAYER), t.layer(*EXCESS_LAYER)
    annual, true_annual = losses.annual_ground_up_loss_by_cause(), t.annual_by_cause()
    shares = annual / annual.sum(axis=1, keepdims=True)
    true_shares = true_annual / true_annual.sum(axis=1, keepdims=True)
    return {
        "cause_deviance": 1e4 * cause_deviance,
        "total_deviance": 1e4 * total_deviance,
        "layer_error": float(np.mean(np.abs(standard / true_standard - 1.0))),
        "layer_total": float(standard.sum() / true_standard.sum()),
        "excess_total": float(excess.sum() / true_excess.sum()),
        "pure_premium": float(np.median(np.abs(np.log(annual.sum(1) / true_annual.sum(1))))),
        "cause_mix_tv": float(np.median(0.5 * np.abs(shares - true_shares).sum(axis=1))),
        "gu_total": float(annual.sum() / true_annual.sum()),
        "rank": float(spearmanr(annual.sum(axis=1), true_annual.sum(axis=1))[0]),
    }


COLUMNS = ("cause_deviance", "total_deviance", "layer_error", "layer_total", "excess_total",
           "pure_premium", "cause_mix_tv", "gu_total", "rank")  # fmt: skip


def run_portfolio(directory: Path) -> dict[str, dict[str, float]]:
    b = load_bordereaux(directory / "policies.csv", directory / "claims.csv")
    data = model_data(b.policies, b.claims)
    split = split_policies(len(b.policies), DEFAULT_SEED)
    truth = load_truth(directory / "truth.csv")
    rows = pd.Index(truth["policy_id"]).get_indexer(b.policies["policy_id"].iloc[split.holdout])
    t = Truth(truth.iloc[rows].reset_index(drop=True), data.exposure_years[split.holdout])
    x = data.features[split.holdout]
    clock = time.perf_counter()
    fitted = fit_models(data, split, BoosterParams(), DEFAULT_SEED)
    xgb_s = time.perf_counter() - clock
    glm = fit_baseline(
        policy_part(data, split.train), policy_part(data, split.valid),
        claims_part(data, split.train), claims_part(data, split.valid),
    )  # fmt: skip
    print(f"  fitted in {xgb_s:.1f} s (XGBoost), {time.perf_counter() - clock - xgb_s:.1f} s (GLM); "
          f"severity trees {fitted.model.severity.best_iteration + 1}")  # fmt: skip
    return {
        "XGBoost": measure(t, fitted.model.predict(x)),
        "GLM": measure(t, glm.predict_losses(x)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="7,11,13,2026", help="portfolio seeds")
    parser.add_argument("--policies", type=int, default=100_000)
    parser.add_argument("--data-root", type=Path, help="keeps the portfolios between runs")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    wins = {"cause_deviance": 0, "layer_error": 0}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.data_root or Path(tmp)
        for seed in seeds:
            directory = root / f"seed-{seed}"
            _portfolio(directory, args.policies, seed)
            print(f"\nportfolio seed {seed}")
            rows = run_portfolio(directory)
            print(f"  {'model':8s} " + " ".join(f"{c:>14s}" for c in COLUMNS))
            for name, m in rows.items():
                print(f"  {name:8s} " + " ".join(f"{m[c]:14.3f}" for c in COLUMNS))
            for key in wins:
                wins[key] += rows["XGBoost"][key] < rows["GLM"][key]
    print(f"\nXGBoost better than the per-cause GLM on {len(seeds)} portfolios: "
          f"cause deviance {wins['cause_deviance']}, layer error {wins['layer_error']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
