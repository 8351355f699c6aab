"""The year loss table: N simulated years of the book under the event catalog.

Every event occurs a Poisson number of times a year; each occurrence hits
each city of its footprint with the footprint's probability, independently
(draws from models/accumulation/random_streams.py, so books on one seed
share their years). A hit city's ground-up loss goes through its retention
(per occurrence) and its limit; the city's attritional losses of the year
are added, and the year's total is capped by the annual aggregate limit.
When the aggregate limit bites, each of that year's losses of the city is
paid pro rata (paid / ground-up net of retention), so occurrence losses add
up to the year's loss, need no order of events within the year, and OEP <=
AEP holds year by year.

Cities are processed in blocks with a dense (block x years) array of the
year's losses, so the aggregate limit needs no sort; work grows with the
number of (city, occurrence) pairs in the footprints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

from models.accumulation.attritional import AttritionalLosses, BlockAttritionalLosses
from models.accumulation.block_losses import BlockLosses, add_losses, block_losses, no_losses
from models.accumulation.book import Book, event_footprints
from models.accumulation.catalog import CatalogEvent, EventCatalog
from models.accumulation.random_streams import (
    attritional_rng,
    city_streams,
    event_streams,
    hit_hashes,
    loss_unit,
    policy_keys,
    to_unit,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
DEFAULT_YEARS = 50_000
#: The seed a book is simulated with unless one is asked for: the service's
#: GET /v1/book/accumulation and ``training accumulate`` alike, so the same
#: book gives the same figures through both without naming a seed.
DEFAULT_BOOK_SEED = 2026
_BLOCK_CELLS = 4_000_000  # cities x years held densely at once (32 MB of float64)


@dataclass(frozen=True)
class YearLossTable:
    """Losses paid by the book in each simulated year, with their make-up.

    Occurrence arrays list every event occurrence (event index, year, paid
    loss summed over the book); the policy arrays hold every paid loss of a
    policy in a year (sparse COO, repeats add up), for contributions per policy.
    """

    years: int
    seed: int
    catalog_version: str
    policy_ids: tuple[str, ...]
    book_loss: FloatArray  # (years,)
    max_occurrence_loss: FloatArray  # (years,), the OEP sample
    attritional_loss: FloatArray  # (years,), the attritional part of book_loss
    event_ids: tuple[str, ...]
    event_families: tuple[str, ...]
    event_vendors: tuple[str | None, ...]  # folded vendor of a vendor footprint
    occurrence_event: IntArray
    occurrence_year: IntArray
    occurrence_loss: FloatArray
    policy_index: npt.NDArray[np.int32]  # one record per paid loss (a policy-year may repeat)
    policy_year: npt.NDArray[np.int32]
    policy_loss: FloatArray

    def events_year_loss(self, events: Sequence[int]) -> FloatArray:
        """The book's paid loss each year from the occurrences of ``events`` only."""
        mask = np.isin(self.occurrence_event, np.asarray(events, dtype=np.int64))
        paid = np.bincount(
            self.occurrence_year[mask], self.occurrence_loss[mask], minlength=self.years
        )
        return paid.astype(np.float64)

    def policy_year_loss(self, policy: int) -> FloatArray:
        """One policy's paid loss in each year (dense)."""
        mask = self.policy_index == policy
        paid = np.bincount(self.policy_year[mask], self.policy_loss[mask], minlength=self.years)
        return paid.astype(np.float64)


@dataclass(frozen=True)
class _Occurrences:
    """The occurrences of one event: their years and their CRN hash key."""

    year: IntArray
    first: int  # global number of the event's first occurrence
    key: np.uint64


_OCCURRENCE_CACHE: dict[tuple[object, ...], list[_Occurrences]] = {}
_OCCURRENCE_CACHE_SIZE = 8  # (catalog, years, seed) triples kept: a service has one or two


def _occurrences(catalog: EventCatalog, years: int, seed: int) -> list[_Occurrences]:
    """Each event's occurrences; cached, as they depend on (event ids, rates, years, seed) only.

    portfolio_impact simulates one city on the book's years for every quote,
    and drawing 50,000 Poisson years per event was most of that.
    """
    key = (tuple((e.id, e.annual_rate) for e in catalog.events), years, seed)
    cached = _OCCURRENCE_CACHE.get(key)
    if cached is not None:
        return cached
    out, first = [], 0
    for event in catalog.events:
        rng, event_key = event_streams(seed, event.id)
        counts = rng.poisson(event.annual_rate, size=years)
        year = np.repeat(np.arange(years, dtype=np.int64), counts)
        year.flags.writeable = False  # shared by every simulation on these years
        out.append(_Occurrences(year, first, event_key))
        first += len(year)
    if len(_OCCURRENCE_CACHE) >= _OCCURRENCE_CACHE_SIZE:
        _OCCURRENCE_CACHE.pop(next(iter(_OCCURRENCE_CACHE)))
    _OCCURRENCE_CACHE[key] = out
    return out


def _event_hits(
    event: CatalogEvent,
    occ: _Occurrences,
    streams: npt.NDArray[np.uint64],
    cities: IntArray,
    book: Book,
) -> tuple[IntArray, IntArray, FloatArray]:
    """(city, occurrence number, ground-up loss) of every hit of one event on ``cities``."""
    p = event.footprint.hit_probability
    numbers = np.arange(len(occ.year), dtype=np.int64)
    drawn = p < 1.0 or event.loss.share_of_limit is None
    hashes = hit_hashes(streams, numbers) if drawn else None
    if p < 1.0:
        assert hashes is not None
        rows, cols = np.nonzero(to_unit(hashes) < p)
    else:
        rows = np.repeat(np.arange(len(cities)), len(numbers))
        cols = np.tile(numbers, len(cities))
    city = cities[rows]
    if event.loss.share_of_limit is not None:
        ground_up = event.loss.share_of_limit * book.limit_usd[city]
    else:
        assert hashes is not None  # a drawn loss always has its hashes
        z = ndtri(loss_unit(hashes[rows, cols]))
        share = event.loss.budget_median * np.exp(event.loss.budget_sigma * z)
        ground_up = share * np.asarray(book.field("annual_revenue_usd"), dtype=np.float64)[city]
    return city, cols.astype(np.int64), ground_up


@dataclass(frozen=True)
class BookSetup:
    """What every block of cities shares: the years' occurrences, footprints, policy keys.

    Built once per run (on the client of a cluster run, then shipped to the
    workers once), so a block's simulation reads it and draws nothing new.
    """

    years: int
    seed: int
    occurrences: list[_Occurrences]
    footprints: list[IntArray]
    keys: npt.NDArray[np.uint64]

    @property
    def total_occurrences(self) -> int:
        return sum(len(o.year) for o in self.occurrences)


def book_setup(book: Book, catalog: EventCatalog, years: int, seed: int) -> BookSetup:
    """The shared part of a run of ``book``; ValueError for years < 1 or seed < 0."""
    if years < 1 or seed < 0:
        raise ValueError("years must be >= 1 and seed >= 0")
    return BookSetup(
        years,
        seed,
        _occurrences(catalog, years, seed),
        event_footprints(book, catalog),
        policy_keys(book.policy_ids),
    )


def city_blocks(policies: int, years: int) -> list[tuple[int, int]]:
    """The (start, stop) blocks of cities simulated one at a time (dense block x years)."""
    block = max(1, _BLOCK_CELLS // years)
    return [(start, min(start + block, policies)) for start in range(0, policies, block)]


def simulate_block(
    setup: BookSetup,
    book: Book,
    catalog: EventCatalog,
    attritional: AttritionalLosses | None,
    start: int,
    stop: int,
) -> BlockLosses:
    """The paid losses of cities ``start:stop``: a pure function of the run and the block.

    Every draw is keyed by (seed, event, occurrence, policy) or (seed,
    policy), so a block gives the same losses on whichever worker runs it.
    """
    hits = []
    events = zip(catalog.events, setup.occurrences, setup.footprints, strict=True)
    for event, occ, cities in events:
        lo, hi = np.searchsorted(cities, [start, stop])
        if hi > lo:
            streams = city_streams(occ.key, setup.keys[cities[lo:hi]])
            city, number, ground_up = _event_hits(event, occ, streams, cities[lo:hi], book)
            hits.append((city, occ.year[number], occ.first + number, ground_up))
    attr = _attritional_block(book, setup.keys, start, stop, setup.years, setup.seed, attritional)
    return block_losses(book, start, stop, setup.years, setup.total_occurrences, hits, attr)


def simulate_book(
    book: Book,
    catalog: EventCatalog,
    years: int = DEFAULT_YEARS,
    seed: int = 0,
    attritional: AttritionalLosses | None = None,
) -> YearLossTable:
    """Simulate ``years`` years of the book; same inputs, same table (bit for bit).

    Block by block, each block's losses added to the run's in block order:
    the cluster run (training/distributed/accumulation.py) folds the same
    blocks in the same order with ``add_losses`` and gets the same table.
    """
    setup = book_setup(book, catalog, years, seed)
    total = no_losses(years, setup.total_occurrences)
    for start, stop in city_blocks(len(book), years):
        total = add_losses(total, simulate_block(setup, book, catalog, attritional, start, stop))
    return year_loss_table(setup, book, catalog, total)


def year_loss_table(
    setup: BookSetup, book: Book, catalog: EventCatalog, total: BlockLosses
) -> YearLossTable:
    """The run's table from the sum of its blocks' losses."""
    occurrences = setup.occurrences
    return YearLossTable(
        setup.years,
        setup.seed,
        catalog.version,
        book.policy_ids,
        total.book_loss,
        _max_by_year(occurrences, total.occurrence_loss, setup.years),
        total.attritional_loss,
        tuple(e.id for e in catalog.events),
        tuple(e.family for e in catalog.events),
        tuple(e.footprint.vendor for e in catalog.events),
        np.concatenate([np.full(len(o.year), e, dtype=np.int64) for e, o in enumerate(occurrences)])
        if occurrences
        else np.empty(0, dtype=np.int64),
        np.concatenate([o.year for o in occurrences])
        if occurrences
        else np.empty(0, dtype=np.int64),
        total.occurrence_loss,
        *total.policy_arrays(),
    )


def _attritional_block(
    book: Book,
    keys: npt.NDArray[np.uint64],
    start: int,
    stop: int,
    years: int,
    seed: int,
    attritional: AttritionalLosses | None,
) -> tuple[IntArray, IntArray, FloatArray] | None:
    """(policy, year, paid) records of the block's attritional losses (None: none asked for)."""
    if attritional is None:
        return None
    rngs = [attritional_rng(seed, keys[i]) for i in range(start, stop)]
    if isinstance(attritional, BlockAttritionalLosses):
        policy, year, paid = attritional.block_claims(
            np.arange(start, stop, dtype=np.int64), years, rngs
        )
        if not np.all(np.isfinite(paid) & (paid >= 0)):
            raise ValueError("attritional losses of the block: every paid claim must be >= 0")
        keep = paid > 0
        return policy[keep], year[keep], paid[keep]
    rows = []
    for i, rng in zip(range(start, stop), rngs, strict=True):
        row = np.asarray(attritional(i, book.policy_ids[i], years, rng), dtype=np.float64)
        if row.shape != (years,) or not np.all(np.isfinite(row) & (row >= 0)):
            raise ValueError(
                f"attritional losses of {book.policy_ids[i]!r}: need {years} values >= 0"
            )
        rows.append(row)
    dense = np.stack(rows)
    r, c = np.nonzero(dense)
    return r.astype(np.int64) + start, c.astype(np.int64), dense[r, c]


def _max_by_year(occurrences: list[_Occurrences], loss: FloatArray, years: int) -> FloatArray:
    out = np.zeros(years)
    if occurrences:
        np.maximum.at(out, np.concatenate([o.year for o in occurrences]), loss)
    return out
