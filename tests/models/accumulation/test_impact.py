"""portfolio_impact against its oracle: binding the city moves the book by exactly the deltas."""

import numpy as np
import pytest

from models.accumulation.attritional import PrecomputedAttritional
from models.accumulation.book import policies_of
from models.accumulation.impact import IMPACT_FIELDS, BookYears, portfolio_impact
from models.accumulation.metrics import aal, loss_at, tvar_at
from models.accumulation.run import run_book
from models.accumulation.simulation import simulate_book
from tests.models.accumulation.books import book, catalog, vendor_event

YEARS = 4000


def _figures(table):
    return {
        "delta_aal_usd": aal(table),
        "delta_oep_200_usd": loss_at(table.max_occurrence_loss, 200),
        "delta_aep_200_usd": loss_at(table.book_loss, 200),
        "delta_aep_tvar_200_usd": tvar_at(table.book_loss, 200),
    }


@pytest.mark.parametrize("city_row", [0, 17, 299])
def test_the_impact_is_the_bound_book_minus_the_book(small_world, city_row):
    whole, events = small_world
    others = [i for i in range(len(whole)) if i != city_row]
    without = run_book(policies_of(whole, others), events, YEARS, seed=5)
    city = simulate_book(policies_of(whole, [city_row]), events, YEARS, seed=5)
    impact = portfolio_impact(without.years_for_impact(), city)
    assert tuple(impact) == IMPACT_FIELDS
    # the book with the city, simulated from scratch (the city last, as a bind appends it)
    bound = simulate_book(policies_of(whole, [*others, city_row]), events, YEARS, seed=5)
    before, after = _figures(without.table), _figures(bound)
    for name in IMPACT_FIELDS:
        assert impact[name] == pytest.approx(after[name] - before[name], rel=1e-9, abs=1e-6)


def test_a_city_on_the_book_s_only_vendor_adds_its_loss_to_the_tail():
    """Every city on vendor V, one event: the 1-in-200 grows by exactly the new city's loss."""
    events = catalog([vendor_event("v_down", "V", 0.02, 0.1)])
    base = book(50, vendors=[("V",)] * 50, limit=1000.0)
    newcomer = book(1, vendors=[("V",)], limit=400.0, prefix="N")
    years = simulate_book(base, events, 20_000, seed=1)
    impact = portfolio_impact(
        BookYears.from_table(years), simulate_book(newcomer, events, 20_000, seed=1)
    )
    assert loss_at(years.book_loss, 200) == pytest.approx(5000.0)  # 1 - e^-0.02 > 1/200
    assert impact["delta_aep_200_usd"] == pytest.approx(40.0)
    assert impact["delta_oep_200_usd"] == pytest.approx(40.0)
    occurrences = len(years.occurrence_year)  # 40 paid per occurrence
    assert impact["delta_aal_usd"] == pytest.approx(40.0 * occurrences / 20_000, rel=1e-12)


def test_other_years_are_refused(small_world):
    whole, events = small_world
    base = BookYears.from_table(simulate_book(policies_of(whole, range(5)), events, 1000, seed=1))
    city = simulate_book(policies_of(whole, [7]), events, 1000, seed=2)
    with pytest.raises(ValueError, match="other years"):
        portfolio_impact(base, city)


def test_book_years_round_trip_through_a_file(tmp_path, small_world):
    whole, events = small_world
    attritional = PrecomputedAttritional(np.full((3, 500), 10.0))
    table = simulate_book(
        policies_of(whole, range(3)), events, 500, seed=3, attritional=attritional
    )
    path = tmp_path / "cache" / "book.npz"
    BookYears.from_table(table).save(path)
    loaded = BookYears.load(path)
    assert (loaded.years, loaded.seed, loaded.catalog_version) == (500, 3, events.version)
    np.testing.assert_array_equal(loaded.book_loss, table.book_loss)
    np.testing.assert_array_equal(loaded.occurrence_loss, table.occurrence_loss)
    assert list(path.parent.iterdir()) == [path]  # no temporary file left
