"""The one door every reviewer action goes through: :func:`act`.

It checks the role, the order's state and the version the reviewer saw (optimistic
locking), moves the state on, appends the audit entry in the same transaction, and,
for approve and cancel, records the outcome label exactly as the API's outcome report
does (:func:`fraud.store.repository.record_outcome`). The pages, tests and anything
added later (an evidence record per action) call this, never the steps one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CursorResult, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fraud import evidence
from fraud.domain import Action, Outcome
from fraud.errors import InvalidInput, NotFound
from fraud.review import audit, contacts
from fraud.review.contacts import ContactIn
from fraud.review.errors import NotAllowedNow, StaleVersion
from fraud.review.roles import Permission, can, require
from fraud.review.states import ReviewState, Status, get_state
from fraud.review.users import User
from fraud.store import repository
from fraud.store.review_tables import review_states
from fraud.times import utc

MAX_REASON_LENGTH = 2000


class ReviewAction(StrEnum):
    CLAIM = "claim"
    RELEASE = "release"
    APPROVE = "approve"
    CANCEL = "cancel"
    ESCALATE = "escalate"
    NOTE = "note"
    CONTACT = "contact"  # a verification contact with the customer

    @classmethod
    def parse(cls, text: str) -> ReviewAction:
        try:
            return cls(text)
        except ValueError:
            allowed = ", ".join(a.value for a in cls)
            raise InvalidInput(f"unknown action {text[:40]!r}; allowed: {allowed}") from None


NEEDS_REASON = frozenset(
    {ReviewAction.CANCEL, ReviewAction.ESCALATE, ReviewAction.NOTE, ReviewAction.CONTACT}
)
REASON_WORDS = {ReviewAction.NOTE: "a note", ReviewAction.CONTACT: "the reason for the contact"}
NO_STATE_CHANGE = frozenset({ReviewAction.NOTE, ReviewAction.CONTACT})

OUTCOME_LABEL = {
    # the reviewer's verdict becomes a label for training, as if the shop had reported it
    ReviewAction.APPROVE: Outcome.LEGIT_CONFIRMED,
    ReviewAction.CANCEL: Outcome.FRAUD_CONFIRMED,
}


@dataclass(frozen=True)
class Done:
    """What :func:`act` did: the order's state after it, and the audit entry's time."""

    order_id: str
    action: ReviewAction
    actor: str
    state: ReviewState
    at: datetime
    outcome: Outcome | None = None


def act(
    session: Session,
    user: User,
    order_id: str,
    action: ReviewAction,
    *,
    version: int | None,
    reason: str | None = None,
    contact: ContactIn | None = None,
    now: datetime | None = None,
) -> Done:
    """Do ``action`` on a held order as ``user``, who saw the order at ``version``.

    Raises :class:`~fraud.review.errors.Forbidden` (the role may not),
    :class:`~fraud.errors.InvalidInput` (a reason is missing or too long),
    :class:`~fraud.errors.NotFound` (no such order held for review),
    :class:`~fraud.review.errors.NotAllowedNow` (the action does not fit the state) and
    :class:`~fraud.review.errors.StaleVersion` (somebody acted on it since ``version``:
    of two reviewers deciding the same order, the second gets this). Notes need no
    version: they change nothing and never conflict.
    """
    require(user.role, Permission.ACT)
    at = utc(now) if now else datetime.now(UTC)
    reason = _checked_reason(action, reason)
    _held_for_review(session, order_id)
    before = get_state(session, order_id)
    session.rollback()  # end the read: the write below starts its own transaction
    if action is ReviewAction.CONTACT and contact is None:
        raise InvalidInput("contact: how, when and with what result the customer was contacted")
    if action in NO_STATE_CHANGE:
        after = before
    else:
        if version is None or version != before.version:
            raise StaleVersion(_stale_message(order_id, before))
        after = _next_state(user, action, before, at)
        _write_state(session, before, after)
    if action is ReviewAction.CONTACT and contact is not None:
        contacts.append(session, order_id, contact, reason or "", user.username, at)
        reason = f"by {contact.channel.value}, {contact.result.value.replace('_', ' ')}: {reason}"
    audit.append(
        session, order_id=order_id, action=action.value, actor=user.username, reason=reason,
        old_status=before.status.value, new_status=after.status.value, at=at,
    )
    # the evidence record in the same transaction; the reason stays in the audit log
    # only, since a reviewer may quote the customer and the chain must survive erasure
    evidence.append(
        session, kind="review", subject=f"order:{order_id}", actor=user.username,
        data={"action": action.value, "from": before.status.value,
              "to": after.status.value, "reason_given": reason is not None},
        at=at,
    )
    session.commit()
    outcome = OUTCOME_LABEL.get(action)
    if outcome is not None:
        repository.record_outcome(session, order_id, outcome, at, now=at)
    return Done(order_id, action, user.username, after, at, outcome)


def _checked_reason(action: ReviewAction, reason: str | None) -> str | None:
    text = (reason or "").strip()
    if action in NEEDS_REASON and not text:
        what = REASON_WORDS.get(action, f"a reason to {action.value}")
        raise InvalidInput(f"{what} is required")
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput(f"a reason has at most {MAX_REASON_LENGTH} characters")
    return text or None


def _held_for_review(session: Session, order_id: str) -> None:
    found = repository.find_decision(session, order_id)
    if found is None:
        raise NotFound(f"order {order_id!r} not found")
    if found.decision.action is not Action.REVIEW:
        raise NotAllowedNow(
            f"order {order_id!r} was not held for review (decision: {found.decision.action.label})"
        )


def _stale_message(order_id: str, now: ReviewState) -> str:
    who = f" by {now.claimed_by}" if now.claimed_by else ""
    return (
        f"order {order_id} was changed by somebody else meanwhile (now {now.status.value}"
        f"{who}); nothing was done: look at it again"
    )


def _next_state(user: User, action: ReviewAction, s: ReviewState, at: datetime) -> ReviewState:
    """The state after ``action``, or the reason it does not fit the state now."""
    if s.status.decided:
        raise NotAllowedNow(f"order {s.order_id} is already {s.status.value}")
    others = s.claimed_by is not None and s.claimed_by != user.username
    if others and not can(user.role, Permission.TAKE_OVER):
        raise NotAllowedNow(f"order {s.order_id} is claimed by {s.claimed_by}")
    nxt = s.version + 1
    if action is ReviewAction.CLAIM:
        return ReviewState(s.order_id, s.status, user.username, nxt, at)
    if action is ReviewAction.RELEASE:
        if s.claimed_by is None:
            raise NotAllowedNow(f"order {s.order_id} is not claimed")
        return ReviewState(s.order_id, s.status, None, nxt, at)
    if action is ReviewAction.ESCALATE:
        if s.status is Status.ESCALATED:
            raise NotAllowedNow(f"order {s.order_id} is already escalated")
        return ReviewState(s.order_id, Status.ESCALATED, None, nxt, at)
    if s.status is Status.ESCALATED:
        require(user.role, Permission.DECIDE_ESCALATED)
    status = Status.APPROVED if action is ReviewAction.APPROVE else Status.CANCELLED
    return ReviewState(s.order_id, status, user.username, nxt, at)


def _write_state(session: Session, before: ReviewState, after: ReviewState) -> None:
    """Insert the first state, or update the one at ``before.version``; a racing writer
    that got there first makes this a :class:`StaleVersion` (the key or the version)."""
    values = {
        "status": after.status.value,
        "claimed_by": after.claimed_by,
        "version": after.version,
        "updated_at": after.updated_at,
    }
    try:
        if before.version == 0:
            session.execute(insert(review_states).values(order_id=before.order_id, **values))
            return
        done: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(review_states)
            .where(
                review_states.c.order_id == before.order_id,
                review_states.c.version == before.version,
            )
            .values(**values)
        )
    except IntegrityError:
        session.rollback()
        now = get_state(session, before.order_id)
        raise StaleVersion(_stale_message(before.order_id, now)) from None
    if done.rowcount != 1:
        session.rollback()
        raise StaleVersion(_stale_message(before.order_id, get_state(session, before.order_id)))
