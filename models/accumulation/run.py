"""One analysis of a book: its year loss table and every figure read off it.

``run_book`` is the one entry point the command line (``training
accumulate``) and the service (``GET /v1/book/accumulation``) share, so the
same book, catalog, years and seed give the same figures through both.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from models.accumulation.attritional import AttritionalLosses
from models.accumulation.book import Book
from models.accumulation.catalog import EventCatalog
from models.accumulation.impact import BookYears
from models.accumulation.metrics import (
    accumulation_summary,
    ept_table,
    euler_contributions,
    family_breakdown,
    year_loss_frame,
)
from models.accumulation.simulation import DEFAULT_YEARS, YearLossTable, simulate_book


@dataclass(frozen=True)
class BookRun:
    """A book, the catalog it was run against, and its simulated years."""

    book: Book
    catalog: EventCatalog
    table: YearLossTable

    def summary(self) -> dict[str, object]:
        """The fields of ``GET /v1/book/accumulation`` and ``summary.json`` (CONTRACT §7)."""
        return accumulation_summary(self.table, self.book, self.catalog)

    def ept(self) -> pd.DataFrame:
        """ORD ``ept.csv``: SummaryId, EPCalc, EPType, ReturnPeriod, Loss."""
        return ept_table(self.table)

    def year_losses(self) -> pd.DataFrame:
        """ORD-style ``ylt.csv``: year (1..N), loss."""
        return year_loss_frame(self.table)

    def families(self) -> pd.DataFrame:
        return family_breakdown(self.table)

    def contributions(self) -> pd.Series:
        """Each policy's co-TVaR at 1-in-200; they add up to the book's AEP TVaR."""
        return euler_contributions(self.table)

    def years_for_impact(self) -> BookYears:
        """What ``portfolio_impact`` needs of this run (small enough to cache per tenant)."""
        return BookYears.from_table(self.table)


def run_book(
    book: Book,
    catalog: EventCatalog,
    years: int = DEFAULT_YEARS,
    seed: int = 0,
    attritional: AttritionalLosses | None = None,
) -> BookRun:
    """Simulate the book (``attritional`` None: the catalog's events only)."""
    return BookRun(book, catalog, simulate_book(book, catalog, years, seed, attritional))
