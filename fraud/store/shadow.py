"""Shadow decisions: what a candidate rule set would have decided, stored apart.

A shadow decision never acts: the live decision in ``decisions`` is what the
order service got. ``shadow_decisions`` keeps one row per (order, rules
version), so a candidate can run for weeks and be compared with the live rules
on real traffic before it is promoted (:func:`shadow_report`).

The table lives in :mod:`fraud.store.tables` with the others (migration
``0002_shadow_decisions``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fraud.domain import Action, Decision, Outcome
from fraud.store.codecs import decision_to_dict
from fraud.store.tables import decisions, outcomes, shadow_decisions
from fraud.times import utc

_FRAUD = tuple(o.value for o in Outcome if o.is_fraud)


@dataclass(frozen=True)
class ShadowDecision:
    """A stored shadow decision. ``created`` is False when it was already stored."""

    order_id: str
    rules_version: str
    score: int
    action: Action
    rule_hits: tuple[str, ...]
    decided_at: datetime
    created: bool = False


def save_shadow_decision(
    session: Session, order_id: str, decision: Decision, *, now: datetime | None = None
) -> ShadowDecision:
    """Store a candidate rule set's decision for an already stored order, and commit.

    Idempotent on (order, rules version): a repeat writes nothing and returns
    the stored row (``created=False``).
    """
    decided_at = utc(now) if now is not None else datetime.now(UTC)
    hits = decision_to_dict(decision)["rule_hits"]
    version = decision.versions.rules
    try:
        session.execute(
            insert(shadow_decisions).values(
                order_id=order_id,
                rules_version=version,
                score=decision.score,
                action=decision.action.label,
                rule_hits=hits,
                decided_at=decided_at,
            )
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        stored = find_shadow_decision(session, order_id, version)
        if stored is None:  # the failure was something else (e.g. an unknown order id)
            raise
        return stored
    return ShadowDecision(order_id, version, decision.score, decision.action,
                          tuple(h["rule_id"] for h in hits), decided_at, created=True)


def _shadow_of(row: Any) -> ShadowDecision:
    return ShadowDecision(
        order_id=row.order_id,
        rules_version=row.rules_version,
        score=row.score,
        action=Action.from_label(row.action),
        rule_hits=tuple(h["rule_id"] for h in row.rule_hits if h.get("status") == "hit"),
        decided_at=row.decided_at,
    )


def find_shadow_decision(
    session: Session, order_id: str, rules_version: str
) -> ShadowDecision | None:
    """The stored shadow decision of ``order_id`` under ``rules_version``, if any."""
    row = session.execute(
        select(shadow_decisions).where(
            shadow_decisions.c.order_id == order_id,
            shadow_decisions.c.rules_version == rules_version,
        )
    ).first()
    return _shadow_of(row) if row is not None else None


# --- live vs shadow ----------------------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    """An order the candidate would have decided differently from the live rules."""

    order_id: str
    live_action: Action
    shadow_action: Action
    live_score: int
    shadow_score: int
    known_fraud: bool


@dataclass(frozen=True)
class ShadowVersionReport:
    """Live vs shadow for one candidate rules version.

    ``transitions`` counts (live action, shadow action) pairs; ``known_fraud``
    counts orders with a chargeback or confirmed fraud reported so far, and
    ``*_fraud_flagged`` how many of them each side would not have approved.
    """

    rules_version: str
    orders: int
    live_review_rate: float
    shadow_review_rate: float
    live_decline_rate: float
    shadow_decline_rate: float
    agreement: float
    transitions: tuple[tuple[Action, Action, int], ...]
    rule_hits: tuple[tuple[str, int], ...]
    known_fraud: int
    live_fraud_flagged: int
    shadow_fraud_flagged: int
    disagreements: tuple[Disagreement, ...]

    @property
    def review_rate_change(self) -> float:
        return self.shadow_review_rate - self.live_review_rate

    @property
    def decline_rate_change(self) -> float:
        return self.shadow_decline_rate - self.live_decline_rate


@dataclass(frozen=True)
class ShadowReport:
    """Every candidate version seen since ``since``, newest activity first."""

    since: datetime | None
    versions: tuple[ShadowVersionReport, ...]


def _rate(count: int, n: int) -> float:
    return count / n if n else 0.0


def shadow_report(
    session: Session,
    since: datetime | None = None,
    *,
    rules_version: str | None = None,
    max_disagreements: int = 1000,
) -> ShadowReport:
    """Compare each shadow decision made since ``since`` with the live decision of the
    same order (the latest in ``decisions``), per candidate rules version."""
    latest = (
        select(decisions.c.order_id, func.max(decisions.c.id).label("id"))
        .group_by(decisions.c.order_id)
        .subquery()
    )
    stmt = (
        select(
            shadow_decisions.c.order_id,
            shadow_decisions.c.rules_version,
            shadow_decisions.c.score,
            shadow_decisions.c.action,
            shadow_decisions.c.rule_hits,
            shadow_decisions.c.decided_at,
            decisions.c.score.label("live_score"),
            decisions.c.action.label("live_action"),
        )
        .join(latest, latest.c.order_id == shadow_decisions.c.order_id)
        .join(decisions, and_(decisions.c.id == latest.c.id))
        .order_by(shadow_decisions.c.decided_at, shadow_decisions.c.id)
    )
    if since is not None:
        stmt = stmt.where(shadow_decisions.c.decided_at >= utc(since))
    if rules_version is not None:
        stmt = stmt.where(shadow_decisions.c.rules_version == rules_version)
    rows = session.execute(stmt).all()
    fraud = _known_fraud(session, {r.order_id for r in rows})

    by_version: dict[str, list[Any]] = {}
    for r in rows:
        by_version.setdefault(r.rules_version, []).append(r)
    reports = [_version_report(v, rs, fraud, max_disagreements) for v, rs in by_version.items()]
    reports.sort(key=lambda rep: max(r.decided_at for r in by_version[rep.rules_version]),
                 reverse=True)
    return ShadowReport(utc(since) if since is not None else None, tuple(reports))


def _known_fraud(session: Session, order_ids: set[str]) -> set[str]:
    found: set[str] = set()
    ids = sorted(order_ids)
    for start in range(0, len(ids), 500):  # keep IN lists short for every backend
        chunk = ids[start : start + 500]
        found.update(session.execute(
            select(outcomes.c.order_id).where(
                outcomes.c.order_id.in_(chunk), outcomes.c.outcome.in_(_FRAUD)
            )
        ).scalars())
    return found


def _version_report(
    version: str, rows: list[Any], fraud: set[str], max_disagreements: int
) -> ShadowVersionReport:
    n = len(rows)
    live = [Action.from_label(r.live_action) for r in rows]
    shadow = [Action.from_label(r.action) for r in rows]
    pairs = Counter(zip(live, shadow, strict=True))
    hits = Counter(h["rule_id"] for r in rows for h in r.rule_hits if h.get("status") == "hit")
    is_fraud = [r.order_id in fraud for r in rows]
    disagreements = tuple(
        Disagreement(r.order_id, a, b, r.live_score, r.score, f)
        for r, a, b, f in zip(rows, live, shadow, is_fraud, strict=True)
        if a != b
    )[:max_disagreements]
    return ShadowVersionReport(
        rules_version=version,
        orders=n,
        live_review_rate=_rate(live.count(Action.REVIEW), n),
        shadow_review_rate=_rate(shadow.count(Action.REVIEW), n),
        live_decline_rate=_rate(live.count(Action.DECLINE), n),
        shadow_decline_rate=_rate(shadow.count(Action.DECLINE), n),
        agreement=_rate(sum(c for (a, b), c in pairs.items() if a == b), n),
        transitions=tuple(sorted((a, b, c) for (a, b), c in pairs.items())),
        rule_hits=tuple(sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))),
        known_fraud=sum(is_fraud),
        live_fraud_flagged=sum(f and a != Action.APPROVE for f, a in zip(is_fraud, live,
                                                                          strict=True)),
        shadow_fraud_flagged=sum(f and b != Action.APPROVE for f, b in zip(is_fraud, shadow,
                                                                            strict=True)),
        disagreements=disagreements,
    )
