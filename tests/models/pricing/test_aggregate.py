"""Aggregate insured loss: closed forms, the Panjer recursion, seeded Monte Carlo of the cause mixture."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import poisson

from models.pricing.aggregate import (
    aggregate_limited_loss,
    compound_poisson_fft,
    compound_poisson_panjer,
    discretise_severity,
    layer_aggregate_loss,
)
from models.pricing.covered_loss import CoveredLoss
from models.pricing.lognormal import layer_expected_loss, lognormal_survival
from models.pricing.premium import covered_loss_for
from models.pricing.rating_plan_reader import shipped_rating_plan
from models.pricing.spliced import spliced_sample
from models.spec.contract import COVERAGE_PARTS
from tests.models.pricing.cities import lognormal_covered, mid_size_city

LEVELS = (0.9, 0.99, 0.995)


def _excess_lev(covered: CoveredLoss, retention: float):  # type: ignore[no-untyped-def]
    reach = covered.survival(retention)
    return lambda u: (covered.lev(retention + u) - covered.lev(retention)) / reach


def test_discretisation_keeps_total_probability_and_the_mean() -> None:
    covered = lognormal_covered(math.log(80e3), 1.9)
    lev = _excess_lev(covered, 20e3)
    span = 3e6
    pmf = discretise_severity(lev, span, 256)
    grid = span / 256 * np.arange(257)
    assert pmf.min() >= 0
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    assert float(np.dot(grid, pmf)) == pytest.approx(float(lev(np.array(span))), rel=1e-12)


@pytest.mark.parametrize("claims", [0.05, 0.7, 6.0])
def test_fft_matches_the_panjer_recursion(claims: float) -> None:
    covered = lognormal_covered(math.log(50e3), 1.5)
    pmf = discretise_severity(_excess_lev(covered, 10e3), 1e6, 128)
    fast = compound_poisson_fft(claims, pmf)
    exact = compound_poisson_panjer(claims, pmf, 128)
    np.testing.assert_allclose(fast, exact, rtol=0, atol=1e-10)


def test_degenerate_severity_gives_a_scaled_poisson() -> None:
    """Every claim pays c = $100k: S = c N, so P(min(S, L) = j c) is Poisson."""
    c, limit, claims = 100e3, 1e6, 3.2
    result = aggregate_limited_loss(
        claims, lambda u: np.minimum(u, c), limit, LEVELS, grid_points=100
    )
    j = np.arange(10)
    expected = float(np.dot(j * c, poisson.pmf(j, claims)) + limit * poisson.sf(9, claims))
    assert result.expected_usd == pytest.approx(expected, rel=1e-12)
    # 1 - sum of the pmf: absolute round-off near 1e-12
    assert result.limit_exhaustion_probability == pytest.approx(poisson.sf(9, claims), abs=1e-10)
    for p, q in zip(LEVELS, result.quantiles_usd, strict=True):
        # an atom is read back to within half a grid step (interpolated CDF)
        assert q == pytest.approx(c * poisson.ppf(p, claims), abs=limit / 100 / 2)


def test_huge_limit_gives_claims_times_mean_claim() -> None:
    """L far above any plausible total: E[min(S, L)] = n' E[Y'] = lambda t E[Y]."""
    mu, sigma, d, claims = math.log(100e3), 1.6, 25e3, 1.7
    covered = lognormal_covered(mu, sigma)
    limit = 1e12
    result = layer_aggregate_loss(covered, claims, d, limit, LEVELS)
    per_claim = float(layer_expected_loss(d, limit, mu, sigma))
    # 1e-6, not 1e-12: the FFT's round-off (~1e-16, magnified up to e^7.5 by the
    # tilt) sits in probabilities that are multiplied by grid values up to 1e12
    assert result.expected_usd == pytest.approx(claims * per_claim, rel=1e-6)
    assert result.claims_in_layer == pytest.approx(
        claims * float(lognormal_survival(d, mu, sigma)), rel=1e-12
    )
    assert result.limit_exhaustion_probability < 1e-9


def test_no_claims_reaching_the_layer_costs_nothing() -> None:
    result = aggregate_limited_loss(0.0, lambda u: u, 1e6, LEVELS)
    assert result.expected_usd == 0.0 and result.quantiles_usd == (0.0, 0.0, 0.0)


def test_quantiles_are_zero_while_no_claim_is_likelier_than_the_level() -> None:
    """P(S = 0) = exp(-n'); the 1-in-10 loss is 0 when exp(-n') >= 0.9."""
    covered = lognormal_covered(math.log(100e3), 2.0)
    result = layer_aggregate_loss(covered, 0.08, 0.0, 5e6, LEVELS)
    assert math.exp(-0.08) > 0.9
    assert result.quantiles_usd[0] == 0.0 and result.quantiles_usd[1] > 0.0


def _simulate(
    covered: CoveredLoss, claims: float, d: float, limit: float, n: int, seed: int
) -> np.ndarray:
    """Seeded brute force: n periods of min(sum of min(max(Z - d, 0), L), L).

    Each claim's cause is drawn from the city's cause weights, its ground-up
    loss from that cause's spliced severity (inverse CDF), and Z = g_c(X).
    """
    rng = np.random.default_rng(seed)
    counts = rng.poisson(claims, n)
    total = int(counts.sum())
    causes = rng.choice(len(covered.cause_weights), size=total, p=covered.cause_weights)
    losses, tails = covered.losses, covered.losses.tails
    ground_up = spliced_sample(
        rng,
        total,
        losses.mu[causes],
        losses.sigma[causes],
        tails.z_u[causes],
        tails.xi[causes],
        tails.b[causes],
    )
    per_claim = np.minimum(np.maximum(covered.apply(ground_up, causes) - d, 0.0), limit)
    totals = np.bincount(np.repeat(np.arange(n), counts), per_claim, minlength=n)
    return np.minimum(totals, limit)


PLAN = shipped_rating_plan()
GDPR_CITY = {"privacy_regime": "gdpr", "annual_revenue_usd": 40e6}  # cap max(21.6M, 1.6M)
NO_RANSOMWARE_PARTS = tuple(
    p for p in COVERAGE_PARTS if PLAN.cause_coverage_shares["ransomware"][p] == 0
)
MC_CASES = {
    # name: (covered loss, ground-up claims in the period, retention, limit, periods)
    "one lognormal, two claims a year": (
        lognormal_covered(math.log(100e3), 1.5),
        2.0,
        25e3,
        20e6,
        4_000_000,
    ),
    "seven causes with GPD tails, every part": (
        covered_loss_for(PLAN, COVERAGE_PARTS, mid_size_city(), GDPR_CITY),
        0.3 * 1.5,
        50e3,
        100e6,
        8_000_000,
    ),
    # fines capped at $21.6M for the causes that have them, ransomware pays nothing
    "seven causes, a 10x severity, fines capped, ransomware's parts left out": (
        covered_loss_for(
            PLAN, NO_RANSOMWARE_PARTS, mid_size_city(mu_shift=math.log(10.0)), GDPR_CITY
        ),
        0.3,
        100e3,
        200e6,
        8_000_000,
    ),
}


@pytest.mark.parametrize("name", list(MC_CASES))
def test_expectation_and_quantiles_match_a_seeded_simulation(name: str) -> None:
    """E[min(S, L)], VaR and TVaR at 90/99/99.5% against 4-8 million simulated periods.

    Tolerance 1%: the batch means of 8 seeded batches give the simulation's
    own relative standard error, which must sit below 0.45% (so 1% is more
    than two of its standard errors) or the comparison would prove nothing.
    The FFT's own error is ~1e-5 (test_grid_resolution_barely_moves_the_answer).
    """
    covered, claims, d, limit, n = MC_CASES[name]
    result = layer_aggregate_loss(covered, claims, d, limit, LEVELS)
    batches = [_simulate(covered, claims, d, limit, n // 8, seed) for seed in range(8)]
    sample = np.concatenate(batches)
    simulated = [sample.mean(), *np.quantile(sample, LEVELS)]
    computed = [result.expected_usd, *result.quantiles_usd]
    per_batch = np.array([[b.mean(), *np.quantile(b, LEVELS)] for b in batches])
    standard_error = per_batch.std(axis=0, ddof=1) / math.sqrt(len(batches)) / np.array(simulated)
    assert standard_error.max() < 0.0045
    assert limit > max(simulated)  # interior quantiles: the test is not about the atom at L
    for got, want in zip(computed, simulated, strict=True):
        assert got == pytest.approx(want, rel=0.01)
    tail = sample[sample >= np.quantile(sample, 0.995)].mean()
    assert result.tail_means_usd[2] == pytest.approx(tail, rel=0.01)


def test_quantile_at_the_limit_is_the_limit() -> None:
    """When P(S >= L) exceeds 1 - p the 1-in-1/(1-p) insured loss is L itself."""
    covered = lognormal_covered(math.log(300e3), 2.0)
    result = layer_aggregate_loss(covered, 3.0, 0.0, 1e6, LEVELS)
    assert result.limit_exhaustion_probability > 0.1
    assert result.quantiles_usd == (1e6, 1e6, 1e6)
    assert result.tail_means_usd[2] == pytest.approx(1e6, rel=1e-12)


def test_grid_resolution_barely_moves_the_answer() -> None:
    covered = lognormal_covered(math.log(100e3), 2.0)
    coarse = layer_aggregate_loss(covered, 0.2, 50e3, 100e6, LEVELS)
    fine = layer_aggregate_loss(covered, 0.2, 50e3, 100e6, LEVELS, grid_points=4096)
    for a, b in zip(
        (coarse.expected_usd, *coarse.quantiles_usd),
        (fine.expected_usd, *fine.quantiles_usd),
        strict=True,
    ):
        assert a == pytest.approx(b, rel=1e-4)


@pytest.mark.parametrize(("claims", "limit"), [(float("nan"), 1e6), (-1.0, 1e6), (1.0, 0.0)])
def test_bad_input_is_named(claims: float, limit: float) -> None:
    with pytest.raises(ValueError, match=r"claims_in_layer|limit_usd"):
        aggregate_limited_loss(claims, lambda u: u, limit)
