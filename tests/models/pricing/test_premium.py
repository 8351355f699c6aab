"""The premium: its identities, its shape in the policy terms, the decision."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from models.pricing.aggregate import aggregate_limited_loss
from models.pricing.cause_losses import CauseLosses, SeverityTails
from models.pricing.lognormal import lognormal_lev, lognormal_mean
from models.pricing.premium import (
    PolicyTerms,
    PricingInputError,
    PricingResult,
    covered_loss_for,
    floor_at_minimum_premium,
)
from models.pricing.pricer import price_policy
from models.pricing.rating_plan_reader import shipped_rating_plan
from models.pricing.spliced import spliced_layer_expected_loss, spliced_lev
from models.spec.contract import CLAIM_CAUSES, COVERAGE_PARTS
from tests.models.pricing.cities import K, mid_size_city, one_cause

PLAN = shipped_rating_plan()
SHARES = PLAN.cause_coverage_shares
CITY = mid_size_city()  # 0.3 ground-up claims a year over seven causes, GPD tails
CITY_RATE = float(CITY.rate.sum())
CLEAN_EXPOSURE: dict[str, Any] = {
    "annual_revenue_usd": 500e6,
    "privacy_regime": "gdpr",
    "internet_exposed_devices": 0,
    "ot_remote_access": "jump_host_mfa",
    "mfa_remote": "all",
    "backup_isolation": "offline_or_immutable",
    "restore_test_months": 6,
    "vendor_access_control": "individual_mfa",
    "vendors_with_remote_access": 4,
    "public_face_recognition": False,
    "dpia_coverage_pct": 100.0,
}


def _city(
    terms: PolicyTerms, exposure: dict[str, Any] | None = None, score: float = 50.0
) -> PricingResult:
    return price_policy(CITY, terms, exposure or CLEAN_EXPOSURE, score, PLAN)


NO_CAP_EXPOSURE = dict(CLEAN_EXPOSURE, privacy_regime="ccpa")  # the plan caps no ccpa fines


def test_result_identities_and_plain_data() -> None:
    terms = PolicyTerms(5e6, 50e3, period_days=365)
    result = _city(terms)
    b = result.premium_breakdown
    assert result.expected_claim_count == pytest.approx(CITY_RATE)
    assert result.claim_probability == pytest.approx(1 - math.exp(-CITY_RATE), rel=1e-15)
    assert result.expected_loss_usd == b.expected_loss_usd
    parts = b.expected_loss_usd + b.risk_load_usd + b.expense_load_usd + b.profit_load_usd
    assert parts + b.minimum_premium_uplift_usd == pytest.approx(result.premium_usd, rel=1e-12)
    assert b.expense_load_usd == pytest.approx(PLAN.loads.expense_ratio * b.technical_premium_usd)
    assert sum(b.coverage_expected_loss_usd.values()) == pytest.approx(
        result.expected_loss_usd, rel=1e-12
    )
    le = result.loss_exceedance
    assert 0 <= le["1_in_10"] <= le["1_in_100"] <= le["1_in_200"] <= terms.limit_usd
    assert result.decision == "quote" and result.decision_reasons == ()
    assert result.rating_plan_version == PLAN.version
    json.dumps(result.to_dict())  # stored with the quote


def test_coverage_split_is_pro_rata_to_each_parts_expected_covered_loss() -> None:
    """The breakdown's split of the expected loss follows CoveredLoss.part_means()."""
    terms = PolicyTerms(
        5e6, 50e3, coverages=("breach_response", "cyber_extortion", "regulatory_fines")
    )
    result = _city(terms)
    means = covered_loss_for(PLAN, terms.coverages, CITY, CLEAN_EXPOSURE).part_means()
    split = result.premium_breakdown.coverage_expected_loss_usd
    assert list(split) == list(terms.coverages)
    for part in terms.coverages:
        assert split[part] == pytest.approx(
            result.expected_loss_usd * means[part] / sum(means.values()), rel=1e-12
        )


def test_expected_loss_is_the_layer_expectation_when_the_limit_is_never_reached() -> None:
    """lambda t E[Y] for a city whose losses practically never approach a $500M limit.

    Without fines Z_c = s_c X_c, so the oracle per cause is the spliced layer
    scaled: E[min((s X - d)+, L)] = s E[min((X - d/s)+, L/s)].
    """
    d, limit = 25e3, 500e6
    terms = PolicyTerms(limit, d, coverages=("breach_response", "business_interruption"))
    result = price_policy(CITY, terms, NO_CAP_EXPOSURE, 10, PLAN)
    t = CITY.tails
    expected = 0.0
    for c, cause in enumerate(CLAIM_CAUSES):
        s = SHARES[cause]["breach_response"] + SHARES[cause]["business_interruption"]
        if s > 0:
            layer = spliced_layer_expected_loss(
                d / s, limit / s, CITY.mu[c], CITY.sigma[c], t.z_u[c], t.xi[c], t.b[c]
            )
            expected += CITY.rate[c] * s * float(layer)
    # the rest is two or more claims summing past $500M: ~1e-12 of the loss
    assert result.expected_loss_usd == pytest.approx(expected, rel=1e-6)


def _lognormal_price(
    rate: float, mu: float, sigma: float, share: float, terms: PolicyTerms
) -> tuple[float, tuple[float, ...], float]:
    """2026.1's lognormal model, Z = s X (no fines cap): expected loss, quantiles, premium.

    From lognormal.py's closed forms alone: LEV_Z(u) = s LEV_X(u / s); the
    aggregate and the loads as documented in premium.py.
    """
    d, limit = terms.retention_usd, terms.limit_usd
    reach = 1.0 - float(norm.cdf((math.log(d / share) - mu) / sigma)) if d > 0 else 1.0

    def excess_lev(u: np.ndarray) -> np.ndarray:
        at = share * lognormal_lev((d + u) / share, mu, sigma)
        return (at - share * float(lognormal_lev(d / share, mu, sigma))) / reach

    levels = (0.9, 0.99, 0.995)
    aggregate = aggregate_limited_loss(rate * terms.period_years * reach, excess_lev, limit, levels)
    loads = PLAN.loads
    risk = loads.risk_load_share * (aggregate.tail_means_usd[2] - aggregate.expected_usd)
    technical = (aggregate.expected_usd + risk) / (1 - loads.expense_ratio - loads.profit_margin)
    premium = max(technical, loads.minimum_premium_usd)
    return aggregate.expected_usd, aggregate.quantiles_usd, premium


@pytest.mark.parametrize(
    ("rate", "median", "sigma", "terms", "cause"),
    [
        (0.015, 16.5e3, 1.8, PolicyTerms(1e6, 10e3), "data_breach"),
        (0.3, 300e3, 2.0, PolicyTerms(5e6, 50e3), "ransomware"),
        (
            0.8,
            80e3,
            1.5,
            PolicyTerms(2e6, 25e3, ("breach_response", "privacy_liability"), 200),
            "business_email_compromise",
        ),
    ],
)
def test_one_cause_with_a_negligible_tail_reproduces_the_lognormal_prices(
    rate: float, median: float, sigma: float, terms: PolicyTerms, cause: str
) -> None:
    """z_u = 8 leaves the lognormal; one cause with covered share s is 2026.1's Z = s X."""
    losses = one_cause(rate, math.log(median), sigma, cause)
    result = price_policy(losses, terms, NO_CAP_EXPOSURE, 30, PLAN)
    share = sum(SHARES[cause][p] for p in terms.coverages)
    expected, quantiles, premium = _lognormal_price(rate, math.log(median), sigma, share, terms)
    assert result.expected_loss_usd == pytest.approx(expected, rel=1e-7)
    assert result.premium_usd == pytest.approx(premium, rel=1e-7)
    for got, want in zip(result.loss_exceedance.values(), quantiles, strict=True):
        assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("cause", CLAIM_CAUSES)
def test_reference_small_insured_matches_published_price_level(cause: str) -> None:
    """loss-figures.md targets 12: $1M limit, small entity, $1.2k-2.5k a year, loss ratio 40-50%.

    The reference small insured: 1.5% claims a year (Coalition 1.48%), sigma
    1.8 (NetDiligence mean/median ~5) and a $100k mean loss (Coalition $115k
    average, US $108k), $10k retention (AdvisorSmith's quote basis), as one
    cause with a negligible tail. Every part bought covers the whole loss of
    any cause (the GDPR fines cap, >= $21.6M, is far above the layer), so the
    price is the same whichever cause the claims are of.
    """
    sigma = 1.8
    mu = math.log(100e3) - sigma**2 / 2
    losses = one_cause(0.015, mu, sigma, cause)
    result = price_policy(losses, PolicyTerms(1e6, 10e3), CLEAN_EXPOSURE, 30, PLAN)
    assert 1200 <= result.premium_usd <= 2500
    assert result.expected_loss_usd / result.premium_usd == pytest.approx(0.45, abs=0.01)
    _, _, lognormal = _lognormal_price(0.015, mu, sigma, 1.0, PolicyTerms(1e6, 10e3))
    assert result.premium_usd == pytest.approx(lognormal, rel=1e-7)


def test_premium_rises_with_the_limit_on_a_concave_curve() -> None:
    limits = np.array([250e3, 500e3, 1e6, 2e6, 5e6, 10e6, 25e6, 50e6])
    results = [_city(PolicyTerms(limit, 50e3)) for limit in limits]
    assert not any(r.premium_breakdown.minimum_premium_applied for r in results)
    premiums = np.array([r.premium_usd for r in results])
    slopes = np.diff(premiums) / np.diff(limits)
    assert np.all(slopes > 0)
    assert np.all(np.diff(slopes) < 0)  # each extra dollar of limit costs less


def test_premium_falls_with_the_retention() -> None:
    retentions = [0.0, 10e3, 50e3, 250e3, 1e6]
    premiums = [_city(PolicyTerms(5e6, d)).premium_usd for d in retentions]
    assert all(a > b for a, b in itertools.pairwise(premiums))


def test_fewer_coverage_parts_cost_less() -> None:
    full = _city(PolicyTerms(5e6, 50e3)).premium_usd
    for part in COVERAGE_PARTS:
        fewer = tuple(p for p in COVERAGE_PARTS if p != part)
        assert _city(PolicyTerms(5e6, 50e3, coverages=fewer)).premium_usd < full, part
    chain = [COVERAGE_PARTS[:k] for k in range(1, len(COVERAGE_PARTS) + 1)]
    premiums = [_city(PolicyTerms(5e6, 50e3, coverages=c)).premium_usd for c in chain]
    assert all(a < b for a, b in itertools.pairwise(premiums))


def test_half_the_period_costs_about_half() -> None:
    """Not exactly half, for two reasons, each bounded here.

    The expected loss is E[min(S_t, L)]: a shorter period hits the aggregate
    limit less often, so it keeps slightly more than its share (within 2%).
    The risk load uses the 1-in-200 tail of the period's loss, which does not
    scale with t (within 10%). The minimum premium does not bind here.
    """
    full = _city(PolicyTerms(5e6, 50e3, period_days=365))
    half = _city(PolicyTerms(5e6, 50e3, period_days=183))
    share = 183 / 365
    loss_ratio = half.expected_loss_usd / full.expected_loss_usd
    assert share <= loss_ratio <= share * 1.02
    assert half.premium_usd / full.premium_usd == pytest.approx(share, rel=0.10)
    assert half.expected_claim_count == pytest.approx(CITY_RATE * share)


@pytest.mark.parametrize("cause", ["data_breach", "privacy_regulatory", "other"])
def test_regulatory_fines_are_capped_by_the_regime(cause: str) -> None:
    """loss-figures.md target 15: covered fines never exceed max(EUR 20M, 4% of turnover), per cause."""
    c = CLAIM_CAUSES.index(cause)
    exposure = dict(CLEAN_EXPOSURE, annual_revenue_usd=100e6, privacy_regime="gdpr")
    losses = one_cause(0.2, math.log(5e6), 2.5, cause)
    covered = covered_loss_for(PLAN, ("regulatory_fines",), losses, exposure)
    cap = max(21.6e6, 0.04 * 100e6)
    assert covered.fines_cap_usd == pytest.approx(cap)
    assert float(covered.apply(np.array([1e12]), np.array([c]))[0]) == pytest.approx(cap)
    assert covered.mean() <= cap
    # f min(X, cap / f): the capped mean from the spliced LEV (here the lognormal's)
    f = SHARES[cause]["regulatory_fines"]
    assert f > 0
    t = losses.tails
    closed = f * float(
        spliced_lev(cap / f, losses.mu[c], losses.sigma[c], t.z_u[c], t.xi[c], t.b[c])
    )
    assert covered.mean() == pytest.approx(closed, rel=1e-12)
    # the same city under a regime without a cap in the plan pays more for fines
    uncapped = covered_loss_for(
        PLAN, ("regulatory_fines",), losses, dict(exposure, privacy_regime="ccpa")
    )
    assert uncapped.fines_cap_usd is None and uncapped.mean() > covered.mean()
    assert uncapped.mean() == pytest.approx(f * float(lognormal_mean(math.log(5e6), 2.5)), rel=1e-6)
    # the cap binds the quote too: no 1-in-200 fine above the cap
    result = price_policy(
        losses, PolicyTerms(100e6, coverages=("regulatory_fines",)), exposure, 50, PLAN
    )
    assert result.fines_cap_usd == pytest.approx(cap)
    # fines left out: no cap needed and no fines loss
    no_fines = covered_loss_for(PLAN, ("privacy_liability",), losses, exposure)
    assert not np.any(no_fines.fines_share) and no_fines.fines_cap_usd is None


def test_minimum_premium_floors_a_tiny_risk() -> None:
    tiny = one_cause(0.001, math.log(5e3), 1.0)
    result = price_policy(tiny, PolicyTerms(250e3, 10e3), CLEAN_EXPOSURE, 5, PLAN)
    b = result.premium_breakdown
    assert b.minimum_premium_applied and result.premium_usd == PLAN.loads.minimum_premium_usd
    assert b.minimum_premium_uplift_usd == pytest.approx(
        result.premium_usd - b.technical_premium_usd
    )
    assert b.premium_usd == result.premium_usd  # one floor for the breakdown and the quote


@pytest.mark.parametrize("technical", [0.0, 999.99, 1000.0, 1000.01, 2.5e6])
def test_the_minimum_premium_is_a_floor(technical: float) -> None:
    """Oracle: max(technical, minimum); applied exactly when technical < minimum."""
    premium = floor_at_minimum_premium(technical, 1000.0)
    assert premium == max(technical, 1000.0)
    assert (premium > technical) == (technical < 1000.0)


def test_a_premium_above_the_rate_on_line_appetite_is_referred() -> None:
    """Oracle: the rule fires exactly when premium / limit exceeds the plan's maximum."""
    terms = PolicyTerms(100_000, 0)  # a small limit a city this size would exhaust
    heavy = price_policy(
        mid_size_city(rate_scale=2.0 / CITY_RATE), terms, CLEAN_EXPOSURE, 50.0, PLAN
    )
    assert heavy.premium_usd / terms.limit_usd > PLAN.decision.max_rate_on_line
    assert heavy.decision == "refer"
    assert [r.code for r in heavy.decision_reasons] == ["rate_on_line_above_appetite"]
    light = _city(PolicyTerms(5e6, 50e3))
    assert light.premium_usd / 5e6 <= PLAN.decision.max_rate_on_line
    assert "rate_on_line_above_appetite" not in [r.code for r in light.decision_reasons]


@pytest.mark.parametrize(
    ("score", "limit", "changes", "decision", "codes"),
    [
        (99.5, 5e6, {}, "decline", ["risk_score_above_decline_threshold"]),
        (92.0, 5e6, {}, "refer", ["risk_score_above_refer_threshold"]),
        (50.0, 20e6, {}, "refer", ["limit_above_appetite"]),
        (
            50.0,
            5e6,
            {"internet_exposed_devices": 12, "ot_remote_access": "direct", "mfa_remote": "none"},
            "decline",
            ["internet_exposed_ot_without_mfa"],
        ),
        (
            92.0,
            5e6,
            {"vendor_access_control": "shared_credentials"},
            "refer",
            ["risk_score_above_refer_threshold", "shared_vendor_credentials"],
        ),
        (50.0, 5e6, {"internet_exposed_devices": 12, "ot_remote_access": "direct"}, "quote", []),
    ],
)
def test_decision_rules(
    score: float, limit: float, changes: dict[str, Any], decision: str, codes: list[str]
) -> None:
    result = _city(PolicyTerms(limit, 50e3), dict(CLEAN_EXPOSURE, **changes), score)
    assert result.decision == decision
    assert [r.code for r in result.decision_reasons] == codes
    assert all(r.message for r in result.decision_reasons)


def _priced(**changes: Any) -> PricingResult:
    """The mid-size city with some of its per-cause arrays replaced, priced for $1M."""
    arrays = {"rate": CITY.rate, "mu": CITY.mu, "sigma": CITY.sigma}
    exposure = changes.pop("exposure", CLEAN_EXPOSURE)
    coverages = changes.pop("coverages", COVERAGE_PARTS)
    tails = changes.pop("tails", CITY.tails)
    for name, (cause, value) in changes.items():
        column = arrays[name].copy()
        column[CLAIM_CAUSES.index(cause)] = value
        arrays[name] = column
    losses = CauseLosses(arrays["rate"], arrays["mu"], arrays["sigma"], tails)
    return price_policy(losses, PolicyTerms(1e6, coverages=coverages), exposure, 5, PLAN)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: PolicyTerms(0.0), "limit_usd"),
        (lambda: PolicyTerms(1e6, 1e6), "retention_usd"),
        (lambda: PolicyTerms(1e6, coverages=("cyber_war",)), "coverages"),
        (lambda: PolicyTerms(1e6, coverages=()), "coverages"),
        (lambda: PolicyTerms(1e6, period_days=0), "period_days"),
        (lambda: _city(PolicyTerms(1e6), score=101), "risk_score"),
        (lambda: _priced(rate=("ransomware", -0.1)), r"claim_rate_per_year\.ransomware"),
        (lambda: _priced(rate=("other", math.nan)), r"claim_rate_per_year\.other"),
        (
            lambda: price_policy(
                mid_size_city(rate_scale=1001 / CITY_RATE),
                PolicyTerms(1e6),
                CLEAN_EXPOSURE,
                5,
                PLAN,
            ),
            r"claim_rate_per_year must be in \[0, 1000\]",
        ),
        (lambda: _priced(sigma=("data_breach", 12.0)), r"severity_sigma\.data_breach"),
        (lambda: _priced(mu=("vendor_outage", math.inf)), r"severity_mu\.vendor_outage"),
        # exp(mu + sigma z_u) overflows: a 5xx were it not caught here
        (lambda: _priced(mu=("other", 720.0)), r"severity_mu\.other"),
        (lambda: _priced(exposure={"privacy_regime": "gdpr"}), "annual_revenue_usd"),
        (
            lambda: price_policy(
                one_cause(0.1, 11.0, 1.5, "vendor_outage"),
                PolicyTerms(1e6, coverages=("media_liability",)),
                CLEAN_EXPOSURE,
                5,
                PLAN,
            ),
            "coverages",
        ),
        (
            lambda: price_policy(
                CauseLosses(np.ones((2, K)), np.ones((2, K)), CITY.sigma, CITY.tails),
                PolicyTerms(1e6),
                CLEAN_EXPOSURE,
                5,
                PLAN,
            ),
            "losses",
        ),
    ],
)
def test_bad_input_names_the_field(build, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PricingInputError, match=field):
        build()


def test_a_city_with_no_claims_prices_at_the_minimum() -> None:
    result = price_policy(mid_size_city(rate_scale=0.0), PolicyTerms(1e6), CLEAN_EXPOSURE, 5, PLAN)
    assert result.expected_loss_usd == 0.0 and result.claim_probability == 0.0
    assert result.premium_usd == PLAN.loads.minimum_premium_usd
    assert all(c.expected_loss_usd == 0.0 for c in result.causes)


@settings(max_examples=60, deadline=None)
@given(
    scale=st.floats(min_value=0.01, max_value=10.0),
    shift=st.floats(min_value=-3.0, max_value=3.0),
    bump=st.floats(min_value=1.01, max_value=2.0),
    limit=st.sampled_from([250e3, 1e6, 5e6, 25e6]),
    retention=st.sampled_from([0.0, 10e3, 100e3]),
)
def test_premium_is_monotone_in_claim_rate_and_severity(
    scale: float, shift: float, bump: float, limit: float, retention: float
) -> None:
    """More claims of every cause, or every loss scaled up (mu + ln bump), never cost less."""
    terms = PolicyTerms(limit, retention)

    def price(rate_scale: float, mu_shift: float) -> PricingResult:
        losses = mid_size_city(rate_scale, mu_shift)
        return price_policy(losses, terms, CLEAN_EXPOSURE, 50, PLAN)

    base = price(scale, shift)
    # slack: relative round-off, plus a millionth of a cent where the expected
    # loss itself is ~0 (a layer far above every plausible loss)
    for other in (price(scale * bump, shift), price(scale, shift + math.log(bump))):
        assert other.expected_loss_usd >= base.expected_loss_usd * (1 - 1e-9) - 1e-8
        assert other.premium_usd >= base.premium_usd * (1 - 1e-9) - 1e-8
        assert other.expected_loss_usd >= 0


def _per_cause(low: float, high: float) -> st.SearchStrategy[list[float]]:
    return st.lists(st.floats(min_value=low, max_value=high), min_size=K, max_size=K)


@settings(max_examples=150, deadline=None)
@given(
    rate=_per_cause(0.0, 7.0),
    mu=_per_cause(math.log(100.0), math.log(1e9)),
    sigma=_per_cause(0.1, 4.0),
    z_u=_per_cause(0.5, 3.0),
    xi=_per_cause(-0.5, 0.9),
    b=_per_cause(0.05, 3.0),
    limit=st.floats(min_value=100e3, max_value=500e6),
    retention_share=st.floats(min_value=0.0, max_value=0.99),
    parts=st.sets(st.sampled_from(COVERAGE_PARTS), min_size=1),
    days=st.integers(min_value=1, max_value=1096),
    regime=st.sampled_from(["gdpr", "pipl", "ccpa", "lgpd", "other"]),
    revenue=st.floats(min_value=1e6, max_value=1e12),
)
def test_every_valid_input_prices_to_finite_ordered_numbers(
    rate: list[float],
    mu: list[float],
    sigma: list[float],
    z_u: list[float],
    xi: list[float],
    b: list[float],
    limit: float,
    retention_share: float,
    parts: set[str],
    days: int,
    regime: str,
    revenue: float,
) -> None:
    losses = CauseLosses(np.array(rate), np.array(mu), np.array(sigma), SeverityTails(z_u, xi, b))
    terms = PolicyTerms(limit, retention_share * limit, tuple(sorted(parts)), days)
    exposure = dict(CLEAN_EXPOSURE, privacy_regime=regime, annual_revenue_usd=revenue)
    try:
        result = price_policy(losses, terms, exposure, 50, PLAN)
    except PricingInputError as error:  # only: no claimed cause in a bought part
        assert str(error).startswith("coverages:")
        return
    le = result.loss_exceedance
    assert 0 <= result.expected_loss_usd <= limit * (1 + 1e-12)
    assert 0 <= le["1_in_10"] <= le["1_in_100"] <= le["1_in_200"] <= limit * (1 + 1e-12)
    assert result.premium_usd >= PLAN.loads.minimum_premium_usd
    assert math.isfinite(result.premium_usd) and 0 <= result.claim_probability <= 1
    causes = result.causes
    assert math.fsum(c.expected_loss_usd for c in causes) == pytest.approx(
        result.expected_loss_usd, rel=1e-9, abs=1e-9
    )
    assert all(math.isfinite(c.expected_annual_ground_up_loss_usd) for c in causes)


def test_terms_keep_coverages_in_one_order() -> None:
    a = PolicyTerms(1e6, coverages=("media_liability", "breach_response"))
    b = PolicyTerms(1e6, coverages=("breach_response", "media_liability", "media_liability"))
    assert a == b and a.coverages == ("breach_response", "media_liability")


def test_the_capital_load_is_the_cost_of_capital_on_the_marginal_tvar_for_the_period() -> None:
    """premium(with) - premium(without) = coc x TVaR x years / (1 - expenses - profit)."""
    plan = replace(PLAN, loads=replace(PLAN.loads, cost_of_capital=0.06))
    loads = plan.loads
    for days, tvar in ((365, 2e6), (180, 2e6), (365, 0.0), (365, -5e4)):
        terms = PolicyTerms(5e6, 100e3, period_days=days)
        alone = price_policy(CITY, terms, NO_CAP_EXPOSURE, 40, plan)
        on_book = price_policy(CITY, terms, NO_CAP_EXPOSURE, 40, plan, marginal_tvar_usd=tvar)
        capital = 0.06 * max(tvar, 0.0) * days / 365
        assert on_book.premium_breakdown.capital_load_usd == pytest.approx(capital, rel=1e-12)
        assert alone.premium_breakdown.capital_load_usd == 0.0
        gap = on_book.premium_breakdown.technical_premium_usd - (
            alone.premium_breakdown.technical_premium_usd
        )
        denominator = 1 - loads.expense_ratio - loads.profit_margin
        assert gap == pytest.approx(capital / denominator, rel=1e-9, abs=1e-9)
    # the shipped plan charges no capital whatever the book says
    assert price_policy(
        CITY, PolicyTerms(5e6, 100e3), NO_CAP_EXPOSURE, 40, PLAN, marginal_tvar_usd=2e6
    ).premium_usd == pytest.approx(_city(PolicyTerms(5e6, 100e3), NO_CAP_EXPOSURE, 40).premium_usd)
