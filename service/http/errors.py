"""One JSON error shape for every error the service returns.

Every error body is ``{"error": {"status", "code", "message", "fields",
"request_id"}}``. ``fields`` maps each offending field, as a dotted path into
the request (``exposure.population``, ``policy.coverages.0``), to its
messages; it is empty unless the request named bad fields. Domain code raises
:class:`ApiError`; werkzeug's HTTP errors, webargs' 422 and Flask-Limiter's
429 all pass through the same two handlers, and an unexpected exception is
logged and answered with a JSON 500 rather than an HTML page.

A database that refuses, drops or outlives its deadline (service.storage.db)
is not a bug: wherever it surfaces (the API-key lookup, an idempotency
lookup, a read) it is a JSON 503 ``storage_unavailable`` with Retry-After,
logged on one line without a traceback.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Flask, g, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

log = logging.getLogger("polisure.service")

#: Machine-readable code of each status when the raiser gives none.
DEFAULT_CODES: dict[int, str] = {
    400: "malformed_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_fields",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# Where webargs files errors; the location is not part of the client's field path.
_LOCATIONS = ("json", "headers", "path", "view_args", "query", "querystring")


class ErrorDetailSchema(ma.Schema):
    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status"})
    code = ma.fields.String(
        required=True,
        metadata={"description": "machine-readable code, e.g. invalid_fields, rate_limited"},
    )
    message = ma.fields.String(required=True, metadata={"description": "readable explanation"})
    # Named "fields" in JSON; the attribute name avoids Schema.fields.
    offending_fields = ma.fields.Dict(
        data_key="fields",
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        required=True,
        metadata={"description": "offending field (dotted path) -> messages; {} if none"},
    )
    request_id = ma.fields.String(metadata={"description": "X-Request-ID of the request"})


class ErrorSchema(ma.Schema):
    """Every error response of the API."""

    error = ma.fields.Nested(ErrorDetailSchema, required=True)


class ApiError(Exception):
    """An error the client can act on, mapped to an HTTP status in one place."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or DEFAULT_CODES.get(status, "error")
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


#: The database did not answer (refused, dropped, timed out); nothing was written.
STORAGE_UNAVAILABLE = ApiError(
    503,
    "The database is unavailable; nothing was done. Retry in a few seconds.",
    code="storage_unavailable",
    headers={"Retry-After": "2"},
)


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested error dict -> {"dotted.path": [messages]}."""
    if isinstance(messages, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = str(key)
            if not prefix and name in _LOCATIONS:
                path = ""
            elif name == "_schema":
                path = prefix
            else:
                path = f"{prefix}.{name}" if prefix else name
            for field_path, texts in flatten_messages(value, path).items():
                out.setdefault(field_path, []).extend(texts)
        return out
    if isinstance(messages, list | tuple):
        texts = [str(m) for m in messages if not isinstance(m, Mapping | list | tuple)]
        out = {prefix or "body": texts} if texts else {}
        for m in messages:
            if isinstance(m, Mapping | list | tuple):
                for field_path, more in flatten_messages(m, prefix).items():
                    out.setdefault(field_path, []).extend(more)
        return out
    return {prefix or "body": [str(messages)]}


def error_response(error: ApiError) -> ResponseReturnValue:
    if not g.get("request_id"):
        # An error raised before the request-id hook ran still gets an id.
        g.request_id = uuid.uuid4().hex
    body = {
        "error": {
            "status": error.status,
            "code": error.code,
            "message": error.message,
            "fields": error.fields,
            "request_id": g.request_id,
        }
    }
    response = jsonify(body)
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _from_http_exception(exc: HTTPException) -> ApiError:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    fields_by_path = flatten_messages(data["messages"]) if "messages" in data else {}
    message = data.get("message") or exc.description or exc.name
    if status == 422:
        names = ", ".join(sorted(fields_by_path)) or "body"
        message = f"Invalid fields: {names}."
    # Keep what werkzeug/Flask-Limiter say about the status (Allow, Retry-After).
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return ApiError(status, str(message), fields=fields_by_path, headers=headers)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> ResponseReturnValue:
        return error_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        return error_response(_from_http_exception(exc))

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(sa_exc.TimeoutError)
    @app.errorhandler(sa_exc.DisconnectionError)
    def _storage_unavailable(exc: Exception) -> ResponseReturnValue:
        log.warning("database unavailable: %s", type(exc).__name__)
        return error_response(STORAGE_UNAVAILABLE)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        # Last resort: a bug must still answer in the API's shape, and be logged.
        log.exception("unhandled error")
        return error_response(ApiError(500, "Internal error; the request id is in the logs."))
