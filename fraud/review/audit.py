"""The append-only audit log of reviewer actions: who did what to which order, when,
why, and the status before and after. Rows are only ever inserted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from fraud.store.review_tables import review_audit


@dataclass(frozen=True)
class AuditEntry:
    id: int
    order_id: str
    action: str
    actor: str
    reason: str | None
    old_status: str
    new_status: str
    at: datetime


def _entry(row: object) -> AuditEntry:
    r = row  # a Core row of ``review_audit``
    return AuditEntry(
        r.id, r.order_id, r.action, r.actor, r.reason,  # type: ignore[attr-defined]
        r.old_status, r.new_status, r.at,  # type: ignore[attr-defined]
    )


def append(
    session: Session,
    *,
    order_id: str,
    action: str,
    actor: str,
    reason: str | None,
    old_status: str,
    new_status: str,
    at: datetime,
) -> None:
    """Add one entry to the caller's transaction (the caller commits)."""
    session.execute(
        insert(review_audit).values(
            order_id=order_id, action=action, actor=actor, reason=reason,
            old_status=old_status, new_status=new_status, at=at,
        )
    )


def entries_for(session: Session, order_id: str) -> list[AuditEntry]:
    """One order's entries, oldest first."""
    rows = session.execute(
        select(review_audit).where(review_audit.c.order_id == order_id).order_by(review_audit.c.id)
    )
    return [_entry(r) for r in rows]


def recent_entries(
    session: Session, *, before_id: int | None = None, limit: int = 100
) -> list[AuditEntry]:
    """The whole log, newest first, a page of ``limit`` entries older than ``before_id``."""
    stmt = select(review_audit).order_by(review_audit.c.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(review_audit.c.id < before_id)
    return [_entry(r) for r in session.execute(stmt)]
