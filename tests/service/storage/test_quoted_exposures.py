"""The one reader of stored exposures (the drift gauges and the drift verb both use it).

Oracle: quotes written with known ids, times and exposures; the reader must
return exactly those of the window, newest first, at most ``limit``, and fail
with a message that names the problem (no table, an incomplete exposure).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models.spec.exposure import frame_to_records
from service.storage.db import make_engine
from service.storage.migrate import upgrade_database
from service.storage.quoted_exposures import (
    StoredQuotesError,
    recent_exposures,
    window_start,
)
from tests.support.portfolio import exposure_frame
from tests.support.quotes import quote_id, store_quotes

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_database(database_url)
    db = make_engine(database_url)
    yield db
    db.dispose()


def _store(engine: Engine, exposures: list[dict], ages_days: list[float]) -> None:
    with Session(engine) as session:
        store_quotes(session, exposures, [NOW - timedelta(days=age) for age in ages_days])


def test_window_newest_first_and_capped(engine: Engine) -> None:
    records = frame_to_records(exposure_frame(6, 3))
    _store(engine, records, [1.0, 2.0, 3.0, 40.0, 0.5, 29.0])
    since = window_start(30, now=NOW)
    assert since == NOW - timedelta(days=30)
    found = recent_exposures(engine, since)
    assert found.quote_ids == [quote_id(i) for i in (4, 0, 1, 2, 5)]  # quote 3 is 40 days old
    assert found.records == [records[i] for i in (4, 0, 1, 2, 5)]
    assert len(found) == 5
    capped = recent_exposures(engine, since, limit=2)
    assert capped.quote_ids == [quote_id(4), quote_id(0)]


def test_an_incomplete_stored_exposure_is_named(engine: Engine) -> None:
    record = frame_to_records(exposure_frame(1, 3))[0]
    del record["population"]
    _store(engine, [record], [1.0])
    with pytest.raises(
        StoredQuotesError, match=f"quote {quote_id(0)}: stored exposure lacks 'population'"
    ):
        recent_exposures(engine, window_start(30, now=NOW))


def test_a_database_without_the_quotes_table(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        with pytest.raises(StoredQuotesError, match=r"no quotes table \(is it the service's\?\)"):
            recent_exposures(engine, NOW)
    finally:
        engine.dispose()
