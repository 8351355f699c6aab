"""A test-only quote engine with closed-form numbers, for testing the HTTP layer.

Selected with POLISURE_ENGINE=tests.support.fake_engine:build_fake_engine
(the end-to-end test does this until the real engine is wired). Its numbers
are simple enough to check by hand:

- claim rate per year lambda = 0.02 x (1 + prior_incidents_3y / 2);
  expected_claim_count = lambda x period_days / 365;
- the claims split over the causes of CONTRACT §2 in the fixed proportions
  ``CLAIMS_IN_20`` (6 in 20 are ransomware, ...), so each cause's rate and
  losses are the totals times its proportion and add up to them (CONTRACT §6);
- every claim of every cause is exactly 1,000,000 USD ground-up (a point mass:
  the lognormal body and the generalised Pareto tail at sigma = b = 0), so the
  insured part per claim is min(max(1e6 - retention, 0), limit) x (coverages
  bought / 9);
- premium_usd = max(expected_loss_usd / 0.6, 1,000);
- one driver, past incidents: they multiply every cause's claim rate by
  1 + prior_incidents_3y / 2 against a city with none; its cause is the one
  with the largest share of the loss (ransomware, as the real engine names
  the cause whose weighted contribution is largest), and there is no driver
  when there were none;
- decision: decline at >= 50 prior incidents, refer with direct OT remote
  access, quote otherwise.

It implements the service's seam explicitly (it subclasses
service.engine.protocol.QuoteEngine, so mypy checks every member; its
``quote_batch`` is the protocol's default, one ``quote`` per item): no
reference portfolio (no drift gauges) and no self-assessment (503).
``FakeAssessingEngine`` is the same engine with ``FakeSelfAssessor``, for
testing the self-assessment's HTTP layer and page without a trained model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from models.spec.contract import CLAIM_CAUSES, COVERAGE_PARTS
from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS
from models.underwriting.book_model import BookModel
from service.engine.protocol import QuoteEngine, SelfAssessor
from tests.support.city import city_exposure

GROUND_UP_CLAIM_USD = 1_000_000.0
ALL_COVERAGES = 9
BASE_CLAIM_RATE = 0.02  # claims per year of a city with no past incidents
#: Of every 20 claims, how many each cause sends (the fake's cause mix).
#: Not in CONTRACT §2's order by size, so a table sorted largest first is seen to sort.
CLAIMS_IN_20: dict[str, int] = {
    "ransomware": 6,
    "data_breach": 3,
    "business_email_compromise": 5,
    "ot_disruption": 1,
    "vendor_outage": 2,
    "privacy_regulatory": 1,
    "other": 2,
}
POINT_MASS = (
    "point mass at 1,000,000 USD (test engine): lognormal body and GPD tail at sigma = b = 0"
)
#: The policy the fake self-assessment prices: $5M limit, $100k retention, all parts, a year.
REFERENCE_POLICY: dict[str, Any] = {
    "limit_usd": 5_000_000.0,
    "retention_usd": 100_000.0,
    "coverages": list(COVERAGE_PARTS),
    "period_days": 365,
}
PEER_INCIDENTS_MAX = 8  # the fake's peers: the test city with 0 to 8 past incidents


def claim_rate_per_year(prior_incidents_3y: float) -> float:
    return BASE_CLAIM_RATE * (1 + prior_incidents_3y / 2)


def cause_shares() -> dict[str, float]:
    """Each cause's share of the claims, in CLAIM_CAUSES order (they sum to 1)."""
    total = sum(CLAIMS_IN_20.values())
    return {cause: CLAIMS_IN_20[cause] / total for cause in CLAIM_CAUSES}


def _severity() -> dict[str, Any]:
    return {
        "distribution": POINT_MASS,
        "by_cause": [
            {
                "cause": cause,
                "mu": math.log(GROUND_UP_CLAIM_USD),
                "sigma": 0.0,
                "tail_threshold_usd": GROUND_UP_CLAIM_USD,
                "tail_shape_xi": 0.0,
                "tail_scale_b": 0.0,
                "mean_loss_usd": GROUND_UP_CLAIM_USD,
            }
            for cause in CLAIM_CAUSES
        ],
    }


def _drivers(prior_incidents_3y: float, expected_loss_usd: float) -> list[dict[str, Any]]:
    """Past incidents, the one field the fake prices, as the real engine reports a driver."""
    if prior_incidents_3y == 0:
        return []
    log_effect = math.log1p(prior_incidents_3y / 2)
    return [
        {
            "field": "prior_incidents_3y",
            "label": FIELDS_BY_NAME["prior_incidents_3y"].label,
            "value": prior_incidents_3y,
            "log_effect": log_effect,
            "effect_pct": 100.0 * math.expm1(log_effect),
            "effect_usd": expected_loss_usd * -math.expm1(-log_effect),
            "direction": "raises",
            "cause": "ransomware",
        }
    ]


class FakeQuoteEngine(QuoteEngine):
    model_version = "test-model-1"
    rating_plan_version = "test-plan-1"

    @property
    def reference_exposures(self) -> pd.DataFrame | None:
        return None  # trained on nothing: no drift figures

    def self_assessor(self) -> SelfAssessor | None:
        return None  # the self-assessment needs the model engine

    def book_model(self) -> BookModel:
        return BookModel(None)  # no model: a book runs on the catalog's events alone

    def quote(
        self, exposure: dict[str, Any], policy: dict[str, Any], marginal_tvar_usd: float = 0.0
    ) -> dict[str, Any]:
        years = policy["period_days"] / 365.0
        prior = exposure["prior_incidents_3y"]
        rate = claim_rate_per_year(prior)
        count = rate * years
        share = len(policy["coverages"]) / ALL_COVERAGES
        per_claim = min(
            max(GROUND_UP_CLAIM_USD - policy["retention_usd"], 0.0), policy["limit_usd"]
        )
        expected_loss = count * per_claim * share
        premium = max(expected_loss / 0.6, 1_000.0)
        reasons: list[dict[str, str]] = []
        decision = "quote"
        if prior >= 50:
            decision = "decline"
            reasons.append({"code": "too_many_incidents", "message": "50+ incidents in 3 years"})
        elif exposure["ot_remote_access"] == "direct":
            decision = "refer"
            reasons.append({"code": "direct_ot_access", "message": "OT reachable directly"})
        return {
            "decision": decision,
            "decision_reasons": reasons,
            "risk_score": min(100.0, 2.0 * prior),
            "risk_grade": "C",
            "claim_rate_per_year": rate,
            "severity": _severity(),
            "expected_annual_ground_up_loss_usd": rate * GROUND_UP_CLAIM_USD,
            "claim_probability": 1.0 - math.exp(-count),
            "expected_claim_count": count,
            "expected_loss_usd": expected_loss,
            "premium_usd": premium,
            "premium_breakdown": {"expected_loss_usd": expected_loss, "expenses_usd": 0.0},
            "causes": [
                {
                    "cause": cause,
                    "claim_rate_per_year": rate * w,
                    "expected_annual_ground_up_loss_usd": rate * w * GROUND_UP_CLAIM_USD,
                    "expected_loss_usd": expected_loss * w,
                }
                for cause, w in cause_shares().items()
            ],
            "drivers": _drivers(prior, expected_loss),
            "loss_exceedance": {"1_in_10": 0.0, "1_in_100": per_claim, "1_in_200": per_claim},
        }


class FakeSelfAssessor(SelfAssessor):
    """The self-assessment's shape on the fake engine: unanswered fields are the test city's.

    Every figure is the fake quote of the completed city for ``REFERENCE_POLICY``.
    Only past incidents move the price, so the premium range is a single figure
    when they are answered, and otherwise runs from none to ``PEER_INCIDENTS_MAX``
    of them; the peers are the test city with 0 to ``PEER_INCIDENTS_MAX`` past
    incidents; no answer can be improved (no recommendations).
    """

    def __init__(self, engine: FakeQuoteEngine) -> None:
        self.engine = engine

    def _quote(self, city: dict[str, Any]) -> dict[str, Any]:
        return self.engine.quote(city, dict(REFERENCE_POLICY))

    def assess(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        known = {f.name: answers[f.name] for f in MODEL_FIELDS if answers.get(f.name) is not None}
        city = {**city_exposure(), **known}
        quote = self._quote(city)
        if "prior_incidents_3y" in known:
            low = high = quote["premium_usd"]
        else:
            low, high = (
                self._quote({**city, "prior_incidents_3y": p})["premium_usd"]
                for p in (0, PEER_INCIDENTS_MAX)
            )
        prior = city["prior_incidents_3y"]
        peers = [
            claim_rate_per_year(PEER_INCIDENTS_MAX * i / 40) * GROUND_UP_CLAIM_USD
            for i in range(41)
        ]
        return {
            "risk_score": quote["risk_score"],
            "risk_grade": quote["risk_grade"],
            "peer_percentile": 100.0 * min(prior, PEER_INCIDENTS_MAX) / PEER_INCIDENTS_MAX,
            "peer_group": {
                "basis": "population",
                "cities": len(peers),
                "population_range": [city["population"], city["population"]],
                "expected_annual_loss_quantiles_usd": peers,
            },
            "expected_annual_ground_up_loss_usd": quote["expected_annual_ground_up_loss_usd"],
            "expected_loss_usd": quote["expected_loss_usd"],
            "causes": quote["causes"],
            "premium_usd": quote["premium_usd"],
            "premium_range_usd": {"low": low, "high": high},
            "reference_policy": dict(REFERENCE_POLICY),
            "drivers": [{**d, "answered": d["field"] in known} for d in quote["drivers"]],
            "recommendations": [],
            "answered_fields": [f.name for f in MODEL_FIELDS if f.name in known],
            "unanswered_fields": [f.name for f in MODEL_FIELDS if f.name not in known],
            "method": {"unanswered": "the test city's answers (tests/support/city.py)"},
            "model_version": self.engine.model_version,
            "rating_plan_version": self.engine.rating_plan_version,
        }


class FakeAssessingEngine(FakeQuoteEngine):
    """The fake engine with a self-assessment (one assessor, kept like the real engine's)."""

    def __init__(self) -> None:
        self._assessor = FakeSelfAssessor(self)

    def self_assessor(self) -> SelfAssessor | None:
        return self._assessor


def build_fake_engine(models_dir: str | None) -> FakeQuoteEngine:
    """Engine factory with the real one's signature (the models directory is unused)."""
    return FakeQuoteEngine()
