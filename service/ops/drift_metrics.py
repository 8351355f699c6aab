"""Exposure drift as Prometheus gauges: ``polisure_exposure_psi{field=...}``.

The same figures as ``python -m training drift``, from the same reader
(service.storage.quoted_exposures): the population stability index
(models.scoring.drift) of each model field, between the exposures of the
quotes stored in the last ``POLISURE_DRIFT_WINDOW_DAYS`` days (default 30;
the most recent ``quoted_exposures.MAX_QUOTES`` of them) and the active engine's reference
exposures. Also ``polisure_exposure_psi_quotes``: how many quotes that was.

A collector computes them when /metrics is scraped, at most once every
``REFRESH_SECONDS`` per process (reading the 20,000 newest stored exposures
and their PSI take about a second; a scrape every 15 s must not repeat it).
It lives in a registry of its own, made with the app, not in the app's
metrics registry (service.ops.metrics): the figures come from the shared
database, so whichever gunicorn worker answers the scrape gives the same
values, and summing or maxing them across workers' multiprocess files would
be wrong. /metrics appends it once, after the app's own metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pandas as pd
from flask import Flask
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric

from models.scoring.drift import FieldDrift, exposure_drift
from models.spec.exposure import records_to_frame
from service.engine.slot import get_engine
from service.ops.metrics import app_metrics
from service.storage.db import Database, get_db
from service.storage.quoted_exposures import recent_exposures, window_start

DEFAULT_WINDOW_DAYS = 30
REFRESH_SECONDS = 300.0

log = logging.getLogger(__name__)


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
        exposures = recent_exposures(self._database().engine, window_start(self.window_days))
        if reference is None or reference.empty or not exposures.records:
            return [], len(exposures)
        return exposure_drift(reference, records_to_frame(exposures.records)), len(exposures)

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


def init_app(app: Flask) -> None:
    """Attach the drift collector (after service.ops.metrics, storage.db and engine.slot)."""
    collector = ExposureDriftCollector(
        database=lambda: get_db(app),
        # None for an engine without a reference portfolio (the test engine): no PSI
        reference=lambda: get_engine(app).reference_exposures,
        window_days=int(app.config.get("POLISURE_DRIFT_WINDOW_DAYS", DEFAULT_WINDOW_DAYS)),
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    app_metrics(app).shared.append(registry)
