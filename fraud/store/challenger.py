"""Challenger scores: what a candidate model made of each live order, stored apart.

The challenger runs in shadow beside the live model (the champion): for every new order
it gives its probability, and the decision the live rules and thresholds would have made
with it. Nothing here acts: the order service only ever got the live decision in
``decisions``. One row per (order, model version), so a challenger can run for weeks and
re-running is harmless. Migration ``0008_challenger_scores`` creates the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Float, Index, Integer, String, Table, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fraud.domain import Action, Decision
from fraud.store.codecs import UTCDateTime
from fraud.store.tables import metadata, order_ref

challenger_scores = Table(
    "challenger_scores",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    order_ref(),
    Column("model_version", String(200), nullable=False),
    Column("probability", Float),  # None: the challenger failed on this order
    Column("score", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    UniqueConstraint("order_id", "model_version",
                     name="uq_challenger_scores_order_id_model_version"),
    Index(None, "model_version", "decided_at"),
)


@dataclass(frozen=True)
class ChallengerScore:
    order_id: str
    model_version: str
    probability: float | None
    score: int
    action: Action
    decided_at: datetime
    created: bool = False


def save_challenger_score(
    session: Session, decision: Decision, *, now: datetime | None = None
) -> ChallengerScore:
    """Store the challenger's decision on an already stored order, and commit. A repeat
    for the same (order, model version) writes nothing (``created=False``)."""
    at = now or datetime.now(UTC)
    version = decision.versions.model
    try:
        session.execute(challenger_scores.insert().values(
            order_id=decision.order_id, model_version=version,
            probability=decision.model_probability, score=decision.score,
            action=decision.action.label, decided_at=at,
        ))
        session.commit()
    except IntegrityError:
        session.rollback()
        found = challenger_scores_of(session, decision.order_id)
        stored = next((c for c in found if c.model_version == version), None)
        if stored is None:
            raise
        return stored
    return ChallengerScore(decision.order_id, version, decision.model_probability,
                           decision.score, decision.action, at, created=True)


def challenger_scores_of(session: Session, order_id: str) -> list[ChallengerScore]:
    """Every challenger's score of one order, oldest first."""
    rows = session.execute(
        select(challenger_scores).where(challenger_scores.c.order_id == order_id)
        .order_by(challenger_scores.c.id)
    )
    return [ChallengerScore(r.order_id, r.model_version, r.probability, r.score,
                            Action.from_label(r.action), r.decided_at) for r in rows]


def challenger_counts(session: Session) -> dict[str, int]:
    """Orders scored by each challenger version."""
    from sqlalchemy import func

    rows = session.execute(
        select(challenger_scores.c.model_version, func.count())
        .group_by(challenger_scores.c.model_version)
    )
    return {str(v): int(n) for v, n in rows}
