"""Champion/challenger: two bundle versions scored on the same validated book.

Both bundles predict every policy of the policies file as their per-cause
loss models (``bundle.predict_losses``); the claim counts and causes come
from the claims file. Metrics (training.evaluation.holdout, the same
functions as the training report):

- Poisson deviance per policy (lower = better) and Gini of the claim-rate
  ordering (higher = better), actual/expected overall, severity negative
  log-likelihood per claim under the spliced loss of its own cause;
- by cause: actual/expected claims with their exact interval, Poisson
  deviance, and the cause mix by decile of each model's total rate;
- double lift: policies in ten equal-exposure bands of challenger rate /
  champion rate; actual claims against each model's expected claims per band;
  the better model keeps A/E nearer 1 (mean |A/E - 1| over the bands);
- premium change for the book: each policy priced by models.underwriting.quote_engine with both
  versions and the shipped rating plan, for the file's limit_usd /
  retention_usd where given, else the standard layer ($1M xs $50k), all
  coverages, 365 days.

Rule of the recommendation: promote when the challenger has a lower Poisson
deviance AND a higher Gini than the champion; otherwise keep the champion.
Scored on data either model was trained on, the comparison is in-sample and
favours that model: compare on a book neither has seen (``compare_files``
warns when the policies file is either one's training data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.pricing.premium import PolicyTerms
from models.pricing.rating_plan import RatingPlan
from models.scoring.batch import layer_column
from models.spec.exposure import frame_to_records
from models.underwriting.quote_engine import QuoteEngine
from models.versions.bundle import BundleError, ModelBundle, file_sha256
from models.versions.metadata import (
    CHALLENGER,
    CHAMPION,
    HOLDOUT_CLAIMS,
    HOLDOUT_EXPOSURE_YEARS,
    HOLDOUT_POLICIES,
    NULL,
    Metric,
    double_lift_error,
    finite_or_none,
)
from models.versions.registry import Registry
from training.bordereau.reader import load_bordereaux
from training.errors import TrainingInputError
from training.evaluation.by_cause import cause_index
from training.evaluation.holdout import (
    STANDARD_LIMIT_USD,
    STANDARD_RETENTION_USD,
    Holdout,
    Predictions,
    evaluate_holdout,
)
from training.evaluation.table_names import BY_CAUSE, LORENZ, cause_mix, deciles, double_lift
from training.fitting.boosters import model_data

RULE = (
    "promote when the challenger has a lower Poisson deviance AND a higher Gini than the "
    "champion on the same book; otherwise keep the champion"
)
PREMIUM_QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
CHANGE_THRESHOLD = 0.10  # "up/down by more than 10%"
SIDE_BY_SIDE = (
    Metric.POISSON_DEVIANCE,
    Metric.GINI,
    Metric.AE_OVERALL,
    Metric.AE_DECILE_MAX_ABS_ERROR,
    Metric.LIFT_TOP_DECILE,
    Metric.SEVERITY_NLL_PER_CLAIM,
)
#: The side-by-side row of each model's mean |A/E - 1| over the double-lift bands.
DOUBLE_LIFT_ERROR = "double_lift_mean_abs_ae_error"


@dataclass(frozen=True)
class Book:
    """Validated policies with their claim counts and claims (one row per policy)."""

    holdout: Holdout
    policies: pd.DataFrame


def book_from_bordereaux(policies: pd.DataFrame, claims: pd.DataFrame) -> Book:
    data = model_data(policies, claims)
    frame = policies.reset_index(drop=True)
    causes = cause_index(claims["cause"].to_numpy())  # claims in model_data's order
    return Book(
        Holdout(
            frame,
            data.claim_counts,
            data.exposure_years,
            data.claim_owner,
            data.loss_usd,
            causes,
        ),
        frame,
    )


def predictions(name: str, bundle: ModelBundle, book: Book) -> Predictions:
    return Predictions(name, bundle.predict_losses(book.policies))


def premiums(bundle: ModelBundle, plan: RatingPlan, policies: pd.DataFrame) -> np.ndarray:
    """Gross premium (USD) of each policy priced with ``bundle`` (see the module docstring)."""
    engine = QuoteEngine(bundle, plan)
    records = frame_to_records(policies)
    scores = engine.score(records)
    n = len(policies)
    limit = np.broadcast_to(layer_column(policies, "limit_usd", STANDARD_LIMIT_USD), n)
    retention = np.broadcast_to(layer_column(policies, "retention_usd", STANDARD_RETENTION_USD), n)
    out = np.empty(len(records))
    for i, exposure in enumerate(records):
        terms = PolicyTerms(limit_usd=float(limit[i]), retention_usd=float(retention[i]))
        out[i] = engine.price(scores, i, exposure, terms).premium_usd
    return out


def premium_change(challenger_usd: np.ndarray, champion_usd: np.ndarray) -> dict[str, Any]:
    """Distribution of challenger / champion premium ratios over the book."""
    ratio = challenger_usd / champion_usd
    return {
        "policies": len(ratio),
        "champion_total_usd": float(champion_usd.sum()),
        "challenger_total_usd": float(challenger_usd.sum()),
        "total_change": float(challenger_usd.sum() / champion_usd.sum() - 1.0),
        "ratio_quantiles": {
            f"q{round(q * 100):02d}": float(v)
            for q, v in zip(PREMIUM_QUANTILES, np.quantile(ratio, PREMIUM_QUANTILES), strict=True)
        },
        "share_up_more_than_10pct": float(np.mean(ratio > 1.0 + CHANGE_THRESHOLD)),
        "share_down_more_than_10pct": float(np.mean(ratio < 1.0 - CHANGE_THRESHOLD)),
        "ratios": ratio,
    }


def recommend(metrics: dict[str, dict[str, float]]) -> dict[str, str]:
    """The recommendation line for the metrics of "challenger" and "champion" (see RULE)."""
    ch, cp = metrics[CHALLENGER], metrics[CHAMPION]
    deviance = ch[Metric.POISSON_DEVIANCE] < cp[Metric.POISSON_DEVIANCE]
    gini = ch[Metric.GINI] > cp[Metric.GINI]
    if deviance and gini:
        line = "promote: challenger beats champion on deviance and Gini"
    elif deviance or gini:
        better, worse = ("deviance", "Gini") if deviance else ("Gini", "deviance")
        line = f"keep champion: challenger is better on {better} but not on {worse}"
    else:
        line = "keep champion: challenger is not better on deviance nor on Gini"
    return {"decision": "promote" if deviance and gini else "keep", "line": line, "rule": RULE}


def compare_bundles(
    challenger: ModelBundle, champion: ModelBundle, book: Book, plan: RatingPlan
) -> dict[str, Any]:
    """Metrics side by side, double-lift table, premium change and recommendation."""
    if book.holdout.claim_counts.sum() <= 0:
        raise ValueError("the claims file has no claim for these policies: nothing to compare")
    return compare_predictions(
        (challenger.version, champion.version),
        (predictions(CHALLENGER, challenger, book), predictions(CHAMPION, champion, book)),
        book.holdout,
        premium_change(
            premiums(challenger, plan, book.policies), premiums(champion, plan, book.policies)
        ),
    )


def compare_predictions(
    versions: tuple[str, str],
    models: tuple[Predictions, Predictions],
    h: Holdout,
    change: dict[str, Any],
) -> dict[str, Any]:
    """The comparison of (challenger, champion) predictions on the book ``h``.

    ``models`` are named CHALLENGER and CHAMPION; ``change`` is their
    ``premium_change``. Every value but the premium ratios is JSON-ready
    (``summary`` holds the whole evaluation's figures, undefined ones None).
    """
    null_rate = float(h.claim_counts.sum() / h.exposure_years.sum())
    evaluation = evaluate_holdout(h, models[0], models[1], null_rate=null_rate)
    summary, tables = evaluation["summary"], evaluation["tables"]
    metrics = _side_by_side(summary)
    roles = (CHALLENGER, CHAMPION)
    return {
        "challenger": versions[0],
        "champion": versions[1],
        "book": {
            "policies": int(summary[HOLDOUT_POLICIES]),
            "claims": int(summary[HOLDOUT_CLAIMS]),
            "exposure_years": float(summary[HOLDOUT_EXPOSURE_YEARS]),
            "poisson_deviance_null": float(summary[Metric.POISSON_DEVIANCE.of(NULL)]),
        },
        "metrics": metrics,
        "summary": finite_or_none(summary),
        "double_lift": tables[double_lift(CHALLENGER, CHAMPION)],
        "lorenz": tables[LORENZ],
        "deciles": {role: tables[deciles(role)] for role in roles},
        "by_cause": tables[BY_CAUSE],
        "cause_mix": {role: tables[cause_mix(role)] for role in roles},
        "premium_change": change,
        "recommendation": recommend(metrics),
    }


def _side_by_side(summary: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The SIDE_BY_SIDE metrics and the double-lift error of each role."""
    metrics = {
        name: {key.value: float(summary[key.of(name)]) for key in SIDE_BY_SIDE}
        for name in (CHALLENGER, CHAMPION)
    }
    for name in (CHALLENGER, CHAMPION):
        metrics[name][DOUBLE_LIFT_ERROR] = float(
            summary[double_lift_error(CHALLENGER, CHAMPION, name)]
        )
    return metrics


def load_version(registry: Registry, version: str | None, role: str) -> ModelBundle:
    """The bundle ``version`` (None: the active one); a clear error names what exists."""
    known = registry.versions()
    name = version or registry.active_version()
    if name is None:
        raise TrainingInputError(f"--{role}: no active version in {registry.root}; name one")
    if name not in known:
        listed = ", ".join(known) if known else "none"
        raise TrainingInputError(
            f"--{role} {name}: no such bundle version in {registry.root} (versions: {listed})"
        )
    try:
        return registry.load(name)
    except BundleError as exc:
        raise TrainingInputError(f"--{role}: {exc}") from exc


def in_sample_warnings(bundles: dict[str, ModelBundle], policies_sha256: str) -> list[str]:
    """A warning for each bundle (by role) trained on the policies file of this SHA-256."""
    return [
        f"warning: the policies file is the {role}'s training data; the comparison is "
        f"in-sample and favours the {role}"
        for role, bundle in bundles.items()
        if bundle.meta.data.policies_sha256 == policies_sha256
    ]


def compare_files(
    registry: Registry,
    versions: tuple[str | None, str | None],
    policies_path: str | Path,
    claims_path: str | Path,
    plan: RatingPlan,
    warn: Callable[[str], None],
) -> dict[str, Any]:
    """``compare_bundles`` of (challenger, champion) ``versions`` (None: the active one).

    The book is the bordereaux; ``warn`` gets each in-sample warning. A
    ``TrainingInputError`` names an unknown version, a bundle that does not
    load, the same version twice or a book without claims.
    """
    challenger = load_version(registry, versions[0], CHALLENGER)
    champion = load_version(registry, versions[1], CHAMPION)
    if challenger.version == champion.version:
        raise TrainingInputError(f"challenger and champion are the same version {champion.version}")
    bordereaux = load_bordereaux(policies_path, claims_path)
    book = book_from_bordereaux(bordereaux.policies, bordereaux.claims)
    for line in in_sample_warnings(
        {CHALLENGER: challenger, CHAMPION: champion}, file_sha256(policies_path)
    ):
        warn(line)
    if book.holdout.claim_counts.sum() <= 0:
        raise TrainingInputError(f"{claims_path}: no claims on these policies; nothing to compare")
    return compare_bundles(challenger, champion, book, plan)
