"""Repository: orders with their decisions, idempotency, outcomes, batch reading."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from factories import make_order
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fraud.domain import Action, Decision, Outcome, Reason, RuleResult, Versions
from fraud.errors import NotFound
from fraud.store import repository
from fraud.store.tables import decisions, order_keys, orders

VERSIONS = Versions(rules="2026-11-25.1+abc", model="none (rules only)", service="0.1.0")


def a_decision(order_id: str, score: int = 55, action: Action = Action.REVIEW) -> Decision:
    return Decision(
        order_id=order_id,
        score=score,
        action=action,
        reasons=(
            Reason("ip_far_from_billing", "IP is 900 km from the billing address", 912.5, 20.0),
            Reason("model", "The model's probability", 0.31, 0.0, "model"),
        ),
        rule_hits=(
            RuleResult("ip_far_from_billing", "hit", "points", 20.0, "far", {"km": 912.5}),
            RuleResult("broken", "error", "points", error="ZeroDivisionError"),
        ),
        signals_unavailable=("geo",),
        versions=VERSIONS,
        model_probability=0.31,
    )


def count(session: Session, table) -> int:  # noqa: ANN001
    return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_decision_round_trips_through_its_json_form() -> None:
    decision = a_decision("O-1")
    data = repository.decision_to_dict(decision)
    assert data["action"] == "review"
    assert repository.decision_from_dict(data) == decision


def test_json_form_drops_values_json_cannot_hold() -> None:
    decision = Decision(
        "O-1", 1, Action.APPROVE, (Reason("x", "y", float("nan")),), (), (), VERSIONS
    )
    assert repository.decision_to_dict(decision)["reasons"][0]["value"] is None


def test_save_decision_stores_order_keys_decision_and_features(session: Session) -> None:
    order = make_order()
    features = {"amount_eur": 104.85, "ip_orders_1h": 0, "is_guest": False, "odd": float("inf")}
    stored = repository.save_decision(session, order, a_decision(order.order_id), features)
    assert stored.created
    assert stored.decision == a_decision(order.order_id)
    assert stored.features["odd"] is None

    again = repository.get_stored_order(session, order.order_id)
    assert again is not None
    assert again.order == order.model_dump(mode="json")
    assert again.decision == a_decision(order.order_id)
    assert again.features == stored.features
    assert again.created_at == order.created_at
    assert again.outcomes == ()
    kinds = session.execute(
        select(order_keys.c.kind).where(order_keys.c.order_id == order.order_id)
    ).scalars()
    assert set(kinds) == {"account", "ip", "email", "phone", "device", "address", "card"}


def test_a_repeated_order_id_returns_the_stored_decision_and_writes_nothing(
    session: Session,
) -> None:
    order = make_order()
    first = repository.save_decision(session, order, a_decision(order.order_id), {})
    second = repository.save_decision(
        session, order, a_decision(order.order_id, 99, Action.DECLINE), {"x": 1}
    )
    assert not second.created
    assert second.decision == first.decision
    assert second.features == {}
    assert count(session, orders) == 1
    assert count(session, decisions) == 1


def test_racing_saves_of_one_order_store_it_once(engine) -> None:  # noqa: ANN001
    order = make_order()
    results: list[repository.StoredDecision] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def save(score: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as s:
                barrier.wait()
                results.append(
                    repository.save_decision(s, order, a_decision(order.order_id, score), {})
                )
        except BaseException as exc:  # collected so the test can show it
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(s,)) for s in (10, 20, 30, 40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.created for r in results) == 1
    assert len({r.decision.score for r in results}) == 1
    with Session(engine) as s:
        assert count(s, decisions) == 1


def test_find_decision_is_none_for_an_unknown_order(session: Session) -> None:
    assert repository.find_decision(session, "O-unknown") is None
    assert repository.get_stored_order(session, "O-unknown") is None


def test_outcomes_are_appended_and_returned_oldest_first(session: Session) -> None:
    order = make_order()
    repository.save_decision(session, order, a_decision(order.order_id), {})
    paid_at = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    chargeback = repository.record_outcome(
        session, order.order_id, Outcome.CHARGEBACK, paid_at + timedelta(days=40)
    )
    repository.record_outcome(session, order.order_id, Outcome.PAID, paid_at)
    assert chargeback.at == paid_at + timedelta(days=40)
    assert chargeback.reported_at.tzinfo is not None
    stored = repository.get_stored_order(session, order.order_id)
    assert stored is not None
    assert [o.outcome for o in stored.outcomes] == [Outcome.PAID, Outcome.CHARGEBACK]


def test_an_outcome_for_an_unknown_order_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        repository.record_outcome(session, "O-nope", Outcome.PAID, datetime.now(UTC))


def test_iter_orders_yields_orders_in_time_order_with_outcomes_within_bounds(
    session: Session,
) -> None:
    base = datetime(2026, 11, 1, tzinfo=UTC)
    made = [make_order(created_at=(base + timedelta(days=d)).isoformat()) for d in (5, 1, 3, 2, 4)]
    for order in made:
        repository.save_decision(session, order, a_decision(order.order_id), {})
    repository.record_outcome(session, made[2].order_id, Outcome.REFUNDED, base + timedelta(days=9))

    every = list(repository.iter_orders(session, page_size=2))
    assert [o.created_at for o, _ in every] == sorted(o.created_at for o in made)
    assert {o.order_id: len(outs) for o, outs in every}[made[2].order_id] == 1
    assert every[0][0] == made[1]  # the very same Order back

    window = list(
        repository.iter_orders(
            session, since=base + timedelta(days=2), until=base + timedelta(days=4)
        )
    )
    assert [o.created_at - base for o, _ in window] == [timedelta(days=2), timedelta(days=3)]
