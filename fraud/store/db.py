"""Engines and schema migrations for the store.

SQLite is the embedded default: every connection gets WAL (readers never block
the writer), enforced foreign keys and a busy timeout so concurrent writers wait
instead of failing. PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
# After a checkpoint empties the WAL, SQLite cuts the file back to this size.
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class StoreTimeouts:
    """How long the store may make a caller wait (the service's ``FRAUD_STORE_*`` settings).

    ``statement_seconds`` bounds one statement (PostgreSQL ``statement_timeout``), a
    wait for a SQLite lock (``busy_timeout``) and a wait for a pooled connection;
    ``connect_seconds`` bounds opening a PostgreSQL connection.
    """

    statement_seconds: float = 5.0
    connect_seconds: int = 3


def normalise_url(url: str) -> str:
    """Send plain PostgreSQL URLs to psycopg 3 (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(
    url: str,
    *,
    background_checkpoints: bool = False,
    timeouts: StoreTimeouts | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine for ``url``, with the SQLite pragmas set on every new connection.

    ``background_checkpoints`` turns off SQLite's automatic WAL checkpoint on this
    engine's connections: the owner must then call :func:`checkpoint` regularly
    (the service does, from a thread), so no request pays for copying the WAL.
    ``timeouts`` bound every wait on the store (see :class:`StoreTimeouts`); without,
    SQLite waits 5 s for a lock and PostgreSQL as long as it takes.
    """
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    if timeouts is not None:
        kwargs.setdefault("pool_timeout", timeouts.statement_seconds)
        if backend == "postgresql":
            connect_args = dict(kwargs.pop("connect_args", {}))
            connect_args.setdefault("connect_timeout", timeouts.connect_seconds)
            kwargs["connect_args"] = connect_args
    engine = create_engine(url, **kwargs)
    if backend == "sqlite":
        busy_ms = (
            round(timeouts.statement_seconds * 1000) if timeouts else SQLITE_BUSY_TIMEOUT_MS
        )
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, busy_ms=busy_ms))
        if background_checkpoints:
            event.listen(engine, "connect", _no_auto_checkpoint)
    elif backend == "postgresql" and timeouts is not None:
        ms = round(timeouts.statement_seconds * 1000)
        event.listen(engine, "connect", functools.partial(_statement_timeout, ms=ms))
    return engine


def _statement_timeout(dbapi_connection: Any, _record: Any, *, ms: int) -> None:
    """The server cancels a statement running longer (a slow query, a lock wait) and the
    connection stays usable; a frozen server is the watchdog's (fraud/store/watchdog.py)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {int(ms)}")
    dbapi_connection.commit()


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


def wal_path(engine: Engine) -> Path | None:
    """The WAL file of a SQLite file database; ``None`` for anything else."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(f"{database}-wal")


def wal_bytes(engine: Engine) -> int:
    """Size of the SQLite WAL file now (0 when there is none)."""
    path = wal_path(engine)
    try:
        return os.path.getsize(path) if path is not None else 0
    except FileNotFoundError:
        return 0


def checkpoint_bounded(engine: Engine, max_wal_bytes: int) -> bool:
    """A passive checkpoint; and when the WAL file has grown past ``max_wal_bytes``, a
    TRUNCATE one. Returns whether it truncated.

    A passive checkpoint never waits, so under steady load with readers always
    active it never reaches the end of the WAL, and SQLite can never start the WAL
    over: it grew to 1.76 GB after 20,000 orders. TRUNCATE waits (up to the busy
    timeout) for the readers of the moment to finish, copies everything and
    empties the file. Writers wait meanwhile, so it runs only past the size.
    """
    if engine.dialect.name != "sqlite":
        return False
    if wal_bytes(engine) <= max_wal_bytes:
        checkpoint(engine)
        return False
    checkpoint(engine, truncate=True)
    return True


def _sqlite_pragmas(
    dbapi_connection: Any, _record: Any, *, busy_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> None:
    """WAL, foreign keys and a busy timeout: SQLite defaults are wrong for a service."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        # with WAL, NORMAL is durable against application crashes and much faster
        cursor.execute("PRAGMA synchronous=NORMAL")
        # the hot look-ups read a few index pages per order: keep them in memory
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB per connection
        cursor.execute("PRAGMA mmap_size=268435456")  # 256 MiB, read without copies
        cursor.execute("PRAGMA temp_store=MEMORY")
    finally:
        cursor.close()
    # SQLite's lower() folds ASCII letters only: the review queue's name search needs
    # "Ängström" to match "ängström" as PostgreSQL's lower() does
    dbapi_connection.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


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

