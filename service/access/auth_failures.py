"""A limit on failed authentications per client address, so keys cannot be guessed or flooded.

The per-key API limit counts by the presented key, so a flood of invalid
keys would get a fresh bucket per key and never be limited. Every 401 from
an invalid key therefore also counts against the client's address under
POLISURE_AUTH_FAILURE_LIMIT; once that is spent, requests carrying a key
from the address get a 429 before the key is even looked up (so a flood
costs no database queries), until the window passes. Valid keys are not
counted. The counts live in the rate limiter's storage (memory, or Redis
when configured: exact across workers).
"""

from __future__ import annotations

import time

from flask import current_app, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many

from service.http.errors import ApiError

LIMITER_KEY = "polisure.limiter"
_NAMESPACE = "auth-failures"


def _limits() -> list[RateLimitItem]:
    cached: list[RateLimitItem] | None = current_app.extensions.get("polisure.auth_failure_limits")
    if cached is None:
        cached = parse_many(current_app.config["POLISURE_AUTH_FAILURE_LIMIT"])
        current_app.extensions["polisure.auth_failure_limits"] = cached
    return cached


def _address() -> str:
    return request.remote_addr or "unknown"


def refuse_if_failing() -> None:
    """429 when this address has spent its failed-authentication allowance."""
    limiter: Limiter | None = current_app.extensions.get(LIMITER_KEY)
    if limiter is None or not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    for item in _limits():
        if not limiter.limiter.test(item, _NAMESPACE, _address()):
            reset, _ = limiter.limiter.get_window_stats(item, _NAMESPACE, _address())
            raise ApiError(
                429,
                f"Too many requests with invalid API keys from this address (limit {item}); "
                "retry later with a valid key.",
                headers={"Retry-After": str(max(1, int(reset - time.time())))},
            )


def count_failure() -> None:
    limiter: Limiter | None = current_app.extensions.get(LIMITER_KEY)
    if limiter is None or not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    for item in _limits():
        limiter.limiter.hit(item, _NAMESPACE, _address())
