"""The scoring path's compiled statements and the Core path read each other's rows,
on SQLite and PostgreSQL: same tables, same codecs, same answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from factories import make_order
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from fraud.domain import Action, Decision, Reason, RuleResult, Versions
from fraud.history import WINDOW, past_order
from fraud.keys import order_keys
from fraud.settings import Settings
from fraud.store import repository
from fraud.store.codecs import decision_to_dict
from fraud.store.db import make_engine, upgrade_database
from fraud.store.history import SqlHistory
from fraud.store.statements import compile_statement, insert_row, raw_connection
from fraud.store.tables import decisions, orders, outcomes
from fraud.store.tables import order_keys as order_keys_table

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


def test_a_decision_written_by_the_compiled_statements_reads_back_through_core(
    engine: Engine,
) -> None:
    order = make_order(created_at="2026-11-25T13:00:00.123456+01:00")
    features = {"amount_eur": 104.85, "count": 3, "flag": True, "odd": float("nan"), "x": None}
    with raw_connection(engine) as conn:
        written = repository.save_decision(conn, order, a_decision(order.order_id), features)
    with Session(engine) as session:
        row = session.execute(select(decisions)).one()
        order_row = session.execute(select(orders)).one()
        keys = session.execute(select(order_keys_table.c.kind, order_keys_table.c.value)).all()
    assert written.created
    assert row.score == 55 and row.action == "review"
    assert row.reasons == decision_to_dict(written.decision)["reasons"]
    assert row.features == written.features == {**features, "odd": None}
    assert row.decided_at == written.decided_at
    assert order_row.created_at == datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
    assert order_row.order_json == order.model_dump(mode="json")
    assert order_row.email_key == order_keys(order).email
    assert sorted(keys) == sorted(
        [("account", order.customer.account_id), *order_keys(order).linked().items()]
    )


def test_a_decision_written_through_core_reads_back_on_the_compiled_statements(
    engine: Engine,
) -> None:
    order = make_order()
    past = past_order(order, Settings(_env_file=None).fx_rates)
    decided_at = datetime(2026, 11, 25, 12, 0, 1, 250000, tzinfo=UTC)
    data = decision_to_dict(a_decision(order.order_id))
    with Session(engine) as session:
        session.execute(
            insert(orders).values(
                order_id=order.order_id,
                created_at=past.created_at,
                received_at=decided_at,
                account_id=past.keys.account,
                order_json=order.model_dump(mode="json"),
                amount_eur=past.amount_eur,
                currency=str(order.payment.currency),
                billing_country=past.billing_country,
                shipping_country=past.shipping_country,
                ip_key=past.keys.ip,
                email_key=past.keys.email,
                address_key=past.keys.address,
            )
        )
        session.execute(
            insert(decisions).values(
                order_id=order.order_id,
                score=data["score"],
                action=data["action"],
                reasons=data["reasons"],
                rule_hits=data["rule_hits"],
                signals_unavailable=data["signals_unavailable"],
                features={"amount_eur": 1.5},
                rules_version="r1",
                model_version="m1",
                service_version="0.1.0",
                model_probability=data["model_probability"],
                decided_at=decided_at,
            )
        )
        session.commit()
    with raw_connection(engine) as conn:
        read = repository.find_decision(conn, order.order_id)
        retry = repository.find_retry(conn, order)
    assert read is not None
    assert read.decision == a_decision(order.order_id)
    assert read.features == {"amount_eur": 1.5}
    assert read.decided_at == decided_at
    assert retry == read


def test_saving_the_same_order_twice_keeps_the_first_decision(engine: Engine) -> None:
    order = make_order()
    with raw_connection(engine) as conn:
        first = repository.save_decision(conn, order, a_decision(order.order_id, 10), {})
        second = repository.save_decision(conn, order, a_decision(order.order_id, 90), {})
    with Session(engine) as session:
        stored = session.execute(select(func.count()).select_from(orders)).scalar_one()
        keys = session.execute(select(func.count()).select_from(order_keys_table)).scalar_one()
    assert first.created and not second.created
    assert second.decision.score == 10
    assert stored == 1
    assert keys == len([v for v in order_keys(order).linked().values()]) + 1


def test_an_unknown_order_has_no_decision_on_the_compiled_statements(engine: Engine) -> None:
    with raw_connection(engine) as conn:
        assert repository.find_decision(conn, "O-unknown") is None


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


def test_sqlite_stores_times_as_utc_text_so_text_order_is_time_order(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'times.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    try:
        order = make_order(created_at="2026-03-01T10:05:07+01:00")
        with raw_connection(engine) as conn:
            repository.save_decision(conn, order, a_decision(order.order_id), {})
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT created_at FROM orders").scalar_one()
    finally:
        engine.dispose()
    assert stored == "2026-03-01 09:05:07.000000"


def test_naive_times_are_refused_by_the_compiled_statements_too(engine: Engine) -> None:
    statement = compile_statement(insert_row(outcomes), engine.dialect)
    with pytest.raises(ValueError, match="naive"):
        statement.params({"order_id": "O-1", "outcome": "paid", "at": datetime(2026, 3, 1),  # noqa: DTZ001
                          "reported_at": datetime.now(UTC)})


def test_the_compiled_insert_writes_every_column_of_the_table_definition(engine: Engine) -> None:
    statement = compile_statement(insert_row(orders), engine.dialect)
    for column in orders.columns:
        assert column.name in statement.sql
