"""The SQLite WAL stays bounded under load (issue 10 item 11): past
``FRAUD_SQLITE_WAL_MAX_BYTES`` the background checkpoint empties it.

The soak run that measures it under steady load is ``bench/bench_wal_soak.py``."""

from __future__ import annotations

import time
from pathlib import Path

from factories import make_order

from fraud import runtime as runtime_module
from fraud.settings import Settings
from fraud.store.db import (
    WAL_SIZE_LIMIT_BYTES,
    checkpoint,
    checkpoint_bounded,
    make_engine,
    wal_bytes,
)

ROW = "x" * 4000  # about a page per row


def _engine(tmp_path: Path):  # noqa: ANN202 - sqlalchemy.Engine
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}", background_checkpoints=True)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (v TEXT)")
    return engine


def _write(engine, rows: int) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        for _ in range(rows):
            conn.exec_driver_sql("INSERT INTO t VALUES (?)", (ROW,))


def test_a_wal_past_its_size_is_emptied_where_a_passive_checkpoint_leaves_it(tmp_path):
    engine = _engine(tmp_path)
    try:
        _write(engine, 200)
        grown = wal_bytes(engine)
        assert grown > 200 * 4000

        checkpoint(engine)  # passive: copies pages, leaves the file as large
        assert wal_bytes(engine) == grown
        assert checkpoint_bounded(engine, max_wal_bytes=grown + 1) is False
        assert wal_bytes(engine) == grown

        assert checkpoint_bounded(engine, max_wal_bytes=grown // 2) is True
        assert wal_bytes(engine) == 0
        with engine.connect() as conn:  # nothing lost on the way
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 200
    finally:
        engine.dispose()


def test_a_reader_that_finishes_lets_the_emptying_checkpoint_through(tmp_path):
    engine = _engine(tmp_path)
    try:
        _write(engine, 50)
        with engine.connect() as reader:  # an open read snapshot while more is written
            reader.exec_driver_sql("BEGIN")
            reader.exec_driver_sql("SELECT count(*) FROM t").scalar_one()
            _write(engine, 50)
            checkpoint(engine)
            reader.exec_driver_sql("COMMIT")
        assert wal_bytes(engine) > 0
        assert checkpoint_bounded(engine, max_wal_bytes=1024) is True
        assert wal_bytes(engine) == 0
    finally:
        engine.dispose()


def test_every_connection_bounds_what_sqlite_keeps_of_an_emptied_wal(tmp_path):
    engine = _engine(tmp_path)
    try:
        with engine.connect() as conn:
            limit = conn.exec_driver_sql("PRAGMA journal_size_limit").scalar_one()
        assert limit == WAL_SIZE_LIMIT_BYTES
    finally:
        engine.dispose()


def test_the_service_empties_a_large_wal_from_its_checkpoint_thread(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime_module, "CHECKPOINT_SECONDS", 0.05)
    limit = 64 * 1024
    runtime = runtime_module.Runtime.start(Settings(
        data_dir=tmp_path, model_dir=tmp_path / "none", sqlite_wal_max_bytes=limit,
        _env_file=None,
    ))
    try:
        grown = 0
        for i in range(200):
            runtime.score(make_order(order_id=f"O-wal-{i}"))
            grown = max(grown, wal_bytes(runtime.engine))
            if grown > limit:
                break
        assert grown > limit, "the WAL never grew past the limit"
        # poll with a generous bound (a hang guard, not a timing assert)
        deadline = time.monotonic() + 30
        while wal_bytes(runtime.engine) > limit and time.monotonic() < deadline:
            time.sleep(0.05)
        assert wal_bytes(runtime.engine) <= limit
    finally:
        runtime.close()
