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
# Up to this many city-years a dense sum of the repeated ones beats sorting them.
_DENSE_SUM_CELLS = 1_000_000


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


def simulate_book(
    book: Book,
    catalog: EventCatalog,
    years: int = DEFAULT_YEARS,
    seed: int = 0,
    attritional: AttritionalLosses | None = None,
) -> YearLossTable:
    """Simulate ``years`` years of the book; same inputs, same table (bit for bit)."""
    if years < 1 or seed < 0:
        raise ValueError("years must be >= 1 and seed >= 0")
    occurrences = _occurrences(catalog, years, seed)
    footprints = event_footprints(book, catalog)
    keys = policy_keys(book.policy_ids)
    streams = [city_streams(o.key, keys[c]) for o, c in zip(occurrences, footprints, strict=True)]
    total_occ = sum(len(o.year) for o in occurrences)
    acc = _Accumulator(years, total_occ)
    block = max(1, _BLOCK_CELLS // years)
    for start in range(0, len(book), block):
        stop = min(start + block, len(book))
        hits = []
        events = zip(catalog.events, occurrences, footprints, strict=True)
        for e, (event, occ, cities) in enumerate(events):
            lo, hi = np.searchsorted(cities, [start, stop])
            if hi > lo:
                city, number, ground_up = _event_hits(
                    event, occ, streams[e][lo:hi], cities[lo:hi], book
                )
                hits.append((city, occ.year[number], occ.first + number, ground_up))
        attr = _attritional_block(book, keys, start, stop, years, seed, attritional)
        acc.add_block(book, start, stop, hits, attr)
    return YearLossTable(
        years,
        seed,
        catalog.version,
        book.policy_ids,
        acc.book_loss,
        _max_by_year(occurrences, acc.occurrence_loss, years),
        acc.attritional_loss,
        tuple(e.id for e in catalog.events),
        tuple(e.family for e in catalog.events),
        tuple(e.footprint.vendor for e in catalog.events),
        np.concatenate([np.full(len(o.year), e, dtype=np.int64) for e, o in enumerate(occurrences)])
        if occurrences
        else np.empty(0, dtype=np.int64),
        np.concatenate([o.year for o in occurrences]),
        acc.occurrence_loss,
        *acc.policy_arrays(),
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


class _Accumulator:
    """Sums one block of cities at a time into the book's yearly figures.

    Work is sparse: a record per hit (and per non-zero attritional year);
    only the block's ground-up totals per city-year are a dense bincount.
    """

    def __init__(self, years: int, total_occurrences: int) -> None:
        self.years = years
        self.book_loss = np.zeros(years)
        self.attritional_loss = np.zeros(years)
        self.occurrence_loss = np.zeros(total_occurrences)
        self._policy: list[npt.NDArray[np.int32]] = []
        self._year: list[npt.NDArray[np.int32]] = []
        self._loss: list[FloatArray] = []
        self._owner: IntArray | None = None  # record number per block city-year (reused)

    def add_block(
        self,
        book: Book,
        start: int,
        stop: int,
        hits: list[tuple[IntArray, IntArray, IntArray, FloatArray]],
        attritional: tuple[IntArray, IntArray, FloatArray] | None,
    ) -> None:
        city, year, occ, net = [], [], [], []
        for c, y, number, ground_up in hits:
            paid = np.minimum(np.maximum(ground_up - book.retention_usd[c], 0.0), book.limit_usd[c])
            keep = paid > 0
            city.append(c[keep])
            year.append(y[keep])
            occ.append(number[keep])
            net.append(paid[keep])
        if attritional is not None:
            a_city, a_year, a_paid = attritional
            city.append(a_city)
            year.append(a_year)
            occ.append(np.full(len(a_city), -1, dtype=np.int64))
            net.append(a_paid)
        if not city:
            return
        c, y, o, x = (np.concatenate(a) for a in (city, year, occ, net))
        paid = self._within_aggregate(book, (c - start) * self.years + y, c, x, stop - start)
        self.book_loss += np.bincount(y, paid, minlength=self.years)
        event = o >= 0
        self.occurrence_loss += np.bincount(
            o[event], paid[event], minlength=len(self.occurrence_loss)
        )
        self.attritional_loss += np.bincount(y[~event], paid[~event], minlength=self.years)
        self._policy.append(c.astype(np.int32))
        self._year.append(y.astype(np.int32))
        self._loss.append(paid)

    def _within_aggregate(
        self, book: Book, flat: IntArray, city: IntArray, net: FloatArray, block_cities: int
    ) -> FloatArray:
        """Each record's paid loss, pro rata where its city-year exceeds the aggregate limit.

        A lone record of a city-year is already within the limit (each loss is
        capped at it), so only city-years with two or more records need their
        total: they are found with a reused (cities x years) buffer of record
        numbers, not a fresh dense sum per block, and summed in record order
        (the same sums a dense bincount gives, bit for bit).
        """
        cells = block_cities * self.years
        if self._owner is None or len(self._owner) < cells:
            self._owner = np.full(cells, -1, dtype=np.int64)
        owner = self._owner
        numbers = np.arange(len(flat), dtype=np.int64)
        owner[flat] = numbers
        shared = owner[flat] != numbers  # another record of the same city-year wrote last
        owner[flat[shared]] = -2
        repeated = np.flatnonzero(owner[flat] == -2)
        owner[flat] = -1  # leave the buffer clean for the next block
        paid = net.copy()
        if len(repeated):
            if cells <= _DENSE_SUM_CELLS:  # one city (a quote's impact): no sort needed
                gross = np.bincount(flat[repeated], net[repeated], minlength=cells)
                gross = gross[flat[repeated]]
            else:
                keys, inverse = np.unique(flat[repeated], return_inverse=True)
                gross = np.bincount(inverse, net[repeated], minlength=len(keys))[inverse]
            limit = book.limit_usd[city[repeated]]
            # pro rata under the aggregate limit: gross > 0 wherever a record is
            paid[repeated] = net[repeated] * (np.minimum(gross, limit) / np.maximum(gross, 1e-300))
        return paid

    def policy_arrays(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], FloatArray]:
        if not self._policy:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32), np.empty(0)
        return np.concatenate(self._policy), np.concatenate(self._year), np.concatenate(self._loss)
