"""Engines and migrations: pragmas, Alembic from any folder, schema == tables.py."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select, text

from fraud.store.db import current_revision, make_engine, normalise_url, upgrade_database
from fraud.store.tables import api_keys, metadata


def test_upgrade_creates_every_table_and_matches_the_table_definitions(db_url: str) -> None:
    upgrade_database(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diff == []
    assert current_revision(db_url) is not None


def test_upgrade_twice_is_harmless(db_url: str) -> None:
    upgrade_database(db_url)
    first = current_revision(db_url)
    upgrade_database(db_url)
    assert current_revision(db_url) == first


def test_upgrade_works_from_any_working_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    here = Path.cwd()
    os.chdir(elsewhere)
    try:
        upgrade_database(f"sqlite:///{tmp_path / 'x.db'}")
    finally:
        os.chdir(here)
    assert current_revision(f"sqlite:///{tmp_path / 'x.db'}") is not None


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0
    engine.dispose()


def test_plain_postgresql_urls_go_through_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_times_come_back_timezone_aware_and_equal_on_every_backend(engine) -> None:  # noqa: ANN001
    amsterdam = timezone(timedelta(hours=1))
    written = datetime(2026, 11, 25, 14, 3, 0, 123456, tzinfo=amsterdam)
    with engine.begin() as conn:
        conn.execute(
            insert(api_keys).values(
                name="t", prefix="fsk_x", secret_sha256="0" * 64, created_at=written
            )
        )
        read = conn.execute(select(api_keys.c.created_at)).scalar_one()
    assert read.tzinfo is not None
    assert read == written
    assert read.utcoffset() == timedelta(0)


def test_naive_times_are_refused_rather_than_guessed(engine) -> None:  # noqa: ANN001
    with pytest.raises(Exception, match="naive"), engine.begin() as conn:
        conn.execute(
            insert(api_keys).values(
                name="t", prefix="fsk_x", secret_sha256="0" * 64, created_at=datetime(2026, 1, 1)
            )
        )
    with engine.connect() as conn:
        assert conn.execute(select(api_keys.c.name)).all() == []


def test_the_service_checkpoints_the_wal_itself_off_the_request_path(tmp_path, monkeypatch):
    import threading

    from factories import make_order

    from fraud import runtime as runtime_module
    from fraud.settings import Settings

    called = threading.Event()
    real = runtime_module.checkpoint_bounded

    def recording_checkpoint(engine, max_bytes):
        called.set()
        return real(engine, max_bytes)

    monkeypatch.setattr(runtime_module, "checkpoint_bounded", recording_checkpoint)
    monkeypatch.setattr(runtime_module, "CHECKPOINT_SECONDS", 0.1)
    runtime = runtime_module.Runtime.start(
        Settings(data_dir=tmp_path, model_dir=tmp_path / "none", _env_file=None)
    )
    try:
        with runtime.engine.connect() as conn:  # no request copies the WAL itself
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        runtime.score(make_order())
        assert called.wait(timeout=10), "the background checkpointer never ran"
    finally:
        runtime.close()
