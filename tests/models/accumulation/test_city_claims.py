"""Each city's own claims in the book against the quote's closed forms.

Oracles:
* the pricing code's per-cause layer loss: a policy's mean annual paid claims
  (per-claim retention and limit, before the aggregate limit) is
  sum_c rate_c E[min((Z_c - d)+, L)], with E[...] from
  premium.covered_loss_for (the quote's covered loss, coverage parts and
  fines cap), within 4 Monte Carlo SD. The SD is the compound Poisson one,
  sqrt(sum_c rate_c E[Y_c^2] / N), with E[Y_c^2] = int_0^L 2 y P(Z_c > d + y) dy
  integrated numerically from the same covered-loss survival;
* thinning: an event of cause c at rate r hitting the city with
  probability p lowers its cause-c claim rate by exactly r p, and the
  simulated count moves to the Poisson mean N (rate - r p) (4 SD);
* common random numbers: a city's years are the same alone or in a book.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.accumulation.book import Book, policies_of
from models.accumulation.city_claims import city_claims, exposure_features, exposure_frame
from models.accumulation.random_streams import attritional_rng, policy_keys
from models.accumulation.simulation import simulate_book
from models.pricing.premium import covered_loss_for
from models.scoring.features import build_features
from models.spec.contract import CLAIM_CAUSES, COVERAGE_PARTS
from models.underwriting.book_model import BookModel
from models.underwriting.quote_engine import QuoteEngine, load_quote_engine
from tests.models.accumulation.books import catalog, vendor_event
from training.world.exposure import sample_cities
from training.world.vendors import sample_vendor_lists

CITIES = 24
NO_OUTAGE_PARTS = tuple(
    p
    for p in COVERAGE_PARTS
    if p not in ("dependent_business_interruption", "data_restoration", "breach_response")
)
#: an uncaused event only: the bundle's rates are thinned by nothing
BLACKOUT = catalog(
    [
        {
            "id": "blackout",
            "family": "regional_infrastructure",
            "annual_rate": 0.001,
            "footprint": {"all_cities": True, "hit_probability": 0.1},
            "loss": {"share_of_limit": 0.01},
        }
    ]
)


@pytest.fixture(scope="module")
def engine() -> QuoteEngine:
    return load_quote_engine()


def _world_book(limit: float, retention: float, coverages=None) -> Book:
    rng = np.random.default_rng(12)
    frame = sample_cities(CITIES, rng)
    frame["prior_incidents_3y"] = rng.poisson(1.0, CITIES)
    frame["vendors"] = sample_vendor_lists(frame["critical_vendor_count"].to_numpy(), rng)
    frame["policy_id"] = [f"W{i:03d}" for i in range(CITIES)]
    frame["limit_usd"] = limit
    frame["retention_usd"] = retention
    if coverages is not None:
        frame["coverages"] = coverages
    return Book.from_frame(frame)


def _mixed_coverages() -> list[str]:
    """Every part, and every third policy without the outage parts or without fines."""
    options = [
        "",
        "|".join(NO_OUTAGE_PARTS),
        "|".join(p for p in COVERAGE_PARTS if p != "regulatory_fines"),
    ]
    return [options[i % 3] for i in range(CITIES)]  # fmt: skip


def _exposure(book: Book, i: int) -> dict[str, object]:
    values = {k: np.asarray(v, dtype=object)[i] for k, v in book.exposure.items()}
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in values.items()}


def _layer_moments(engine, book: Book, i: int, rates: np.ndarray) -> tuple[float, float]:
    """(mean, variance) of policy i's annual paid claims from the pricing code's covered loss."""
    parts = book.coverages[i] if book.coverages and book.coverages[i] else COVERAGE_PARTS
    losses = engine.bundle.predict_losses(exposure_frame(policies_of(book, [i]))).city(0)
    covered = covered_loss_for(engine.plan, parts, losses, _exposure(book, i))
    d, cap = float(book.retention_usd[i]), float(book.limit_usd[i])
    layer = covered.layer_expected_loss_by_cause(d, cap)
    y = np.concatenate([[0.0], np.geomspace(1e-3, cap, 6000)])
    tail = covered.survival_by_cause(d + y)  # (grid, K)
    second = np.trapezoid(2.0 * y[:, None] * tail, y, axis=0)
    return float(rates @ layer), float(rates @ second)


@pytest.mark.parametrize(("limit", "years"), [(5e8, 400_000), (1e6, 200_000)])
def test_mean_annual_claims_are_the_quote_s_layer_loss(engine, limit, years):
    book = _world_book(limit, 25_000.0, _mixed_coverages())
    claims = city_claims(engine, book, BLACKOUT)
    np.testing.assert_array_equal(
        claims.losses.rate, engine.bundle.predict_losses(exposure_frame(book)).rate
    )  # an uncaused event thins nothing
    keys = policy_keys(book.policy_ids)
    total_mean = total_var = total_sim = 0.0
    for i in range(CITIES):
        mean, var = _layer_moments(engine, book, i, claims.losses.rate[i])
        paid = claims(i, book.policy_ids[i], years, attritional_rng(3, keys[i]))
        assert abs(paid.mean() - mean) <= 4.0 * np.sqrt(var / years), book.policy_ids[i]
        total_mean, total_var, total_sim = (
            total_mean + mean,
            total_var + var,
            total_sim + paid.mean(),
        )
    assert abs(total_sim - total_mean) <= 4.0 * np.sqrt(total_var / years)


def test_a_coverage_left_out_removes_its_causes_losses(engine):
    book = _world_book(1e6, 0.0, _mixed_coverages())
    claims = city_claims(engine, book, BLACKOUT)
    outage = CLAIM_CAUSES.index("vendor_outage")
    keys = policy_keys(book.policy_ids)
    for i in range(CITIES):
        drawn = claims.claims(i, 100_000, attritional_rng(1, keys[i]))
        if book.coverages[i] == NO_OUTAGE_PARTS:
            assert claims.rate_paying[i, outage] == 0.0
            assert not np.any(drawn.cause == outage)
        else:
            # retention 0: every claim of every cause pays something
            np.testing.assert_allclose(claims.rate_paying[i], claims.losses.rate[i], rtol=1e-12)
            assert np.any(drawn.cause == outage)


def test_a_catalog_event_of_a_cause_thins_that_cause_by_its_hit_rate(engine):
    book = _world_book(1e6, 0.0)
    cause = CLAIM_CAUSES.index("ransomware")
    base = city_claims(engine, book, BLACKOUT)
    i = int(np.argmax(base.losses.rate[:, cause]))
    rate, p = 0.1, 0.5 * base.losses.rate[i, cause] / 0.1  # r p = half the city's rate
    own = {**vendor_event("ransom_v", "V", rate, 0.1, p=p), "cause": "ransomware"}
    vendors = tuple(("V",) if j == i else v for j, v in enumerate(book.vendors))
    on_v = Book(book.policy_ids, book.limit_usd, book.retention_usd, vendors, book.exposure)
    thinned = city_claims(engine, on_v, catalog([own]))
    expected = base.losses.rate.copy()
    expected[i, cause] -= rate * p
    np.testing.assert_allclose(thinned.losses.rate, expected, rtol=1e-12, atol=1e-15)
    years, key = 2_000_000, policy_keys([book.policy_ids[i]])[0]
    for model, mean_rate in ((base, base.losses.rate[i, cause]), (thinned, expected[i, cause])):
        count = int(np.sum(model.claims(i, years, attritional_rng(9, key)).cause == cause))
        assert abs(count - years * mean_rate) <= 4.0 * np.sqrt(years * mean_rate)
    # a hit rate above the city's own rate leaves none of that cause, never a negative rate
    heavy = {**own, "annual_rate": 1.0, "footprint": {"vendor": "V", "hit_probability": 1.0}}
    assert city_claims(engine, on_v, catalog([heavy])).rate_paying[i, cause] == 0.0


def test_a_city_s_years_are_the_same_alone_and_in_the_book(engine, small_world, monkeypatch):
    # the book through the frame path and sorted sums under the aggregate limit,
    # each city alone through the records path and a dense sum
    monkeypatch.setattr("models.accumulation.city_claims._RECORD_ROWS", 1)
    monkeypatch.setattr("models.accumulation.block_losses._DENSE_SUM_CELLS", 10_000)
    book = _world_book(2e6, 10_000.0)
    _, shipped = small_world
    model = BookModel(engine)
    whole = simulate_book(book, shipped, 3000, 4, model.attritional(book, shipped))
    for i in (0, 11, CITIES - 1):
        alone_book = policies_of(book, [i])
        alone = simulate_book(alone_book, shipped, 3000, 4, model.attritional(alone_book, shipped))
        np.testing.assert_array_equal(alone.policy_year_loss(0), whole.policy_year_loss(i))
    assert whole.attritional_loss.sum() > 0


def test_a_missing_model_field_is_named(engine, small_world):
    book, shipped = small_world  # sample_cities has every field but prior_incidents_3y
    with pytest.raises(ValueError, match="prior_incidents_3y"):
        BookModel(engine).attritional(book, shipped)
    assert BookModel(None).attritional(book, shipped) is None


def test_a_few_cities_are_scored_from_records_to_the_same_features():
    """The record path (a quote's one city) and the frame path (a book) build one matrix."""
    book = _world_book(2e6, 10_000.0)
    few = policies_of(book, range(CITIES))
    records = exposure_features(few)
    assert isinstance(records, np.ndarray)
    np.testing.assert_array_equal(records, build_features(exposure_frame(few)))
