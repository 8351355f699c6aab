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
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from flask import Flask, request

from service.http.errors import ApiError

TOO_LARGE_KEY = "polisure.body_too_large"
_CHUNK = 64 * 1024


class StreamedBodyLimit:
    def __init__(self, wsgi_app: Any, max_bytes: int) -> None:
        self.wsgi_app = wsgi_app
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not environ.get("CONTENT_LENGTH") and _is_chunked(environ):
            body, too_large = self._read(environ["wsgi.input"])
            environ["wsgi.input"] = io.BytesIO(b"" if too_large else body)
            environ["CONTENT_LENGTH"] = "0" if too_large else str(len(body))
            # werkzeug ignores CONTENT_LENGTH while the request says chunked
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            if too_large:
                environ[TOO_LARGE_KEY] = True
        return self.wsgi_app(environ, start_response)  # type: ignore[no-any-return]

    def _read(self, stream: Any) -> tuple[bytes, bool]:
        parts: list[bytes] = []
        size = 0
        while size <= self.max_bytes:
            part = stream.read(min(_CHUNK, self.max_bytes + 1 - size))
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
    app.wsgi_app = StreamedBodyLimit(app.wsgi_app, int(app.config["MAX_CONTENT_LENGTH"]))  # type: ignore[method-assign]

    @app.before_request
    def _refuse_too_large() -> None:
        if request.environ.get(TOO_LARGE_KEY):
            limit_kib = int(app.config["MAX_CONTENT_LENGTH"]) // 1024
            raise ApiError(413, f"Body larger than the limit ({limit_kib} KiB).")
