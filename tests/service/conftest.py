"""Service fixtures: an app on a temporary database, its client and CLI runner.

The ``database_url`` fixture runs every test that uses it on SQLite, and also
on PostgreSQL when TEST_DATABASE_URL is set (each test in its own schema,
dropped afterwards, so runs never see each other's rows).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.apps import make_app

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'polisure.sqlite3'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL run skipped")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    application = make_app(database_url)
    yield application
    application.extensions["polisure.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def make_key(runner: FlaskCliRunner) -> Callable[[str, str], str]:
    """Create a key through the CLI, as an operator would; returns the key."""

    def create(tenant: str, role: str = "insurer") -> str:
        result = runner.invoke(args=["keys", "create", "--tenant", tenant, "--role", role])
        assert result.exit_code == 0, result.output
        return result.stdout.strip().splitlines()[-1]

    return create


@pytest.fixture
def auth(make_key: Callable[[str, str], str]) -> dict[str, str]:
    """Authorization header of an insurer key of tenant 'acme'."""
    return {"Authorization": f"Bearer {make_key('acme', 'insurer')}"}
