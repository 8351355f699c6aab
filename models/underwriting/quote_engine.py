"""The quote engine: one exposure and policy in, one priced, explained quote out.

Flow (shared/ARCHITECTURE.md "Data flow of a quote"): feature row ->
frequency booster (claim rate per year) and severity booster (lognormal of one
loss) -> risk score against the bundle's reference portfolio -> drivers ->
pricing with the rating plan (layer, aggregate limit, loads, decision).
The service calls :meth:`QuoteEngine.quote`; the self-assessment and batch
scoring reuse :meth:`QuoteEngine.score`. The class implements the service's
seam (service.engine.protocol.QuoteEngine, checked by mypy there):
``model_version``, ``rating_plan_version``, ``reference_exposures``,
``quote`` and ``self_assessor``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from models.pricing.premium import PolicyTerms, PricingResult, price_policy
from models.pricing.rating_plan import RatingPlan
from models.pricing.rating_plan_reader import shipped_rating_plan
from models.scoring.bundle import ModelBundle
from models.scoring.explain import drivers_for, field_log_effects
from models.scoring.features import features_from_records
from models.scoring.registry import Registry

if TYPE_CHECKING:
    import pandas as pd

    from models.underwriting.assessment import CityAssessor

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
    claim_rate_per_year: np.ndarray
    severity_mu: np.ndarray
    severity_sigma: float
    expected_annual_loss_usd: np.ndarray  # ground-up, per year
    risk_score: np.ndarray  # 0-100, percentile of loss cost (models.scoring.bundle)


@dataclass(frozen=True)
class QuoteEngine:
    """A model bundle and a rating plan: everything a quote is priced with."""

    bundle: ModelBundle
    plan: RatingPlan
    # Seconds spent in each step of the last quote (benchmarks/bench_service.py).
    last_timings: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
    plan_sha256: str = field(init=False, compare=False, repr=False)
    _assessor: CityAssessor | None = field(default=None, init=False, compare=False, repr=False)
    _assessor_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, compare=False, repr=False
    )

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

    def self_assessor(self) -> CityAssessor:
        """The city self-assessment on this engine, built on first use and then kept.

        Building it scores the reference sample once (tens of ms), so every
        assessment with this engine reuses the one assessor.
        """
        with self._assessor_lock:
            assessor = self._assessor
            if assessor is None:
                # Imported here: models.underwriting.assessment imports this module.
                from models.underwriting.assessment import CityAssessor

                assessor = CityAssessor(self)
                object.__setattr__(self, "_assessor", assessor)
            return assessor

    def score(self, exposures: Sequence[Mapping[str, Any]]) -> CityScores:
        """Claim rate, severity, expected loss and risk score of validated exposures."""
        features = features_from_records(exposures)
        rate, mu, sigma = self.bundle.predict_features(features)
        expected = self.bundle.expected_annual_loss(rate, mu)
        revenue = np.array([float(e["annual_revenue_usd"]) for e in exposures])
        score = self.bundle.risk_score(expected, revenue)
        return CityScores(features, rate, mu, sigma, expected, score)

    def price(
        self, scores: CityScores, row: int, exposure: Mapping[str, Any], terms: PolicyTerms
    ) -> PricingResult:
        """Price one scored city for the policy ``terms``."""
        return price_policy(
            float(scores.claim_rate_per_year[row]),
            float(scores.severity_mu[row]),
            scores.severity_sigma,
            terms,
            exposure,
            float(scores.risk_score[row]),
            self.plan,
        )

    def quote(self, exposure: Mapping[str, Any], policy: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON-ready quote (CONTRACT §5 fields, less what the service adds).

        ``exposure`` is a validated exposure record; ``policy`` has limit_usd,
        retention_usd, coverages and period_days. Raises ValueError (a
        PricingInputError) naming the field for terms pricing cannot accept.
        """
        terms = PolicyTerms(
            limit_usd=float(policy["limit_usd"]),
            retention_usd=float(policy["retention_usd"]),
            coverages=tuple(policy["coverages"]),
            period_days=int(policy["period_days"]),
        )
        t0 = time.perf_counter()
        scores = self.score([exposure])
        t1 = time.perf_counter()
        priced = self.price(scores, 0, exposure, terms)
        t2 = time.perf_counter()
        effects = field_log_effects(
            self.bundle.frequency.booster, self.bundle.severity.booster, scores.features
        )[0]
        drivers = drivers_for(effects, exposure, priced.expected_loss_usd)
        t3 = time.perf_counter()
        self.last_timings.update(prediction=t1 - t0, pricing=t2 - t1, explanations=t3 - t2)
        risk_score = float(scores.risk_score[0])
        pricing = priced.to_dict()
        return {
            "decision": pricing.pop("decision"),
            "decision_reasons": pricing.pop("decision_reasons"),
            "risk_score": risk_score,
            "risk_grade": risk_grade(risk_score),
            "claim_rate_per_year": float(scores.claim_rate_per_year[0]),
            "severity": {
                "distribution": "lognormal",
                "mu": float(scores.severity_mu[0]),
                "sigma": scores.severity_sigma,
            },
            "expected_annual_ground_up_loss_usd": float(scores.expected_annual_loss_usd[0]),
            **pricing,
            "rating_plan_sha256": self.plan_sha256,
            "drivers": [d.to_dict() for d in drivers],
        }


def load_quote_engine(models_dir: str | None = None, version: str | None = None) -> QuoteEngine:
    """The engine for the active bundle (or ``version``) and the shipped rating plan.

    Boosters run on one thread: each gunicorn worker is one process, and
    several workers each using every core collapse throughput.
    """
    bundle = Registry(models_dir).load(version, nthread=1)
    return QuoteEngine(bundle, shipped_rating_plan())
