"""Erasure: personal data gone from orders, decisions and evidence; the chain still
verifies; history keeps working for everyone else; a legal hold refuses it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from evidence_helpers import records, trusted
from factories import guest, make_order
from helpers.races import at_once
from sqlalchemy import select

from fraud.cases import add_orders, open_case, set_status
from fraud.domain import Outcome
from fraud.errors import InvalidInput, NotFound
from fraud.evidence import verify_chain
from fraud.privacy import LegalHold, erase_customer
from fraud.runtime import Runtime
from fraud.store.evidence_tables import evidence_customers, evidence_sealed
from fraud.store.repository import get_stored_order, iter_orders
from fraud.store.tables import decisions, order_keys

EMAIL = "Mallory.Fraud+shop@Example.net"
PERSONAL = ("Mallory Fraudster", "mallory.fraud", "Geheimstraat", "203.0.113.66",
            "dev-mallory", "+31 6 11112222")
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def mallory(runtime: Runtime, minutes: int = 0, email: str = EMAIL, **extra: object) -> str:
    order = make_order(**guest(
        created_at=(T0 + timedelta(minutes=minutes)).isoformat(),
        customer={"name": "Mallory Fraudster", "email": email, "phone": "+31 6 11112222"},
        shipping_address={"street": "Geheimstraat", "house_number": "13"},
        ip_address="203.0.113.66", device_id="dev-mallory", **extra))
    runtime.score(order)
    return order.order_id


def bob(runtime: Runtime, minutes: int, email: str = "bob@example.org", **extra: object) -> str:
    order = make_order(created_at=(T0 + timedelta(minutes=minutes)).isoformat(),
                       customer={"account_id": "C-bob", "email": email}, **extra)
    runtime.score(order)
    return order.order_id


def stored_text(runtime: Runtime, order_id: str) -> str:
    with runtime.sessions() as session:
        stored = get_stored_order(session, order_id)
        row = session.execute(select(decisions).where(decisions.c.order_id == order_id)).one()
    assert stored is not None
    return json.dumps(stored.order) + json.dumps(row.reasons) + json.dumps(row.features) + \
        json.dumps(row.rule_hits)


def test_erasure_removes_personal_data_and_the_chain_still_verifies(runtime: Runtime) -> None:
    first, second = mallory(runtime), mallory(runtime, 5)
    runtime.record_outcome(first, Outcome.CHARGEBACK, T0 + timedelta(days=3))
    other = bob(runtime, 10)
    assert "Geheimstraat" in stored_text(runtime, first)

    with runtime.sessions() as session:
        done = erase_customer(session, email="mallory.fraud@example.net", by="dpo")
        report = verify_chain(session, trusted(runtime))
        sealed = session.execute(select(evidence_sealed.c.order_id)).scalars().all()
        keys = session.execute(select(evidence_customers.c.key)).scalars().all()
        erasure = [r for r in records(session) if r.kind == "erasure"]
        replayed = list(iter_orders(session))

    assert done.orders == 2 and done.customers == 1 and done.sealed_parts == 2
    for order_id in (first, second):
        text = stored_text(runtime, order_id)
        assert not [p for p in PERSONAL if p.lower() in text.lower()], text
    assert "Sanne de Vries" in stored_text(runtime, other)
    assert sealed == [other]
    assert sorted(k is None for k in keys) == [False, True]
    assert report.ok, report.problems
    assert len(erasure) == 1 and "mallory" not in erasure[0].body.lower()
    assert len(replayed) == 3  # erased orders still read back as valid orders


def test_erasure_by_account_id(runtime: Runtime) -> None:
    mine = bob(runtime, 0)
    with runtime.sessions() as session:
        done = erase_customer(session, account_id="C-bob", by="dpo")
        keys = session.execute(
            select(order_keys).where(order_keys.c.order_id == mine)).all()
    assert done.orders == 1 and keys == []
    assert "bob@example.org" not in stored_text(runtime, mine)


def test_erasure_by_e_mail_takes_the_accounts_that_used_it(runtime: Runtime) -> None:
    first = bob(runtime, 0)
    other_address = bob(runtime, 5, email="bob.new@example.org")
    with runtime.sessions() as session:
        done = erase_customer(session, email="bob@example.org", by="dpo")
    assert done.orders == 2
    assert "bob.new@example.org" not in stored_text(runtime, other_address)
    assert "bob@example.org" not in stored_text(runtime, first)


def test_bad_or_unknown_requests_are_refused(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        with pytest.raises(InvalidInput):
            erase_customer(session, by="dpo")
        with pytest.raises(InvalidInput):
            erase_customer(session, email="a@b.c", account_id="C-1", by="dpo")
        with pytest.raises(NotFound):
            erase_customer(session, email="nobody@example.org", by="dpo")


def test_a_legal_hold_refuses_names_the_case_and_records_the_request(runtime: Runtime) -> None:
    order_id = mallory(runtime)
    with runtime.sessions() as session:
        case = open_case(session, "Mallory", "alice", [order_id])
        with pytest.raises(LegalHold, match=f"case {case.id}") as refused:
            erase_customer(session, email=EMAIL, by="dpo")
        refusals = [r for r in records(session) if r.kind == "erasure_refused"]
    assert refused.value.case_ids == [case.id]
    assert "Geheimstraat" in stored_text(runtime, order_id)
    assert len(refusals) == 1 and json.loads(refusals[0].body)["data"]["cases"] == [case.id]

    with runtime.sessions() as session:
        set_status(session, case.id, "closed", "alice")
        done = erase_customer(session, email=EMAIL, by="dpo")
        assert verify_chain(session, trusted(runtime)).ok
    assert done.orders == 1
    assert "Geheimstraat" not in stored_text(runtime, order_id)


def test_history_keeps_working_for_others_and_erased_keys_stop_matching(
    runtime: Runtime,
) -> None:
    fraud = mallory(runtime)
    runtime.record_outcome(fraud, Outcome.CHARGEBACK, T0 + timedelta(hours=1))
    bob(runtime, 90)
    probe = dict(device_id="dev-mallory", payment={"amount": "55.00"})

    before = runtime.score(make_order(
        created_at=(T0 + timedelta(hours=3)).isoformat(),
        customer={"account_id": "C-bob", "email": "bob@example.org"}, **probe))
    with runtime.sessions() as session:
        erase_customer(session, email=EMAIL, by="dpo")
    after = runtime.score(make_order(
        created_at=(T0 + timedelta(hours=3, minutes=1)).isoformat(),
        customer={"account_id": "C-bob", "email": "bob@example.org"}, **probe))

    assert before.features["linked_fraud_weight"] > 0
    assert after.features["linked_fraud_weight"] == 0
    assert after.features["device_accounts_30d"] < before.features["device_accounts_30d"]
    # Bob's own history is untouched: his earlier orders still count
    assert after.features["account_prior_orders"] == before.features["account_prior_orders"] + 1


def test_two_erasures_of_one_customer_at_once_erase_once(runtime: Runtime) -> None:
    mallory(runtime)

    def erase(_: int) -> object:
        with runtime.sessions() as session:
            return erase_customer(session, email=EMAIL, by="dpo")

    done, errors = at_once(3, erase)

    assert len(done) == 1 and all(isinstance(e, NotFound) for e in errors), errors
    with runtime.sessions() as session:
        assert verify_chain(session, trusted(runtime)).ok


def test_an_erasure_racing_a_case_add_never_erases_held_data(runtime: Runtime) -> None:
    """Whichever commits first, an order in a case that was there before the erasure
    is never erased: the erasure is refused, or the order joined the case later."""
    for round_ in range(3):
        order_id = mallory(runtime, minutes=round_ * 60, email=f"m{round_}@example.net")
        with runtime.sessions() as session:
            case_id = open_case(session, f"race {round_}", "alice").id
            opened = records(session)[-1].seq

        def work(i: int, order_id: str = order_id, case_id: int = case_id,
                 email: str = f"m{round_}@example.net") -> object:
            with runtime.sessions() as session:
                if i == 0:
                    return add_orders(session, case_id, [order_id], "alice")
                return erase_customer(session, email=email, by="dpo")

        _, errors = at_once(2, work)

        assert all(isinstance(e, LegalHold) for e in errors), errors
        with runtime.sessions() as session:
            rows = records(session)
        added = [r.seq for r in rows if r.kind == "case_order_added"
                 and json.loads(r.body)["data"]["order_id"] == order_id]
        erased = [r.seq for r in rows if r.kind == "erasure" and r.seq > opened]
        if errors:  # refused: the order was in the case first, and kept its data
            assert "Geheimstraat" in stored_text(runtime, order_id)
        else:  # erased first, added after
            assert erased and max(erased) < added[0]
