"""Champion/challenger: two bundle versions scored on the same validated book.

Both bundles predict every policy of the policies file; their claim counts
come from the claims file. Metrics (training.evaluation.holdout / training.evaluation.metrics, the
same functions as the training report):

- Poisson deviance per policy (lower = better) and Gini of the claim-rate
  ordering (higher = better), actual/expected overall, severity negative
  log-likelihood per claim;
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
favours that model: compare on a book neither has seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.pricing.premium import PolicyTerms
from models.pricing.rating_plan import RatingPlan
from models.scoring.batch import layer_column
from models.scoring.bundle import ModelBundle
from models.spec.exposure import frame_to_records
from models.underwriting.quote_engine import QuoteEngine
from training.evaluation.holdout import (
    STANDARD_LIMIT_USD,
    STANDARD_RETENTION_USD,
    Holdout,
    Predictions,
    evaluate_holdout,
)
from training.fitting.boosters import model_data

RULE = (
    "promote when the challenger has a lower Poisson deviance AND a higher Gini than the "
    "champion on the same book; otherwise keep the champion"
)
PREMIUM_QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
CHANGE_THRESHOLD = 0.10  # "up/down by more than 10%"
SIDE_BY_SIDE = (
    "poisson_deviance",
    "gini",
    "ae_overall",
    "ae_decile_max_abs_error",
    "lift_top_decile",
    "severity_nll_per_claim",
)


@dataclass(frozen=True)
class Book:
    """Validated policies with their claim counts and claims (one row per policy)."""

    holdout: Holdout
    policies: pd.DataFrame


def book_from_bordereaux(policies: pd.DataFrame, claims: pd.DataFrame) -> Book:
    data = model_data(policies, claims)
    frame = policies.reset_index(drop=True)
    return Book(
        Holdout(frame, data.claim_counts, data.exposure_years, data.claim_owner, data.loss_usd),
        frame,
    )


def predictions(name: str, bundle: ModelBundle, book: Book) -> Predictions:
    rate, mu, sigma = bundle.predict(book.policies)
    return Predictions(name, rate, mu, sigma)


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
    ch, cp = metrics["challenger"], metrics["champion"]
    deviance = ch["poisson_deviance"] < cp["poisson_deviance"]
    gini = ch["gini"] > cp["gini"]
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
    h = book.holdout
    if h.claim_counts.sum() <= 0:
        raise ValueError("the claims file has no claim for these policies: nothing to compare on")
    null_rate = float(h.claim_counts.sum() / h.exposure_years.sum())
    evaluation = evaluate_holdout(
        h,
        predictions("challenger", challenger, book),
        predictions("champion", champion, book),
        null_rate=null_rate,
    )
    summary, tables = evaluation["summary"], evaluation["tables"]
    metrics = {
        name: {key: float(summary[f"{key}_{name}"]) for key in SIDE_BY_SIDE}
        for name in ("challenger", "champion")
    }
    for name in ("challenger", "champion"):
        metrics[name]["double_lift_mean_abs_ae_error"] = float(
            summary[f"double_lift_challenger_vs_champion_error_{name}"]
        )
    change = premium_change(
        premiums(challenger, plan, book.policies), premiums(champion, plan, book.policies)
    )
    return {
        "challenger": challenger.version,
        "champion": champion.version,
        "book": {
            "policies": int(summary["holdout_policies"]),
            "claims": int(summary["holdout_claims"]),
            "exposure_years": float(summary["holdout_exposure_years"]),
            "poisson_deviance_null": float(summary["poisson_deviance_null"]),
        },
        "metrics": metrics,
        "double_lift": tables["double_lift_challenger_vs_champion"],
        "lorenz": tables["lorenz"],
        "premium_change": change,
        "recommendation": recommend(metrics),
    }
