"""The describe stage of a retrain: the metadata.json of a new bundle version.

Provenance (files and their SHA-256, seed, libraries, spec hash), the
boosters' conventions, the balance corrections, the holdout metrics and the
reference portfolio (with the risk-score scale), as ``BundleMetadata``
(models/versions/metadata.py). The stages before it are in
training/pipeline.py.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.scoring.batch import STANDARD_LIMIT_USD, STANDARD_RETENTION_USD
from models.scoring.features import FEATURE_NAMES, MONOTONE_CONSTRAINTS
from models.scoring.severity import SEVERITY_FEATURE_NAMES, SIZE_FEATURES
from models.spec.contract import CLAIM_CAUSES
from models.spec.fields import spec_hash
from models.versions.bundle import (
    REFERENCE_FILE,
    SEVERITY_FILE,
    file_sha256,
    frequency_file,
    library_versions,
)
from models.versions.metadata import (
    FORMAT_VERSION,
    BaselineBalance,
    BundleMetadata,
    CauseTail,
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

# The texts are stored verbatim in every bundle, whose version hashes them: a
# change of wording is a new version of every bundle.
FREQUENCY_CONVENTION = (
    "log(claims per year of cause c) = start_c + trees_c(features) + log(balance_factor[c]); "
    "start_c = start_intercept[c] + start_coef[c] @ z, z = (log1p where inputs_log_columns"
    "(features) - inputs_mean) / inputs_scale; predict with base_margin = start_c "
    "(+ log(exposure_years) for a count); base_margin is not stored in the booster"
)
SEVERITY_CONVENTION = (
    "ln(loss_usd) of a loss of cause c ~ Normal(start_c + trees(features, one-hot of c) + "
    "mu_shift[c], sigma[c]^2), start_c = start_level[c] + start_slope[c] @ "
    "(columns - start_center), columns = log1p(start_features) then "
    "max(log1p(annual_revenue_usd) - start_knot, 0), passed as base_margin (not stored in "
    "the booster), below t = exp(mu + sigma[c] z_u[c]); above t, "
    "(loss - t) / t ~ GPD(xi[c], b[c]); mu_shift balances each cause's losses "
    "capped at its 90% quantile (training/fitting/balance.py)"
)


def describe_reference(
    book: SplitBordereaux, fitted: FittedModels, seed: int
) -> tuple[ReferencePortfolio, pd.DataFrame]:
    """The training portfolio's statistics (and risk-score scale) and a seeded sample."""
    policies, features = book.policies, book.data.features
    losses = fitted.model.predict(features)
    rate, annual = losses.claim_rate_per_year, losses.expected_annual_loss()
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
        baseline_balance=BaselineBalance(_by_cause(glm.cause_factors), _by_cause(glm.mu_shift)),
        metrics=finite_or_none(metrics),
        standard_layer=StandardLayer(STANDARD_LIMIT_USD, STANDARD_RETENTION_USD),
        reference=reference,
    )


def _shapes(causes: tuple[str, ...], xi: np.ndarray) -> str:
    """The shape of each cause a fit prices: the pool's differ by the cause's sigma."""
    shapes = {c: float(xi[CLAIM_CAUSES.index(c)]) for c in causes}
    if len(shapes) == 1:
        return f"shape xi = {next(iter(shapes.values())):.3f}"
    return "shape xi on each cause's sigma: " + ", ".join(f"{c} {v:.3f}" for c, v in shapes.items())


def fitted_components(
    book: SplitBordereaux, fitted: FittedModels, glm: GlmBaseline
) -> list[dict[str, str]]:
    """What was fitted, in words, for the report's summary (``tables["fitted"]``)."""
    train_claims = len(book.data.claims_of(book.split.train))
    freq, sev = fitted.frequency, fitted.severity
    tails = "; ".join(
        f"{f.label}: threshold at z = {f.tail.z_u:.2f} ({f.tail.exceedances} claims above), "
        + _shapes(f.causes, sev.tails.xi)
        for f in fitted.tails
    )
    trees = ", ".join(
        f"{c} {n + 1} trees" for c, n in zip(CLAIM_CAUSES, freq.best_iterations, strict=True)
    )
    sigmas = ", ".join(f"{c} {s:.2f}" for c, s in zip(CLAIM_CAUSES, sev.sigma, strict=True))
    return [
        {
            "component": "Claim rate by cause",
            "description": "for each cause a Poisson log-linear start whose slopes have the "
            "signs of the field spec (ridge penalty chosen by five folds of the training policies, "
            "the city's size, its population, budget and staff, not penalised), "
            "boosted by an XGBoost Poisson booster with the exposure offset and the spec's "
            f"monotone constraints ({trees}); on {len(book.split.train):,} training policies "
            f"and {train_claims:,} claims; each cause balanced to its claims",
        },
        {
            "component": "Severity body",
            "description": "for each cause a log-linear start of log loss on the log budget, "
            "records and OT controllers, and on the log budget above "
            f"${math.expm1(sev.start.knot):,.0f} (the largest tenth of the claiming cities: "
            "a large estate loses disproportionately more; slopes >= 0, pulled towards the "
            "pooled ones by "
            f"{sev.start.penalty:g} claims' worth, chosen on the validation claims), boosted by "
            f"an XGBoost booster with the cause as a feature, {sev.best_iteration + 1} "
            f"{'tree' if sev.best_iteration == 0 else 'trees'} (chosen on five out-of-fold "
            f"curves); lognormal sigma by cause: {sigmas}; each cause's "
            "location balanced to its losses capped at their 90% quantile",
        },
        {
            "component": "Severity tail",
            "description": f"generalised Pareto on the relative excess: {tails}",
        },
        {
            "component": "Baseline",
            "description": "per-cause Poisson GLMs (penalty per cause chosen on the validation "
            "policies) and a lognormal GLM with the cause as a factor, with the same scales, "
            "tails and balance rules",
        },
    ]


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


def _by_cause(values: Any) -> dict[str, Any]:
    return dict(
        zip(CLAIM_CAUSES, (v.tolist() if hasattr(v, "tolist") else v for v in values), strict=True)
    )


def _frequency_metadata(fitted: FittedModels) -> FrequencyMetadata:
    frequency = fitted.frequency
    start = frequency.start
    return FrequencyMetadata(
        boosters={c: frequency_file(c) for c in CLAIM_CAUSES},
        objective="count:poisson",
        base_score=1.0,
        start_intercept=_by_cause(start.intercept),
        start_coef={
            c: tuple(row) for c, row in zip(CLAIM_CAUSES, start.coef.tolist(), strict=True)
        },
        start_penalty=_by_cause(start.penalty),
        inputs_log_columns=tuple(int(v) for v in start.inputs.log_columns),
        inputs_mean=tuple(start.inputs.mean.tolist()),
        inputs_scale=tuple(start.inputs.scale.tolist()),
        balance_factor=_by_cause(frequency.balance_factors),
        best_iteration=dict(zip(CLAIM_CAUSES, frequency.best_iterations, strict=True)),
        offset_convention=FREQUENCY_CONVENTION,
    )


def _severity_metadata(fitted: FittedModels) -> SeverityMetadata:
    severity = fitted.severity
    fitted_on = {c: f.label for f in fitted.tails for c in f.causes}
    count = {f.label: f.tail.exceedances for f in fitted.tails}
    t = severity.tails
    return SeverityMetadata(
        booster=SEVERITY_FILE,
        distribution="lognormal body, generalised Pareto tail",
        feature_names=SEVERITY_FEATURE_NAMES,
        sigma=_by_cause(severity.sigma),
        mu_shift=_by_cause(severity.mu_shift),
        tails={
            c: CauseTail(
                fitted_on[c], float(t.z_u[k]), float(t.xi[k]), float(t.b[k]), count[fitted_on[c]]
            )
            for k, c in enumerate(CLAIM_CAUSES)
        },
        best_iteration=severity.best_iteration,
        convention=SEVERITY_CONVENTION,
        start_features=SIZE_FEATURES,
        start_center=tuple(severity.start.center.tolist()),
        start_level=_by_cause(severity.start.level),
        start_slope={c: tuple(row) for c, row in _by_cause(severity.start.slope).items()},
        start_penalty=float(severity.start.penalty),
        start_knot=float(severity.start.knot),
    )
