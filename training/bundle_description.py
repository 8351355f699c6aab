"""The describe stage of a retrain: the metadata.json of a new bundle version.

Provenance (files and their SHA-256, seed, libraries, spec hash), the
boosters' conventions, the balance corrections, the holdout metrics and the
reference portfolio (with the risk-score scale), as ``BundleMetadata``
(models/versions/metadata.py). The stages before it are in
training/pipeline.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.scoring.batch import STANDARD_LIMIT_USD, STANDARD_RETENTION_USD
from models.scoring.features import FEATURE_NAMES, MONOTONE_CONSTRAINTS
from models.spec.fields import spec_hash
from models.versions.bundle import (
    FREQUENCY_FILE,
    REFERENCE_FILE,
    SEVERITY_FILE,
    file_sha256,
    library_versions,
)
from models.versions.metadata import (
    FORMAT_VERSION,
    BaselineBalance,
    BundleMetadata,
    FrequencyMetadata,
    ReferencePortfolio,
    RiskScoreScale,
    SeverityMetadata,
    SplitSizes,
    StandardLayer,
    TrainingData,
    finite_or_none,
)
from training.fitting.baseline import GlmBaseline
from training.fitting.boosters import SPLIT_FRACTIONS, FittedModels
from training.training_run import SplitBordereaux, TrainingRun

REFERENCE_SAMPLE_ROWS = 2_000

# Both texts are stored verbatim in every bundle, whose version hashes them: a
# change of wording is a new version of every bundle. The severity text names
# the balance module by its path before the package layout (it is now
# training/fitting/balance.py); the shipped bundle says so, and so must its rebuild.
FREQUENCY_CONVENTION = (
    "log(claims per year) = log_rate_offset + trees(features); "
    "predict with base_margin = log_rate_offset (+ log(exposure_years) for a count); "
    "base_margin is not stored in the booster"
)
SEVERITY_CONVENTION = (
    "ln(loss_usd) ~ Normal(trees(features) + mu_shift, sigma^2); "
    "sigma = RMS residual on the validation claims; mu_shift balances the body "
    "(losses capped at large_loss_threshold_usd) to the training data; the "
    "expected excess over the threshold observed in training was "
    "large_loss_factor x the lognormal's (training/balance.py)"
)


def describe_reference(
    book: SplitBordereaux, fitted: FittedModels, seed: int
) -> tuple[ReferencePortfolio, pd.DataFrame]:
    """The training portfolio's statistics (and risk-score scale) and a seeded sample."""
    policies, features = book.policies, book.data.features
    rate = fitted.frequency.claim_rate_per_year(features)
    annual = rate * fitted.severity.mean_loss(features)
    rng = np.random.default_rng(seed + 1)
    take = np.sort(rng.choice(len(policies), min(REFERENCE_SAMPLE_ROWS, len(policies)), False))
    revenue = policies["annual_revenue_usd"].to_numpy(dtype=np.float64)
    reference = ReferencePortfolio(
        expected_annual_loss_quantiles_usd=tuple(
            np.quantile(annual, np.linspace(0, 1, 101)).tolist()
        ),
        risk_score_scale=RiskScoreScale.fit(annual, revenue),
        claim_rate_quantiles_per_year=tuple(np.quantile(rate, np.linspace(0, 1, 11)).tolist()),
        portfolio="every policy of the training bordereau (all splits)",
        sample_file=REFERENCE_FILE,
        sample_rows=len(take),
        sample_seed=seed + 1,
    )
    return reference, policies.iloc[take].reset_index(drop=True)


def describe(
    run: TrainingRun,
    book: SplitBordereaux,
    fitted: FittedModels,
    glm: GlmBaseline,
    metrics: dict[str, Any],
    reference: ReferencePortfolio,
) -> BundleMetadata:
    """The bundle's metadata.json: provenance, conventions, balance, metrics, reference."""
    parts = book.split
    return BundleMetadata(
        format=FORMAT_VERSION,
        spec_hash=spec_hash(),
        created_at=run.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        libraries=library_versions(),
        seed=run.seed,
        data=_training_data(run, book),
        split=SplitSizes(SPLIT_FRACTIONS, len(parts.train), len(parts.valid), len(parts.holdout)),
        hyperparameters=run.params,
        feature_names=FEATURE_NAMES,
        monotone_constraints=MONOTONE_CONSTRAINTS,
        frequency=_frequency_metadata(fitted),
        severity=_severity_metadata(fitted),
        balance=fitted.balance,
        baseline_balance=BaselineBalance(glm.frequency_factor, glm.mu_shift),
        metrics=finite_or_none(metrics),
        standard_layer=StandardLayer(STANDARD_LIMIT_USD, STANDARD_RETENTION_USD),
        reference=reference,
    )


def _training_data(run: TrainingRun, book: SplitBordereaux) -> TrainingData:
    return TrainingData(
        policies_file=Path(run.policies_path).name,
        claims_file=Path(run.claims_path).name,
        policies_sha256=file_sha256(run.policies_path),
        claims_sha256=file_sha256(run.claims_path),
        policies=len(book.policies),
        claims=len(book.claims),
        exposure_years=float(book.data.exposure_years.sum()),
    )


def _frequency_metadata(fitted: FittedModels) -> FrequencyMetadata:
    frequency = fitted.frequency
    return FrequencyMetadata(
        booster=FREQUENCY_FILE,
        objective="count:poisson",
        base_score=1.0,
        intercept_log_rate=frequency.intercept,
        balance_factor=frequency.balance_factor,
        log_rate_offset=frequency.log_rate_offset,
        best_iteration=frequency.best_iteration,
        offset_convention=FREQUENCY_CONVENTION,
    )


def _severity_metadata(fitted: FittedModels) -> SeverityMetadata:
    severity = fitted.severity
    return SeverityMetadata(
        booster=SEVERITY_FILE,
        distribution="lognormal",
        sigma=severity.sigma,
        mu_shift=severity.mu_shift,
        best_iteration=severity.best_iteration,
        large_loss_factor=fitted.balance.large_loss_factor,
        large_loss_threshold_usd=fitted.balance.body_cap_usd,
        convention=SEVERITY_CONVENTION,
    )
