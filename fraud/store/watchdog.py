"""A deadline on the store connections a request holds.

A frozen database (its process stopped, or the network silently dropping packets)
never answers and never closes the connection: a statement timeout cannot fire
(the server never sees the statement), and TCP only gives up after many minutes.
Without a deadline of our own, every request waiting on it waits as long as the
freeze lasts. The watchdog cuts a connection a guarded call has held past its
deadline: a PostgreSQL socket is shut down (the blocked read returns at once with
a connection error and the pool drops the connection), a SQLite connection is
interrupted. The request then fails as "store unavailable", a 503.

Only calls inside :meth:`ConnectionWatchdog.guarding` are watched, so a bulk load
that rightly holds a connection for minutes (the demo, a migration) is left alone.
"""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

# How often the watchdog looks: a cut comes at most this late after the deadline.
TICK_SECONDS = 0.2


class ConnectionWatchdog:
    def __init__(self, engine: Engine, deadline_seconds: float) -> None:
        self.deadline_seconds = deadline_seconds
        self._engine = engine
        self._local = threading.local()
        self._lock = threading.Lock()
        # pool record -> (deadline, DBAPI connection); the record is stable across checkouts
        self._held: dict[Any, tuple[float, Any]] = {}
        self._stop = threading.Event()
        self.cuts = 0
        event.listen(engine, "checkout", self._checked_out)
        event.listen(engine, "checkin", self._checked_in)
        self._thread = threading.Thread(target=self._watch, name="store-watchdog", daemon=True)
        self._thread.start()

    @contextmanager
    def guarding(self) -> Iterator[None]:
        """Connections this thread checks out inside the block get the deadline."""
        outer = getattr(self._local, "on", False)
        self._local.on = True
        try:
            yield
        finally:
            self._local.on = outer

    def close(self) -> None:
        self._stop.set()
        event.remove(self._engine, "checkout", self._checked_out)
        event.remove(self._engine, "checkin", self._checked_in)

    def _checked_out(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if getattr(self._local, "on", False):
            deadline = time.monotonic() + self.deadline_seconds
            with self._lock:
                self._held[record] = (deadline, dbapi_connection)

    def _checked_in(self, _dbapi_connection: Any, record: Any) -> None:
        # under the lock: a connection back in the pool is never cut for its last holder
        with self._lock:
            self._held.pop(record, None)

    def _watch(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            now = time.monotonic()
            with self._lock:
                late = [(r, c) for r, (deadline, c) in self._held.items() if deadline <= now]
                for record, connection in late:
                    del self._held[record]
                    self._cut(connection)

    def _cut(self, dbapi_connection: Any) -> None:
        self.cuts += 1
        log.warning("store connection held past %.1f s: cut (the request answers 503)",
                    self.deadline_seconds)
        try:
            cut_connection(dbapi_connection)
        except Exception as exc:  # already closed: nothing left to cut
            log.debug("cutting a store connection failed: %s", exc)


def cut_connection(dbapi_connection: Any) -> None:
    """Make a call blocked on this connection fail now, from another thread."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.interrupt()
        return
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return
    # shutdown acts on the socket itself, so a duplicate of the descriptor reaches the
    # read psycopg is blocked in; psycopg's own descriptor is closed by psycopg
    with socket.socket(fileno=socket.dup(pgconn.socket)) as sock:
        sock.shutdown(socket.SHUT_RDWR)
