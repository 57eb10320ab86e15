"""The group-commit writer (fraud/store/group_commit.py) on SQLite and PostgreSQL.

The writer is held on its first batch (its connection guard waits on an event) while
more orders queue up, so what one batch holds is decided by the test, not by timing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from factories import make_order
from helpers.races import at_once
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fraud.domain import Action, Decision, Versions
from fraud.errors import Conflict
from fraud.evidence.verify import verify_chain
from fraud.schema import Order
from fraud.store import repository
from fraud.store.evidence_tables import evidence_records
from fraud.store.group_commit import GroupCommitWriter
from fraud.store.tables import decisions, orders


def decision_for(order: Order, score: int = 10) -> Decision:
    return Decision(order_id=order.order_id, score=score, action=Action.APPROVE, reasons=(),
                    rule_hits=(), signals_unavailable=(), versions=Versions("r1", "none", "0"))


class Gate:
    """A connection guard that holds the writer before its first batch until opened."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.entered = threading.Event()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        self.entered.set()
        assert self.opened.wait(60), "the test never opened the gate"
        yield


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def writer(engine: Any, gate: Gate) -> Iterator[GroupCommitWriter]:
    w = GroupCommitWriter(engine, guard=gate, wait_seconds=60)
    yield w
    gate.opened.set()
    w.close()


def queued_while_held(
    writer: GroupCommitWriter, gate: Gate, orders_: list[Order]
) -> tuple[list[Any], list[BaseException]]:
    """Save ``orders_`` on threads; the first goes alone, the rest queue behind the held
    writer and are released together: they form the second batch."""
    results: list[Any] = [None] * len(orders_)
    errors: list[BaseException] = []

    def save(i: int) -> None:
        try:
            results[i] = writer.save(orders_[i], decision_for(orders_[i], 10 + i), {})
        except BaseException as exc:  # asserted by the test
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(len(orders_))]
    threads[0].start()
    assert gate.entered.wait(60)
    for t in threads[1:]:
        t.start()
    # every other save is queued once the writer's queue holds them all
    while writer._queue.qsize() < len(orders_) - 1:  # noqa: SLF001 - the test's own view
        threading.Event().wait(0.01)
    gate.opened.set()
    for t in threads:
        t.join(60)
    return results, errors


def count(engine: Any, table: Any, where: Any = None) -> int:
    query = select(func.count()).select_from(table)
    if where is not None:
        query = query.where(where)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_orders_waiting_together_are_committed_in_one_batch_each_with_its_own_answer(
    writer: GroupCommitWriter, gate: Gate, engine: Any
) -> None:
    batch = [make_order(order_id=f"O-group-{i}") for i in range(9)]

    results, errors = queued_while_held(writer, gate, batch)

    assert errors == []
    assert [r.order_id for r in results] == [o.order_id for o in batch]
    assert all(r.created for r in results)
    assert [r.decision.score for r in results] == [10 + i for i in range(9)]
    assert (writer.batches, writer.written) == (2, 9)  # the first alone, then eight at once
    assert count(engine, decisions) == 9
    # one evidence record per decision, numbered without a gap, in one unbroken chain
    with Session(engine) as session:
        assert sorted(r.evidence_seq for r in results) == list(range(1, 10))
        assert count(engine, evidence_records) == 9
        assert verify_chain(session, {}).problems == []


def test_an_order_id_twice_in_one_batch_is_stored_once_and_both_get_its_decision(
    writer: GroupCommitWriter, gate: Gate, engine: Any
) -> None:
    same = make_order(order_id="O-twice")
    batch = [make_order(order_id="O-first"), same, make_order(order_id="O-other"), same]

    results, errors = queued_while_held(writer, gate, batch)

    assert errors == []
    twice = [results[1], results[3]]
    assert sorted(r.created for r in twice) == [False, True]
    assert twice[0].decision == twice[1].decision
    assert count(engine, orders, orders.c.order_id == "O-twice") == 1
    assert count(engine, decisions) == 3


def test_one_conflicting_order_in_a_batch_fails_alone(
    writer: GroupCommitWriter, gate: Gate, engine: Any
) -> None:
    stored_before = make_order(order_id="O-taken", payment={"amount": "10.00"})
    with Session(engine) as session:
        repository.save_decision(session, stored_before, decision_for(stored_before), {})
    reused = make_order(order_id="O-taken", payment={"amount": "99.00"})
    batch = [make_order(order_id="O-a"), make_order(order_id="O-b"), reused,
             make_order(order_id="O-c")]

    results, errors = queued_while_held(writer, gate, batch)

    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert [r.order_id for r in results if r is not None] == ["O-a", "O-b", "O-c"]
    assert count(engine, decisions) == 4  # the three and the one stored before
    with Session(engine) as session:
        assert verify_chain(session, {}).problems == []


def test_a_failing_write_reaches_every_waiter_and_the_writer_goes_on(
    writer: GroupCommitWriter, gate: Gate, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(repository, "append_evidence", broken)
        results, errors = queued_while_held(
            writer, gate, [make_order(order_id=f"O-full-{i}") for i in range(4)])
    assert results == [None] * 4
    assert len(errors) == 4 and all(isinstance(e, OSError) for e in errors)
    assert count(engine, orders) == 0  # nothing half-stored

    later = make_order(order_id="O-later")
    assert writer.save(later, decision_for(later), {}).created


def test_many_orders_saved_at_once_are_all_stored_with_one_chain(engine: Any) -> None:
    writer = GroupCommitWriter(engine, wait_seconds=60)
    try:
        batch = [make_order(order_id=f"O-race-{i}") for i in range(24)]
        saved, errors = at_once(24, lambda i: writer.save(batch[i], decision_for(batch[i]), {}))
    finally:
        writer.close()
    assert errors == []
    assert sorted(s.order_id for s in saved) == sorted(o.order_id for o in batch)
    assert writer.written == 24
    assert count(engine, decisions) == 24
    with Session(engine) as session:
        assert verify_chain(session, {}).problems == []


def test_a_closed_writer_first_writes_what_was_queued(engine: Any) -> None:
    writer = GroupCommitWriter(engine, wait_seconds=60)
    order = make_order(order_id="O-last")
    saved = writer.save(order, decision_for(order), {})
    writer.close()
    assert saved.created
    assert count(engine, decisions) == 1


def test_a_locked_store_fails_the_whole_batch_at_once_and_the_writer_goes_on(
    tmp_path: Any, gate: Gate
) -> None:
    import sqlite3

    from fraud.store.db import StoreTimeouts, make_engine, upgrade_database

    url = f"sqlite:///{tmp_path / 'locked.db'}"
    upgrade_database(url)
    engine = make_engine(url, timeouts=StoreTimeouts(statement_seconds=0.5))
    writer = GroupCommitWriter(engine, guard=gate, wait_seconds=60)
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    try:
        results, errors = queued_while_held(
            writer, gate, [make_order(order_id=f"O-locked-{i}") for i in range(5)])
        # every waiter hears the store's own error, not a timeout of its wait
        assert results == [None] * 5
        assert len(errors) == 5 and all(isinstance(e, sqlite3.OperationalError) for e in errors)
        holder.execute("ROLLBACK")
        later = make_order(order_id="O-after-the-lock")
        assert writer.save(later, decision_for(later), {}).created
    finally:
        holder.close()
        writer.close()
        engine.dispose()
