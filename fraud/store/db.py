"""Engines and schema migrations for the store.

SQLite is the embedded default: every connection gets WAL (readers never block
the writer), enforced foreign keys and a busy timeout so concurrent writers wait
instead of failing. PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


def normalise_url(url: str) -> str:
    """Send plain PostgreSQL URLs to psycopg 3 (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, background_checkpoints: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url``, with the SQLite pragmas set on every new connection.

    ``background_checkpoints`` turns off SQLite's automatic WAL checkpoint on this
    engine's connections: the owner must then call :func:`checkpoint` regularly
    (the service does, from a thread), so no request pays for copying the WAL.
    """
    url = normalise_url(url)
    engine = create_engine(url, **kwargs)
    if make_url(url).get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if background_checkpoints:
            event.listen(engine, "connect", _no_auto_checkpoint)
    return engine


def _no_auto_checkpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    finally:
        cursor.close()


def checkpoint(engine: Engine, *, truncate: bool = False) -> None:
    """Copy the SQLite WAL into the database without blocking readers or writers.

    ``truncate`` waits for readers and empties the WAL file: for bulk loads,
    whose WAL otherwise grows by every page they write.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA wal_checkpoint({'TRUNCATE' if truncate else 'PASSIVE'})")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL, foreign keys and a busy timeout: SQLite defaults are wrong for a service."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # with WAL, NORMAL is durable against application crashes and much faster
        cursor.execute("PRAGMA synchronous=NORMAL")
        # the hot look-ups read a few index pages per order: keep them in memory
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB per connection
        cursor.execute("PRAGMA mmap_size=268435456")  # 256 MiB, read without copies
        cursor.execute("PRAGMA temp_store=MEMORY")
    finally:
        cursor.close()


def alembic_config(url: str) -> Any:
    """An Alembic config built in code, so migrations run from any working folder.

    The URL travels in ``attributes``, not the ini options, because configparser
    would choke on the ``%`` of URL-encoded passwords and options.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = normalise_url(url)
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Create the store's tables or migrate them to ``revision`` (default: the latest)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """The schema revision the database at ``url`` is at (``None``: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


# --- hand-written SQL for the scoring path ----------------------------------------------------
#
# SQLAlchemy's per-statement overhead (cache keys, parameter and result processing,
# the UTCDateTime type) costs more than SQLite itself on the scoring path. The few
# statements run for every order therefore go through the DBAPI connection, with SQL
# text adapted once per dialect and values encoded exactly as the Core tables do:
# SQLite gets naive UTC times in SQLAlchemy's text format and JSON as text, PostgreSQL
# gets aware datetimes and JSONB.

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@dataclass(frozen=True)
class SqlFlavour:
    """The per-dialect details of hand-written SQL: placeholders, times, JSON."""

    name: str

    @property
    def is_sqlite(self) -> bool:
        return self.name == "sqlite"

    def sql(self, text: str) -> str:
        """``:name`` placeholders as the driver wants them (psycopg: ``%(name)s``)."""
        if self.is_sqlite:
            return text
        return _NAMED.sub(r"%(\1)s", text)

    def json_slot(self, name: str) -> str:
        """A placeholder for a JSON column, given as text."""
        return f":{name}" if self.is_sqlite else f"CAST(:{name} AS JSONB)"

    def time_in(self, moment: datetime) -> Any:
        """An aware time as the column stores it. SQLite: SQLAlchemy's naive-UTC text,
        which also sorts and compares correctly as text."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"naive datetime {moment.isoformat()} given; times must carry a zone")
        moment = moment.astimezone(UTC)
        if self.is_sqlite:
            return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return moment

    def time_out(self, value: Any) -> datetime | None:
        """A stored time back as an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def json_out(self, value: Any) -> Any:
        """A stored JSON value as Python data (psycopg already decodes JSONB)."""
        return json.loads(value) if isinstance(value, str | bytes) else value


def flavour_of(dialect_name: str) -> SqlFlavour:
    """The flavour for a SQLAlchemy dialect name (``sqlite`` or ``postgresql``)."""
    if dialect_name not in ("sqlite", "postgresql"):
        raise ValueError(f"no hand-written SQL for the {dialect_name!r} dialect")
    return SqlFlavour(dialect_name)


@dataclass(frozen=True)
class RawConnection:
    """A DBAPI connection checked out of an engine's pool, with its flavour.

    ``integrity_error`` is the driver's IntegrityError class, so callers can catch a
    duplicate key without importing the driver.
    """

    dbapi: Any
    flavour: SqlFlavour
    integrity_error: type[Exception]

    def execute(self, sql: str, params: Any = None) -> Any:
        cursor = self.dbapi.cursor()
        cursor.execute(sql, params if params is not None else {})
        return cursor

    def commit(self) -> None:
        self.dbapi.commit()

    def rollback(self) -> None:
        self.dbapi.rollback()


def raw_of(dbapi_connection: Any, dialect: Any) -> RawConnection:
    """Wrap a DBAPI connection (e.g. ``session.connection().connection``) of ``dialect``."""
    return RawConnection(
        dbapi_connection, flavour_of(dialect.name), dialect.loaded_dbapi.IntegrityError
    )


@contextmanager
def raw_connection(engine: Engine) -> Iterator[RawConnection]:
    """A pooled DBAPI connection for the hot path; back to the pool (rolled back) after."""
    dbapi_connection = engine.raw_connection()
    try:
        yield raw_of(dbapi_connection, engine.dialect)
    finally:
        dbapi_connection.close()
