"""A PostgreSQL that hangs or refuses: bounded waits and a JSON 503, never a hung worker or a 500.

Run against the server named by TEST_DATABASE_URL through a loopback proxy
(tests/support/tcp_proxy.py) that this test freezes or closes; the shared
server itself is never touched. The bound checked is the documented one:
the deadline plus the watchdog's poll, with a second of slack for a loaded
test machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from service.storage.db import Database, make_engine
from service.storage.deadline import DEADLINE_POLL_S
from tests.support.apps import make_app
from tests.support.city import city_exposure
from tests.support.tcp_proxy import FreezableProxy

DEADLINE_S = 1.0
BOUND_S = DEADLINE_S + DEADLINE_POLL_S + 1.0
CONNECT_S = 2.0  # libpq treats a connect_timeout under 2 s as 2 s


@pytest.fixture
def proxied_url(database_url: str) -> Iterator[tuple[str, FreezableProxy]]:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("the deadlines are PostgreSQL's (SQLite has its busy timeout)")
    url = make_url(database_url)
    proxy = FreezableProxy(url.host or "127.0.0.1", url.port or 5432)
    try:
        yield url.set(host="127.0.0.1", port=proxy.port).render_as_string(False), proxy
    finally:
        proxy.thaw()
        proxy.close()


def test_a_hung_statement_fails_within_the_deadline(proxied_url):
    url, proxy = proxied_url
    engine = make_engine(url, deadline_s=DEADLINE_S)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
            proxy.freeze()
            started = time.monotonic()
            with pytest.raises(OperationalError):
                connection.execute(text("SELECT 2"))
            assert time.monotonic() - started < BOUND_S
            connection.rollback()  # what a session's ``begin()`` block does on the error
        proxy.thaw()
        with engine.connect() as connection:  # the pool recovers without a restart
            assert connection.execute(text("SELECT 3")).scalar() == 3
    finally:
        engine.dispose()


def test_a_hung_pooled_connection_fails_its_pre_ping_within_the_deadline(proxied_url):
    url, proxy = proxied_url
    engine = make_engine(url, deadline_s=DEADLINE_S)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        proxy.freeze()  # the pooled connection now hangs; checkout pings it first
        started = time.monotonic()
        with pytest.raises(OperationalError), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert time.monotonic() - started < BOUND_S + CONNECT_S  # the ping, then a new connect
    finally:
        engine.dispose()


def _app_with_key(url: str, database_url: str) -> tuple[Flask, dict[str, str]]:
    """An app whose key lives in ``database_url`` and which then talks to ``url``."""
    app = make_app(database_url)
    key = app.test_cli_runner().invoke(
        args=["keys", "create", "--tenant", "acme", "--role", "insurer"]
    )
    app.extensions["polisure.db"].dispose()
    app.extensions["polisure.db"] = Database(url, deadline_s=DEADLINE_S)
    return app, {"Authorization": f"Bearer {key.stdout.strip().splitlines()[-1]}"}


def test_quotes_against_a_hung_database_get_a_json_503(proxied_url, database_url):
    url, proxy = proxied_url
    app, headers = _app_with_key(url, database_url)
    client = app.test_client()
    body = {"exposure": city_exposure(), "policy": {"limit_usd": 1e6, "retention_usd": 5e4}}
    assert client.post("/v1/quotes", json=body, headers=headers).status_code == 201
    proxy.freeze()
    started = time.monotonic()
    response = client.post("/v1/quotes", json=body, headers=headers)
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "storage_unavailable"
    assert response.headers["Retry-After"]
    assert elapsed < BOUND_S + CONNECT_S
    assert client.get("/healthz").status_code == 200
    proxy.thaw()
    assert client.post("/v1/quotes", json=body, headers=headers).status_code == 201
    app.extensions["polisure.db"].dispose()


def test_a_refusing_database_is_a_json_503_from_the_key_lookup(database_url):
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only")
    closed = make_url(database_url).set(host="127.0.0.1", port=1)  # nothing listens on port 1
    app, headers = _app_with_key(closed.render_as_string(False), database_url)
    client = app.test_client()
    for path in ("/v1/quotes", "/v1/quotes/q_0"):  # the key lookup runs first on both
        response = (
            client.post(path, json={}, headers=headers)
            if path == "/v1/quotes"
            else (client.get(path, headers=headers))
        )
        assert response.status_code == 503, path
        assert response.get_json()["error"]["code"] == "storage_unavailable"
    assert client.get("/readyz").status_code == 503
