"""Per-key rate limits (Flask-Limiter).

Every API route is limited by POLISURE_RATE_LIMIT (e.g. "600 per minute;30
per second"), counted per API key (a hash of the presented key; requests
without a key count per client address). Storage is in-process memory by
default (service/access/window_counts.py) - each gunicorn worker then counts
on its own, so the effective limit is up to workers x the limit - and Redis
when POLISURE_REDIS_URL is set, which makes the limit exact across workers
and hosts. Probes, metrics and docs are
never limited. The keyless self-assessment (API and page) has its own
stricter limit per address, POLISURE_ASSESSMENT_RATE_LIMIT, counted by address
even when an Authorization header is sent (a made-up key must not open a new
bucket), and invalid keys are limited per address by
service.access.auth_failures (POLISURE_AUTH_FAILURE_LIMIT). A breach is a
429 in the API's error shape with Retry-After.
"""

from __future__ import annotations

from flask import Blueprint, Flask, request
from flask_limiter import Limiter

from service.access.auth import client_address, rate_limit_identity
from service.access.window_counts import SCHEME as IN_PROCESS_SCHEME

EXTENSION_KEY = "polisure.limiter"
UNLIMITED_ENDPOINTS = frozenset(
    {"health.healthz", "health.readyz", "metrics.metrics", "docs.docs", "api-docs.openapi_json"}
)


def _exempt() -> bool:
    return request.endpoint in UNLIMITED_ENDPOINTS or request.endpoint is None


def limit_public(app: Flask, *blueprints: Blueprint) -> None:
    """Give keyless public blueprints their own, stricter limit per client address."""
    limiter: Limiter = app.extensions[EXTENSION_KEY]
    for blueprint in blueprints:
        limiter.limit(app.config["POLISURE_ASSESSMENT_RATE_LIMIT"], key_func=client_address)(
            blueprint
        )


def init_app(app: Flask) -> Limiter:
    redis_url = app.config.get("POLISURE_REDIS_URL")
    limiter = Limiter(
        key_func=rate_limit_identity,
        default_limits=[app.config["POLISURE_RATE_LIMIT"]],
        default_limits_exempt_when=_exempt,
        # in-process counters without limits' timer thread (service/access/window_counts.py)
        storage_uri=redis_url or f"{IN_PROCESS_SCHEME}://",
        headers_enabled=True,
        # Key prefix per app config lets tests share one Redis database safely.
        key_prefix=app.config.get("POLISURE_RATE_LIMIT_PREFIX", "polisure"),
        strategy="fixed-window",
        # A Redis outage must not turn into 500s: count in memory meanwhile.
        swallow_errors=True,
        in_memory_fallback_enabled=bool(redis_url),
    )
    limiter.init_app(app)
    app.extensions[EXTENSION_KEY] = limiter
    return limiter
