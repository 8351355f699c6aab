"""Alembic migrations build exactly the schema the ORM describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from service.storage.db import make_engine
from service.storage.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade_database,
)
from service.storage.tables import Base


def test_upgrade_head_matches_the_models_and_downgrade_removes_it(database_url: str) -> None:
    upgrade_database(database_url)
    upgrade_database(database_url)  # idempotent: a second run is a no-op
    assert current_revision(database_url) == head_revision() == "0003_book"
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            # Autogenerate's diff between migrated schema and models: nothing missing.
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        command.downgrade(alembic_config(database_url), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.sqlite3'}"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
