"""The exposures of the quotes stored in a recent window: the one reader behind every drift figure.

Two readers use it and must give the same figures for the same window: the
``polisure_exposure_psi`` gauges on /metrics (service.ops.drift_metrics) and
the actuaries' report ``python -m training drift`` (training.commands.drift).
Both take the same query (newest first, at most ``MAX_QUOTES``), the same
window arithmetic (:func:`window_start`) and the same completeness check.

Import direction: training.commands.drift -> this module ->
service.storage.tables, SQLAlchemy and models.spec.fields. It imports no
Flask and nothing else of the service, so the drift verb can use it without
loading the web app; the service, as ever, never imports training.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from models.spec.fields import MODEL_FIELDS
from service.storage.tables import Quote

#: The most recent quotes of the window that the figures use. PSI noise is
#: (bins - 1) x (1/n_reference + 1/n_quotes): with the bundle's 2,000 reference
#: exposures, 20,000 quotes give 0.0050 per 10-bin field and 100,000 would give
#: 0.0046, so more only costs time: reading 20,000 and their PSI take about a
#: second, inside a /metrics scrape.
MAX_QUOTES = 20_000


class StoredQuotesError(Exception):
    """The stored quotes cannot be read: no database, no quotes table, an incomplete exposure."""


@dataclass(frozen=True)
class QuotedExposures:
    """Stored quotes of a window, newest first: their ids and their exposure records."""

    quote_ids: list[str]
    records: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.records)


def window_start(days: float, now: datetime | None = None) -> datetime:
    """The first instant (UTC) of a window of the last ``days`` days."""
    return (now or datetime.now(UTC)) - timedelta(days=days)


def recent_exposures(engine: Engine, since: datetime, limit: int = MAX_QUOTES) -> QuotedExposures:
    """Exposures of the (at most ``limit``) newest quotes created at or after ``since`` (UTC).

    Raises StoredQuotesError when the quotes cannot be read or a stored
    exposure lacks a model field (the message names the quote).
    """
    query = (
        select(Quote.id, Quote.exposure)
        .where(Quote.created_at >= since)
        .order_by(Quote.created_at.desc())
        .limit(limit)
    )
    try:
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    except SQLAlchemyError as exc:
        raise StoredQuotesError(_why_unreadable(engine, exc)) from exc
    exposures = QuotedExposures([row[0] for row in rows], [row[1] for row in rows])
    for quote_id, record in zip(exposures.quote_ids, exposures.records, strict=True):
        missing = [f.name for f in MODEL_FIELDS if f.name not in record]
        if missing:
            raise StoredQuotesError(f"quote {quote_id}: stored exposure lacks {missing[0]!r}")
    return exposures


def _why_unreadable(engine: Engine, exc: SQLAlchemyError) -> str:
    try:
        has_quotes = inspect(engine).has_table(Quote.__tablename__)
    except SQLAlchemyError:
        has_quotes = True  # unreachable: the original error says more
    if not has_quotes:
        return "no quotes table (is it the service's?)"
    return f"cannot read quotes ({exc.args[0]})"
