"""The body limit for streamed (chunked) request bodies as well as declared ones.

A body with a ``Content-Length`` over MAX_CONTENT_LENGTH is refused by
werkzeug before it is read. A chunked body has no length: gunicorn marks
its input terminated and werkzeug then reads through a LimitedStream, which
hands back the first MAX_CONTENT_LENGTH bytes when gunicorn reports the
stream's end, so a 2 MB chunked body, or valid JSON followed by padding and
garbage past 256 KiB, was parsed from its first bytes and quoted (201).

This WSGI middleware reads such a body itself, at most one byte over the
limit: over it, the request is marked and answered 413 in the API's error
shape before any view runs; within it, the body is handed on with the
length it really had, so werkzeug treats it like any declared body.

Every path has the 256 KiB limit but POST /v1/quotes/batch, whose body
holds up to 1,000 cities (a full exposure is about 3 KiB, a vendors list
up to 500 names more): 8 MiB. A declared length over a path's limit is
refused before the body is read.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from flask import Flask, request

from service.http.errors import ApiError

TOO_LARGE_KEY = "polisure.body_too_large"
LIMIT_KEY = "polisure.body_limit"
#: The one path with the larger limit: 1,000 cities of POST /v1/quotes/batch.
BATCH_PATH = "/v1/quotes/batch"
_CHUNK = 64 * 1024


class StreamedBodyLimit:
    """The body limit of each request: ``max_bytes``, or ``large_bytes`` on ``large_paths``."""

    def __init__(
        self,
        wsgi_app: Any,
        max_bytes: int,
        large_bytes: int | None = None,
        large_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.wsgi_app = wsgi_app
        self.max_bytes = max_bytes
        self.large_bytes = max(large_bytes or max_bytes, max_bytes)
        self.large_paths = large_paths

    def limit(self, environ: dict[str, Any]) -> int:
        """Bytes this request's body may have."""
        if environ.get("PATH_INFO", "") in self.large_paths:
            return self.large_bytes
        return self.max_bytes

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        limit = self.limit(environ)
        environ[LIMIT_KEY] = limit
        declared = environ.get("CONTENT_LENGTH")
        if declared and declared.isdigit() and int(declared) > limit:
            # werkzeug only knows the largest limit (MAX_CONTENT_LENGTH): refuse
            # this path's smaller one here, before the body is read
            environ["wsgi.input"] = io.BytesIO(b"")
            environ["CONTENT_LENGTH"] = "0"
            environ[TOO_LARGE_KEY] = True
        elif not declared and _is_chunked(environ):
            body, too_large = self._read(environ["wsgi.input"], limit)
            environ["wsgi.input"] = io.BytesIO(b"" if too_large else body)
            environ["CONTENT_LENGTH"] = "0" if too_large else str(len(body))
            # werkzeug ignores CONTENT_LENGTH while the request says chunked
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            if too_large:
                environ[TOO_LARGE_KEY] = True
        return self.wsgi_app(environ, start_response)  # type: ignore[no-any-return]

    def _read(self, stream: Any, limit: int) -> tuple[bytes, bool]:
        parts: list[bytes] = []
        size = 0
        while size <= limit:
            part = stream.read(min(_CHUNK, limit + 1 - size))
            if not part:
                return b"".join(parts), False
            parts.append(part)
            size += len(part)
        return b"", True


def _is_chunked(environ: dict[str, Any]) -> bool:
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() or bool(
        environ.get("wsgi.input_terminated")
    )


def init_app(app: Flask) -> None:
    """256 KiB a request (POLISURE_BODY_LIMIT_BYTES); the batch endpoint's own, larger limit.

    MAX_CONTENT_LENGTH (werkzeug's) is set to the largest of them; the
    middleware holds every other path to its own.
    """
    small = int(app.config["POLISURE_BODY_LIMIT_BYTES"])
    large = int(app.config["POLISURE_BATCH_BODY_LIMIT_BYTES"])
    app.config["MAX_CONTENT_LENGTH"] = max(small, large)
    app.wsgi_app = StreamedBodyLimit(  # type: ignore[method-assign]
        app.wsgi_app, small, large, frozenset({BATCH_PATH})
    )

    @app.before_request
    def _refuse_too_large() -> None:
        if request.environ.get(TOO_LARGE_KEY):
            limit_kib = int(request.environ.get(LIMIT_KEY, small)) // 1024
            raise ApiError(413, f"Body larger than the limit ({limit_kib} KiB).")
