"""The scoring path's hand-written SQL: same rows, same answers as the Core path,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from factories import make_order
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fraud.domain import Action, Decision, Reason, RuleResult, Versions
from fraud.history import WINDOW
from fraud.keys import order_keys
from fraud.store import repository
from fraud.store.db import flavour_of, make_engine, raw_connection, upgrade_database
from fraud.store.history import SqlHistory
from fraud.store.tables import order_keys as order_keys_table
from fraud.store.tables import orders

VERSIONS = Versions(rules="r1", model="m1", service="0.1.0")


def a_decision(order_id: str, score: int = 55) -> Decision:
    return Decision(
        order_id=order_id,
        score=score,
        action=Action.REVIEW,
        reasons=(Reason("far", "IP is far from the billing address", 912.5, 20.0),),
        rule_hits=(RuleResult("far", "hit", "points", 20.0, "far", {"km": 912.5}),),
        signals_unavailable=("geo",),
        versions=VERSIONS,
        model_probability=0.31,
    )


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    upgrade_database(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_a_decision_written_on_the_hot_path_reads_back_the_same_through_the_core_path(
    engine: Engine,
) -> None:
    order = make_order(created_at="2026-11-25T13:00:00.123456+01:00")
    features = {"amount_eur": 104.85, "count": 3, "flag": True, "odd": float("nan"), "x": None}
    with raw_connection(engine) as conn:
        written = repository.save_decision_on(conn, order, a_decision(order.order_id), features)
    with Session(engine) as session:
        read = repository.find_decision(session, order.order_id)
        created_at = session.execute(select(orders.c.created_at)).scalar_one()
        stored_order = repository.get_stored_order(session, order.order_id)
    assert written.created
    assert read.decision == written.decision
    assert read.features == written.features == {**features, "odd": None}
    assert read.decided_at == written.decided_at
    assert created_at == datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
    assert stored_order.order == order.model_dump(mode="json")


def test_a_decision_written_on_the_core_path_reads_back_the_same_on_the_hot_path(
    engine: Engine,
) -> None:
    order = make_order()
    with Session(engine) as session:
        written = repository.save_decision(
            session, order, a_decision(order.order_id), {"amount_eur": 1.5}
        )
    with raw_connection(engine) as conn:
        read = repository.find_decision_on(conn, order.order_id)
    assert read.decision == written.decision
    assert read.features == written.features
    assert read.decided_at == written.decided_at


def test_saving_the_same_order_twice_on_the_hot_path_keeps_the_first_decision(
    engine: Engine,
) -> None:
    order = make_order()
    with raw_connection(engine) as conn:
        first = repository.save_decision_on(conn, order, a_decision(order.order_id, 10), {})
        second = repository.save_decision_on(conn, order, a_decision(order.order_id, 90), {})
    with Session(engine) as session:
        stored = session.execute(select(func.count()).select_from(orders)).scalar_one()
        keys = session.execute(select(func.count()).select_from(order_keys_table)).scalar_one()
    assert first.created and not second.created
    assert second.decision.score == 10
    assert stored == 1
    assert keys == len([v for v in order_keys(order).linked().values()]) + 1


def test_an_unknown_order_has_no_decision_on_the_hot_path(engine: Engine) -> None:
    with raw_connection(engine) as conn:
        assert repository.find_decision_on(conn, "O-unknown") is None


def test_history_on_a_shared_connection_equals_history_through_the_engine(
    engine: Engine,
) -> None:
    t0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    earlier = [
        make_order(order_id=f"O-{i}", created_at=(t0 - timedelta(hours=i + 1)).isoformat())
        for i in range(3)
    ]
    with Session(engine) as session:
        for o in earlier:
            repository.save_decision(session, o, a_decision(o.order_id), {})
    new = make_order(order_id="O-new", created_at=t0.isoformat())
    keys = order_keys(new)
    via_engine = SqlHistory(engine).lookup(keys, t0, t0 - WINDOW)
    with raw_connection(engine) as conn:
        via_connection = SqlHistory(conn).lookup(keys, t0, t0 - WINDOW)
    assert via_connection == via_engine
    assert [p.order_id for p in via_engine.linked] == ["O-2", "O-1", "O-0"]


def test_times_are_stored_in_sqlalchemys_sqlite_format_so_text_order_is_time_order() -> None:
    sqlite = flavour_of("sqlite")
    moment = datetime(2026, 3, 1, 9, 5, 7, tzinfo=UTC)
    assert sqlite.time_in(moment) == "2026-03-01 09:05:07.000000"
    assert sqlite.time_out(sqlite.time_in(moment)) == moment


def test_naive_times_are_refused_on_the_hot_path_too() -> None:
    with pytest.raises(ValueError, match="naive"):
        flavour_of("postgresql").time_in(datetime(2026, 3, 1))  # noqa: DTZ001


def test_postgresql_placeholders_are_rewritten_but_casts_are_not() -> None:
    sql = flavour_of("postgresql").sql("SELECT CAST(:a AS JSONB), x::text WHERE y = :b_1")
    assert sql == "SELECT CAST(%(a)s AS JSONB), x::text WHERE y = %(b_1)s"
