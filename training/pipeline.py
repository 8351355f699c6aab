"""One retrain, end to end: bordereaux -> fitted, evaluated, written bundle version.

Stages (each reported through ``progress``): validate, split and features,
frequency + severity + balance, GLM baseline, holdout evaluation, report,
write (atomically, through the registry), promote. Nothing is written to the
models directory before every earlier stage has succeeded.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.scoring.booster_params import BoosterParams
from models.scoring.bundle import FORMAT_VERSION, BundleError, core_files, library_versions
from models.scoring.features import FEATURE_NAMES, MONOTONE_CONSTRAINTS
from models.scoring.registry import Registry
from models.spec.fields import spec_hash
from training.bordereau.reader import load_bordereaux
from training.errors import TrainingInputError
from training.evaluation.holdout import (
    STANDARD_LIMIT_USD,
    STANDARD_RETENTION_USD,
    Holdout,
    Predictions,
    evaluate_holdout,
    evaluate_model,
)
from training.fitting.baseline import fit_baseline
from training.fitting.boosters import (
    SPLIT_FRACTIONS,
    FittedModels,
    ModelData,
    fit_models,
    model_data,
    split_policies,
)
from training.reports.plot_worker import DrawPlots, draw_here
from training.reports.report import render_model_card, render_report
from training.world.truth import load_truth

REFERENCE_SAMPLE_ROWS = 2_000
Progress = Callable[[str], None]


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """NaN (e.g. an A/E with nothing expected) becomes null: JSON has no NaN."""
    return {
        k: None if isinstance(v, float) and not np.isfinite(v) else v for k, v in values.items()
    }


def _holdout(policies: pd.DataFrame, data: ModelData, rows: np.ndarray) -> Holdout:
    claim_rows = data.claims_of(rows)
    return Holdout(
        frame=policies.iloc[rows].reset_index(drop=True),
        claim_counts=data.claim_counts[rows],
        exposure_years=data.exposure_years[rows],
        claim_owner=np.searchsorted(rows, data.claim_owner[claim_rows]),
        loss_usd=data.loss_usd[claim_rows],
    )


def _active_predictions(registry: Registry, x: np.ndarray, say: Progress) -> Predictions | None:
    if registry.active_version() is None:
        return None
    try:
        bundle = registry.load()
    except BundleError as exc:
        say(f"evaluate: active bundle not compared ({exc})")
        return None
    rate, mu, sigma = bundle.predict_features(x)
    return Predictions("active", rate, mu, sigma)


def _truth_rows(path: str | Path, policy_ids: pd.Series) -> pd.DataFrame:
    truth = load_truth(path)
    # an Index lookup: Series.isin on Arrow strings costs ~1 s per 100k ids
    rows = pd.Index(truth["policy_id"]).get_indexer(policy_ids)
    if np.any(rows < 0):
        missing = policy_ids.iloc[int(np.argmax(rows < 0))]
        raise TrainingInputError(f"{path}: no truth row for policy_id {missing!r}")
    return truth.iloc[rows].reset_index(drop=True)


def _reference(
    fitted: FittedModels, data: ModelData, policies: pd.DataFrame, seed: int
) -> tuple[dict[str, Any], pd.DataFrame]:
    rate = fitted.frequency.claim_rate_per_year(data.features)
    annual = rate * fitted.severity.mean_loss(data.features)
    rng = np.random.default_rng(seed + 1)
    take = np.sort(rng.choice(len(policies), min(REFERENCE_SAMPLE_ROWS, len(policies)), False))
    # loss cost: expected annual loss per USD of budget, the exposure base (risk score)
    loss_cost = annual / policies["annual_revenue_usd"].to_numpy(dtype=np.float64)
    stats = {
        "expected_annual_loss_quantiles_usd": np.quantile(annual, np.linspace(0, 1, 101)).tolist(),
        "loss_cost_quantiles": np.quantile(loss_cost, np.linspace(0, 1, 1001)).tolist(),
        "claim_rate_quantiles_per_year": np.quantile(rate, np.linspace(0, 1, 11)).tolist(),
        "portfolio": "every policy of the training bordereau (all splits)",
        "sample_file": "reference_exposures.csv",
        "sample_rows": len(take),
        "sample_seed": seed + 1,
    }
    return stats, policies.iloc[take].reset_index(drop=True)


def train_bundle(
    policies_path: str | Path,
    claims_path: str | Path,
    registry: Registry,
    seed: int,
    params: BoosterParams,
    truth_path: str | Path | None = None,
    promote: bool = False,
    created_at: datetime | None = None,
    progress: Progress = lambda message: None,
    compare_active: bool = True,
    draw_plots: DrawPlots = draw_here,
) -> str:
    """Fit, evaluate and write a new bundle version; return its name.

    ``compare_active=False`` leaves the active bundle out of the evaluation, so
    that the new bundle depends on the data, seed and code alone.
    ``draw_plots`` draws the report's plots, here or in a
    ``training.reports.plot_worker.PlotWorker`` while the bundle is assembled.
    """
    clock = time.perf_counter()
    created = created_at or datetime.now(UTC)

    def say(message: str) -> None:
        progress(f"{message} [{time.perf_counter() - clock:.1f} s]")

    bordereaux = load_bordereaux(policies_path, claims_path)
    policies, claims = bordereaux.policies, bordereaux.claims
    say(f"validate: {len(policies)} policies, {len(claims)} claims are valid")
    data = model_data(policies, claims)
    split = split_policies(len(policies), seed)
    say(
        f"split: {len(split.train)} training, {len(split.valid)} validation, "
        f"{len(split.holdout)} holdout policies; {data.features.shape[1]} features"
    )
    fitted = fit_models(data, split, params, seed)
    say(
        f"fit: frequency {fitted.frequency.best_iteration + 1} trees, severity "
        f"{fitted.severity.best_iteration + 1} trees, sigma {fitted.severity.sigma:.3f}; "
        f"balance x{fitted.balance.frequency_factor:.4f} claims, "
        f"x{fitted.balance.severity_factor:.4f} loss"
    )
    hold = _holdout(policies, data, split.holdout)
    hx = data.features[split.holdout]
    model = Predictions(
        "xgboost",
        fitted.frequency.claim_rate_per_year(hx),
        fitted.severity.mu(hx),
        fitted.severity.sigma,
    )
    checks = evaluate_model(hold, model)
    model_plots = draw_plots(checks["tables"])  # drawn while the GLM is fitted
    train_x, train_counts = data.features[split.train], data.claim_counts[split.train]
    claim_rows = data.claims_of(split.train)
    glm = fit_baseline(
        (train_x, train_counts, data.exposure_years[split.train]),
        (data.features[data.claim_owner[claim_rows]], data.loss_usd[claim_rows]),
    )
    say("baseline: Poisson GLM and lognormal severity GLM fitted and balanced")
    truth = _truth_rows(truth_path, hold.frame["policy_id"]) if truth_path else None
    evaluation = evaluate_holdout(
        hold,
        model,
        Predictions("glm", glm.claim_rate_per_year(hx), glm.severity_mu(hx), glm.sigma),
        null_rate=float(train_counts.sum() / data.exposure_years[split.train].sum()),
        active=_active_predictions(registry, hx, say) if compare_active else None,
        truth=truth,
        model_checks=checks,
    )
    comparison = {k: v for k, v in evaluation["tables"].items() if k not in checks["tables"]}
    comparison_plots = draw_plots(comparison)
    m = evaluation["summary"]
    say(
        f"evaluate: deviance {m['poisson_deviance_xgboost']:.5f} (GLM "
        f"{m['poisson_deviance_glm']:.5f}), Gini {m['gini_xgboost']:.3f} "
        f"(GLM {m['gini_glm']:.3f}), A/E {m['ae_overall_xgboost']:.3f}"
    )
    reference, sample = _reference(fitted, data, policies, seed)
    metadata = {
        "format": FORMAT_VERSION,
        "spec_hash": spec_hash(),
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "libraries": library_versions(),
        "seed": seed,
        "data": {
            "policies_file": Path(policies_path).name,
            "claims_file": Path(claims_path).name,
            "policies_sha256": file_sha256(policies_path),
            "claims_sha256": file_sha256(claims_path),
            "policies": len(policies),
            "claims": len(claims),
            "exposure_years": float(data.exposure_years.sum()),
        },
        "split": {
            "fractions": list(SPLIT_FRACTIONS),
            "train": len(split.train),
            "valid": len(split.valid),
            "holdout": len(split.holdout),
        },
        "hyperparameters": asdict(params),
        "feature_names": list(FEATURE_NAMES),
        "monotone_constraints": list(MONOTONE_CONSTRAINTS),
        "frequency": {
            "booster": "frequency.ubj",
            "objective": "count:poisson",
            "base_score": 1.0,
            "intercept_log_rate": fitted.frequency.intercept,
            "balance_factor": fitted.frequency.balance_factor,
            "log_rate_offset": fitted.frequency.log_rate_offset,
            "best_iteration": fitted.frequency.best_iteration,
            "offset_convention": "log(claims per year) = log_rate_offset + trees(features); "
            "predict with base_margin = log_rate_offset (+ log(exposure_years) for a count); "
            "base_margin is not stored in the booster",
        },
        "severity": {
            "booster": "severity.ubj",
            "distribution": "lognormal",
            "sigma": fitted.severity.sigma,
            "mu_shift": fitted.severity.mu_shift,
            "best_iteration": fitted.severity.best_iteration,
            "large_loss_factor": fitted.balance.large_loss_factor,
            "large_loss_threshold_usd": fitted.balance.body_cap_usd,
            "convention": "ln(loss_usd) ~ Normal(trees(features) + mu_shift, sigma^2); "
            "sigma = RMS residual on the validation claims; mu_shift balances the body "
            "(losses capped at large_loss_threshold_usd) to the training data; the "
            "expected excess over the threshold observed in training was "
            "large_loss_factor x the lognormal's (training/fitting/balance.py)",
        },
        "balance": asdict(fitted.balance),
        "baseline_balance": {
            "frequency_factor": glm.frequency_factor,
            "body_mu_shift": glm.mu_shift,
        },
        "metrics": _json_safe(m),
        "standard_layer": {
            "limit_usd": STANDARD_LIMIT_USD,
            "retention_usd": STANDARD_RETENTION_USD,
        },
        "reference": reference,
    }
    core = core_files(fitted.frequency, fitted.severity, metadata, sample)

    def documents(version: str) -> dict[str, bytes]:
        files = {
            "model_card.md": render_model_card(version, metadata).encode(),
            "report.html": render_report(
                version, metadata, evaluation["tables"], comparison_plots() + model_plots()
            ).encode(),
        }
        say("report: model card and HTML report rendered")
        return files

    version = registry.write_version(core, documents, created)
    say(f"write: bundle {version} in {registry.root}")
    if promote:
        registry.promote(version)
        say(f"promote: {version} is now active")
    return version
