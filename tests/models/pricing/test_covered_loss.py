"""The covered loss of one claim, the cause mixture: closed forms against quad and a seeded simulation.

The oracles never use the code's inverse g_c^-1. The limited expected value
of h(X) = min(g_c(X), u), h non-decreasing with h(0) = 0, is by parts

    E[h(X)] = integral_0^inf h'(x) S(x) dx,   h'(x) = (o_c + f_c 1{x < k_c}) 1{g_c(x) < u},

integrated by quad with S from spliced_survival (itself checked against
scipy.stats in test_spliced.py) and g_c written from its definition; the
survival P(g_c(X) > u) is S at the root of g_c(x) = u found by brentq.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize

from models.pricing.aggregate import layer_aggregate_loss
from models.pricing.cause_losses import CauseLosses
from models.pricing.covered_loss import CoveredLoss, PartShares
from models.pricing.premium import PricingInputError, covered_loss_for
from models.pricing.rating_plan_reader import shipped_rating_plan
from models.pricing.spliced import spliced_lev, spliced_sample, spliced_survival
from models.spec.contract import CLAIM_CAUSES, COVERAGE_PARTS
from tests.models.pricing.cities import K, mid_size_city, one_cause

PLAN = shipped_rating_plan()
CITY = mid_size_city()
FINES = "regulatory_fines"


def _plan_shares(parts: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {p: np.array([PLAN.cause_coverage_shares[c][p] for c in CLAIM_CAUSES]) for p in parts}


# Extortion and fines only: ransomware has other parts and no fines (o > 0, f = 0),
# data_breach and privacy_regulatory fines only (o = 0, f > 0: Z is flat at the
# cap), other both, and business_email_compromise, ot_disruption and
# vendor_outage nothing (o + f = 0). A $100k cap binds inside every body.
EVERY_BRANCH = CoveredLoss(CITY, _plan_shares(("cyber_extortion", FINES)), fines_cap_usd=100e3)
MIXTURES = {
    "every branch of g_c, cap $100k": EVERY_BRANCH,
    "every part, cap $300k": CoveredLoss(CITY, _plan_shares(COVERAGE_PARTS), 300e3),
    "four parts, no cap": CoveredLoss(
        CITY, _plan_shares(("breach_response", "business_interruption", FINES, "media_liability"))
    ),
}
AMOUNTS = [1e3, 30e3, 100e3, 250e3, 1e6, 2e7]


def _severity(c: int) -> tuple[float, ...]:
    t = CITY.tails
    return CITY.mu[c], CITY.sigma[c], t.z_u[c], t.xi[c], t.b[c]


def _survival(x: float, c: int) -> float:
    return float(spliced_survival(x, *_severity(c)))


def _g(x: float, o: float, f: float, k: float) -> float:
    return o * x + f * min(x, k)


def _root(u: float, o: float, f: float, k: float) -> float:
    """The x with g_c(x) = u (inf where g_c never exceeds u), by bisection on the definition."""
    if o == 0 and (f == 0 or f * k <= u):
        return math.inf
    hi = 1.0
    while _g(hi, o, f, k) < u:
        hi *= 2.0
    return optimize.brentq(lambda x: _g(x, o, f, k) - u, 0.0, hi, xtol=1e-12, rtol=1e-15)


def _lev_by_parts(u: float, c: int, covered: CoveredLoss) -> float:
    """E[min(g_c(X_c), u)] = integral_0^x_u (o + f 1{x < k}) S(x) dx, in x up to t, in ln x above."""
    o, f = float(covered.other_share[c]), float(covered.fines_share[c])
    cap = covered.fines_cap_usd
    k = cap / f if cap is not None and f > 0 else math.inf
    if o + f == 0:
        return 0.0
    top = _root(u, o, f, k)
    t = math.exp(_severity(c)[0] + _severity(c)[1] * _severity(c)[2])

    def slope(x: float) -> float:
        return o + (f if x < k else 0.0)

    kinks = [p for p in (k,) if 0 < p < min(top, t)]
    total = integrate.quad(
        lambda x: slope(x) * _survival(x, c),
        0.0,
        min(top, t),
        points=kinks or None,
        epsabs=0,
        epsrel=1e-12,
        limit=400,
    )[0]
    if top > t:
        log_kinks = [math.log(k)] if t < k < top else []
        total += integrate.quad(
            lambda s: slope(math.exp(s)) * _survival(math.exp(s), c) * math.exp(s),
            math.log(t),
            # e^300: past it S(x) x < e^(-250) for these tails (xi <= 0.35); and far
            # beyond, spliced.log1p_ratio squares a ~ x / t and overflows
            math.log(top) if math.isfinite(top) else 300.0,
            points=log_kinks or None,
            epsabs=0,
            epsrel=1e-12,
            limit=400,
        )[0]
    return total


@pytest.mark.parametrize("name", list(MIXTURES))
@pytest.mark.parametrize("u", AMOUNTS)
def test_mixture_lev_is_the_weighted_integral_of_each_causes_survival(name: str, u: float) -> None:
    covered = MIXTURES[name]
    w = CITY.cause_weights
    by_cause = [_lev_by_parts(u, c, covered) for c in range(K)]
    np.testing.assert_allclose(covered.lev_by_cause(u), by_cause, rtol=1e-7, atol=1e-9)
    assert float(covered.lev(u)) == pytest.approx(float(np.dot(w, by_cause)), rel=1e-7)


@pytest.mark.parametrize("name", list(MIXTURES))
@pytest.mark.parametrize("u", [0.0, *AMOUNTS])
def test_mixture_survival_is_each_causes_survival_at_the_root(name: str, u: float) -> None:
    covered = MIXTURES[name]
    expected = 0.0
    for c in range(K):
        o, f = float(covered.other_share[c]), float(covered.fines_share[c])
        cap = covered.fines_cap_usd
        k = cap / f if cap is not None and f > 0 else math.inf
        root = _root(u, o, f, k) if o + f > 0 else math.inf
        expected += CITY.cause_weights[c] * (_survival(root, c) if math.isfinite(root) else 0.0)
    assert float(covered.survival(u)) == pytest.approx(expected, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("name", list(MIXTURES))
def test_lev_grows_at_the_rate_of_the_survival(name: str) -> None:
    """LEV(b) - LEV(a) = integral_a^b P(Z > z) dz: the two closed forms agree with each other."""
    covered = MIXTURES[name]
    # P(Z > z) has kinks where some g_c crosses its threshold t_c or its fines knee k_c
    s = covered.other_share + covered.fines_share
    t = np.exp(CITY.mu + CITY.sigma * CITY.tails.z_u)
    cap = covered.fines_cap_usd
    f = covered.fines_share
    knees = s * cap / np.where(f > 0, f, np.nan) if cap is not None else np.array([])
    kinks = np.concatenate([s * t, knees, [cap or 0.0]])
    for a, b in [(0.0, 40e3), (40e3, 150e3), (150e3, 2e6), (2e6, 5e7)]:
        inside = sorted(float(x) for x in kinks if a < x < b)
        area = integrate.quad(
            lambda z: float(covered.survival(z)),
            a,
            b,
            points=inside or None,
            epsabs=0,
            epsrel=1e-10,
            limit=400,
        )[0]
        assert float(covered.lev(b) - covered.lev(a)) == pytest.approx(area, rel=1e-8)


def test_capped_lev_and_survival_match_a_seeded_simulation_of_the_mixture() -> None:
    """10^6 claims: cause ~ weights, X ~ its spliced law, Z = g_c(X).

    min(Z, u) is bounded by u, so its sample mean has a finite variance and a
    normal error; both comparisons allow 4 standard errors from the sample.
    """
    covered, n, u = EVERY_BRANCH, 10**6, 400e3
    rng = np.random.default_rng(20261201)
    causes = rng.choice(K, size=n, p=CITY.cause_weights)
    t = CITY.tails
    x = spliced_sample(
        rng, n, CITY.mu[causes], CITY.sigma[causes], t.z_u[causes], t.xi[causes], t.b[causes]
    )
    z = covered.apply(x, causes)
    limited = np.minimum(z, u)
    se = limited.std(ddof=1) / math.sqrt(n)
    assert abs(limited.mean() - float(covered.lev(u))) < 4 * se
    for level in (50e3, 100e3 * (1 - 1e-9), 250e3):
        p = float(covered.survival(level))
        assert abs(np.mean(z > level) - p) < 4 * math.sqrt(p * (1 - p) / n) + 1e-12


def test_part_means_add_up_to_the_mean() -> None:
    """sum over parts = E[Z]; a part other than fines is sum_c w_c s_cp E[X_c]."""
    covered = MIXTURES["every part, cap $300k"]
    means = covered.part_means()
    assert list(means) == list(COVERAGE_PARTS)
    assert math.fsum(means.values()) == pytest.approx(covered.mean(), rel=1e-12)
    ground_up_means = np.array([float(spliced_lev(math.inf, *_severity(c))) for c in range(K)])
    w = CITY.cause_weights
    for part in COVERAGE_PARTS:
        shares = np.array([PLAN.cause_coverage_shares[c][part] for c in CLAIM_CAUSES])
        if part != FINES:
            assert means[part] == pytest.approx(float(w @ (shares * ground_up_means)), rel=1e-12)
    # E[min(f X, cap)] per cause, each below both the cap and the uncapped f E[X]
    assert 0 < means[FINES] < 300e3
    fines = np.array([PLAN.cause_coverage_shares[c][FINES] for c in CLAIM_CAUSES])
    assert means[FINES] < float(w @ (fines * ground_up_means))


def test_the_fines_cap_binds_per_cause() -> None:
    """Fines only, cap $2M: each cause pays f_c min(X, 2M / f_c), never more than $2M."""
    cap = 2e6
    covered = CoveredLoss(CITY, _plan_shares((FINES,)), cap)
    f = covered.fines_share
    assert np.count_nonzero(f) == 3  # data_breach, privacy_regulatory, other
    for c in range(K):
        huge = float(covered.apply(np.array([1e13]), np.array([c]))[0])
        assert huge == pytest.approx(cap if f[c] > 0 else 0.0, rel=1e-15)
        closed_form = f[c] * float(spliced_lev(cap / f[c], *_severity(c))) if f[c] > 0 else 0.0
        assert float(covered.mean_by_cause()[c]) == pytest.approx(closed_form, rel=1e-12)
    assert float(covered.survival(cap)) == 0.0  # Z sits at the cap, never above it
    assert float(covered.survival(cap * (1 - 1e-9))) > 0.0
    assert float(covered.lev(cap)) == pytest.approx(covered.mean(), rel=1e-15)


def test_a_cause_with_no_bought_share_sends_claims_that_pay_nothing() -> None:
    """BEC shares no part with (cyber_extortion, fines): its claims reach no layer."""
    bec = CLAIM_CAUSES.index("business_email_compromise")
    assert EVERY_BRANCH.other_share[bec] == EVERY_BRANCH.fines_share[bec] == 0
    assert float(EVERY_BRANCH.mean_by_cause()[bec]) == 0.0
    assert float(EVERY_BRANCH.survival_by_cause(0.0)[bec]) == 0.0
    only_bec = one_cause(0.5, math.log(80e3), 1.2, "business_email_compromise")
    parts = ("cyber_extortion", FINES)
    covered = CoveredLoss(only_bec, _plan_shares(parts), 100e3)
    assert covered.mean() == 0.0 and float(covered.survival(0.0)) == 0.0
    assert layer_aggregate_loss(covered, 0.5, 0.0, 1e6).expected_usd == 0.0
    # priced, such a policy would be a premium for nothing
    exposure = {"privacy_regime": "gdpr", "annual_revenue_usd": 1e8}
    with pytest.raises(PricingInputError, match="coverages"):
        covered_loss_for(PLAN, parts, only_bec, exposure)


@pytest.mark.parametrize(
    ("build", "word"),
    [
        (
            lambda: CoveredLoss(
                CauseLosses(np.ones((2, K)), np.ones((2, K)), CITY.sigma, CITY.tails), {}
            ),
            "one city",
        ),
        (lambda: CoveredLoss(CITY, {"cyber_war": np.ones(K)}), "unknown coverage parts"),
        (lambda: CoveredLoss(CITY, {FINES: -np.ones(K)}), ">= 0"),
        (lambda: CoveredLoss(CITY, {FINES: np.ones(3)}), "one a cause"),
        (
            lambda: CoveredLoss(CITY, {FINES: np.full(K, 0.6), "breach_response": np.full(K, 0.5)}),
            "at most 1",
        ),
        (lambda: CoveredLoss(CITY, {FINES: np.ones(K)}, fines_cap_usd=0.0), "fines_cap_usd"),
    ],
)
def test_bad_input_is_named(build, word: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=word):
        build()


def test_a_plans_bought_parts_are_checked_once_and_shared_read_only() -> None:
    """Every quote buying the same parts of a plan takes the same checked PartShares."""
    parts = ("cyber_extortion", FINES)
    exposure = {"privacy_regime": "none", "annual_revenue_usd": 5e8}
    first = covered_loss_for(PLAN, parts, CITY, exposure)
    second = covered_loss_for(PLAN, tuple(reversed(parts)), mid_size_city(), exposure)
    assert first._parts is second._parts
    assert isinstance(first._parts, PartShares)
    np.testing.assert_array_equal(first.other_share, EVERY_BRANCH.other_share)
    np.testing.assert_array_equal(first.fines_share, EVERY_BRANCH.fines_share)
    with pytest.raises(ValueError, match="read-only"):
        first.other_share[0] = 1.0
    # a CoveredLoss given the checked parts is the one given the plain mapping
    again = CoveredLoss(CITY, first._parts, 100e3)
    for u in (1e3, 1e5, 1e7):
        assert again.lev(u) == EVERY_BRANCH.lev(u)
