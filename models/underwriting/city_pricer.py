"""Scoring and pricing cities with one bundle and one rating plan.

The part of the quote engine that the self-assessment shares: a batch of
validated exposures scored in one prediction (claim rate, severity, expected
loss, risk score), and one scored city priced for a policy's terms. The
quote engine (quote_engine.py) adds the quote and its explanations; the
self-assessment (assessment.py) adds imputation and ranked fixes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.pricing.cause_losses import CauseLosses
from models.pricing.premium import PolicyTerms, PricingResult
from models.pricing.pricer import PolicyToPrice, price_policies, price_policy
from models.pricing.rating_plan import RatingPlan
from models.scoring.features import features_from_records
from models.versions.bundle import ModelBundle

# Upper bounds of the risk grades on the 0-100 risk score (quintiles of the
# reference portfolio): A = the safest fifth of cities, E = the riskiest.
RISK_GRADE_BOUNDS: tuple[tuple[float, str], ...] = (
    (20.0, "A"),
    (40.0, "B"),
    (60.0, "C"),
    (80.0, "D"),
    (100.0, "E"),
)


def risk_grade(risk_score: float) -> str:
    """A-E from a 0-100 risk score."""
    for bound, grade in RISK_GRADE_BOUNDS:
        if risk_score < bound:
            return grade
    return "E"


@dataclass(frozen=True)
class CityScores:
    """Model outputs for a batch of cities (arrays, one entry per city)."""

    features: np.ndarray
    losses: CauseLosses  # claim rates and severities by cause, (cities, K)
    expected_annual_loss_usd: np.ndarray  # ground-up, per year
    risk_score: np.ndarray  # 0-100, percentile of loss cost (models.versions.bundle)

    @property
    def claim_rate_per_year(self) -> np.ndarray:
        return self.losses.claim_rate_per_year


@dataclass(frozen=True)
class CityPricer:
    """A model bundle and a rating plan, scoring and pricing cities."""

    bundle: ModelBundle
    plan: RatingPlan
    plan_sha256: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # hashed once per engine, not per quote
        object.__setattr__(self, "plan_sha256", self.plan.content_sha256())

    @property
    def model_version(self) -> str:
        return self.bundle.version

    @property
    def rating_plan_version(self) -> str:
        return self.plan.version

    @property
    def reference_exposures(self) -> pd.DataFrame:
        """The bundle's sample of the training portfolio (the drift reference)."""
        return self.bundle.reference_exposures

    def score(self, exposures: Sequence[Mapping[str, Any]]) -> CityScores:
        """Claim rate, severity, expected loss and risk score of validated exposures."""
        features = features_from_records(exposures)
        losses = self.bundle.predict_losses(features)
        expected = losses.expected_annual_loss()
        revenue = np.array([float(e["annual_revenue_usd"]) for e in exposures])
        score = self.bundle.risk_score(expected, revenue)
        return CityScores(features, losses, expected, score)

    def price(
        self,
        scores: CityScores,
        row: int,
        exposure: Mapping[str, Any],
        terms: PolicyTerms,
        marginal_tvar_usd: float = 0.0,
    ) -> PricingResult:
        """Price one scored city for the policy ``terms`` (on a book: its marginal TVaR)."""
        return price_policy(
            scores.losses.city(row),
            terms,
            exposure,
            float(scores.risk_score[row]),
            self.plan,
            marginal_tvar_usd,
        )

    def price_all(
        self,
        scores: CityScores,
        exposures: Sequence[Mapping[str, Any]],
        terms: Sequence[PolicyTerms],
        marginal_tvar_usd: Sequence[float] | None = None,
    ) -> list[PricingResult]:
        """:meth:`price` of every scored city, the aggregates in one pass (models/pricing/pricer.py).

        Raises PricingItemError (its ``index`` the city's row) for the first city pricing refuses.
        """
        tvars = marginal_tvar_usd if marginal_tvar_usd is not None else [0.0] * len(exposures)
        return price_policies(
            [
                PolicyToPrice(
                    scores.losses.city(row),
                    terms[row],
                    exposure,
                    float(scores.risk_score[row]),
                    tvar,
                )
                for row, (exposure, tvar) in enumerate(zip(exposures, tvars, strict=True))
            ],
            self.plan,
        )
