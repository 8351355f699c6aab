"""What gunicorn itself does at the edges of the app: its errors, its shutdown, its log.

Three behaviours of a bare gunicorn break the service's promises, and all are
fixed here, from service/gunicorn_conf.py:

* **Errors before the app runs** (a request line or URL too long, headers too
  large, a malformed request line, Content-Length with Transfer-Encoding, a
  worker past its timeout) were gunicorn's HTML pages. ``json_write_error``
  replaces gunicorn's one writer of those pages, so they use the API's error
  shape (service.http.errors) with the same status and a short code.
* **SIGTERM reset queued requests**: the master closed the listening socket
  at once and every connection still in its backlog was reset (4 of 6 in one
  run). ``drain_on_term`` makes the first SIGTERM start a *lame-duck* period
  instead: ``/readyz`` answers 503 ``draining`` (a load balancer stops
  sending), workers keep serving what is queued, and only after
  ``DRAIN_SECONDS`` does the graceful stop begin (a second SIGTERM stops at
  once). Drain + graceful_timeout stay under Docker's 10 s stop timeout.
* **A second log line for every request**: with a ``logconfig_dict`` (the
  JSON format of gunicorn's own lines) gunicorn also wrote its plain access
  line, without the request id, after the app's JSON line
  (service.ops.logs), and built it on every request (issue 13).
  ``RequestsLoggedByTheApp`` drops it.
"""

from __future__ import annotations

import json
import os
import time
import types
import uuid
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger

#: Seconds of lame duck between SIGTERM and the graceful stop.
DRAIN_SECONDS = float(os.environ.get("POLISURE_DRAIN_SECONDS", "2"))
#: Workers see the drain through this file (set by the master before any fork).
DRAIN_FILE_ENV = "POLISURE_DRAIN_FILE"

_CODES = {
    400: "malformed_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
}


def error_body(status: int, message: str) -> bytes:
    """The API's error shape for an error the app never saw (no fields, a fresh request id)."""
    body = {
        "error": {
            "status": status,
            "code": _CODES.get(status, "error"),
            "message": message,
            "fields": {},
            "request_id": uuid.uuid4().hex,
        }
    }
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def json_write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error's replacement: the same response, as JSON."""
    from gunicorn.util import write_nonblock

    # gunicorn's messages may quote the request: keep them short and printable.
    message = "".join(c for c in f"{reason}: {mesg}" if c.isprintable())[:300]
    body = error_body(status_int, message)
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    write_nonblock(sock, head + body)


def install_json_errors() -> None:
    """Route every error page gunicorn writes through ``json_write_error``."""
    import gunicorn.util

    # the workers call it as ``util.write_error``: one module attribute to replace
    gunicorn.util.write_error = json_write_error


def draining() -> bool:
    """True while this server is in its lame-duck period (/readyz says 503)."""
    path = os.environ.get(DRAIN_FILE_ENV)
    return path is not None and Path(path).exists()


def drain_on_term(arbiter: Any, drain_file: Path, seconds: float = DRAIN_SECONDS) -> None:
    """Make ``arbiter``'s first SIGTERM a lame duck of ``seconds``, then the graceful stop.

    The arbiter's main loop wakes at least once a second and calls
    ``murder_workers``; once the drain is over that call raises StopIteration,
    which the loop answers with its usual graceful halt.
    """
    state: dict[str, float] = {}
    term, murder = arbiter.handle_term, arbiter.murder_workers

    def handle_term(self: Any) -> None:
        if "until" in state:
            term()  # a second SIGTERM: stop now
        state["until"] = time.monotonic() + seconds
        drain_file.touch()
        self.log.info("SIGTERM: draining for %.1f s (readyz 503), then stopping", seconds)

    def murder_workers(self: Any) -> None:
        murder()
        if "until" in state and time.monotonic() >= state["until"]:
            raise StopIteration

    arbiter.handle_term = types.MethodType(handle_term, arbiter)
    arbiter.murder_workers = types.MethodType(murder_workers, arbiter)


class RequestsLoggedByTheApp(Logger):
    """gunicorn's logger without the access line: the app logs each request (service.ops.logs)."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None
