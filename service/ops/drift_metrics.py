"""Exposure drift as Prometheus gauges: ``polisure_exposure_psi{field=...}``.

The same figures as ``python -m training drift``: the population stability
index (models.scoring.drift) of each model field, between the exposures of the
quotes stored in the last ``POLISURE_DRIFT_WINDOW_DAYS`` days (default 30;
the most recent ``MAX_QUOTES`` of them) and the active bundle's reference
exposures. Also ``polisure_exposure_psi_quotes``: how many quotes that was.

A collector computes them when /metrics is scraped, at most once every
``REFRESH_SECONDS`` per process (reading a few thousand stored exposures
takes a fraction of a second; a scrape every 15 s must not repeat it).
It lives in its own registry, not in prometheus_client's multiprocess
files: the figures come from the shared database, so whichever gunicorn
worker answers the scrape gives the same values, and summing or maxing them
across workers would be wrong. ``exposition(app)`` is appended to the
/metrics body by service.ops.metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from flask import Flask
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import select

from models.scoring.drift import FieldDrift, exposure_drift
from models.spec.exposure import records_to_frame
from service.storage.db import Database
from service.storage.tables import Quote

EXTENSION_KEY = "polisure.drift_metrics"
DEFAULT_WINDOW_DAYS = 30
MAX_QUOTES = 20_000
REFRESH_SECONDS = 300.0

log = logging.getLogger(__name__)


def recent_exposures(database: Database, since: datetime, limit: int = MAX_QUOTES) -> list[Any]:
    """Exposure records of the quotes created at or after ``since``, newest first."""
    query = (
        select(Quote.exposure)
        .where(Quote.created_at >= since)
        .order_by(Quote.created_at.desc())
        .limit(limit)
    )
    with database.session() as session:
        return list(session.execute(query).scalars().all())


class ExposureDriftCollector:
    """Prometheus collector of the PSI per field (see the module docstring)."""

    def __init__(
        self,
        database: Callable[[], Database],
        reference: Callable[[], pd.DataFrame | None],
        window_days: int = DEFAULT_WINDOW_DAYS,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database, self._reference = database, reference
        self.window_days, self.refresh_seconds, self._clock = window_days, refresh_seconds, clock
        self._lock = threading.Lock()
        self._computed_at = float("-inf")
        self._drifts: list[FieldDrift] = []
        self._quotes = 0

    def _compute(self) -> tuple[list[FieldDrift], int]:
        reference = self._reference()
        since = datetime.now(UTC) - timedelta(days=self.window_days)
        records = recent_exposures(self._database(), since)
        if reference is None or reference.empty or not records:
            return [], len(records)
        return exposure_drift(reference, records_to_frame(records)), len(records)

    def current(self) -> tuple[list[FieldDrift], int]:
        """The cached figures, recomputed when older than ``refresh_seconds``."""
        with self._lock:
            if self._clock() - self._computed_at >= self.refresh_seconds:
                try:
                    self._drifts, self._quotes = self._compute()
                except Exception:  # a scrape must never fail for drift; keep the last figures
                    log.exception("exposure drift not computed")
                self._computed_at = self._clock()
            return self._drifts, self._quotes

    def collect(self) -> Iterator[Metric]:
        drifts, quotes = self.current()
        psi = GaugeMetricFamily(
            "polisure_exposure_psi",
            f"Population stability index of each exposure field: quotes of the last "
            f"{self.window_days} days vs the active model's reference portfolio "
            "(< 0.1 stable, 0.1-0.25 moderate, > 0.25 significant).",
            labels=["field"],
        )
        for drift in drifts:
            psi.add_metric([drift.field], drift.psi)
        yield psi
        yield GaugeMetricFamily(
            "polisure_exposure_psi_quotes",
            f"Stored quotes of the last {self.window_days} days in the PSI figures.",
            value=quotes,
        )


def _active_reference(app: Flask) -> pd.DataFrame | None:
    from service.engine.slot import get_engine

    bundle = getattr(get_engine(app), "bundle", None)  # a test engine may have none
    return getattr(bundle, "reference_exposures", None)


def init_app(app: Flask) -> None:
    """Attach the drift collector (after service.storage.db and service.engine.slot)."""
    from service.storage.db import get_db

    collector = ExposureDriftCollector(
        database=lambda: get_db(app),
        reference=lambda: _active_reference(app),
        window_days=int(app.config.get("POLISURE_DRIFT_WINDOW_DAYS", DEFAULT_WINDOW_DAYS)),
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    app.extensions[EXTENSION_KEY] = registry


def exposition(app: Flask) -> bytes:
    """The drift gauges in Prometheus text format (empty when not attached)."""
    registry = app.extensions.get(EXTENSION_KEY)
    return generate_latest(registry) if registry is not None else b""
