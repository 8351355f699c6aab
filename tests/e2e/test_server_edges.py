"""gunicorn's edges (issue 14, items 5, 6 and 12), against a real 2-worker server.

Before: 431 / 414 / malformed-request 400 were gunicorn's HTML; two clients
trickling a body held both sync workers (0 of 6 /healthz probes answered);
SIGTERM reset queued requests (4 of 6 in one run).

The SIGTERM test holds the guarantee (every queued quote answered 201, readyz
503 while draining); on gthread workers it did not reproduce the reset even
with POLISURE_DRAIN_SECONDS=0, so it is no before/after measure of the drain.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.city import quote_body
from tests.support.server import Server, serve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own: the session's is stopped by test_server's SIGTERM test."""
    with serve(tmp_path_factory.mktemp("e2e-edges")) as srv:
        yield srv


def _raw(server: Server, data: bytes) -> tuple[int, bytes, bytes]:
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(data)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), head, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(120)) + b"\r\n", 431),
        (b"NOT A REQUEST LINE\r\n\r\n", 400),
        (b"POST /v1/quotes HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ],
)  # fmt: skip
def test_errors_before_the_app_are_json_in_the_one_shape(
    server: Server, request_bytes: bytes, status: int
) -> None:
    got, head, body = _raw(server, request_bytes)
    assert got == status, head
    assert b"application/json" in head.lower()
    error = json.loads(body)["error"]
    assert error["status"] == status and error["code"] and error["message"]


def _trickle(server: Server, stop: threading.Event) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(b"POST /v1/quotes HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        while not stop.wait(0.5):
            conn.sendall(b" ")


def test_clients_trickling_bodies_do_not_stop_health_probes(server: Server) -> None:
    stop = threading.Event()
    slow = [threading.Thread(target=_trickle, args=(server, stop), daemon=True) for _ in range(2)]
    for t in slow:
        t.start()
    time.sleep(1.0)
    try:
        answered = [
            requests.get(f"{server.base_url}/healthz", timeout=3).status_code for _ in range(6)
        ]
    finally:
        stop.set()
    assert answered == [200] * 6


def test_sigterm_serves_the_queued_requests_then_stops(tmp_path: Path) -> None:
    with serve(tmp_path, WEB_THREADS="1") as srv:
        key = srv.create_key("acme", "insurer")
        headers = {"Authorization": f"Bearer {key}"}
        results: list[int | str] = []

        def one() -> None:
            try:
                r = requests.post(
                    f"{srv.base_url}/v1/quotes", json=quote_body(), headers=headers, timeout=20
                )
                results.append(r.status_code)
            except requests.RequestException as exc:
                results.append(type(exc).__name__)

        clients = [threading.Thread(target=one) for _ in range(6)]
        for c in clients:
            c.start()
        time.sleep(0.05)  # queued behind 2 single-threaded workers
        srv.process.send_signal(signal.SIGTERM)
        # the master handles the signal in its own loop, a moment later: ask
        # until the lame duck shows (it lasts POLISURE_DRAIN_SECONDS, 2 s)
        deadline = time.monotonic() + 1.5
        ready = requests.get(f"{srv.base_url}/readyz", timeout=5)
        while ready.status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
            ready = requests.get(f"{srv.base_url}/readyz", timeout=5)
        for c in clients:
            c.join(timeout=30)
        assert results == [201] * 6, results
        assert ready.status_code == 503 and "draining" in ready.text
        assert srv.process.wait(timeout=20) == 0
