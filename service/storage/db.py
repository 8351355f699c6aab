"""The database: one SQLAlchemy engine and session factory per app.

SQLite (the default) is opened in WAL mode (synchronous=NORMAL) with a busy
timeout so that two gunicorn workers can write quotes side by side;
PostgreSQL needs nothing special. Sessions are short: one per unit of work, committed or rolled back
by the ``with`` block that opened it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

EXTENSION_KEY = "polisure.db"


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: no fsync per commit (about 3x faster quotes here). A commit
    # survives any crash of the service; only an OS crash or power loss may
    # roll back the last commits. Deployments that need more use PostgreSQL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")  # ms: wait for the other worker's write
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL mode on every connection."""
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """Engine + session factory of one app (``app.extensions["polisure.db"]``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self.sessions()

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Database(app.config["POLISURE_DATABASE_URL"])


def get_db(app: Flask | None = None) -> Database:
    database: Database = (app or current_app).extensions[EXTENSION_KEY]
    return database
