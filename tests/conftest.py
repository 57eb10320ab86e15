"""Shared fixtures. ``db_url`` runs a test once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

# tests/ is not a package: make `from factories import make_order` work everywhere
sys.path.insert(0, str(Path(__file__).parent))

POSTGRES_URL = os.environ.get(
    "FRAUD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_problem(url: str) -> str | None:
    """Why PostgreSQL can't be used, or ``None`` when it answers."""
    from sqlalchemy import text

    from fraud.store.db import make_engine

    engine = make_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not reachable" for the skip message
        return f"PostgreSQL unreachable at {url}: {type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server URL; skips (visibly) when nothing answers there."""
    problem = _postgres_problem(POSTGRES_URL)
    if problem:
        pytest.skip(problem)
    return POSTGRES_URL


# Variables that configure the test run itself (where PostgreSQL and the public data
# set are), not the service: kept. Every other FRAUD_* variable is a setting.
TEST_RUN_VARIABLES = ("FRAUD_TEST_", "FRAUD_ECOMMERCE_DATA")


def _developer_settings() -> list[str]:
    return [n for n in os.environ
            if n.startswith("FRAUD_") and not n.startswith(TEST_RUN_VARIABLES)]


def pytest_configure(config: pytest.Config) -> None:
    # Before any test module is imported: some build Settings at import time.
    for name in _developer_settings():
        del os.environ[name]


@pytest.fixture(autouse=True)
def _no_developer_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts from the documented defaults: no ``FRAUD_*`` setting from the
    developer's shell or an earlier test, no ``.env`` file, no cached settings."""
    from fraud.settings import Settings, get_settings

    for name in _developer_settings():
        monkeypatch.delenv(name)
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


STORE_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Factory: ``new_database("sqlite" | "postgresql")`` -> URL of a fresh, empty database.

    SQLite gets a new file; PostgreSQL a new schema, through ``search_path`` in
    the URL, so tests (and xdist workers) never see each other's rows. Schemas
    are dropped after the test.
    """
    from sqlalchemy import text

    from fraud.store.db import make_engine

    schemas: list[str] = []

    def create(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'fraud-{uuid.uuid4().hex[:8]}.db'}"
        base = request.getfixturevalue("postgres_url")
        schema = f"test_{uuid.uuid4().hex[:16]}"
        admin = make_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        schemas.append(schema)
        sep = "&" if "?" in base else "?"
        return f"{base}{sep}options={quote(f'-csearch_path={schema}')}"

    yield create
    if schemas:
        admin = make_engine(request.getfixturevalue("postgres_url"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=STORE_BACKENDS)
def db_url(request: pytest.FixtureRequest, new_database: Callable[[str], str]) -> str:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    return new_database(request.param)


@pytest.fixture
def engine(db_url: str):  # noqa: ANN201 - sqlalchemy.Engine
    """An engine on a database migrated to the latest schema by Alembic."""
    from fraud.store.db import make_engine, upgrade_database

    upgrade_database(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):  # noqa: ANN001, ANN201 - sqlalchemy Session
    """A session on the migrated test database (objects stay readable after commit)."""
    from sqlalchemy.orm import Session

    with Session(engine, expire_on_commit=False) as s:
        yield s
