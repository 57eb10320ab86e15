"""Decided orders in a time window, as plain values: what drift checks and rule reports read.

Reads the features stored with each decision (the values the rules and the model saw),
so nothing is recomputed and no personal field is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fraud.domain import FeatureValue
from fraud.store.tables import decisions, orders, outcomes


@dataclass(frozen=True)
class Decided:
    order_id: str
    created_at: datetime
    features: dict[str, FeatureValue]
    score: int
    action: str
    model_version: str
    model_probability: float | None
    rule_hits: list[dict[str, Any]]


def decided_between(
    session: Session, since: datetime, until: datetime, *, limit: int | None = None
) -> Iterator[Decided]:
    """Decisions on orders created in ``[since, until)``, newest first (``limit`` of them)."""
    query = (
        select(
            orders.c.order_id, orders.c.created_at, decisions.c.features, decisions.c.score,
            decisions.c.action, decisions.c.model_version, decisions.c.model_probability,
            decisions.c.rule_hits,
        )
        .join(decisions, decisions.c.order_id == orders.c.order_id)
        .where(orders.c.created_at >= since, orders.c.created_at < until)
        .order_by(orders.c.created_at.desc(), decisions.c.id.desc())
        .limit(limit)
    )
    for row in session.execute(query):
        yield Decided(row.order_id, row.created_at, dict(row.features or {}), row.score,
                      row.action, row.model_version, row.model_probability,
                      list(row.rule_hits or []))


def outcomes_between(
    session: Session, since: datetime, until: datetime
) -> Iterator[tuple[str, str, datetime]]:
    """(order id, outcome, at) of each outcome of the orders created in ``[since, until)``."""
    query = (
        select(outcomes.c.order_id, outcomes.c.outcome, outcomes.c.at)
        .join(orders, orders.c.order_id == outcomes.c.order_id)
        .where(orders.c.created_at >= since, orders.c.created_at < until)
    )
    for row in session.execute(query):
        yield row.order_id, row.outcome, row.at
