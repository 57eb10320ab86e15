"""Which store errors mean "the store cannot do this now" (the caller may retry), and
which of those mean "the disk is full".

A stopped or frozen database, a dropped connection, a statement past its timeout, a
busy SQLite file, a pool with no connection free in time and a full disk are faults of
the store, not of the request: the API answers them with a 503 and ``Retry-After``.
Anything else a store call raises is a bug and stays a 500.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import sqlalchemy.exc

from fraud.errors import StoreFull, StoreUnavailable

# The scoring path runs on the DBAPI connection, so driver errors arrive unwrapped too.
TRANSIENT = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection free within the store timeout
    sqlite3.OperationalError,
    psycopg.OperationalError,
)


def _driver_error(exc: BaseException) -> BaseException:
    return exc.orig if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.orig else exc


def is_disk_full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL (a full disk or ``max_page_count`` reached) or PostgreSQL's
    ``disk_full`` (SQLSTATE 53100)."""
    err = _driver_error(exc)
    if isinstance(err, sqlite3.OperationalError):
        return getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return isinstance(err, psycopg.errors.DiskFull)


def classify(exc: BaseException) -> StoreUnavailable | None:
    """The library error for a store fault, or ``None`` when ``exc`` is not one.

    The message is the same for every fault of a kind; ``detail`` names the driver's
    error class, for the log. Never the driver's message: it may quote the
    statement's parameters, which are customer data.
    """
    if not isinstance(exc, TRANSIENT):
        return None
    kind = type(_driver_error(exc)).__name__
    if is_disk_full(exc):
        return StoreFull("the store is full; nothing was stored; retry later", detail=kind)
    return StoreUnavailable("the store is unavailable; retry later", detail=kind)


@contextmanager
def store_faults() -> Iterator[None]:
    """Re-raise a store fault as :class:`StoreUnavailable` / :class:`StoreFull`."""
    try:
        yield
    except TRANSIENT as exc:
        fault = classify(exc)
        if fault is None:  # pragma: no cover - TRANSIENT always classifies
            raise
        raise fault from exc
