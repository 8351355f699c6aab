"""A book priced with one engine: the year loss table, and the impact of one more city.

The catalog's events come from models/accumulation; each city's own claims
(attritional) come from the engine's bundle and rating plan, so the book and
the quote price a city's independent losses the same way. Without a pricer
(an engine with no model, e.g. the service tests' fake engine) a book runs
on the catalog's events alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.accumulation.attritional import AttritionalLosses
from models.accumulation.book import Book
from models.accumulation.catalog import EventCatalog
from models.accumulation.city_claims import city_claims
from models.accumulation.impact import BookYears, portfolio_impact
from models.accumulation.run import BookRun, run_book
from models.accumulation.simulation import DEFAULT_YEARS, YearLossTable, simulate_book
from models.underwriting.city_pricer import CityPricer


@dataclass(frozen=True)
class BookModel:
    """Runs books and marginal cities; ``pricer`` None: catalog events only."""

    pricer: CityPricer | None = None

    def attritional(self, book: Book, catalog: EventCatalog) -> AttritionalLosses | None:
        """Each policy's own claims from the bundle (None: no pricer, events only).

        Thinned by the catalog's hits of the same cause and covered as the
        quote covers them (models/accumulation/city_claims.py).
        """
        if self.pricer is None:
            return None
        return city_claims(self.pricer, book, catalog)

    def analyse(
        self,
        book: Book,
        catalog: EventCatalog,
        years: int = DEFAULT_YEARS,
        seed: int = 0,
        attritional: bool = True,
    ) -> BookRun:
        own = self.attritional(book, catalog) if attritional else None
        return run_book(book, catalog, years, seed, own)

    def city_table(
        self, city: Book, catalog: EventCatalog, years: int, seed: int, attritional: bool = True
    ) -> YearLossTable:
        """One city simulated alone on the book's years (common random numbers)."""
        own = self.attritional(city, catalog) if attritional else None
        return simulate_book(city, catalog, years, seed, own)

    def impact(
        self, book: BookYears, city: Book, catalog: EventCatalog, attritional: bool = True
    ) -> dict[str, float]:
        """``portfolio_impact`` of adding ``city`` (one policy) to the cached ``book``."""
        table = self.city_table(city, catalog, book.years, book.seed, attritional)
        return portfolio_impact(book, table)
