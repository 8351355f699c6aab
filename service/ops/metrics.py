"""Prometheus metrics: one registry per app, made by ``create_app``; request latency, quotes.

Nothing is registered at import time. ``init_app`` (the first extension
``create_app`` wires) gives the app its own ``CollectorRegistry``; every
concern registers its metrics there from its own ``init_app``
(``polisure_model_info`` and ``polisure_model_reloads_total`` in
service.engine, ``polisure_assessments_total`` in service.assessments), so
two apps in one process never share a counter. /metrics serves that registry,
then the ``shared`` registries (figures from the shared database, such as the
drift gauges of service.ops.drift_metrics, served once and never per worker).

Under gunicorn each worker is a process, so the gunicorn config points
PROMETHEUS_MULTIPROC_DIR at a fresh temporary folder before workers start;
prometheus_client then writes every worker's samples there and /metrics
aggregates them (each worker holds one app, so the files are that app's).
Without it (tests, ``flask run``) /metrics serves the app's registry, with the
process, platform and garbage-collector metrics the default registry carries.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

EXTENSION_KEY = "polisure.metrics"
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
ENGINE_BATCH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16)
REQUEST_SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

blp = Blueprint("metrics", __name__)


@dataclass
class AppMetrics:
    """One app's metrics: where they are registered and what /metrics serves."""

    #: Every metric of this app is registered here.
    registry: CollectorRegistry
    #: What /metrics serves first: ``registry``, or all workers' files under gunicorn.
    exposition: CollectorRegistry
    request_seconds: Histogram
    quotes: Counter
    engine_batch_size: Histogram
    #: Served once after ``exposition``: figures that are the same in every worker.
    shared: list[CollectorRegistry] = field(default_factory=list)

    @classmethod
    def create(cls) -> AppMetrics:
        registry = CollectorRegistry(auto_describe=True)
        if os.environ.get(MULTIPROCESS_DIR_ENV):
            exposition = CollectorRegistry()
            MultiProcessCollector(exposition)
        else:
            # Read-only views of the process, as prometheus_client's default registry has.
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)
            GCCollector(registry=registry)
            exposition = registry
        return cls(
            registry=registry,
            exposition=exposition,
            request_seconds=Histogram(
                "polisure_http_request_duration_seconds",
                "Time to answer an HTTP request, seconds, by endpoint (URL rule), method and status.",
                ["endpoint", "method", "status"],
                buckets=REQUEST_SECONDS_BUCKETS,
                registry=registry,
            ),
            quotes=Counter(
                "polisure_quotes_total",
                "Quotes issued (replays excluded), by decision.",
                ["decision"],
                registry=registry,
            ),
            engine_batch_size=Histogram(
                "polisure_quote_engine_batch_size",
                "Single quotes priced in one engine call (they met in a worker: "
                "service/quotes/coalescing.py).",
                buckets=ENGINE_BATCH_BUCKETS,
                registry=registry,
            ),
        )

    def text(self) -> bytes:
        """The Prometheus text exposition: this app's metrics, then the shared ones."""
        return generate_latest(self.exposition) + b"".join(
            generate_latest(registry) for registry in self.shared
        )


def app_metrics(app: Flask | None = None) -> AppMetrics:
    metrics: AppMetrics = (app or current_app).extensions[EXTENSION_KEY]
    return metrics


def observe_engine_batch(size: int) -> None:
    """One engine call of the current app that priced ``size`` single quotes together."""
    app_metrics().engine_batch_size.observe(size)


def count_quote(decision: str) -> None:
    """Count one issued quote of the current app."""
    app_metrics().quotes.labels(decision=decision).inc()


@blp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format (all gunicorn workers together)."""
    return Response(app_metrics().text(), mimetype=CONTENT_TYPE_LATEST)


#: The methods a label may name; anything else a client sends counts as "other",
#: so made-up methods cannot grow /metrics one series at a time.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _method_label() -> str:
    return request.method if request.method in KNOWN_METHODS else "other"


def init_app(app: Flask) -> None:
    """Give the app its registry and time every request (wire this first)."""
    own = AppMetrics.create()
    app.extensions[EXTENSION_KEY] = own
    app.register_blueprint(blp)

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("request_started")
        if started is not None:
            # The URL rule, not the path: one series per endpoint, not per quote id.
            endpoint = request.url_rule.rule if request.url_rule else "unmatched"
            own.request_seconds.labels(
                endpoint, _method_label(), str(response.status_code)
            ).observe(time.perf_counter() - started)
        return response
