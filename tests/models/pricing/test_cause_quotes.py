"""The quote's causes: they add up, and leaving a coverage out removes exactly its causes' loss."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from models.pricing.premium import PolicyTerms, covered_loss_for
from models.pricing.pricer import price_policy
from models.pricing.rating_plan_reader import shipped_rating_plan
from models.pricing.spliced import spliced_layer_expected_loss, spliced_mean
from models.spec.contract import CLAIM_CAUSES, COVERAGE_PARTS
from tests.models.pricing.cities import mid_size_city

PLAN = shipped_rating_plan()
SHARES = PLAN.cause_coverage_shares
CITY = mid_size_city()
EXPOSURE: dict[str, Any] = {"privacy_regime": "gdpr", "annual_revenue_usd": 200e6}
NO_CAP = {"privacy_regime": "ccpa"}  # no fines cap: Z_c = s_c X_c exactly
RANSOMWARE = CLAIM_CAUSES.index("ransomware")
RANSOMWARE_PARTS = tuple(p for p in COVERAGE_PARTS if SHARES["ransomware"][p] > 0)
ALL_BUT_RANSOMWARES = tuple(p for p in COVERAGE_PARTS if p not in RANSOMWARE_PARTS)
TERMS = {
    "every part, $5M": PolicyTerms(5e6, 50e3),
    "a $250k limit the city often exhausts": PolicyTerms(250e3, 10e3),
    "three parts, 200 days": PolicyTerms(
        2e6, 25e3, ("cyber_extortion", "regulatory_fines", "media_liability"), 200
    ),
    "all but ransomware's parts": PolicyTerms(5e6, 50e3, ALL_BUT_RANSOMWARES),
}


def _tail(c: int) -> tuple[float, float, float]:
    t = CITY.tails
    return t.z_u[c], t.xi[c], t.b[c]


@pytest.mark.parametrize("name", list(TERMS))
def test_causes_add_up_to_the_quote(name: str) -> None:
    result = price_policy(CITY, TERMS[name], EXPOSURE, 50, PLAN)
    causes = result.causes
    assert [c.cause for c in causes] == list(CLAIM_CAUSES)
    assert math.fsum(c.claim_rate_per_year for c in causes) == pytest.approx(
        float(CITY.rate.sum()), rel=1e-12
    )
    assert math.fsum(c.expected_annual_ground_up_loss_usd for c in causes) == pytest.approx(
        float(CITY.expected_annual_loss()), rel=1e-12
    )
    assert math.fsum(c.expected_loss_usd for c in causes) == pytest.approx(
        result.expected_loss_usd, rel=1e-9
    )
    for c, quote in enumerate(causes):
        # ground-up: rate x E[X_c], before any policy term (and a year, whatever the period)
        mean = float(spliced_mean(CITY.mu[c], CITY.sigma[c], *_tail(c)))
        assert quote.claim_rate_per_year == CITY.rate[c]
        assert quote.expected_annual_ground_up_loss_usd == pytest.approx(
            CITY.rate[c] * mean, rel=1e-12
        )
        assert quote.expected_loss_usd >= 0
    rows = json.loads(json.dumps(result.to_dict()))["causes"]
    assert all(
        set(row)
        == {
            "cause",
            "claim_rate_per_year",
            "expected_annual_ground_up_loss_usd",
            "expected_loss_usd",
        }
        for row in rows
    )


def test_a_causes_part_is_pro_rata_to_its_per_claim_layer_loss() -> None:
    """The convention: expected_loss_usd x rate_c E[min((Z_c - d)+, L)] / sum over causes.

    Oracle without a fines cap: Z_c = s_c X_c, so E[min((Z_c - d)+, L)] =
    s_c x the spliced layer of X_c at (d / s_c, L / s_c).
    """
    terms = PolicyTerms(
        250e3, 10e3, ("breach_response", "business_interruption", "regulatory_fines")
    )
    result = price_policy(CITY, terms, NO_CAP, 50, PLAN)
    assert result.limit_exhaustion_probability > 0.01  # the aggregate limit binds
    layer = np.zeros(len(CLAIM_CAUSES))
    for c, cause in enumerate(CLAIM_CAUSES):
        s = sum(SHARES[cause][p] for p in terms.coverages)
        if s > 0:
            per_claim = spliced_layer_expected_loss(
                terms.retention_usd / s,
                terms.limit_usd / s,
                CITY.mu[c],
                CITY.sigma[c],
                *_tail(c),
            )
            layer[c] = CITY.rate[c] * s * float(per_claim)
    expected = result.expected_loss_usd * layer / layer.sum()
    np.testing.assert_allclose([q.expected_loss_usd for q in result.causes], expected, rtol=1e-9)
    # the aggregate limit takes its cut: the parts sum to less than the per-claim layer loss
    assert result.expected_loss_usd < layer.sum()


def test_leaving_out_ransomwares_parts_removes_exactly_ransomwares_loss() -> None:
    """Buy every part ransomware maps to nothing of: ransomware pays 0, others keep their figures.

    A cause's per-claim layer figure rate_c E[min((Z_c - d)+, L)] depends only
    on its own shares of the bought parts, so privacy_regulatory, which shares
    no part with ransomware, keeps exactly the same figure.
    """
    d, limit = 50e3, 5e6
    full = covered_loss_for(PLAN, COVERAGE_PARTS, CITY, EXPOSURE)
    fewer = covered_loss_for(PLAN, ALL_BUT_RANSOMWARES, CITY, EXPOSURE)
    result = price_policy(CITY, PolicyTerms(limit, d, ALL_BUT_RANSOMWARES), EXPOSURE, 50, PLAN)
    assert result.causes[RANSOMWARE].expected_loss_usd == 0.0
    # its claims still arrive and still count in the ground-up figures
    assert result.causes[RANSOMWARE].claim_rate_per_year == CITY.rate[RANSOMWARE]
    assert result.expected_claim_count == pytest.approx(float(CITY.rate.sum()))
    full_layer = full.layer_expected_loss_by_cause(d, limit)
    fewer_layer = fewer.layer_expected_loss_by_cause(d, limit)
    assert fewer_layer[RANSOMWARE] == 0.0 and full_layer[RANSOMWARE] > 0
    for c, cause in enumerate(CLAIM_CAUSES):
        untouched = all(SHARES[cause][p] == 0 for p in RANSOMWARE_PARTS)
        if untouched:
            assert fewer_layer[c] == pytest.approx(full_layer[c], rel=1e-14), cause
        else:
            assert fewer_layer[c] < full_layer[c], cause
    assert SHARES["privacy_regulatory"]["cyber_extortion"] == 0  # at least one untouched cause


@pytest.mark.parametrize("part", COVERAGE_PARTS)
def test_leaving_out_a_part_removes_its_share_of_each_causes_mean(part: str) -> None:
    """E[Z_c] falls by exactly s_cp E[X_c] (fines uncapped here): nothing for a cause the part has no share of."""
    fewer_parts = tuple(p for p in COVERAGE_PARTS if p != part)
    full = covered_loss_for(PLAN, COVERAGE_PARTS, CITY, NO_CAP).mean_by_cause()
    fewer = covered_loss_for(PLAN, fewer_parts, CITY, NO_CAP).mean_by_cause()
    for c, cause in enumerate(CLAIM_CAUSES):
        mean = float(spliced_mean(CITY.mu[c], CITY.sigma[c], *_tail(c)))
        assert full[c] - fewer[c] == pytest.approx(SHARES[cause][part] * mean, rel=1e-9, abs=1e-6)
