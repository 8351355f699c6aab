"""A batch of policies priced at once (models/pricing/pricer.py, CoveredLossStack).

Oracles: (1) each policy priced alone (``price_policy``, a batch of one):
a batch item must equal it bit for bit, in any order and any batch size,
whatever its neighbours are (fines capped or not, no claims, parts left
out); (2) the stack's LEV and survival against the policy's own
CoveredLoss (a separate implementation of the same closed forms) to 1e-12;
(3) the batched aggregate against the Panjer recursion through its
single-policy form, which tests/models/pricing/test_aggregate.py holds.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest

from models.pricing.aggregate import aggregate_limited_loss, aggregate_limited_losses
from models.pricing.covered_loss import CoveredLossStack
from models.pricing.premium import PolicyTerms, PricingInputError, covered_loss_for
from models.pricing.pricer import PolicyToPrice, PricingItemError, price_policies, price_policy
from models.pricing.rating_plan_reader import shipped_rating_plan
from models.spec.contract import COVERAGE_PARTS
from tests.models.pricing.cities import mid_size_city
from tests.support.city import city_exposure

PLAN = shipped_rating_plan()
EXPOSURE = city_exposure()  # every field a quote reads; the regime is varied below


def _policies(n: int, seed: int) -> list[PolicyToPrice]:
    """Varied policies: sizes, limits, retentions, parts, regimes (capped or not), no claims."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        losses = mid_size_city(float(rng.uniform(0.2, 8.0)), float(rng.normal(0, 1)))
        if i % 11 == 5:
            losses = mid_size_city(rate_scale=0.0)
        parts = tuple(p for p in COVERAGE_PARTS if rng.random() < 0.7) or COVERAGE_PARTS[:1]
        limit = float(rng.choice([250e3, 1e6, 5e6, 25e6, 100e6]))
        terms = PolicyTerms(
            limit,
            float(rng.choice([0.0, 50e3, 1e6])) % limit,
            parts,
            int(rng.choice([90, 365, 730])),
        )
        exposure = dict(EXPOSURE, privacy_regime=str(rng.choice(["gdpr", "ccpa"])))
        tvar = float(rng.choice([0.0, 3e5]))
        out.append(PolicyToPrice(losses, terms, exposure, float(rng.uniform(0, 100)), tvar))
    return out


def _text(result: Any) -> str:
    return json.dumps(result.to_dict(), sort_keys=True, default=str)


def test_each_item_of_a_batch_equals_its_policy_priced_alone_bit_for_bit() -> None:
    policies = _policies(60, seed=3)
    alone = [
        _text(price_policy(p.losses, p.terms, p.exposure, p.risk_score, PLAN, p.marginal_tvar_usd))
        for p in policies
    ]
    batch = [_text(r) for r in price_policies(policies, PLAN)]
    assert batch == alone
    order = np.random.default_rng(4).permutation(len(policies))
    shuffled = [_text(r) for r in price_policies([policies[i] for i in order], PLAN)]
    assert shuffled == [alone[i] for i in order]
    assert len(set(alone)) == len(alone)  # sixty different prices, not one priced sixty times
    assert any(r.expected_claims_in_layer == 0.0 for r in price_policies(policies, PLAN))


def test_the_first_policy_pricing_refuses_is_named_by_its_index() -> None:
    policies = _policies(5, seed=5)
    bad = PolicyToPrice(policies[3].losses, policies[3].terms, policies[3].exposure, 140.0)
    with pytest.raises(PricingItemError) as caught:
        price_policies([*policies[:3], bad, policies[4]], PLAN)
    assert caught.value.index == 3
    assert isinstance(caught.value.error, PricingInputError)
    assert "risk_score must be in [0, 100]" in str(caught.value)
    with pytest.raises(PricingInputError, match="risk_score") as alone:
        price_policy(bad.losses, bad.terms, bad.exposure, bad.risk_score, PLAN)
    assert not isinstance(alone.value, PricingItemError)  # the single price raises the error itself
    assert price_policies([], PLAN) == []


def test_the_stack_gives_each_policys_own_lev_and_survival() -> None:
    policies = _policies(12, seed=6)
    covered = [covered_loss_for(PLAN, p.terms.coverages, p.losses, p.exposure) for p in policies]
    stack = CoveredLossStack(covered)
    amounts = (
        np.array([[0.0, 1e3, 5e4, 1e6, 3e7, 1e9]] * len(covered)) * np.linspace(0.5, 2, 12)[:, None]
    )
    rows = np.array([0, 2, 3, 4, 7, 11])  # not consecutive: the index path
    for picked in (np.arange(len(covered)), rows, slice(2, 6)):
        chosen = np.arange(len(covered))[picked]
        lev = stack.lev(picked, amounts[chosen])
        survival = stack.survival(picked, amounts[chosen])
        for j, i in enumerate(chosen):
            assert lev[j] == pytest.approx(covered[i].lev(amounts[i]), rel=1e-12, abs=1e-9)
            assert survival[j] == pytest.approx(
                covered[i].survival(amounts[i]), rel=1e-12, abs=1e-15
            )
    layer = stack.layer_expected_loss_by_cause(np.full(12, 5e4), np.full(12, 1e6))
    for i, c in enumerate(covered):
        assert layer[i] == pytest.approx(c.layer_expected_loss_by_cause(5e4, 1e6), rel=1e-12)


def test_the_stacks_part_means_are_each_policys_own() -> None:
    """Oracle: ``CoveredLoss.part_means`` (numpy dot products), policy by policy.

    The policies buy different parts (with and without fines, capped by the
    regime); a policy's split is the same bits in a stack of one.
    """
    policies = _policies(24, seed=8)
    parts = [
        ("breach_response", "regulatory_fines"), ("cyber_extortion",), ("regulatory_fines",),
        COVERAGE_PARTS,
    ]  # fmt: skip
    covered = [
        covered_loss_for(PLAN, parts[i % len(parts)], p.losses, p.exposure)
        for i, p in enumerate(policies)
    ]
    means = CoveredLossStack(covered).part_means()
    for i, c in enumerate(covered):
        want = c.part_means()
        assert list(means[i]) == list(want)  # the bought parts, in COVERAGE_PARTS order
        for part, value in want.items():
            assert means[i][part] == pytest.approx(value, rel=1e-13, abs=1e-9)
        assert CoveredLossStack([c]).part_means()[0] == means[i]


def test_the_batched_aggregate_is_the_single_one_row_by_row() -> None:
    # Y' exponential with mean b, through its closed-form LEV E[min(Y, u)] = b (1 - exp(-u / b))
    scales = np.array([1e4, 3e5, 2e6, 5e4, 7e5])
    claims = np.array([0.3, 0.0, 4.0, 12.0, 0.05])
    limits = np.array([1e6, 1e6, 25e6, 2e6, 5e5])

    def excess(rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        b = scales[rows][:, None]
        return b * -np.expm1(-u / b)

    batch = aggregate_limited_losses(claims, excess, limits)
    for i in range(len(claims)):
        alone = aggregate_limited_loss(
            float(claims[i]), lambda u, b=scales[i]: b * -np.expm1(-u / b), float(limits[i])
        )
        assert asdict(batch[i]) == asdict(alone)
    assert batch[1].expected_usd == 0.0 and batch[1].quantiles_usd == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"limit_usd must be finite and > 0 \(got 0.0\)"):
        aggregate_limited_losses(claims, excess, np.array([1e6, 0.0, 1.0, 1.0, 1.0]))


def test_the_batch_check_of_the_losses_agrees_with_each_citys_own() -> None:
    """Oracle: ``_check_losses`` city by city; a broken city is still named by its index."""
    from models.pricing.cause_losses import CauseLosses
    from models.pricing.premium import _check_losses, losses_all_valid

    good = [p.losses for p in _policies(6, seed=8)]

    def broken(kind: str) -> CauseLosses:
        city = good[2]
        rate, mu, sigma = city.rate.copy(), city.mu.copy(), city.sigma.copy()
        if kind == "negative rate":
            rate[3] = -0.1
        elif kind == "nan mu":
            mu[1] = np.nan
        elif kind == "sigma over 10":
            sigma = sigma.copy()
            sigma[0] = 10.5
        elif kind == "too many claims":
            rate[:] = 400.0
        elif kind == "threshold overflows":
            mu[5] = 720.0
        return CauseLosses(rate, mu, sigma, city.tails)

    assert losses_all_valid(good)
    for kind in (
        "negative rate",
        "nan mu",
        "sigma over 10",
        "too many claims",
        "threshold overflows",
    ):
        bad = broken(kind)
        with pytest.raises(PricingInputError):
            _check_losses(bad)
        assert not losses_all_valid([*good[:4], bad, good[5]]), kind
        policies = _policies(6, seed=8)
        policies[4] = PolicyToPrice(bad, policies[4].terms, policies[4].exposure, 50.0)
        with pytest.raises(PricingItemError) as caught:
            price_policies(policies, PLAN)
        assert caught.value.index == 4, kind
    assert not losses_all_valid([])
