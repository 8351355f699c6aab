"""A test-only quote engine with closed-form numbers, for testing the HTTP layer.

Selected with POLISURE_ENGINE=tests.support.fake_engine:build_fake_engine
(the end-to-end test does this until the real engine is wired). Its numbers
are simple enough to check by hand:

- claim rate per year lambda = 0.02 x (1 + prior_incidents_3y / 2);
  expected_claim_count = lambda x period_days / 365;
- every claim is exactly 1,000,000 USD ground-up, so the insured part per
  claim is min(max(1e6 - retention, 0), limit) x (coverages bought / 9);
- premium_usd = max(expected_loss_usd / 0.6, 1,000);
- decision: decline at >= 50 prior incidents, refer with direct OT remote
  access, quote otherwise.

It implements the service's seam explicitly (it subclasses
service.engine.protocol.QuoteEngine, so mypy checks every member): no
reference portfolio (no drift gauges) and no self-assessment (503).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from service.engine.protocol import QuoteEngine, SelfAssessor

GROUND_UP_CLAIM_USD = 1_000_000.0
ALL_COVERAGES = 9


class FakeQuoteEngine(QuoteEngine):
    model_version = "test-model-1"
    rating_plan_version = "test-plan-1"

    @property
    def reference_exposures(self) -> pd.DataFrame | None:
        return None  # trained on nothing: no drift figures

    def self_assessor(self) -> SelfAssessor | None:
        return None  # the self-assessment needs the model engine

    def quote(self, exposure: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
        years = policy["period_days"] / 365.0
        rate = 0.02 * (1 + exposure["prior_incidents_3y"] / 2)
        count = rate * years
        share = len(policy["coverages"]) / ALL_COVERAGES
        per_claim = min(
            max(GROUND_UP_CLAIM_USD - policy["retention_usd"], 0.0), policy["limit_usd"]
        )
        expected_loss = count * per_claim * share
        premium = max(expected_loss / 0.6, 1_000.0)
        reasons: list[dict[str, str]] = []
        decision = "quote"
        if exposure["prior_incidents_3y"] >= 50:
            decision = "decline"
            reasons.append({"code": "too_many_incidents", "message": "50+ incidents in 3 years"})
        elif exposure["ot_remote_access"] == "direct":
            decision = "refer"
            reasons.append({"code": "direct_ot_access", "message": "OT reachable directly"})
        return {
            "decision": decision,
            "decision_reasons": reasons,
            "risk_score": min(100.0, 2.0 * exposure["prior_incidents_3y"]),
            "risk_grade": "C",
            "claim_probability": 1.0 - math.exp(-count),
            "expected_claim_count": count,
            "expected_loss_usd": expected_loss,
            "premium_usd": premium,
            "premium_breakdown": {"expected_loss_usd": expected_loss, "expenses_usd": 0.0},
            "drivers": [
                {"field": "prior_incidents_3y", "label": "Past incidents", "effect_usd": 1.0}
            ],
            "loss_exceedance": {"1_in_10": 0.0, "1_in_100": per_claim, "1_in_200": per_claim},
        }


def build_fake_engine(models_dir: str | None) -> FakeQuoteEngine:
    """Engine factory with the real one's signature (the models directory is unused)."""
    return FakeQuoteEngine()
