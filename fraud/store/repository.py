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
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, insert, or_, select
from sqlalchemy.orm import Session

from fraud.domain import Action, Decision, FeatureValue, Outcome, Reason, RuleResult, Versions
from fraud.errors import Conflict, NotFound
from fraud.history import default_fx_rates, key_pairs, past_order, utc
from fraud.schema import Order
from fraud.store.db import RawConnection, SqlFlavour, raw_of


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
    """An order as received (validated, canonical JSON), its latest decision and outcomes."""

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


@lru_cache(maxsize=1)
def _latest_decision() -> Select:
    """Built on first use: the tables are imported at the end of this module."""
    return (
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
    conn = session.connection()
    raw = raw_of(conn.connection.dbapi_connection, conn.dialect)
    try:
        stored = _insert_decision(raw, order, decision, features, fx_rates, now)
        session.commit()
    except raw.integrity_error:
        session.rollback()
        existing = find_decision(session, order.order_id)
        if existing is None:
            raise Conflict(f"order {order.order_id!r} could not be stored") from None
        return existing
    return stored


def save_decision_on(
    raw: RawConnection,
    order: Order,
    decision: Decision,
    features: Mapping[str, FeatureValue],
    *,
    fx_rates: Mapping[str, Decimal] | None = None,
    now: datetime | None = None,
) -> StoredDecision:
    """:func:`save_decision` on a DBAPI connection (the scoring path), without the
    first look-up: the caller has just made it with :func:`find_decision_on`.

    Same rows, same idempotence: a duplicate order id rolls back and returns the
    decision stored first (``created=False``).
    """
    try:
        stored = _insert_decision(raw, order, decision, features, fx_rates, now)
        raw.commit()
    except raw.integrity_error:
        raw.rollback()
        existing = find_decision_on(raw, order.order_id)
        if existing is None:
            raise Conflict(f"order {order.order_id!r} could not be stored") from None
        return existing
    return stored


@lru_cache(maxsize=4)
def _insert_sql(flavour: SqlFlavour) -> tuple[str, str, str]:
    """The three INSERTs of a decision, in the driver's placeholder style."""
    order_cols = (
        "order_id, created_at, received_at, account_id, order_json, amount_eur, currency, "
        "billing_country, shipping_country, card_country, ip_key, email_key, phone_key, "
        "device_key, address_key, card_key"
    )
    decision_cols = (
        "order_id, score, action, reasons, rule_hits, signals_unavailable, features, "
        "rules_version, model_version, service_version, model_probability, decided_at"
    )
    json_cols = {"order_json", "reasons", "rule_hits", "signals_unavailable", "features"}

    def slots(cols: str) -> str:
        names = [c.strip() for c in cols.split(",")]
        return ", ".join(flavour.json_slot(n) if n in json_cols else f":{n}" for n in names)

    return (
        flavour.sql(f"INSERT INTO orders ({order_cols}) VALUES ({slots(order_cols)})"),  # noqa: S608 - fixed names; values are bound
        flavour.sql(
            "INSERT INTO order_keys (order_id, kind, value, created_at) "
            "VALUES (:order_id, :kind, :value, :created_at)"
        ),
        flavour.sql(f"INSERT INTO decisions ({decision_cols}) VALUES ({slots(decision_cols)})"),  # noqa: S608 - fixed names; values are bound
    )


def _insert_decision(
    raw: RawConnection,
    order: Order,
    decision: Decision,
    features: Mapping[str, FeatureValue],
    fx_rates: Mapping[str, Decimal] | None,
    now: datetime | None,
) -> StoredDecision:
    """The rows of :func:`save_decision`, written but not committed.

    JSON columns get text: the order straight from pydantic's serialiser, the rest
    through :func:`json.dumps`, exactly what the Core JSON type would have written.
    """
    past = past_order(order, fx_rates if fx_rates is not None else default_fx_rates())
    decided_at = utc(now) if now is not None else _now()
    data = decision_to_dict(decision)
    stored_features = _safe_features(features)
    flavour = raw.flavour
    created_at = flavour.time_in(past.created_at)
    keys = past.keys
    insert_order, insert_key, insert_decision = _insert_sql(flavour)
    cursor = raw.dbapi.cursor()
    cursor.execute(
        insert_order,
        {
            "order_id": order.order_id,
            "created_at": created_at,
            "received_at": flavour.time_in(decided_at),
            "account_id": keys.account,
            "order_json": order.model_dump_json(),
            "amount_eur": past.amount_eur,
            "currency": str(order.payment.currency),
            "billing_country": past.billing_country,
            "shipping_country": past.shipping_country,
            "card_country": past.card_country,
            "ip_key": keys.ip,
            "email_key": keys.email,
            "phone_key": keys.phone,
            "device_key": keys.device,
            "address_key": keys.address,
            "card_key": keys.card,
        },
    )
    cursor.executemany(
        insert_key,
        [
            {"order_id": order.order_id, "kind": k, "value": v, "created_at": created_at}
            for k, v in key_pairs(keys)
        ],
    )
    cursor.execute(
        insert_decision,
        {
            "order_id": order.order_id,
            "score": decision.score,
            "action": decision.action.label,
            "reasons": json.dumps(data["reasons"]),
            "rule_hits": json.dumps(data["rule_hits"]),
            "signals_unavailable": json.dumps(data["signals_unavailable"]),
            "features": json.dumps(stored_features),
            "rules_version": decision.versions.rules,
            "model_version": decision.versions.model,
            "service_version": decision.versions.service,
            "model_probability": data["model_probability"],
            "decided_at": flavour.time_in(decided_at),
        },
    )
    cursor.close()
    return StoredDecision(
        order_id=order.order_id,
        decision=decision_from_dict(data),
        features=stored_features,
        decided_at=decided_at,
        created=True,
    )


def _safe_features(features: Mapping[str, FeatureValue]) -> dict[str, Any]:
    """:func:`json_safe` of a flat feature mapping, with the common types inlined:
    the general walk cost more than the rest of the write."""
    out: dict[str, Any] = {}
    for name, value in features.items():
        kind = type(value)
        if kind is float:
            out[str(name)] = value if math.isfinite(value) else None
        elif value is None or kind is str or kind is int or kind is bool:
            out[str(name)] = value
        else:
            out[str(name)] = json_safe(value)
    return out


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
    A retried report (same order, outcome and time) returns the stored one and
    writes nothing. Raises :class:`~fraud.errors.NotFound` for an unknown order.
    """
    exists = session.execute(select(orders.c.order_id).where(orders.c.order_id == order_id)).first()
    if exists is None:
        raise NotFound(f"order {order_id!r} not found")
    stored = StoredOutcome(order_id, Outcome(outcome), utc(at), utc(now) if now else _now())
    same = session.execute(
        select(outcomes.c.reported_at).where(
            outcomes.c.order_id == order_id,
            outcomes.c.outcome == stored.outcome.value,
            outcomes.c.at == stored.at,
        )
    ).first()
    if same is not None:
        return StoredOutcome(order_id, stored.outcome, stored.at, same.reported_at)
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
    return session.execute(_latest_decision(), {"order_id": order_id}).first()


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


_LATEST_DECISION_SQL = (
    "SELECT order_id, score, action, reasons, rule_hits, signals_unavailable, features, "
    "rules_version, model_version, service_version, model_probability, decided_at "
    "FROM decisions WHERE order_id = :order_id ORDER BY id DESC LIMIT 1"
)


def find_decision_on(raw: RawConnection, order_id: str) -> StoredDecision | None:
    """:func:`find_decision` on a DBAPI connection (the scoring path)."""
    flavour = raw.flavour
    cursor = raw.execute(flavour.sql(_LATEST_DECISION_SQL), {"order_id": order_id})
    row = cursor.fetchone()
    cursor.close()
    if row is None:
        return None
    load = flavour.json_out
    decision = decision_from_dict(
        {
            "order_id": row[0],
            "score": row[1],
            "action": row[2],
            "reasons": load(row[3]),
            "rule_hits": load(row[4]),
            "signals_unavailable": load(row[5]),
            "versions": {"rules": row[7], "model": row[8], "service": row[9]},
            "model_probability": row[10],
        }
    )
    return StoredDecision(
        order_id=row[0],
        decision=decision,
        features=dict(load(row[6])),
        decided_at=flavour.time_out(row[11]),
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


# Last, on purpose: the tables module imports the shadow store, which imports this
# module's JSON codec; importing the tables at the top made ``import repository``
# fail whenever it came before ``import fraud.store.tables``.
from fraud.store.tables import decisions, orders, outcomes  # noqa: E402
