"""Reading and writing orders, decisions and outcomes.

Functions take a :class:`~sqlalchemy.orm.Session`, commit their own work and
return frozen dataclasses: ORM rows and Core result rows never leave
``fraud/store/``. Times come back timezone-aware, in UTC.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fraud.domain import Action, Decision, FeatureValue, Outcome, Reason, RuleResult, Versions
from fraud.errors import Conflict, NotFound
from fraud.history import default_fx_rates, key_pairs, past_order, utc
from fraud.schema import Order
from fraud.store.tables import decisions, order_keys, orders, outcomes


@dataclass(frozen=True)
class StoredDecision:
    """A decision as stored. ``created`` is False when the order id was already known."""

    order_id: str
    decision: Decision
    features: dict[str, FeatureValue]
    decided_at: datetime
    created: bool = False


@dataclass(frozen=True)
class StoredOutcome:
    order_id: str
    outcome: Outcome
    at: datetime
    reported_at: datetime


@dataclass(frozen=True)
class StoredOrder:
    """An order exactly as received, with its latest decision and all its outcomes."""

    order_id: str
    created_at: datetime
    order: dict[str, Any]
    decision: Decision | None
    features: dict[str, FeatureValue] | None = None
    outcomes: tuple[StoredOutcome, ...] = field(default_factory=tuple)


# --- decisions as JSON-able dicts ------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """Plain JSON values: Decimals become floats, NaN and infinities ``None``,
    times ISO strings. PostgreSQL's JSONB refuses NaN, and JSON has no such thing."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return json_safe(float(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return str(value)


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """A decision as JSON-able data, with the API's field names and encodings
    (``action`` as its label); :func:`decision_from_dict` reads it back."""
    return {
        "order_id": decision.order_id,
        "score": decision.score,
        "action": decision.action.label,
        "reasons": [
            {
                "code": r.code,
                "message": r.message,
                "value": json_safe(r.value),
                "points": r.points,
                "source": r.source,
            }
            for r in decision.reasons
        ],
        "rule_hits": [
            {
                "rule_id": h.rule_id,
                "status": h.status,
                "effect": h.effect,
                "points": h.points,
                "message": h.message,
                "values": json_safe(h.values),
                "error": h.error,
            }
            for h in decision.rule_hits
        ],
        "signals_unavailable": list(decision.signals_unavailable),
        "versions": {
            "rules": decision.versions.rules,
            "model": decision.versions.model,
            "service": decision.versions.service,
        },
        "model_probability": json_safe(decision.model_probability),
    }


def decision_from_dict(data: Mapping[str, Any]) -> Decision:
    """The inverse of :func:`decision_to_dict`."""
    return Decision(
        order_id=data["order_id"],
        score=int(data["score"]),
        action=Action.from_label(data["action"]),
        reasons=tuple(_reason(r) for r in data.get("reasons", ())),
        rule_hits=tuple(_rule_result(h) for h in data.get("rule_hits", ())),
        signals_unavailable=tuple(data.get("signals_unavailable", ())),
        versions=Versions(**data["versions"]),
        model_probability=data.get("model_probability"),
    )


def _reason(r: Mapping[str, Any]) -> Reason:
    return Reason(
        code=r["code"],
        message=r["message"],
        value=r.get("value"),
        points=float(r.get("points", 0.0)),
        source=r.get("source", "rule"),
    )


def _rule_result(h: Mapping[str, Any]) -> RuleResult:
    return RuleResult(
        rule_id=h["rule_id"],
        status=h["status"],
        effect=h["effect"],
        points=float(h.get("points", 0.0)),
        message=h.get("message", ""),
        values=dict(h.get("values") or {}),
        error=h.get("error"),
    )


# --- writing ---------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


_INSERT_ORDER = insert(orders)
_INSERT_KEYS = insert(order_keys)
_INSERT_DECISION = insert(decisions)
_LATEST_DECISION = (
    select(decisions)
    .where(decisions.c.order_id == bindparam("order_id"))
    .order_by(decisions.c.id.desc())
    .limit(1)
)


def save_decision(
    session: Session,
    order: Order,
    decision: Decision,
    features: Mapping[str, FeatureValue],
    *,
    fx_rates: Mapping[str, Decimal] | None = None,
    now: datetime | None = None,
    check_existing: bool = True,
) -> StoredDecision:
    """Store the order as received, its linking keys, the decision and the features,
    in one transaction, and commit.

    Idempotent on ``order_id``: when the order is already stored, nothing is
    written and the stored decision comes back unchanged (``created=False``).
    Two callers racing with the same order id both get the one stored decision:
    the primary key refuses the second insert, which then re-reads.
    ``check_existing=False`` skips the first look-up when the caller just made it.
    """
    if check_existing:
        existing = find_decision(session, order.order_id)
        if existing is not None:
            return existing
    past = past_order(order, fx_rates if fx_rates is not None else default_fx_rates())
    decided_at = utc(now) if now is not None else _now()
    data = decision_to_dict(decision)
    stored_features = json_safe(dict(features))
    try:
        # Statements built once, values passed as parameters: SQLAlchemy then reuses the
        # compiled SQL, which is most of the cost of a write on the scoring path.
        session.execute(
            _INSERT_ORDER,
            {
                "order_id": order.order_id,
                "created_at": past.created_at,
                "received_at": decided_at,
                "account_id": past.keys.account,
                "order_json": order.model_dump(mode="json"),
                "amount_eur": past.amount_eur,
                "currency": str(order.payment.currency),
                "billing_country": past.billing_country,
                "shipping_country": past.shipping_country,
                "card_country": past.card_country,
                "ip_key": past.keys.ip,
                "email_key": past.keys.email,
                "phone_key": past.keys.phone,
                "device_key": past.keys.device,
                "address_key": past.keys.address,
                "card_key": past.keys.card,
            },
        )
        session.execute(
            _INSERT_KEYS,
            [
                {"order_id": order.order_id, "kind": k, "value": v, "created_at": past.created_at}
                for k, v in key_pairs(past.keys)
            ],
        )
        session.execute(
            _INSERT_DECISION,
            {
                "order_id": order.order_id,
                "score": decision.score,
                "action": decision.action.label,
                "reasons": data["reasons"],
                "rule_hits": data["rule_hits"],
                "signals_unavailable": data["signals_unavailable"],
                "features": stored_features,
                "rules_version": decision.versions.rules,
                "model_version": decision.versions.model,
                "service_version": decision.versions.service,
                "model_probability": data["model_probability"],
                "decided_at": decided_at,
            },
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = find_decision(session, order.order_id)
        if existing is None:
            raise Conflict(f"order {order.order_id!r} could not be stored") from None
        return existing
    return StoredDecision(
        order_id=order.order_id,
        decision=decision_from_dict(data),
        features=stored_features,
        decided_at=decided_at,
        created=True,
    )


def record_outcome(
    session: Session,
    order_id: str,
    outcome: Outcome,
    at: datetime,
    *,
    now: datetime | None = None,
) -> StoredOutcome:
    """Append what happened to a stored order and when (``at``), and commit.

    An order may collect several outcomes (paid, then chargeback). History
    features of later orders see an outcome from its ``at`` on, never before.
    Raises :class:`~fraud.errors.NotFound` for an unknown order.
    """
    exists = session.execute(select(orders.c.order_id).where(orders.c.order_id == order_id)).first()
    if exists is None:
        raise NotFound(f"order {order_id!r} not found")
    stored = StoredOutcome(order_id, Outcome(outcome), utc(at), utc(now) if now else _now())
    session.execute(
        insert(outcomes).values(
            order_id=order_id,
            outcome=stored.outcome.value,
            at=stored.at,
            reported_at=stored.reported_at,
        )
    )
    session.commit()
    return stored


# --- reading ---------------------------------------------------------------------------------


def _latest_decision_row(session: Session, order_id: str) -> Any:
    return session.execute(_LATEST_DECISION, {"order_id": order_id}).first()


def _decision_of(row: Any) -> Decision:
    return decision_from_dict(
        {
            "order_id": row.order_id,
            "score": row.score,
            "action": row.action,
            "reasons": row.reasons,
            "rule_hits": row.rule_hits,
            "signals_unavailable": row.signals_unavailable,
            "versions": {
                "rules": row.rules_version,
                "model": row.model_version,
                "service": row.service_version,
            },
            "model_probability": row.model_probability,
        }
    )


def find_decision(session: Session, order_id: str) -> StoredDecision | None:
    """The latest stored decision for ``order_id``, or ``None`` if the order is new."""
    row = _latest_decision_row(session, order_id)
    if row is None:
        return None
    return StoredDecision(
        order_id=row.order_id,
        decision=_decision_of(row),
        features=dict(row.features),
        decided_at=row.decided_at,
    )


def _outcomes_of(session: Session, order_ids: list[str]) -> dict[str, list[StoredOutcome]]:
    """Outcomes per order id, oldest first."""
    found: dict[str, list[StoredOutcome]] = {i: [] for i in order_ids}
    if not order_ids:
        return found
    rows = session.execute(
        select(outcomes)
        .where(outcomes.c.order_id.in_(order_ids))
        .order_by(outcomes.c.at, outcomes.c.id)
    )
    for r in rows:
        found[r.order_id].append(StoredOutcome(r.order_id, Outcome(r.outcome), r.at, r.reported_at))
    return found


def get_stored_order(session: Session, order_id: str) -> StoredOrder | None:
    """The order as received with its latest decision and outcomes, or ``None``."""
    row = session.execute(select(orders).where(orders.c.order_id == order_id)).first()
    if row is None:
        return None
    decision_row = _latest_decision_row(session, order_id)
    return StoredOrder(
        order_id=row.order_id,
        created_at=row.created_at,
        order=dict(row.order_json),
        decision=_decision_of(decision_row) if decision_row is not None else None,
        features=dict(decision_row.features) if decision_row is not None else None,
        outcomes=tuple(_outcomes_of(session, [order_id])[order_id]),
    )


def order_from_json(data: Mapping[str, Any]) -> Order:
    """Re-validate a stored order (JSON mode: the strict model wants strings for times)."""
    return Order.model_validate_json(json.dumps(data))


def iter_orders(
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    page_size: int = 500,
) -> Iterator[tuple[Order, tuple[StoredOutcome, ...]]]:
    """Stored orders created in ``[since, until)``, oldest first, each with its outcomes.

    Pages through the table by (created_at, order_id), so memory stays flat
    however many orders there are.
    """
    after: tuple[datetime, str] | None = None
    while True:
        stmt = select(orders.c.order_id, orders.c.created_at, orders.c.order_json)
        if since is not None:
            stmt = stmt.where(orders.c.created_at >= utc(since))
        if until is not None:
            stmt = stmt.where(orders.c.created_at < utc(until))
        if after is not None:
            stmt = stmt.where(
                or_(
                    orders.c.created_at > after[0],
                    and_(orders.c.created_at == after[0], orders.c.order_id > after[1]),
                )
            )
        stmt = stmt.order_by(orders.c.created_at, orders.c.order_id).limit(page_size)
        page = session.execute(stmt).all()
        if not page:
            return
        found = _outcomes_of(session, [r.order_id for r in page])
        for r in page:
            yield order_from_json(r.order_json), tuple(found[r.order_id])
        after = (page[-1].created_at, page[-1].order_id)
