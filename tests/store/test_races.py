"""Races on the real store, SQLite and PostgreSQL: threads sending the same thing at once.

Each test starts its threads on a barrier so the requests overlap, and repeats a
few rounds: a race lost once in several tries (as the outcome check-then-insert
was) still shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from factories import make_order
from helpers.races import at_once
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from fraud.domain import Feature, Outcome
from fraud.errors import Conflict
from fraud.keys import order_keys
from fraud.runtime import Runtime
from fraud.schema import Order
from fraud.settings import Settings
from fraud.signals import Context, register_signal, unregister_signal
from fraud.store import repository
from fraud.store.db import make_engine
from fraud.store.tables import decisions, orders, outcomes

ROUNDS = 3


def count(runtime: Runtime, table: Any, order_id: str) -> int:
    with runtime.sessions() as session:
        return session.execute(
            select(func.count()).select_from(table).where(table.c.order_id == order_id)
        ).scalar_one()


@pytest.fixture(params=["group", "direct"])
def runtime(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """Both ways of committing decisions (``FRAUD_WRITE_MODE``) race alike."""
    settings = Settings(
        data_dir=tmp_path, database_url=db_url, model_dir=tmp_path / "no-models",
        write_mode=request.param, _env_file=None,
    )
    rt = Runtime.start(settings)
    yield rt
    rt.close()


def test_one_outcome_reported_by_four_threads_at_once_is_stored_once(runtime: Runtime) -> None:
    for round_ in range(ROUNDS):
        order = make_order(order_id=f"O-outcome-{round_}")
        runtime.score(order)
        at = datetime(2026, 11, 30, 9, 0, round_, tzinfo=UTC)

        def report(_: int, order_id: str = order.order_id, at: datetime = at) -> Any:
            return runtime.record_outcome(order_id, Outcome.CHARGEBACK, at)

        reported, errors = at_once(4, report)

        assert errors == []
        assert count(runtime, outcomes, order.order_id) == 1
        assert len({(r.outcome, r.at, r.reported_at) for r in reported}) == 1


def test_the_same_order_sent_eight_times_at_once_is_stored_once_and_all_get_its_decision(
    runtime: Runtime,
) -> None:
    for round_ in range(ROUNDS):
        order = make_order(order_id=f"O-same-{round_}")

        stored, errors = at_once(8, lambda _, order=order: runtime.score(order))

        assert errors == []
        assert sum(s.created for s in stored) == 1
        assert len({s.decision for s in stored}) == 1
        assert count(runtime, decisions, order.order_id) == 1


def test_different_orders_under_one_id_at_once_get_one_decision_and_conflicts(
    runtime: Runtime,
) -> None:
    for round_ in range(ROUNDS):
        order_id = f"O-reused-{round_}"
        bodies = [
            make_order(order_id=order_id, payment={"amount": f"{100 + i}.00"}) for i in range(6)
        ]

        stored, errors = at_once(6, lambda i, b=bodies: (b[i], runtime.score(b[i])))

        assert len(stored) == 1, errors
        assert len(errors) == 5 and all(isinstance(e, Conflict) for e in errors), errors
        winner, decision = stored[0]
        kept = runtime.get_order(order_id)
        assert kept is not None
        assert kept.order == winner.model_dump(mode="json")  # the winner got its own order's answer
        assert decision.decision == kept.decision
        assert count(runtime, orders, order_id) == 1


def test_a_hundred_identical_retries_at_once_do_not_exhaust_a_small_pool(
    runtime: Runtime, db_url: str
) -> None:
    # each request must hold one connection at most: with two pooled connections,
    # two requests each waiting for a second one would stall until the pool timed out
    runtime.engine.dispose()
    runtime.engine = make_engine(db_url, pool_size=2, max_overflow=0, pool_timeout=30)
    runtime.sessions = sessionmaker(runtime.engine, expire_on_commit=False)
    order = make_order(order_id="O-retried")
    first = runtime.score(order)

    retried, errors = at_once(100, lambda _: runtime.score(order))

    assert errors == []
    assert len(retried) == 100
    assert all(r.decision == first.decision and not r.created for r in retried)


@pytest.mark.postgres
def test_a_signal_failing_inside_a_history_look_up_leaves_the_decision_writable(
    new_database: Callable[[str], str], tmp_path: Path
) -> None:
    """PostgreSQL aborts a transaction on a failed statement: the look-up runs in a
    savepoint, so any signal's failed look-up is rolled back alone."""
    url = new_database("postgresql")
    settings = Settings(
        data_dir=tmp_path, database_url=url, model_dir=tmp_path / "no-models", _env_file=None
    )
    runtime = Runtime.start(settings)

    def broken_lookup(order: Order, ctx: Context) -> dict[str, Any]:
        # an integer where the store keeps text: PostgreSQL refuses the comparison
        keys = replace(order_keys(order), ip=12345)  # type: ignore[arg-type]
        ctx.history.lookup(keys, order.created_at, order.created_at)  # type: ignore[union-attr]
        return {"broken_lookup_value": 1.0}

    register_signal(
        "broken_lookup", broken_lookup, [Feature("broken_lookup_value", "num", "Test only.")]
    )
    try:
        stored = runtime.score(make_order(order_id="O-broken-lookup"))
        again = runtime.get_order("O-broken-lookup")
    finally:
        unregister_signal("broken_lookup")
        runtime.close()
    assert stored.created
    assert "broken_lookup" in stored.decision.signals_unavailable
    assert "history" not in stored.decision.signals_unavailable
    assert again is not None and again.decision == stored.decision


def test_a_retry_on_a_session_and_on_the_scoring_connection_agree(engine) -> None:  # noqa: ANN001
    order = make_order(order_id="O-agree")
    other = make_order(order_id="O-agree", payment={"amount": "999.00"})
    with Session(engine) as session:
        assert repository.find_retry(session, order) is None
        first = repository.save_decision(
            session, order, runtime_free_decision(order.order_id), {}
        )
        assert repository.find_retry(session, order) == replace(first, created=False)
        with pytest.raises(Conflict):
            repository.find_retry(session, other)
        with pytest.raises(Conflict):
            repository.save_decision(session, other, runtime_free_decision(order.order_id), {})


def runtime_free_decision(order_id: str) -> Any:
    from fraud.domain import Action, Decision, Versions

    return Decision(
        order_id=order_id,
        score=0,
        action=Action.APPROVE,
        reasons=(),
        rule_hits=(),
        signals_unavailable=(),
        versions=Versions("r1", "none", "0.1.0"),
    )


def test_migration_0003_keeps_one_of_each_duplicated_outcome(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Duplicates stored before the unique key existed are folded into the earliest report."""
    from sqlalchemy import insert

    from fraud.evidence import Appended
    from fraud.store.db import upgrade_database

    # schema 0002 has no evidence tables yet: the order is stored without its record
    monkeypatch.setattr(
        repository, "append_evidence", lambda *a, **k: Appended(0, "", datetime.now(UTC))
    )

    upgrade_database(db_url, "0002")
    engine = make_engine(db_url)
    try:
        order = make_order(order_id="O-duplicated")
        at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        with Session(engine) as session:
            repository.save_decision(session, order, runtime_free_decision(order.order_id), {})
            for reported in range(3):
                for outcome in (Outcome.CHARGEBACK, Outcome.PAID):
                    session.execute(
                        insert(outcomes).values(
                            order_id=order.order_id,
                            outcome=outcome.value,
                            at=at,
                            reported_at=datetime(2026, 12, 1, 8, reported, tzinfo=UTC),
                        )
                    )
            session.commit()
        upgrade_database(db_url)
        with Session(engine) as session:
            kept = session.execute(
                select(outcomes.c.outcome, outcomes.c.reported_at).order_by(outcomes.c.outcome)
            ).all()
    finally:
        engine.dispose()
    first = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert [tuple(k) for k in kept] == [("chargeback", first), ("paid", first)]
