"""Prometheus metrics: request latency per endpoint and quotes by decision.

Under gunicorn each worker is a process, so the gunicorn config points
PROMETHEUS_MULTIPROC_DIR at a fresh temporary folder before workers start;
prometheus_client then writes every worker's samples there and /metrics
aggregates them. Without it (tests, ``flask run``) the process registry is used.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from service.ops import drift_metrics

REQUEST_SECONDS = Histogram(
    "polisure_http_request_duration_seconds",
    "Time to answer an HTTP request, seconds, by endpoint (URL rule), method and status.",
    ["endpoint", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
QUOTES = Counter(
    "polisure_quotes_total", "Quotes issued (replays excluded), by decision.", ["decision"]
)

blp = Blueprint("metrics", __name__)


def count_quote(decision: str) -> None:
    QUOTES.labels(decision=decision).inc()


@blp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format (all gunicorn workers together)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    # Drift gauges come from the shared database, not per-worker files: added once here.
    body = generate_latest(registry) + drift_metrics.exposition(current_app)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
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
            REQUEST_SECONDS.labels(endpoint, request.method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response
