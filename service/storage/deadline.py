"""A deadline on every PostgreSQL round trip, so a database that hangs cannot hang the service.

``connect_timeout`` bounds a new connection and ``statement_timeout`` a
query the server is running, but neither helps when the server, or a proxy
or firewall in between, stops answering an open connection: libpq then
waits on its socket for ever, the request holds its sync worker until
gunicorn kills it, and ``/healthz`` goes unanswered. One watchdog thread
per process fixes that at the root. Each statement, commit and pre-ping
registers ``(deadline, socket)`` for its connection and clears it when it
returns; an entry past its deadline gets its socket shut down, which wakes
the blocked libpq call with an error (SQLAlchemy's OperationalError, a
disconnect), which the API answers with a JSON 503 (service.http.errors).

The cost on the quote path is a dict write and a delete per statement; the
watchdog wakes every ``DEADLINE_POLL_S`` seconds, so a hung call fails
within ``timeout_s + DEADLINE_POLL_S``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import weakref
from typing import Any

from sqlalchemy import Engine, event

DEADLINE_POLL_S = 0.25


class StatementDeadlines:
    """Shuts down the socket of any connection stuck in one call for longer than ``timeout_s``."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        # id(dbapi connection) -> (deadline, fd, weak reference to the connection)
        self._pending: dict[int, tuple[float, int, weakref.ref[Any]]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def start(self, dbapi_connection: Any) -> None:
        fd = None if dbapi_connection is None else _socket_fd(dbapi_connection)
        if fd is None:
            return
        self._ensure_watchdog()
        entry = (time.monotonic() + self.timeout_s, fd, weakref.ref(dbapi_connection))
        self._pending[id(dbapi_connection)] = entry

    def stop(self, dbapi_connection: Any) -> None:
        self._pending.pop(id(dbapi_connection), None)

    def _ensure_watchdog(self) -> None:
        # A forked gunicorn worker inherits the object but not the thread.
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._watch, name="db-deadlines", daemon=True
                )
                self._thread.start()

    def _watch(self) -> None:
        while True:
            time.sleep(DEADLINE_POLL_S)
            now = time.monotonic()
            for key, entry in list(self._pending.items()):
                deadline, fd, connection = entry
                if deadline > now or self._pending.get(key) is not entry:
                    continue
                self._pending.pop(key, None)
                # Only a live connection still on that fd: a closed one's fd
                # number may already belong to another socket of the process.
                alive = connection()
                if alive is not None and _socket_fd(alive) == fd:
                    _shut_down(fd)


def _socket_fd(dbapi_connection: Any) -> int | None:
    """The libpq socket of a psycopg connection (None for anything else, or closed)."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    try:
        return int(pgconn.socket) if pgconn is not None else None
    except Exception:  # a closed or broken connection has no socket
        return None


def _shut_down(fd: int) -> None:
    """Wake whoever is blocked on ``fd``: shutdown, not close, so the fd stays libpq's."""
    try:
        duplicate = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        duplicate.close()


def install_deadlines(engine: Engine, timeout_s: float) -> StatementDeadlines:
    """Put every statement, commit and pre-ping of ``engine`` under the deadline."""
    deadlines = StatementDeadlines(timeout_s)

    def _dbapi(conn: Any) -> Any:
        # An invalidated connection (the deadline fired) must not be asked for
        # its DBAPI connection: that would try to reconnect mid-transaction.
        return None if conn.invalidated else conn.connection.dbapi_connection

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, *args: Any) -> None:
        deadlines.start(conn.connection.dbapi_connection)

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, *args: Any) -> None:
        deadlines.stop(_dbapi(conn))

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        deadlines.start(_dbapi(conn))

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Any) -> None:
        deadlines.start(_dbapi(conn))

    @event.listens_for(engine.pool, "checkin")
    def _checkin(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            deadlines.stop(dbapi_connection)

    dialect = engine.dialect
    ping = dialect.do_ping

    def _ping_with_deadline(dbapi_connection: Any) -> bool:
        # The pool pings a pooled connection before its checkout event fires.
        deadlines.start(dbapi_connection)
        try:
            return ping(dbapi_connection)
        finally:
            deadlines.stop(dbapi_connection)

    dialect.do_ping = _ping_with_deadline  # type: ignore[method-assign]
    return deadlines
