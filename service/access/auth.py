"""Bearer-key authentication and roles for the API's views.

``@require_role("insurer")`` answers 401 when the key is missing or unknown
(or revoked) and 403 when the key's role may not call the view; otherwise the
caller is in ``g.principal`` (service.access.keys.Principal). Valid keys are
looked up at most once per POLISURE_KEY_CACHE_SECONDS per worker
(service.access.key_cache): a revocation is honoured within that bound.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request

from service.access.auth_failures import count_failure, refuse_if_failing
from service.access.key_cache import key_cache
from service.access.keys import Principal, authenticate
from service.http.errors import ApiError
from service.storage.db import get_db

F = TypeVar("F", bound=Callable[..., Any])

#: How the OpenAPI spec names the scheme (service.http.api registers it).
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="polisure"'}


def bearer_token() -> str | None:
    """The key from ``Authorization: Bearer <key>``, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def client_address() -> str:
    """Rate-limit bucket of the keyless pages: the client address, whatever header is sent."""
    return f"addr:{request.remote_addr or 'unknown'}"


def rate_limit_identity() -> str:
    """Rate-limit bucket: a hash of the presented key, else the client address.

    A made-up key gets its own bucket here; service.access.auth_failures
    limits those per address instead.
    """
    token = bearer_token()
    if token is None:
        return f"addr:{request.remote_addr or 'unknown'}"
    return "key:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


def _look_up(token: str) -> Principal | None:
    with get_db().session() as session:
        return authenticate(session, token)


def current_principal() -> Principal:
    principal: Principal = g.principal
    return principal


def require_role(*roles: str) -> Callable[[F], F]:
    """Let the view run only for a valid key holding one of ``roles``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = bearer_token()
            if token is None:
                raise ApiError(
                    401, "Missing API key: send 'Authorization: Bearer <key>'.", headers=_CHALLENGE
                )
            refuse_if_failing()
            principal = key_cache().principal(token, lambda: _look_up(token))
            if principal is None:
                count_failure()
                raise ApiError(401, "Unknown or revoked API key.", headers=_CHALLENGE)
            if principal.role not in roles:
                raise ApiError(
                    403, f"The {principal.role!r} role may not do this; needs {' or '.join(roles)}."
                )
            g.principal = principal
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator
