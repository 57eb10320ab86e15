"""Engines and schema migrations for the store.

SQLite is the embedded default: every connection gets WAL (readers never block
the writer), enforced foreign keys and a busy timeout so concurrent writers wait
instead of failing. PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

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

