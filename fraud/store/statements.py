"""Statements for the scoring path: compiled once per dialect, run on the DBAPI connection.

SQLAlchemy's per-execution overhead (cache keys, parameter and result processing
set up on every call) cost more than SQLite itself on the scoring path. These
statements are still built from the :mod:`~fraud.store.tables` definitions and
compiled by SQLAlchemy, once per dialect; what is skipped is only the per-call
machinery. Values go through the columns' own types (the codecs of
:mod:`fraud.store.codecs`), so both paths write and read exactly the same things,
and rows come back as mappings by column name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Dialect, Engine, Float, Insert, Numeric, Table, TextClause, bindparam, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import Select

Processor = Callable[[Any], Any]
_MISSING = object()


@dataclass(frozen=True)
class Statement:
    """One statement compiled for one dialect, with the bind and result processors of
    its columns' types."""

    sql: str
    slots: tuple[tuple[str, Processor | None], ...]  # each parameter in the driver's order
    positional: bool  # SQLite takes a tuple, psycopg a mapping
    results: Mapping[str, Processor]
    defaults: Mapping[str, Any]  # values fixed in the statement, such as a LIMIT

    def params(self, values: Mapping[str, Any], memo: dict[Any, Any] | None = None) -> Any:
        """``values`` encoded by their columns' types, in the driver's parameter style.

        A value is encoded once however often it appears: a parameter repeated in
        positional SQL, or (with one ``memo`` per batch of rows) a value shared by
        several rows, such as the order time of every linking key.
        """
        if self.defaults:
            values = {**self.defaults, **values}
        memo = {} if memo is None else memo
        encoded: list[Any] = []
        append = encoded.append
        for name, process in self.slots:
            value = values[name]
            if process is not None:
                key = (name, id(value))
                done = memo.get(key, _MISSING)
                value = memo.setdefault(key, process(value)) if done is _MISSING else done
            append(value)
        if self.positional:
            return tuple(encoded)
        return {name: value for (name, _), value in zip(self.slots, encoded, strict=True)}

    def row(self, names: Sequence[str], raw: Sequence[Any]) -> dict[str, Any]:
        """A fetched row as ``{column name: decoded value}``."""
        results = self.results
        out = {}
        for name, value in zip(names, raw, strict=True):
            process = results.get(name)
            out[name] = process(value) if process is not None and value is not None else value
        return out


def compile_statement(statement: ClauseElement, dialect: Dialect) -> Statement:
    """Compile a Core statement (or a typed :func:`~sqlalchemy.text`) for ``dialect``."""
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    processors = {  # by the parameter name as rendered in the SQL
        name: bind.type.dialect_impl(dialect).bind_processor(dialect)
        for bind, name in compiled.bind_names.items()
    }
    positional = bool(compiled.positional and compiled.positiontup)
    order = compiled.positiontup if positional else list(processors)
    slots = tuple((name, processors[name]) for name in order or ())
    results: dict[str, Processor] = {}
    if isinstance(statement, Select | TextClause):
        for column in getattr(statement, "selected_columns", ()):
            if isinstance(column.type, Float | Numeric):
                continue  # both drivers return floats and ints as they are stored
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                results[column.name] = process
    defaults = {k: v for k, v in compiled.params.items() if v is not None}
    return Statement(compiled.string, slots, positional, results, defaults)


def insert_row(table: Table) -> Insert:
    """An INSERT binding every column by its name, except a generated integer key
    (never sent back: ``inline`` drops PostgreSQL's implicit RETURNING)."""
    return insert(table).inline().values(
        {
            c.name: bindparam(c.name, type_=c.type)
            for c in table.columns
            if not (c.primary_key and c.autoincrement is True)
        }
    )


def per_dialect(build: Callable[[], ClauseElement]) -> Callable[[Dialect], Statement]:
    """Decorator: the statement ``build()`` returns, compiled once per dialect on first use."""
    cache: dict[str, Statement] = {}

    def for_dialect(dialect: Dialect) -> Statement:
        found = cache.get(dialect.name)
        if found is None:
            found = cache[dialect.name] = compile_statement(build(), dialect)
        return found

    for_dialect.__doc__ = build.__doc__
    return for_dialect


@dataclass(frozen=True)
class RawConnection:
    """A DBAPI connection with its dialect; from an engine's pool or under a session.

    Under a session, commit and rollback go through the session, so it stays in step.
    """

    dbapi: Any
    dialect: Dialect
    session: Session | None = None

    @property
    def integrity_error(self) -> type[Exception]:
        """The driver's IntegrityError: a duplicate key, caught without importing the driver."""
        return self.dialect.loaded_dbapi.IntegrityError  # type: ignore[no-any-return]

    def run(self, statement: Statement, values: Mapping[str, Any] | None = None) -> Any:
        """Execute ``statement`` and return the open cursor."""
        cursor = self.dbapi.cursor()
        cursor.execute(statement.sql, statement.params(values or {}))
        return cursor

    def write(self, statement: Statement, values: Mapping[str, Any]) -> None:
        """Execute a statement that returns no rows."""
        self.run(statement, values).close()

    def write_many(self, statement: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        cursor = self.dbapi.cursor()
        try:
            memo: dict[Any, Any] = {}
            cursor.executemany(statement.sql, [statement.params(r, memo) for r in rows])
        finally:
            cursor.close()

    def rows(self, statement: Statement, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row of a query, by column name, values decoded."""
        cursor = self.run(statement, values)
        try:
            names = [d[0] for d in cursor.description]
            return [statement.row(names, r) for r in cursor.fetchall()]
        finally:
            cursor.close()

    def first(self, statement: Statement, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row of a query, by column name, or ``None``."""
        cursor = self.run(statement, values)
        try:
            raw = cursor.fetchone()
            return None if raw is None else statement.row([d[0] for d in cursor.description], raw)
        finally:
            cursor.close()

    def commit(self) -> None:
        if self.session is not None:
            self.session.commit()
        else:
            self.dbapi.commit()

    def rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()
        else:
            self.dbapi.rollback()

    @contextmanager
    def savepoint(self, name: str) -> Iterator[None]:
        """Roll back only what fails inside. PostgreSQL aborts the whole transaction on a
        failed statement; SQLite does not, so there it costs nothing."""
        if self.dialect.name == "sqlite":
            yield
            return
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                cursor.execute(f"ROLLBACK TO SAVEPOINT {name}")
                raise
            cursor.execute(f"RELEASE SAVEPOINT {name}")
        finally:
            cursor.close()


def raw_of(session: Session) -> RawConnection:
    """The DBAPI connection under ``session``'s transaction."""
    conn = session.connection()
    return RawConnection(conn.connection.dbapi_connection, conn.dialect, session)


@contextmanager
def raw_connection(engine: Engine) -> Iterator[RawConnection]:
    """A pooled DBAPI connection for the hot path; back to the pool (rolled back) after."""
    dbapi_connection = engine.raw_connection()
    try:
        yield RawConnection(dbapi_connection, engine.dialect)
    finally:
        dbapi_connection.close()


LookupSource = Engine | Callable[[], Session] | RawConnection
"""Where a history look-up reads: the scoring path's connection, an engine or a session
factory."""


@contextmanager
def lookup_connection(source: LookupSource, savepoint: str) -> Iterator[RawConnection]:
    """A connection for one look-up. On the scoring path's own connection the look-up runs
    in a savepoint, so a failing look-up is rolled back alone and the decision can still
    be written on that connection."""
    if isinstance(source, RawConnection):
        with source.savepoint(savepoint):
            yield source
    elif isinstance(source, Engine):
        with raw_connection(source) as conn:
            yield conn
    else:
        with source() as session:
            yield raw_of(session)
