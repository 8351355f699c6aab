"""Pricing policies: one with :func:`price_policy`, a batch with :func:`price_policies`.

A batch is priced in one pass where the cost is, the compound Poisson
aggregate of every policy's layer (models/pricing/aggregate.py on a
CoveredLossStack, whose grid LEVs are compiled loops), and policy by policy
where it is small: the loads, the decision, the causes
(models/pricing/premium.py). Each policy's numbers are
computed within its own row, so a batch item equals its single price bit for
bit (issue 13: a broker's schedule of a thousand cities in one request).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.pricing.aggregate import AggregateLoss, layer_aggregate_losses
from models.pricing.cause_losses import CauseLosses
from models.pricing.covered_loss import CoveredLoss, CoveredLossStack
from models.pricing.decision import decide
from models.pricing.premium import (
    RETURN_PERIODS,
    CauseQuote,
    PolicyTerms,
    PricingInputError,
    PricingResult,
    cause_quotes_of,
    covered_loss_for,
    losses_all_valid,
    premium_from_aggregate,
    probability_level,
)
from models.pricing.rating_plan import RatingPlan


@dataclass(frozen=True)
class PolicyToPrice:
    """One policy of :func:`price_policies`: the arguments of :func:`price_policy`."""

    losses: CauseLosses
    terms: PolicyTerms
    exposure: Mapping[str, Any]
    risk_score: float
    marginal_tvar_usd: float = 0.0


class PricingItemError(PricingInputError):
    """Pricing refused policy ``index`` of a batch for ``error`` (a PricingInputError, or
    another ValueError of the pricing code: either names the rule)."""

    def __init__(self, index: int, error: ValueError) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


def price_policy(
    losses: CauseLosses,
    terms: PolicyTerms,
    exposure: Mapping[str, Any],
    risk_score: float,
    plan: RatingPlan,
    marginal_tvar_usd: float = 0.0,
) -> PricingResult:
    """Price one policy for one city.

    ``marginal_tvar_usd``: the city's annual marginal TVaR 99.5% on the
    insurer's book (``portfolio_impact.delta_aep_tvar_200_usd``; 0 without a
    book), the basis of the plan's capital load for the policy's period.

    ``losses``: the city's expected ground-up claims per year and spliced
    severity of one ground-up loss (USD) by cause, arrays of shape (K,)
    (models/pricing/cause_losses.py); ``exposure``: the exposure record
    (fields used by the fines cap and the decision rules); ``risk_score``:
    0-100, higher = riskier.
    """
    policy = PolicyToPrice(losses, terms, exposure, risk_score, marginal_tvar_usd)
    try:
        return price_policies([policy], plan)[0]
    except PricingItemError as exc:
        raise exc.error from None


def price_policies(policies: Sequence[PolicyToPrice], plan: RatingPlan) -> list[PricingResult]:
    """:func:`price_policy` of each policy, the aggregates of all in one pass.

    Each result equals the policy's :func:`price_policy` bit for bit (the
    aggregate computes row by row). Raises :class:`PricingItemError` for the
    first policy pricing refuses.
    """
    covered: list[CoveredLoss] = []
    checked = losses_all_valid([p.losses for p in policies])
    for i, policy in enumerate(policies):
        try:
            score = policy.risk_score
            if not (math.isfinite(score) and 0 <= score <= 100):
                raise PricingInputError(f"risk_score must be in [0, 100] (got {score})")
            covered.append(
                covered_loss_for(
                    plan, policy.terms.coverages, policy.losses, policy.exposure, checked
                )
            )
        except ValueError as exc:
            raise PricingItemError(i, exc) from exc
    if not policies:
        return []
    counts = [float(p.losses.rate.sum()) * p.terms.period_years for p in policies]
    levels = {probability_level(1.0 - 1.0 / n) for n in RETURN_PERIODS} | {
        probability_level(plan.loads.risk_probability)
    }
    probabilities = tuple(sorted(levels))
    stack = CoveredLossStack(covered)
    retention = np.array([p.terms.retention_usd for p in policies])
    limit = np.array([p.terms.limit_usd for p in policies])
    aggregates = layer_aggregate_losses(stack, np.array(counts), retention, limit, probabilities)
    layers = stack.layer_expected_loss_by_cause(retention, limit)
    part_means = stack.part_means()
    causes = cause_quotes_of(
        [p.losses for p in policies], layers, [a.expected_usd for a in aggregates]
    )
    out = []
    for i, (policy, cover, aggregate, count) in enumerate(
        zip(policies, covered, aggregates, counts, strict=True)
    ):
        try:
            out.append(_result(plan, policy, cover, aggregate, count, part_means[i], causes[i]))
        except ValueError as exc:
            raise PricingItemError(i, exc) from exc
    return out


def _result(
    plan: RatingPlan,
    policy: PolicyToPrice,
    covered: CoveredLoss,
    aggregate: AggregateLoss,
    claim_count: float,
    part_means: dict[str, float],
    causes: tuple[CauseQuote, ...],
) -> PricingResult:
    terms = policy.terms
    breakdown = premium_from_aggregate(
        plan, aggregate, covered, policy.marginal_tvar_usd * terms.period_years, part_means
    )
    premium = breakdown.premium_usd
    decision, reasons = decide(
        plan.decision, policy.risk_score, terms.limit_usd, policy.exposure, premium
    )
    exceedance = {
        f"1_in_{n}": aggregate.quantiles_usd[
            aggregate.probabilities.index(probability_level(1.0 - 1.0 / n))
        ]
        for n in RETURN_PERIODS
    }
    return PricingResult(
        claim_probability=-math.expm1(-claim_count),
        expected_claim_count=claim_count,
        expected_claims_in_layer=aggregate.claims_in_layer,
        expected_loss_usd=aggregate.expected_usd,
        premium_usd=premium,
        premium_breakdown=breakdown,
        loss_exceedance=exceedance,
        limit_exhaustion_probability=aggregate.limit_exhaustion_probability,
        fines_cap_usd=covered.fines_cap_usd,
        decision=decision,
        decision_reasons=reasons,
        rating_plan_version=plan.version,
        causes=causes,
    )
