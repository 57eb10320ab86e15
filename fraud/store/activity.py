"""What the service did, counted in the store: the dashboard's and the queue gauges' reads.

Every function answers with plain values (days as ``YYYY-MM-DD`` text, counts), counted
by the database with ``GROUP BY`` so the cost grows with the number of days, actions and
rules, not with the rows Python has to handle. Orders are dated by their creation time
(UTC), as rule performance and training date them, so a batch replayed later lands on
the days it happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session

from fraud.store.codecs import time_from_db
from fraud.store.review_tables import review_audit, review_states
from fraud.store.tables import decisions, orders, outcomes

# the review statuses of a held order nobody has decided yet (fraud.review.states)
UNDECIDED = ("open", "escalated")
# a reviewer's deciding actions (fraud.review.actions.ReviewAction)
DECIDING_ACTIONS = ("approve", "cancel")
# backlog age buckets: (label, lower bound); the last is open-ended
AGE_BUCKETS = (("< 1 h", timedelta(0)), ("1–4 h", timedelta(hours=1)),
               ("4–24 h", timedelta(hours=4)), ("1–3 d", timedelta(days=1)),
               ("> 3 d", timedelta(days=3)))


def day_of(session: Session, column: Any) -> Any:
    """The UTC calendar day of a time column, as ``YYYY-MM-DD`` text, on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    # SQLite keeps naive UTC text 'YYYY-MM-DD HH:MM:SS...' (fraud.store.codecs)
    return func.substr(column, 1, 10)


def decisions_by_day(
    session: Session, since: datetime, until: datetime
) -> list[tuple[str, str, int]]:
    """(day, action, orders) for the orders created in ``[since, until)``."""
    day = day_of(session, orders.c.created_at).label("day")
    stmt = (
        select(day, decisions.c.action, func.count())
        .join(decisions, decisions.c.order_id == orders.c.order_id)
        .where(orders.c.created_at >= since, orders.c.created_at < until)
        .group_by(day, decisions.c.action)
    )
    return [(str(d), str(a), int(n)) for d, a, n in session.execute(stmt)]


def outcomes_by_day(
    session: Session, since: datetime, until: datetime
) -> list[tuple[str, str, int]]:
    """(day the order was created, outcome, orders with that outcome reported)."""
    day = day_of(session, orders.c.created_at).label("day")
    stmt = (
        select(day, outcomes.c.outcome, func.count(func.distinct(outcomes.c.order_id)))
        .join(outcomes, outcomes.c.order_id == orders.c.order_id)
        .where(orders.c.created_at >= since, orders.c.created_at < until)
        .group_by(day, outcomes.c.outcome)
    )
    return [(str(d), str(o), int(n)) for d, o, n in session.execute(stmt)]


def score_counts(session: Session, since: datetime, until: datetime) -> dict[int, int]:
    """Orders per 0–100 score."""
    stmt = (
        select(decisions.c.score, func.count())
        .join(orders, decisions.c.order_id == orders.c.order_id)
        .where(orders.c.created_at >= since, orders.c.created_at < until)
        .group_by(decisions.c.score)
    )
    return {int(s): int(n) for s, n in session.execute(stmt)}


def probability_counts(
    session: Session, since: datetime, until: datetime, bins: int = 20
) -> dict[int, int]:
    """Orders per model-probability bin (``bins`` equal bins of [0, 1]; 1.0 in the last)."""
    bucket = cast(decisions.c.model_probability * bins, Integer).label("bucket")
    stmt = (
        select(bucket, func.count())
        .join(orders, decisions.c.order_id == orders.c.order_id)
        .where(orders.c.created_at >= since, orders.c.created_at < until,
               decisions.c.model_probability.is_not(None))
        .group_by(bucket)
    )
    counts: dict[int, int] = {}
    for b, n in session.execute(stmt):
        index = min(max(int(b), 0), bins - 1)
        counts[index] = counts.get(index, 0) + int(n)
    return counts


def reviewer_decisions_by_day(
    session: Session, since: datetime, until: datetime
) -> list[tuple[str, str, int]]:
    """(day, reviewer, orders approved or cancelled) from the audit log."""
    day = day_of(session, review_audit.c.at).label("day")
    stmt = (
        select(day, review_audit.c.actor, func.count())
        .where(review_audit.c.at >= since, review_audit.c.at < until,
               review_audit.c.action.in_(DECIDING_ACTIONS))
        .group_by(day, review_audit.c.actor)
    )
    return [(str(d), str(a), int(n)) for d, a, n in session.execute(stmt)]


@dataclass(frozen=True)
class Backlog:
    """Held orders nobody has decided yet: how many, the oldest, and counts by age."""

    size: int
    oldest: datetime | None
    by_age: tuple[tuple[str, int], ...]

    def oldest_age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.oldest).total_seconds()) if self.oldest else 0.0


def backlog(session: Session, now: datetime) -> Backlog:
    """One aggregate row, whatever the queue's length: cheap enough for every scrape."""
    held_at = decisions.c.decided_at
    lowers = [lower for _, lower in AGE_BUCKETS]
    columns = []
    for i, lower in enumerate(lowers):
        # ages [lower, next lower): the first also takes times ahead of our clock
        conditions = [] if i == 0 else [held_at <= now - lower]
        if i + 1 < len(lowers):
            conditions.append(held_at > now - lowers[i + 1])
        columns.append(func.sum(case((and_(*conditions), 1), else_=0)))
    stmt = (
        select(func.count(), func.min(held_at), *columns)
        .select_from(decisions)
        .outerjoin(review_states, review_states.c.order_id == decisions.c.order_id)
        .where(decisions.c.action == "review",
               func.coalesce(review_states.c.status, "open").in_(UNDECIDED))
    )
    size, oldest, *counts = session.execute(stmt).one()
    return Backlog(
        size=int(size or 0),
        oldest=time_from_db(oldest) if oldest is not None else None,
        by_age=tuple((label, int(n or 0))
                     for (label, _), n in zip(AGE_BUCKETS, counts, strict=True)),
    )


@dataclass(frozen=True)
class RuleHitsRow:
    order_id: str
    created_at: datetime
    action: str
    rule_hits: list[dict[str, Any]]


def rule_hits_between(
    session: Session, since: datetime, until: datetime, *, only_hits: bool = False
) -> Iterator[RuleHitsRow]:
    """Each decision's action and rule results for orders created in ``[since, until)``:
    the columns rule performance needs and no more (the stored features are large).
    ``only_hits``: only decisions with at least one rule result, filtered by the database
    (most orders hit no rule, and reading their JSON was most of the cost)."""
    stmt = (
        select(orders.c.order_id, orders.c.created_at, decisions.c.action, decisions.c.rule_hits)
        .join(decisions, decisions.c.order_id == orders.c.order_id)
        .where(orders.c.created_at >= since, orders.c.created_at < until)
    )
    if only_hits:
        postgres = session.get_bind().dialect.name == "postgresql"
        length = func.jsonb_array_length if postgres else func.json_array_length
        stmt = stmt.where(length(decisions.c.rule_hits) > 0)
    for row in session.execute(stmt):
        yield RuleHitsRow(row.order_id, time_from_db(row.created_at), row.action,
                          list(row.rule_hits or []))
