"""Every decision and outcome appends one record, in order, without personal data in
what is hashed; concurrent writers never fork the chain."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from evidence_helpers import records, start_runtime, trusted
from factories import make_order
from helpers.races import at_once
from sqlalchemy import select

from fraud.domain import Outcome
from fraud.evidence import append, verify_chain
from fraud.evidence.canonical import canonical
from fraud.evidence.sealing import commitment_of, opened_data, unseal
from fraud.runtime import Runtime
from fraud.store.evidence_tables import (
    evidence_checkpoints,
    evidence_customers,
    evidence_sealed,
)

ROUNDS = 3


def test_each_decision_and_outcome_appends_one_linked_record(runtime: Runtime) -> None:
    orders = [make_order() for _ in range(3)]
    for order in orders:
        runtime.score(order)
    runtime.record_outcome(orders[0].order_id, Outcome.CHARGEBACK, datetime.now(UTC))

    with runtime.sessions() as session:
        rows = records(session)
        report = verify_chain(session, trusted(runtime))

    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert [r.kind for r in rows] == ["decision", "decision", "decision", "outcome"]
    assert [r.subject for r in rows] == [f"order:{o.order_id}" for o in orders] + [
        f"order:{orders[0].order_id}"
    ]
    assert all(r.prev_hash == p.hash for p, r in zip(rows, rows[1:], strict=False))
    assert report.ok, report.problems
    assert report.records == 4


def test_a_retried_order_appends_no_second_record(runtime: Runtime) -> None:
    order = make_order()
    runtime.score(order)
    runtime.score(order)
    with runtime.sessions() as session:
        assert len(records(session)) == 1


def test_the_decision_record_names_result_inputs_and_source_versions(runtime: Runtime) -> None:
    order = make_order(payment={"amount": "777.00"})
    stored = runtime.score(order)
    with runtime.sessions() as session:
        (row,) = records(session)
    data = json.loads(row.body)["data"]

    assert data["order_id"] == order.order_id
    assert data["order"]["payment"]["amount"] == "777.00"
    assert data["result"]["score"] == stored.decision.score
    assert data["result"]["action"] == stored.decision.action.label
    sources = data["signals"]["sources"]
    assert sources["rules"] == stored.decision.versions.rules
    assert sources["model"] == stored.decision.versions.model
    assert "geo_database" in sources
    assert json.loads(row.body)["at"] == stored.decided_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert row.actor == "scoring-service"


def test_personal_data_is_sealed_apart_and_only_its_commitment_is_hashed(
    runtime: Runtime,
) -> None:
    order = make_order(
        customer={"name": "Zebedeus Quirijnen", "email": "zebedeus.q@example.org",
                  "phone": "+31 6 98765432"},
        shipping_address={"street": "Lijnbaansgracht", "house_number": "77"},
        ip_address="203.0.113.77",
    )
    runtime.score(order)
    with runtime.sessions() as session:
        (row,) = records(session)
        sealed = session.execute(select(evidence_sealed)).one()
        key = session.execute(
            select(evidence_customers.c.key).where(evidence_customers.c.id == sealed.customer_id)
        ).scalar_one()

    for personal in ("Zebedeus", "zebedeus.q", "98765432", "Lijnbaansgracht", "203.0.113.77",
                     "C-104233", "dev-7f3a9c2e41b8", "4242"):
        assert personal not in row.body
    plain = unseal(sealed.customer_id, key, sealed.nonce, sealed.ciphertext)
    assert opened_data(plain)["order"] == order.model_dump(mode="json")
    body = json.loads(row.body)
    assert body["data"]["personal"] == {
        "customer": sealed.customer_id,
        "commitment": commitment_of(plain),
    }


def test_bodies_are_rfc_8785_canonical_json(runtime: Runtime) -> None:
    import rfc8785

    runtime.score(make_order(customer={"name": "Zoë Ångström-Łukasiewicz"}))
    runtime.record_outcome(
        records_first_order(runtime), Outcome.REFUNDED, datetime(2026, 12, 1, tzinfo=UTC)
    )
    with runtime.sessions() as session:
        rows = records(session)
    for row in rows:
        value = json.loads(row.body)
        assert row.body.encode() == rfc8785.dumps(value) == canonical(value)


def records_first_order(runtime: Runtime) -> str:
    with runtime.sessions() as session:
        return str(json.loads(records(session)[0].body)["data"]["order_id"])


def test_orders_scored_at_once_get_gap_free_numbers_and_one_chain(runtime: Runtime) -> None:
    for round_ in range(ROUNDS):
        orders = [make_order(customer={"account_id": f"C-race-{round_}-{i % 2}"})
                  for i in range(6)]

        stored, errors = at_once(6, lambda i, o=orders: runtime.score(o[i]))

        assert errors == []
        assert len({s.evidence_seq for s in stored}) == 6
    with runtime.sessions() as session:
        rows = records(session)
        report = verify_chain(session, trusted(runtime))
    assert [r.seq for r in rows] == list(range(1, 6 * ROUNDS + 1))
    assert report.ok, report.problems
    # two customers per round, each with one key however many orders raced
    with runtime.sessions() as session:
        assert len(session.execute(select(evidence_customers)).all()) == 2 * ROUNDS


def test_direct_appends_from_many_sessions_at_once_never_fork(runtime: Runtime) -> None:
    def work(i: int) -> list[int]:
        done = []
        for n in range(5):
            with runtime.sessions() as session:
                done.append(
                    append(session, kind="note", subject=f"test:{i}", actor="t",
                           data={"n": n}).seq
                )
                session.commit()
        return done

    results, errors = at_once(8, work)

    assert errors == []
    assert sorted(s for r in results for s in r) == list(range(1, 41))
    with runtime.sessions() as session:
        assert verify_chain(session, trusted(runtime)).ok


def test_a_checkpoint_is_signed_every_n_records_and_at_shutdown(
    db_url: str, tmp_path: Path
) -> None:
    rt = start_runtime(db_url, tmp_path, evidence_checkpoint_every=2)
    try:
        for _ in range(5):
            rt.score(make_order())
        with rt.sessions() as session:
            before = session.execute(select(evidence_checkpoints.c.seq)).scalars().all()
    finally:
        rt.close()
    rt = start_runtime(db_url, tmp_path)
    try:
        with rt.sessions() as session:
            after = session.execute(select(evidence_checkpoints.c.seq)).scalars().all()
            report = verify_chain(session, trusted(rt))
    finally:
        rt.close()
    assert sorted(before) == [2, 4]
    assert sorted(after) == [2, 4, 5]
    assert report.ok and report.checkpoints == 3


def test_the_signing_key_is_created_once_private_to_its_owner(
    db_url: str, tmp_path: Path
) -> None:
    first = start_runtime(db_url, tmp_path)
    first.close()
    path = tmp_path / "evidence-signing-key.pem"
    mode = stat.S_IMODE(os.stat(path).st_mode)
    second = start_runtime(db_url, tmp_path)
    second.close()

    assert mode == 0o600
    assert first.signer is not None and second.signer is not None
    assert first.signer.key_id == second.signer.key_id


def test_appending_personal_data_without_its_customer_is_refused(runtime: Runtime) -> None:
    with runtime.sessions() as session, pytest.raises(ValueError, match="customer"):
        append(session, kind="note", subject="x", actor="t", data={}, personal={"a": 1})
