"""Where a held order stands in the review: open, escalated to a senior, approved or
cancelled; who has claimed it; and its version, which every change moves on by one.

An order held for review that nobody has touched has no row: it is open, version 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from fraud.store.review_tables import review_states


class Status(StrEnum):
    OPEN = "open"
    ESCALATED = "escalated"
    APPROVED = "approved"
    CANCELLED = "cancelled"

    @property
    def decided(self) -> bool:
        return self in (Status.APPROVED, Status.CANCELLED)


@dataclass(frozen=True)
class ReviewState:
    order_id: str
    status: Status = Status.OPEN
    claimed_by: str | None = None
    version: int = 0
    updated_at: datetime | None = None


def _state(row: object) -> ReviewState:
    r = row  # a Core row of ``review_states``
    return ReviewState(
        r.order_id,  # type: ignore[attr-defined]
        Status(r.status),  # type: ignore[attr-defined]
        r.claimed_by,  # type: ignore[attr-defined]
        r.version,  # type: ignore[attr-defined]
        r.updated_at,  # type: ignore[attr-defined]
    )


def get_state(session: Session, order_id: str) -> ReviewState:
    row = session.execute(select(review_states).where(review_states.c.order_id == order_id)).first()
    return ReviewState(order_id) if row is None else _state(row)


def states_of(session: Session, order_ids: Iterable[str]) -> dict[str, ReviewState]:
    ids = list(order_ids)
    found = {i: ReviewState(i) for i in ids}
    if ids:
        rows = session.execute(select(review_states).where(review_states.c.order_id.in_(ids)))
        found.update({r.order_id: _state(r) for r in rows})
    return found
