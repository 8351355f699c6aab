"""The books' cache: file round trips, its bounds, sharing between workers, refresh on bind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from flask import Flask
from flask.testing import FlaskClient

from models.accumulation.impact import BookYears
from models.underwriting.book_model import BookModel
from service.book.cache import FILES_PER_TENANT, BookCache, BookKey, CachedBook
from tests.support.apps import make_app
from tests.support.fake_engine import FakeQuoteEngine

QuoteCity = Callable[..., dict[str, Any]]


def _book(revision: int) -> CachedBook:
    years = BookYears(
        10,
        7,
        "2026.1",
        np.arange(10, dtype=np.float64) * revision,
        np.array([1, 3], dtype=np.int64),
        np.array([5.0, 6.0]) * revision,
    )
    return CachedBook(years, {"aal_usd": 4.5 * revision, "book_revision": revision})


def _key(revision: int, tenant: str = "acme") -> BookKey:
    return BookKey(tenant, revision, "m1", "2026.1", "ab" * 32, 10, 7)


def test_a_cached_book_is_read_back_from_its_files_by_another_cache(tmp_path: Path) -> None:
    BookCache(tmp_path).put(_key(3), _book(3))
    found = BookCache(tmp_path).get(_key(3))  # a sibling worker: nothing in its memory
    assert found is not None
    assert found.summary == {"aal_usd": 13.5, "book_revision": 3}
    np.testing.assert_array_equal(found.years.book_loss, np.arange(10) * 3.0)
    np.testing.assert_array_equal(found.years.occurrence_year, [1, 3])
    assert (found.years.years, found.years.seed, found.years.catalog_version) == (10, 7, "2026.1")
    # Every part of the key matters: another revision, tenant or seed is another book.
    for other in (_key(4), _key(3, "globex"), BookKey("acme", 3, "m1", "2026.1", "ab" * 32, 10, 8)):
        assert BookCache(tmp_path).get(other) is None


def test_half_a_pair_or_a_damaged_file_is_computed_again(tmp_path: Path) -> None:
    cache = BookCache(tmp_path)
    cache.put(_key(1), _book(1))
    cache.put(_key(2), _book(2))
    key = _key(1)
    (tmp_path / key.tenant_folder() / f"{key.digest()}.npz").unlink()
    assert BookCache(tmp_path).get(_key(1)) is None
    for npz in tmp_path.rglob("*.npz"):
        npz.write_bytes(b"not a zip file")
    assert BookCache(tmp_path).get(_key(2)) is None
    assert not list(tmp_path.rglob(".tmp-*"))  # no temporary file left behind


def test_the_cache_is_bounded_in_memory_and_on_disk(tmp_path: Path) -> None:
    cache = BookCache(tmp_path, memory_entries=2)
    for revision in range(1, 8):
        cache.put(_key(revision), _book(revision))
        cache.put(_key(revision, "globex"), _book(revision))
    assert len(cache._memory) == 2
    for tenant in ("acme", "globex"):
        folder = tmp_path / _key(1, tenant).tenant_folder()
        assert len(list(folder.glob("*.json"))) == len(list(folder.glob("*.npz")))
        assert len(list(folder.glob("*.json"))) == FILES_PER_TENANT
    kept = [r for r in range(1, 8) if BookCache(tmp_path).get(_key(r)) is not None]
    assert kept == [4, 5, 6, 7]  # the newest revisions


class NoBookEngine(FakeQuoteEngine):
    """A worker that cannot simulate books: it can only serve them from the cache."""

    def book_model(self) -> BookModel:
        raise AssertionError("this worker must read the book from the shared cache")


def test_a_bind_refreshes_the_cache_that_other_workers_read(
    app: Flask,
    client: FlaskClient,
    auth: dict[str, str],
    quote_city: QuoteCity,
    database_url: str,
    book_config: dict[str, Any],
) -> None:
    cache_dir = Path(book_config["POLISURE_BOOK_CACHE_DIR"])
    quote = quote_city(auth, vendors=["Nimbus"])
    assert not cache_dir.exists()  # an empty book is never simulated for a quote
    client.post(f"/v1/quotes/{quote['quote_id']}/bind", headers=auth)
    assert len(list(cache_dir.rglob("*.npz"))) == 1  # refreshed by the bind itself

    sibling = make_app(database_url, POLISURE_QUOTE_ENGINE=NoBookEngine(), **book_config)
    try:
        from_file = sibling.test_client().get("/v1/book/accumulation", headers=auth)
    finally:
        sibling.extensions["polisure.db"].dispose()
    assert from_file.status_code == 200
    assert from_file.get_json() == client.get("/v1/book/accumulation", headers=auth).get_json()
