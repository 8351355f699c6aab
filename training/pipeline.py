"""One retrain, end to end: bordereaux -> fitted, evaluated, written bundle version.

``train_bundle`` runs the stages in order, one function each, and reports
each through ``progress``: validate, split (and features), fit (frequency +
severity + balance), the model's own checks, baseline (GLM), evaluate
(holdout), describe (the metadata: training/bundle_description.py), report,
write (atomically, through the registry), promote. Nothing is written to the models directory before every
earlier stage has succeeded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.scoring.booster_params import BoosterParams
from models.versions.bundle import BundleError, core_files
from models.versions.metadata import ACTIVE, GLM, XGBOOST, BundleMetadata, Metric
from models.versions.registry import Registry
from training.bundle_description import describe, describe_reference, fitted_components
from training.errors import TrainingInputError
from training.evaluation.holdout import (
    Holdout,
    Predictions,
    TailFitShown,
    evaluate_holdout,
    evaluate_model,
)
from training.fitting.baseline import GlmBaseline, fit_baseline
from training.fitting.boosters import (
    BoosterFits,
    FittedModels,
    LocalBoosterFits,
    claims_part,
    fit_models,
    model_data,
    policy_part,
    split_policies,
)
from training.reports.plot_worker import DrawPlots, PendingPlots, draw_here
from training.reports.report import render_model_card, render_report
from training.training_run import SplitBordereaux, TrainingRun
from training.world.truth import load_truth

Progress = Callable[[str], None]


@dataclass(frozen=True)
class CheckedModel:
    """The new model on the holdout: its predictions and its own checks (plots pending)."""

    holdout: Holdout
    features: np.ndarray  # the holdout policies' feature rows
    predictions: Predictions
    checks: dict[str, Any]
    plots: PendingPlots


@dataclass(frozen=True)
class Evaluation:
    """Holdout metrics and tables, and every plot of the report (pending, in report order)."""

    summary: dict[str, Any]
    tables: dict[str, Any]
    plots: PendingPlots


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
    boosters: BoosterFits | None = None,
) -> str:
    """Fit, evaluate and write a new bundle version; return its name.

    ``compare_active=False`` leaves the active bundle out of the evaluation, so
    that the new bundle depends on the data, seed and code alone.
    ``draw_plots`` draws the report's plots, here or in a
    ``training.reports.plot_worker.PlotWorker`` while the bundle is assembled.
    ``boosters`` fits the XGBoost boosters elsewhere (``train --dask``:
    training/distributed/boosters.py); default: in this process.
    """
    say = _timed(progress)
    run = TrainingRun(
        policies_path, claims_path, seed, params, truth_path, created_at or datetime.now(UTC)
    )
    book = validate_and_split(run, say, boosters or LocalBoosterFits())
    fitted = fit(book, run, say, boosters)
    model = check_model(book, fitted, draw_plots)
    glm = fit_glm(book, say)
    active = registry if compare_active else None
    evaluation = evaluate(book, model, glm, run.truth_path, active, draw_plots, say)
    evaluation.tables["fitted"] = fitted_components(book, fitted, glm)
    reference, sample = describe_reference(book, fitted, run.seed)
    metadata = describe(run, book, fitted, glm, evaluation.summary, reference)
    core = core_files(fitted.model, metadata, sample)
    version = registry.write_version(core, _documents(metadata, evaluation, say), run.created_at)
    say(f"write: bundle {version} in {registry.root}")
    if promote:
        registry.promote(version)
        say(f"promote: {version} is now active")
    return version


def _timed(progress: Progress) -> Progress:
    """``progress`` with the seconds since the start appended to each message."""
    clock = time.perf_counter()

    def say(message: str) -> None:
        progress(f"{message} [{time.perf_counter() - clock:.1f} s]")

    return say


def validate_and_split(run: TrainingRun, say: Progress, place: BoosterFits) -> SplitBordereaux:
    """Validate the files (where ``place`` checks them), build the features, split (seeded)."""
    bordereaux = place.bordereaux(run.policies_path, run.claims_path)
    policies, claims = bordereaux.policies, bordereaux.claims
    say(f"validate: {len(policies)} policies, {len(claims)} claims are valid")
    data = model_data(policies, claims)
    parts = split_policies(len(policies), run.seed)
    say(
        f"split: {len(parts.train)} training, {len(parts.valid)} validation, "
        f"{len(parts.holdout)} holdout policies; {data.features.shape[1]} features"
    )
    return SplitBordereaux(policies, claims, data, parts)


def fit(
    book: SplitBordereaux, run: TrainingRun, say: Progress, boosters: BoosterFits | None = None
) -> FittedModels:
    """Frequency and severity boosters, balanced to the training data."""
    fitted = fit_models(book.data, book.split, run.params, run.seed, boosters)
    tails = ", ".join(
        f"{f.label} xi {f.tail.xi:.2f} ({f.tail.exceedances} claims)" for f in fitted.tails
    )
    say(
        f"fit: frequency {sum(n + 1 for n in fitted.frequency.best_iterations)} trees over "
        f"{len(fitted.frequency.boosters)} causes, severity "
        f"{fitted.severity.best_iteration + 1} trees; tails {tails}"
    )
    return fitted


def _holdout(book: SplitBordereaux) -> Holdout:
    data, rows = book.data, book.split.holdout
    claim_rows = data.claims_of(rows)
    return Holdout(
        frame=book.policies.iloc[rows].reset_index(drop=True),
        claim_counts=data.claim_counts[rows],
        exposure_years=data.exposure_years[rows],
        claim_owner=np.searchsorted(rows, data.claim_owner[claim_rows]),
        loss_usd=data.loss_usd[claim_rows],
        claim_cause=data.claim_cause[claim_rows],
    )


def shown_tails(fits) -> list[TailFitShown]:
    """The report's view of the fitted tails (training/fitting/cause_tails.py)."""
    return [TailFitShown(f.label, f.tail, f.relative_excess) for f in fits]


def check_model(book: SplitBordereaux, fitted: FittedModels, draw_plots: DrawPlots) -> CheckedModel:
    """The new model's holdout predictions and checks; their plots start drawing."""
    hold = _holdout(book)
    hx = book.data.features[book.split.holdout]
    model = Predictions(XGBOOST, fitted.model.predict(hx))
    checks = evaluate_model(hold, model, shown_tails(fitted.tails))
    # drawn while the GLM is fitted
    return CheckedModel(hold, hx, model, checks, draw_plots(checks["tables"]))


def fit_glm(book: SplitBordereaux, say: Progress) -> GlmBaseline:
    """The per-cause GLM baseline on the training split, balanced as the boosters are."""
    data, split = book.data, book.split
    glm = fit_baseline(
        policy_part(data, split.train),
        policy_part(data, split.valid),
        claims_part(data, split.train),
        claims_part(data, split.valid),
    )
    say("baseline: per-cause Poisson GLMs and a lognormal severity GLM fitted and balanced")
    return glm


def _truth_rows(path: str | Path, policy_ids: pd.Series) -> pd.DataFrame:
    truth = load_truth(path)
    # an Index lookup: Series.isin on Arrow strings costs ~1 s per 100k ids
    rows = pd.Index(truth["policy_id"]).get_indexer(policy_ids)
    if np.any(rows < 0):
        missing = policy_ids.iloc[int(np.argmax(rows < 0))]
        raise TrainingInputError(f"{path}: no truth row for policy_id {missing!r}")
    return truth.iloc[rows].reset_index(drop=True)


def _active_predictions(registry: Registry, x: np.ndarray, say: Progress) -> Predictions | None:
    if registry.active_version() is None:
        return None
    try:
        bundle = registry.load()
    except BundleError as exc:
        say(f"evaluate: active bundle not compared ({exc})")
        return None
    return Predictions(ACTIVE, bundle.predict_losses(x))


def evaluate(
    book: SplitBordereaux,
    model: CheckedModel,
    glm: GlmBaseline,
    truth_path: str | Path | None,
    active: Registry | None,
    draw_plots: DrawPlots,
    say: Progress,
) -> Evaluation:
    """The new model against the GLM, the active bundle of ``active`` and the truth."""
    hold, hx = model.holdout, model.features
    truth = _truth_rows(truth_path, hold.frame["policy_id"]) if truth_path else None
    train = book.split.train
    null_rate = book.data.claim_counts[train].sum() / book.data.exposure_years[train].sum()
    evaluation = evaluate_holdout(
        hold,
        model.predictions,
        Predictions(GLM, glm.predict_losses(hx)),
        null_rate=float(null_rate),
        active=_active_predictions(active, hx, say) if active is not None else None,
        truth=truth,
        model_checks=model.checks,
    )
    tables = evaluation["tables"]
    comparison = draw_plots({k: v for k, v in tables.items() if k not in model.checks["tables"]})
    m = evaluation["summary"]
    say(
        f"evaluate: deviance {m[Metric.POISSON_DEVIANCE.of(XGBOOST)]:.5f} (GLM "
        f"{m[Metric.POISSON_DEVIANCE.of(GLM)]:.5f}), Gini {m[Metric.GINI.of(XGBOOST)]:.3f} "
        f"(GLM {m[Metric.GINI.of(GLM)]:.3f}), A/E {m[Metric.AE_OVERALL.of(XGBOOST)]:.3f}"
    )
    return Evaluation(m, tables, lambda: comparison() + model.plots())


def _documents(
    metadata: BundleMetadata, evaluation: Evaluation, say: Progress
) -> Callable[[str], dict[str, bytes]]:
    """The people-facing files of a version, rendered once its name is known."""

    def documents(version: str) -> dict[str, bytes]:
        files = {
            "model_card.md": render_model_card(version, metadata, evaluation.tables).encode(),
            "report.html": render_report(
                version, metadata, evaluation.tables, evaluation.plots()
            ).encode(),
        }
        say("report: model card and HTML report rendered")
        return files

    return documents
