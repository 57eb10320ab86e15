"""act(): roles, states, reasons, the audit log, outcome labels, and optimistic locking
raced on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from holding import hold
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fraud.domain import Action, Outcome
from fraud.errors import InvalidInput, NotFound
from fraud.review.actions import ReviewAction, act
from fraud.review.audit import entries_for
from fraud.review.errors import Forbidden, NotAllowedNow, StaleVersion
from fraud.review.states import Status, get_state
from fraud.store import repository
from fraud.store.review_tables import review_audit

A = ReviewAction


def test_approve_moves_the_state_on_writes_the_audit_and_labels_the_order(session, people):
    order_id = hold(session)
    done = act(session, people["rita"], order_id, A.APPROVE, version=0)
    assert (done.state.status, done.state.version, done.outcome) == (
        Status.APPROVED, 1, Outcome.LEGIT_CONFIRMED)
    [entry] = entries_for(session, order_id)
    assert (entry.action, entry.actor, entry.old_status, entry.new_status) == (
        "approve", "rita", "open", "approved")
    stored = repository.get_stored_order(session, order_id)
    assert [o.outcome for o in stored.outcomes] == [Outcome.LEGIT_CONFIRMED]


def test_cancel_needs_a_reason_and_becomes_a_fraud_label(session, people):
    order_id = hold(session)
    with pytest.raises(InvalidInput, match="a reason to cancel is required"):
        act(session, people["rita"], order_id, A.CANCEL, version=0, reason="  ")
    act(session, people["rita"], order_id, A.CANCEL, version=0, reason="denied by card holder")
    stored = repository.get_stored_order(session, order_id)
    assert [o.outcome for o in stored.outcomes] == [Outcome.FRAUD_CONFIRMED]
    assert entries_for(session, order_id)[-1].reason == "denied by card holder"


def test_analysts_act_on_nothing(session, people):
    order_id = hold(session)
    for action in A:
        with pytest.raises(Forbidden):
            act(session, people["ann"], order_id, action, version=0, reason="why")
    assert entries_for(session, order_id) == []


def test_escalated_orders_are_decided_by_an_admin_only(session, people):
    order_id = hold(session)
    act(session, people["rita"], order_id, A.ESCALATE, version=0, reason="ring of five")
    with pytest.raises(Forbidden):
        act(session, people["rob"], order_id, A.APPROVE, version=1)
    done = act(session, people["ada"], order_id, A.CANCEL, version=1, reason="confirmed ring")
    assert done.state.status is Status.CANCELLED


def test_a_claimed_order_is_the_claimers_until_released_and_an_admin_may_take_over(
    session, people
):
    order_id = hold(session)
    act(session, people["rita"], order_id, A.CLAIM, version=0)
    with pytest.raises(NotAllowedNow, match="claimed by rita"):
        act(session, people["rob"], order_id, A.APPROVE, version=1)
    assert act(session, people["ada"], order_id, A.APPROVE, version=1).state.claimed_by == "ada"


def test_a_decided_order_stays_decided(session, people):
    order_id = hold(session)
    act(session, people["rita"], order_id, A.APPROVE, version=0)
    with pytest.raises(NotAllowedNow, match="already approved"):
        act(session, people["rita"], order_id, A.CANCEL, version=1, reason="changed my mind")


def test_notes_need_text_and_no_version(session, people):
    order_id = hold(session)
    with pytest.raises(InvalidInput, match="a note is required"):
        act(session, people["rita"], order_id, A.NOTE, version=None)
    act(session, people["rita"], order_id, A.NOTE, version=None, reason="called the customer")
    assert get_state(session, order_id).version == 0


def test_only_orders_held_for_review_can_be_acted_on(session, people):
    approved = hold(session, score=5, action=Action.APPROVE)
    with pytest.raises(NotAllowedNow, match="not held for review"):
        act(session, people["rita"], approved, A.APPROVE, version=0)
    with pytest.raises(NotFound):
        act(session, people["rita"], "O-unknown", A.APPROVE, version=0)


def test_an_old_version_is_refused_with_who_changed_it(session, people):
    order_id = hold(session)
    act(session, people["rita"], order_id, A.CLAIM, version=0)
    with pytest.raises(StaleVersion, match="now open by rita"):
        act(session, people["rita"], order_id, A.APPROVE, version=0)


@pytest.mark.parametrize("earlier_actions", [0, 2], ids=["first-write", "later-write"])
def test_of_two_reviewers_deciding_at_once_exactly_one_wins(engine, people, earlier_actions):
    """Both saw the same version and press a button at the same moment. The loser gets
    StaleVersion; the store holds one decision, one audit entry and one label for it.
    ``first-write`` races on inserting the state row, ``later-write`` on updating it."""
    with Session(engine) as s:
        order_id = hold(s)
        if earlier_actions:
            act(s, people["rita"], order_id, A.CLAIM, version=0)
            act(s, people["rita"], order_id, A.RELEASE, version=1)
        seen = get_state(s, order_id).version
    assert seen == earlier_actions
    start = threading.Barrier(2)

    def decide(pair):  # noqa: ANN001, ANN202
        user, action = pair
        with Session(engine) as s:
            start.wait()
            try:
                return act(s, user, order_id, action, version=seen, reason="seen it").action
            except StaleVersion as exc:
                return exc

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(decide, [(people["rita"], A.APPROVE), (people["rob"], A.CANCEL)]))
    winners = [r for r in results if isinstance(r, ReviewAction)]
    losers = [r for r in results if isinstance(r, StaleVersion)]
    assert len(winners) == 1 and len(losers) == 1
    assert "changed by somebody else meanwhile" in losers[0].message
    with Session(engine) as s:
        decided = [e.action for e in entries_for(s, order_id) if e.action in ("approve", "cancel")]
        assert decided == [winners[0].value]
        assert len(repository.get_stored_order(s, order_id).outcomes) == 1
        assert get_state(s, order_id).version == seen + 1


def test_the_audit_log_keeps_every_entry_in_order(session, people):
    order_id = hold(session)
    act(session, people["rita"], order_id, A.NOTE, version=None, reason="one")
    act(session, people["rita"], order_id, A.CLAIM, version=0)
    act(session, people["rita"], order_id, A.NOTE, version=None, reason="two")
    act(session, people["rita"], order_id, A.APPROVE, version=1)
    entries = entries_for(session, order_id)
    assert [(e.action, e.reason) for e in entries] == [
        ("note", "one"), ("claim", None), ("note", "two"), ("approve", None)]
    assert all(a.at <= b.at for a, b in zip(entries, entries[1:], strict=False))
    count = session.execute(select(func.count()).select_from(review_audit)).scalar_one()
    assert count == 4


def test_each_action_appends_a_review_record_without_the_reason_and_the_chain_holds(
    session, people
):
    from fraud.evidence import verify_chain
    from fraud.store.evidence_tables import evidence_records

    order_id = hold(session)
    act(session, people["rita"], order_id, A.NOTE, version=None, reason="Mr <b>X</b> called")
    act(session, people["rita"], order_id, A.CANCEL, version=0, reason="denied by card holder")
    rows = session.execute(
        select(evidence_records.c.kind, evidence_records.c.actor, evidence_records.c.body)
        .where(evidence_records.c.subject == f"order:{order_id}")
        .order_by(evidence_records.c.seq)
    ).all()
    reviews = [r for r in rows if r.kind == "review"]
    assert [r.actor for r in reviews] == ["rita", "rita"]
    assert '"action":"cancel"' in reviews[1].body and '"to":"cancelled"' in reviews[1].body
    assert all("card holder" not in r.body and "Mr" not in r.body for r in rows)
    assert [r.kind for r in rows][-1] == "outcome"  # the cancel's label, after its review
    assert verify_chain(session, {}).ok
