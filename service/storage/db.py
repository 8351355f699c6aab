"""The database: one SQLAlchemy engine and session factory per app.

SQLite (the default) is opened in WAL mode (synchronous=NORMAL) with a busy
timeout so that two gunicorn workers can write quotes side by side;
PostgreSQL gets deadlines, so that a database which refuses, drops or hangs
costs a request at most ``DATABASE_DEADLINE_S`` (plus the watchdog's poll)
and a JSON 503, never a hung worker: ``connect_timeout`` on a new
connection, ``statement_timeout`` on the server, and a client-side watchdog
on every round trip (service.storage.deadline). SQLite waits at most its
busy timeout for the other worker's write. Sessions are short: one per unit
of work, committed or rolled back by the ``with`` block that opened it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from service.storage.deadline import install_deadlines
from service.storage.json_text import column_json

EXTENSION_KEY = "polisure.db"
#: Longest a request waits on the database before it is answered 503 (seconds).
DATABASE_DEADLINE_S = 5.0
CONNECT_TIMEOUT_S = 2


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: no fsync per commit (about 3x faster quotes here). A commit
    # survives any crash of the service; only an OS crash or power loss may
    # roll back the last commits. Deployments that need more use PostgreSQL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(DATABASE_DEADLINE_S * 1000)}")  # the other's write
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, deadline_s: float | None = DATABASE_DEADLINE_S) -> Engine:
    """An engine for ``url``: SQLite files in WAL mode, PostgreSQL under ``deadline_s``.

    ``deadline_s`` None (schema migrations, batch reads by the command line)
    leaves PostgreSQL's statements unbounded; connecting is always bounded.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        # A SQLite file has no server to lose the connection to: no ping per checkout
        # (a round trip on every request, ~3% of a quote under load, issue 13).
        sqlite = parsed.get_backend_name() == "sqlite"
        engine = create_engine(url, pool_pre_ping=not sqlite, json_serializer=column_json)
        if sqlite:
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Connecting takes milliseconds on a LAN; 2 s (libpq's floor, whole seconds)
    # keeps a pre-ping past its deadline plus one reconnect under 10 s.
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
    if deadline_s is not None:
        # connect_args replace the URL's own ``options`` (a search_path, say): keep both.
        given = parsed.query.get("options", "")
        given = given if isinstance(given, str) else " ".join(given)
        connect_args["options"] = f"{given} -c statement_timeout={int(deadline_s * 1000)}".strip()
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=deadline_s or 30,
        connect_args=connect_args,
        json_serializer=column_json,
    )
    if deadline_s is not None:
        install_deadlines(engine, deadline_s)
    return engine


class Database:
    """Engine + session factory of one app (``app.extensions["polisure.db"]``)."""

    def __init__(self, url: str, deadline_s: float = DATABASE_DEADLINE_S) -> None:
        self.url = url
        self.engine = make_engine(url, deadline_s)
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
