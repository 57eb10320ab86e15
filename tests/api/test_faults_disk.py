"""A full disk (issue 10 item 10): SQLite's ``max_page_count`` makes the store full the
way a full disk does (SQLITE_FULL). Scoring answers 503 ``store_full``, ``/readyz``
reports the store degraded, and nothing stored before is lost or half-stored."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from factories import make_order_data
from sqlalchemy import event, func, select

from fraud.errors import StoreFull, StoreUnavailable
from fraud.store.failures import classify
from fraud.store.tables import decisions, orders


def _cap_pages(runtime: Any, extra_pages: int | None) -> None:
    """Every new store connection may grow the file to its size now plus ``extra_pages``
    (``None``: no cap). ``max_page_count`` holds per connection: the pool is emptied."""
    with runtime.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    limit = 1_073_741_823 if extra_pages is None else pages + extra_pages

    def cap(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={limit}")

    for old in getattr(runtime, "_test_caps", []):
        event.remove(runtime.engine, "connect", old)
    runtime._test_caps = [cap]
    event.listen(runtime.engine, "connect", cap)
    runtime.engine.dispose()


def _counts(runtime: Any) -> tuple[int, int]:
    with runtime.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(orders)).scalar_one(),
                conn.execute(select(func.count()).select_from(decisions)).scalar_one())


def test_a_full_sqlite_store_answers_503_reports_degraded_and_loses_nothing(client, runtime):
    before = [make_order_data(order_id=f"O-before-{i}") for i in range(5)]
    for body in before:
        assert client.post("/v1/score", json=body).status_code == 200
    _cap_pages(runtime, extra_pages=2)

    answers = [client.post("/v1/score", json=make_order_data(order_id=f"O-full-{i}"))
               for i in range(40)]
    full = [a for a in answers if a.status_code != 200]
    assert full, "the store never filled up"
    assert all(a.status_code == 503 for a in full)
    assert {a.json()["code"] for a in full} == {"store_full"}
    assert all(int(a.headers["Retry-After"]) >= 1 for a in full)

    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["store"].startswith("full:")

    for body in before:  # everything acknowledged before is still there, decision and all
        stored = client.get(f"/v1/orders/{body['order_id']}")
        assert stored.status_code == 200 and stored.json()["decision"] is not None
    stored_orders, stored_decisions = _counts(runtime)
    assert stored_orders == stored_decisions  # no order stored without its decision
    assert stored_orders == len(before) + sum(a.status_code == 200 for a in answers)

    _cap_pages(runtime, extra_pages=None)  # space freed
    assert client.post("/v1/score", json=make_order_data(order_id="O-after")).status_code == 200
    ready = client.get("/readyz").json()
    assert ready["checks"]["store"] == "ok"


def test_a_full_disk_is_told_apart_from_other_store_faults_on_both_stores() -> None:
    sqlite_full = sqlite3.OperationalError("database or disk is full")
    sqlite_full.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]

    assert isinstance(classify(sqlite_full), StoreFull)
    assert isinstance(classify(psycopg.errors.DiskFull("no space left on device")), StoreFull)
    for other in (locked, psycopg.OperationalError("connection refused")):
        fault = classify(other)
        assert isinstance(fault, StoreUnavailable) and not isinstance(fault, StoreFull)
    assert classify(ValueError("a bug")) is None  # a bug stays a 500


def test_a_store_fault_message_never_repeats_the_driver_message() -> None:
    err = sqlite3.OperationalError("database is locked near 'Jan Jansen, Dorpsstraat 1'")
    fault = classify(err)
    assert fault is not None and "Jansen" not in fault.message
