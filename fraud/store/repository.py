"""Reading and writing orders, decisions and outcomes.

Functions take a :class:`~sqlalchemy.orm.Session` (or, on the scoring path, a
:class:`~fraud.store.statements.RawConnection`), commit their own work and
return frozen dataclasses: ORM rows and Core result rows never leave
``fraud/store/``. Times come back timezone-aware, in UTC.

The decision write and read run statements compiled once per dialect from the
tables (:mod:`fraud.store.statements`): they are on every scored order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fraud.domain import Decision, FeatureValue, Outcome
from fraud.errors import Conflict, NotFound
from fraud.evidence.chain import append as append_evidence
from fraud.evidence.records import DECISION_ACTOR, decision_record, outcome_record
from fraud.evidence.sealing import customer_identity
from fraud.history import key_pairs, past_order
from fraud.money import default_fx_rates
from fraud.schema import Order
from fraud.store.codecs import (
    JsonText,
    decision_from_dict,
    decision_to_dict,
    features_to_json,
)
from fraud.store.statements import RawConnection, insert_row, per_dialect, raw_of
from fraud.store.tables import decisions, order_keys, orders, outcomes
from fraud.times import utc

Store = Session | RawConnection
"""Where the decision functions run: a session, or the scoring path's connection."""


def _raw(store: Store) -> RawConnection:
    return store if isinstance(store, RawConnection) else raw_of(store)


@dataclass(frozen=True)
class StoredDecision:
    """A decision as stored. ``created`` is False when the order id was already known."""

    order_id: str
    decision: Decision
    features: dict[str, FeatureValue]
    decided_at: datetime
    created: bool = False
    # the evidence record written with it (when created); not part of what was decided
    evidence_seq: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class StoredOutcome:
    order_id: str
    outcome: Outcome
    at: datetime
    reported_at: datetime
    evidence_seq: int | None = field(default=None, compare=False)  # its record, when new


@dataclass(frozen=True)
class StoredOrder:
    """An order as received (validated, canonical JSON), its latest decision and outcomes."""

    order_id: str
    created_at: datetime
    order: dict[str, Any]
    decision: Decision | None
    features: dict[str, FeatureValue] | None = None
    outcomes: tuple[StoredOutcome, ...] = field(default_factory=tuple)


# --- the decision: written once, read by name -------------------------------------------


@per_dialect
def _insert_order() -> Any:
    return insert_row(orders).values(order_json=bindparam("order_json", type_=JsonText()))


@per_dialect
def _insert_key() -> Any:
    return insert_row(order_keys)


@per_dialect
def _insert_decision() -> Any:
    return insert_row(decisions)


@per_dialect
def _latest_decision() -> Any:
    return (
        select(decisions)
        .where(decisions.c.order_id == bindparam("order_id"))
        .order_by(decisions.c.id.desc())
        .limit(1)
    )


@per_dialect
def _order_as_received() -> Any:
    return select(orders.c.order_json).where(orders.c.order_id == bindparam("order_id"))


def save_decision(
    store: Store,
    order: Order,
    decision: Decision,
    features: Mapping[str, FeatureValue],
    *,
    fx_rates: Mapping[str, Decimal] | None = None,
    now: datetime | None = None,
    sources: Mapping[str, Any] | None = None,
) -> StoredDecision:
    """Store the order as received, its linking keys, the decision, the features and
    the decision's evidence record, in one transaction, and commit. Every caller (the
    service, the demo loader, tests) writes through here. ``sources``: versions of the
    signal sources the rules and model do not name (the geo database build), for the
    evidence record.

    Idempotent on ``order_id``: when the same order is already stored, nothing is
    written and the stored decision comes back unchanged (``created=False``); a
    *different* order under a stored id raises :class:`~fraud.errors.Conflict`.
    Racing callers are settled by the primary key: the losers roll back and
    re-read (:func:`find_retry`).
    """
    raw = _raw(store)
    try:
        stored = write_decision(
            raw, order, decision, features, fx_rates=fx_rates, now=now, sources=sources
        )
        raw.commit()
    except raw.integrity_error:
        raw.rollback()
        existing = find_retry(raw, order)
        if existing is None:
            raise Conflict(f"order {order.order_id!r} could not be stored") from None
        return existing
    return stored


def write_decision(
    raw: RawConnection,
    order: Order,
    decision: Decision,
    features: Mapping[str, FeatureValue],
    *,
    fx_rates: Mapping[str, Decimal] | None = None,
    now: datetime | None = None,
    sources: Mapping[str, Any] | None = None,
) -> StoredDecision:
    """The rows of :func:`save_decision`, written but not committed (the group commit
    writer, :mod:`fraud.store.group_commit`, commits many orders' rows at once)."""
    past = past_order(order, fx_rates if fx_rates is not None else default_fx_rates())
    decided_at = utc(now) if now is not None else datetime.now(UTC)
    data = decision_to_dict(decision)
    stored_features = features_to_json(features)
    keys = past.keys
    dialect = raw.dialect
    order_json = order.model_dump_json()
    raw.write(
        _insert_order(dialect),
        {
            "order_id": order.order_id,
            "created_at": past.created_at,
            "received_at": decided_at,
            "account_id": keys.account,
            "order_json": order_json,
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
    raw.write_many(
        _insert_key(dialect),
        [
            {"order_id": order.order_id, "kind": k, "value": v, "created_at": past.created_at}
            for k, v in key_pairs(keys)
        ],
    )
    raw.write(
        _insert_decision(dialect),
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
    record, personal = decision_record(
        order_json.encode(), data, stored_features, sources or {}
    )
    evidence = append_evidence(
        raw,
        kind="decision",
        subject=f"order:{order.order_id}",
        actor=DECISION_ACTOR,
        data=record,
        personal=personal,
        customer=customer_identity(order),
        order_id=order.order_id,
        at=decided_at,
    )
    return StoredDecision(
        order_id=order.order_id,
        decision=decision_from_dict(data),
        features=stored_features,
        decided_at=decided_at,
        created=True,
        evidence_seq=evidence.seq,
    )


def find_decision(store: Store, order_id: str) -> StoredDecision | None:
    """The latest stored decision for ``order_id``, or ``None`` if the order is new."""
    raw = _raw(store)
    row = raw.first(_latest_decision(raw.dialect), {"order_id": order_id})
    return None if row is None else _stored_decision(row)


def find_retry(store: Store, order: Order) -> StoredDecision | None:
    """The stored decision when ``order`` was scored before (a retry), ``None`` for a new
    order id. Raises :class:`~fraud.errors.Conflict` when the id was stored with a
    different order: answering with that order's decision would leak it."""
    raw = _raw(store)
    existing = find_decision(raw, order.order_id)
    if existing is None:
        return None
    row = raw.first(_order_as_received(raw.dialect), {"order_id": order.order_id})
    if row is not None and row["order_json"] != order.model_dump(mode="json"):
        raise Conflict(
            f"order {order.order_id!r} was already scored with different contents; "
            "an order id must not be reused"
        )
    return existing


def _stored_decision(row: Mapping[str, Any]) -> StoredDecision:
    decision = decision_from_dict(
        {
            "order_id": row["order_id"],
            "score": row["score"],
            "action": row["action"],
            "reasons": row["reasons"],
            "rule_hits": row["rule_hits"],
            "signals_unavailable": row["signals_unavailable"],
            "versions": {
                "rules": row["rules_version"],
                "model": row["model_version"],
                "service": row["service_version"],
            },
            "model_probability": row["model_probability"],
        }
    )
    return StoredDecision(
        order_id=row["order_id"],
        decision=decision,
        features=dict(row["features"]),
        decided_at=row["decided_at"],
    )


# --- outcomes ------------------------------------------------------------------------------


def record_outcome(
    session: Session,
    order_id: str,
    outcome: Outcome,
    at: datetime,
    *,
    now: datetime | None = None,
    actor: str = "order-service",
) -> StoredOutcome:
    """Append what happened to a stored order and when (``at``), with its evidence
    record (``actor``: who reported it), and commit.

    An order may collect several outcomes (paid, then chargeback). History
    features of later orders see an outcome from its ``at`` on, never before.
    A retried report (same order, outcome and time), even one sent twice at
    once, is stored once: the unique key refuses the copy, which returns the
    stored report. Raises :class:`~fraud.errors.NotFound` for an unknown order.
    """
    exists = session.execute(select(orders.c.order_id).where(orders.c.order_id == order_id)).first()
    if exists is None:
        raise NotFound(f"order {order_id!r} not found")
    stored = StoredOutcome(order_id, Outcome(outcome), utc(at), utc(now) if now else _now())
    try:
        session.execute(
            insert(outcomes).values(
                order_id=order_id,
                outcome=stored.outcome.value,
                at=stored.at,
                reported_at=stored.reported_at,
            )
        )
        evidence = append_evidence(
            session,
            kind="outcome",
            subject=f"order:{order_id}",
            actor=actor,
            data=outcome_record(order_id, stored.outcome, stored.at),
            at=stored.reported_at,
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        same = session.execute(
            select(outcomes.c.reported_at).where(
                outcomes.c.order_id == order_id,
                outcomes.c.outcome == stored.outcome.value,
                outcomes.c.at == stored.at,
            )
        ).first()
        if same is None:  # not the unique key: the order went away meanwhile
            raise NotFound(f"order {order_id!r} not found") from None
        return StoredOutcome(order_id, stored.outcome, stored.at, same.reported_at)
    return StoredOutcome(
        order_id, stored.outcome, stored.at, stored.reported_at, evidence_seq=evidence.seq
    )


def _now() -> datetime:
    return datetime.now(UTC)


# --- reading -------------------------------------------------------------------------------


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
    latest = find_decision(session, order_id)
    return StoredOrder(
        order_id=row.order_id,
        created_at=row.created_at,
        order=dict(row.order_json),
        decision=latest.decision if latest is not None else None,
        features=latest.features if latest is not None else None,
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
