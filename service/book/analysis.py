"""A tenant's book analysed: its accumulation, and the marginal impact of one more city.

Both go through the tenant's cached book (service.book.cache): the first
request after a change of the book, model or catalog simulates it with
``engine.book_model().analyse`` (each city's own claims from the engine's
bundle plus the catalog's events, on common random numbers) and caches its
years and summary; later ones read them. ``portfolio_impact`` then simulates
only the candidate city, alone, on the same years and seed, and adds it to
the cached years (models.accumulation.impact): the book with the city minus
the book without it, with no second run of the book.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from service.book.book_file import book_of, quote_entry
from service.book.cache import BookCache, BookKey, CachedBook
from service.book.catalog import ActiveCatalog, active_catalog
from service.book.store import book_snapshot, in_force_count
from service.engine.protocol import QuoteEngine
from service.storage.db import Database, get_db

log = logging.getLogger("polisure.service")
EXTENSION_KEY = "polisure.book_cache"


@dataclass(frozen=True)
class BookAnalyst:
    """The database, engine, catalog and cache one request analyses a book with."""

    db: Database
    engine: QuoteEngine
    catalog: ActiveCatalog
    cache: BookCache
    years: int
    seed: int

    def key(self, tenant_id: str, revision: int, years: int, seed: int) -> BookKey:
        return BookKey(
            tenant_id,
            revision,
            self.engine.model_version,
            self.catalog.version,
            self.catalog.sha256,
            years,
            seed,
        )

    def analysed(
        self,
        tenant_id: str,
        years: int | None = None,
        seed: int | None = None,
        revision: int | None = None,
    ) -> CachedBook:
        """The tenant's book in force, simulated (from the cache when it has it).

        ``revision``: the book revision the caller has just read, saving a query.
        """
        years = self.years if years is None else years
        seed = self.seed if seed is None else seed
        if revision is None:
            revision, _ = in_force_count(self.db, tenant_id)
        found = self.cache.get(self.key(tenant_id, revision, years, seed))
        if found is not None:
            return found
        snapshot = book_snapshot(self.db, tenant_id)
        entries = [p.entry() for p in snapshot.policies]
        run = self.engine.book_model().analyse(book_of(entries), self.catalog.catalog, years, seed)
        summary = {
            **run.summary(),
            "book_revision": snapshot.revision,
            "policies": len(entries),
            "model_version": self.engine.model_version,
        }
        book = CachedBook(run.years_for_impact(), summary)
        self.cache.put(self.key(tenant_id, snapshot.revision, years, seed), book)
        return book

    def refresh(self, tenant_id: str) -> None:
        """Rebuild the tenant's cached book after a bind or cancel (after its commit).

        Best effort: the change is committed whatever happens here, and a book
        missing from the cache is simulated on the next request that needs it.
        """
        try:
            self.analysed(tenant_id)
        except Exception as exc:  # the committed change stands; log and move on
            log.error("book cache not refreshed", extra={"reason": f"{type(exc).__name__}: {exc}"})

    def portfolio_impact(
        self,
        tenant_id: str,
        quote_id: str,
        exposure: Mapping[str, Any],
        policy: Mapping[str, Any],
    ) -> dict[str, Any] | None:
        """CONTRACT §7's deltas of adding the quoted city to the book; None: empty book."""
        revision, in_force = in_force_count(self.db, tenant_id)
        if in_force == 0:
            return None
        book = self.analysed(tenant_id, revision=revision)
        city = book_of([quote_entry(quote_id, exposure, policy)])
        deltas = self.engine.book_model().impact(book.years, city, self.catalog.catalog)
        return {
            **deltas,
            "book_revision": book.summary["book_revision"],
            "book_policies": book.summary["policies"],
            "catalog_version": book.years.catalog_version,
            "years": book.years.years,
            "seed": book.years.seed,
        }


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = BookCache(app.config["POLISURE_BOOK_CACHE_DIR"])


def book_analyst(engine: QuoteEngine, app: Flask | None = None) -> BookAnalyst:
    """The analyst of this app, pricing with ``engine`` (taken once by the view)."""
    app = app or current_app
    return BookAnalyst(
        get_db(app),
        engine,
        active_catalog(app),
        app.extensions[EXTENSION_KEY],
        int(app.config["POLISURE_BOOK_YEARS"]),
        int(app.config["POLISURE_BOOK_SEED"]),
    )
