"""The year loss table engine against closed forms and simulation error.

Monte Carlo errors are stated per test: an exceedance frequency over n years
has SD sqrt(p (1 - p) / n); a mean has SD sqrt(Var / n); every check allows
4 SD (two-sided miss probability 6e-5 at a fixed seed).
"""

import math

import numpy as np
import pytest
from scipy import stats

from models.accumulation.attritional import PrecomputedAttritional, catalog_hit_rates_by_cause
from models.accumulation.book import Book
from models.accumulation.metrics import aal, ep_curves, loss_at, tvar_at
from models.accumulation.simulation import simulate_book
from tests.models.accumulation.books import book, catalog, independent_cities, vendor_event


def deterministic_table():
    """Three events each hitting one city: losses 50, 20 and 10 (share 0.1 of limits)."""
    policies = book(3, vendors=[("a",), ("b",), ("c",)])
    policies.limit_usd[:] = [500.0, 200.0, 100.0]
    events = [
        vendor_event("big", "a", 0.004, 0.1),
        vendor_event("mid", "b", 0.006, 0.1),
        vendor_event("small", "c", 0.04, 0.1),
    ]
    return policies, catalog(events), {50.0: 0.004, 20.0: 0.006, 10.0: 0.04}


def test_oep_matches_the_poisson_closed_form():
    policies, events, table = deterministic_table()
    n = 100_000
    oep = simulate_book(policies, events, years=n, seed=3).max_occurrence_loss
    for x in (5.0, 15.0, 30.0):
        exact = 1 - math.exp(-sum(rate for loss, rate in table.items() if loss > x))
        sd = math.sqrt(exact * (1 - exact) / n)
        assert np.mean(oep > x) == pytest.approx(exact, abs=4 * sd)
    # 1-in-200: P(OEP >= 50) = 0.004 < 0.005 <= P(OEP >= 20) = 0.00995
    # (count above 50: 400 +- 20 years vs the 500 ranked, 5 SD clear)
    assert loss_at(oep, 200) == 20.0


def test_aal_is_the_sum_of_rate_times_loss():
    policies, events, table = deterministic_table()
    n = 100_000
    ylt = simulate_book(policies, events, years=n, seed=4)
    exact = sum(rate * loss for loss, rate in table.items())  # 0.72
    var = sum(rate * loss**2 for loss, rate in table.items())  # compound Poisson: 16.4
    assert aal(ylt) == pytest.approx(exact, abs=4 * math.sqrt(var / n))


def test_aal_of_a_lognormal_budget_loss():
    m, p, rate, median, sigma, revenue = 50, 0.3, 0.5, 0.01, 1.0, 1e6
    policies = book(m, limit=1e12, revenue=revenue)
    event = {
        "id": "grid", "family": "regional_infrastructure", "annual_rate": rate,
        "footprint": {"all_cities": True, "hit_probability": p},
        "loss": {"ground_up_share_of_annual_budget": {"median": median, "sigma": sigma}},
    }  # fmt: skip
    n = 20_000
    ylt = simulate_book(policies, catalog([event]), years=n, seed=5)
    ex = revenue * median * math.exp(sigma**2 / 2)
    ex2 = (revenue * median) ** 2 * math.exp(2 * sigma**2)
    el2 = m * p * ex2 + m * (m - 1) * p**2 * ex**2
    assert aal(ylt) == pytest.approx(rate * m * p * ex, abs=4 * math.sqrt(rate * el2 / n))


def binomial_tail():
    """VaR and TVaR at 99.5% of Binomial(100, 0.02), the ORD way (mean of the worst 0.5%)."""
    dist = stats.binom(100, 0.02)
    var = dist.isf(0.005)  # smallest s with P(S > s) <= 0.005, i.e. 6
    above = sum(s * dist.pmf(s) for s in range(int(var) + 1, 101))
    tail = (above + var * (0.005 - dist.sf(var))) / 0.005
    return var, tail, dist.sf(var)


def test_independent_cities_versus_one_shared_trigger():
    var, tvar, p_above = binomial_tail()
    assert (var, round(tvar, 2)) == (6.0, 7.04)  # accumulation.md §7.3
    n = 400_000  # years above 6: 0.0046 n = 1,840 +- 43 vs the 2,000 ranked (3.7 SD)
    independent = simulate_book(book(100), catalog(independent_cities(100, 0.02)), n, seed=6)
    losses = independent.book_loss
    assert p_above < 0.005
    assert loss_at(losses, 200) == var
    assert tvar_at(losses, 200) == pytest.approx(tvar, abs=0.05)  # tail SD ~1 / sqrt(2000)
    shared = book(100, vendors=[("shared",)] * 100)
    rate = -math.log1p(-0.02)
    dependent = simulate_book(shared, catalog([vendor_event("all", "shared", rate, 1.0)]), 50_000)
    assert loss_at(dependent.book_loss, 200) == 100.0
    assert tvar_at(dependent.book_loss, 200) == pytest.approx(100.0, rel=1e-12)  # a dot product


def shared_vendor_book(extra: bool):
    vendors = [(f"own P{i}", "shared") if i < 40 else (f"own P{i}",) for i in range(100)]
    policies = book(100, vendors=vendors)
    events = [*independent_cities(100, 0.02), vendor_event("vendor", "shared", 0.01, 0.5)]
    if extra:
        grown = book(101, vendors=[*vendors, ("shared",)])
        return grown, catalog(events)
    return policies, catalog(events)


def test_a_city_on_the_shared_vendor_adds_exactly_its_vendor_loss():
    n = 100_000  # vendor years: 995 +- 31, all above the 500 ranked at 1-in-200
    base = simulate_book(*shared_vendor_book(False), years=n, seed=8)
    grown = simulate_book(*shared_vendor_book(True), years=n, seed=8)
    before = loss_at(base.book_loss, 200)
    assert 21.0 <= before <= 23.0  # accumulation.md §7.4: 6 -> 22
    assert loss_at(grown.book_loss, 200) - before == pytest.approx(0.5, abs=1e-12)


def test_aep_is_at_least_oep_at_every_return_period(small_world):
    policies, shipped = small_world
    curves = ep_curves(simulate_book(policies, shipped, years=5_000, seed=9))
    for rp, oep in curves["oep"].items():
        assert curves["aep"][rp] >= oep
        assert curves["aep_tvar"][rp] >= curves["oep_tvar"][rp] >= oep - 1e-9


def test_common_random_numbers_when_a_city_joins(small_world):
    policies, shipped = small_world
    newcomer = book(1, vendors=[("Nimbus Cloud",)], limit=5e6, prefix="NEW")
    newcomer.exposure.update({k: np.asarray(v)[:1] for k, v in policies.exposure.items()})
    joined = Book(
        newcomer.policy_ids + policies.policy_ids,
        np.concatenate([newcomer.limit_usd, policies.limit_usd]),
        np.concatenate([newcomer.retention_usd, policies.retention_usd]),
        newcomer.vendors + policies.vendors,
        {
            k: np.concatenate([newcomer.exposure[k], np.asarray(v)])
            for k, v in policies.exposure.items()
        },
    )

    def attritional(index, policy_id, years, rng):
        return rng.poisson(0.2, years) * 2e4

    n = 3_000
    a = simulate_book(policies, shipped, years=n, seed=10, attritional=attritional)
    b = simulate_book(joined, shipped, years=n, seed=10, attritional=attritional)
    for i in range(0, len(policies), 7):
        np.testing.assert_array_equal(a.policy_year_loss(i), b.policy_year_loss(i + 1))
    np.testing.assert_array_equal(a.occurrence_year, b.occurrence_year)
    assert np.all(b.book_loss >= a.book_loss - 1e-6)


def test_seeded_reproducibility(small_world):
    policies, shipped = small_world
    one = simulate_book(policies, shipped, years=2_000, seed=11)
    two = simulate_book(policies, shipped, years=2_000, seed=11)
    other = simulate_book(policies, shipped, years=2_000, seed=12)
    np.testing.assert_array_equal(one.book_loss, two.book_loss)
    np.testing.assert_array_equal(one.policy_loss, two.policy_loss)
    assert not np.array_equal(one.book_loss, other.book_loss)


def test_attritional_shares_the_aggregate_limit():
    policies, events, _ = deterministic_table()
    n = 20_000
    attr = np.zeros((3, n))
    attr[0] = 500.0  # policy 0's own claims use up its whole limit every year
    ylt = simulate_book(
        policies, events, years=n, seed=13, attritional=PrecomputedAttritional(attr)
    )
    np.testing.assert_allclose(ylt.policy_year_loss(0), 500.0)
    assert ylt.attritional_loss.sum() + ylt.occurrence_loss.sum() == pytest.approx(
        ylt.book_loss.sum()
    )


def test_hit_probability_is_respected():
    n, p, rate = 20_000, 0.3, 0.5
    policies = book(200, vendors=[("v",)] * 200, limit=1.0)
    ylt = simulate_book(policies, catalog([vendor_event("e", "v", rate, 0.01, p=p)]), n, seed=14)
    hits = ylt.policy_loss.size  # one record per hit (0.01 of the limit each, never capped)
    occurrences = ylt.occurrence_year.size  # Poisson(n rate); hits given it: Binomial(200 K, p)
    assert occurrences == pytest.approx(n * rate, abs=4 * math.sqrt(n * rate))
    expected = occurrences * 200 * p
    assert hits == pytest.approx(expected, abs=4 * math.sqrt(expected * (1 - p)))


def test_catalog_hit_rates_by_cause(small_world):
    policies, shipped = small_world
    rates = catalog_hit_rates_by_cause(policies, shipped)
    on_nimbus = [i for i, v in enumerate(policies.vendors) if "Nimbus Cloud" in v]
    outage = 0.125 * 0.75 + 0.04 * 0.2  # the two Nimbus outages, cause vendor_outage
    assert rates[on_nimbus[0], 4] >= outage - 1e-12
    assert rates[:, 5].sum() == 0.0  # no privacy_regulatory event in the catalog
