"""Writing and reading account events (``account_events``).

:func:`save_event` stores an event as received, where its IP was placed, its features
and its decision in one transaction, idempotent on ``event_id``. :class:`SqlEvents` is
the store's :class:`~fraud.events.history.EventsView`: the same answers as
:class:`~fraud.events.history.MemoryEvents` (strictly before, not before ``since``,
oldest first, the latest ``EVENT_LIMIT``), pinned to it by a parity test.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    RowMapping,
    and_,
    case,
    delete,
    func,
    insert,
    null,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError

from fraud.domain import FeatureValue, Reason, RuleResult
from fraud.errors import Conflict
from fraud.events.history import EVENT_LIMIT, MemoryEvents, PastEvent
from fraud.events.place import Placement, past_event
from fraud.events.schema import AccountEvent, EventType
from fraud.events.scoring import EventAction, EventDecision
from fraud.jsonable import json_safe
from fraud.keys import address_key, bounded
from fraud.schema import Address
from fraud.store.codecs import features_to_json
from fraud.store.event_tables import account_events
from fraud.times import utc

Source = Engine | Connection


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored. ``created`` is False when its id was already stored (a retry)."""

    event_id: str
    event: dict[str, Any]
    past: PastEvent
    received_at: datetime
    decision: EventDecision | None
    features: dict[str, FeatureValue] = field(default_factory=dict)
    created: bool = False

    @property
    def type(self) -> EventType:
        return self.past.type


@contextmanager
def _connected(source: Source) -> Iterator[Connection]:
    if isinstance(source, Connection):
        yield source
    else:
        with source.connect() as conn:
            yield conn


# --- encoding the decision ---------------------------------------------------------------


def _reasons_json(reasons: tuple[Reason, ...]) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "message": r.message, "value": json_safe(r.value),
         "points": r.points, "source": r.source}
        for r in reasons
    ]


def _hits_json(hits: tuple[RuleResult, ...]) -> list[dict[str, Any]]:
    return [
        {"rule_id": h.rule_id, "status": h.status, "effect": h.effect, "points": h.points,
         "message": h.message, "values": json_safe(h.values), "error": h.error}
        for h in hits
    ]


def _decision(row: Mapping[str, Any] | RowMapping) -> EventDecision | None:
    if row["action"] is None:
        return None
    return EventDecision(
        event_id=row["event_id"],
        action=EventAction(row["action"]),
        score=row["score"],
        reasons=tuple(Reason(**r) for r in row["reasons"] or ()),
        rule_hits=tuple(RuleResult(**h) for h in row["rule_hits"] or ()),
        rules_version=row["rules_version"],
    )


_ADDRESS_TYPES = (EventType.ADDRESS_ADDED.value, EventType.ADDRESS_CHANGED.value)


def _changed_address_key(row: Mapping[str, Any] | RowMapping) -> str | None:
    """An address event's address key, from the event as received: a full row's
    ``event_json``, or a history window's ``address_json`` (that JSON for address events
    only, so the others cost no decoding)."""
    if row["event_type"] not in _ADDRESS_TYPES:
        return None
    data = row["address_json"] if "address_json" in row else row["event_json"]
    address = ((data or {}).get("change") or {}).get("address")
    return None if address is None else bounded(address_key(Address.model_validate(address)))


def _past(row: Mapping[str, Any] | RowMapping) -> PastEvent:
    return PastEvent(
        event_id=row["event_id"],
        type=EventType(row["event_type"]),
        account_id=row["account_id"],
        occurred_at=row["occurred_at"],
        ip_key=row["ip_key"],
        device_key=row["device_key"],
        ip_country=row["ip_country"],
        ip_latitude=row["ip_latitude"],
        ip_longitude=row["ip_longitude"],
        action=row["action"],
        address_key=_changed_address_key(row),
    )


def _stored(row: Mapping[str, Any] | RowMapping, created: bool = False) -> StoredEvent:
    return StoredEvent(
        event_id=row["event_id"],
        event=dict(row["event_json"]),
        past=_past(row),
        received_at=row["received_at"],
        decision=_decision(row),
        features=dict(row["features"] or {}),
        created=created,
    )


# --- writing -------------------------------------------------------------------------------


def find_event(source: Source, event_id: str) -> StoredEvent | None:
    """The stored event with this id, or None."""
    with _connected(source) as conn:
        row = conn.execute(
            select(account_events).where(account_events.c.event_id == event_id)
        ).mappings().first()
    return None if row is None else _stored(row)


def find_retry(source: Source, event: AccountEvent) -> StoredEvent | None:
    """The stored event when ``event`` was sent before (a retry), None for a new id.

    Raises :class:`~fraud.errors.Conflict` when the id was stored with different
    contents: answering with that event's decision would leak another account's."""
    stored = find_event(source, event.event_id)
    if stored is None:
        return None
    if stored.event != event.model_dump(mode="json"):
        raise Conflict(
            f"event {event.event_id!r} was already stored with different contents; "
            "an event id must not be reused"
        )
    return stored


def save_event(
    source: Source,
    event: AccountEvent,
    placement: Placement,
    features: Mapping[str, FeatureValue],
    decision: EventDecision | None,
    *,
    now: datetime | None = None,
) -> StoredEvent:
    """Store the event as received, its place, features and decision in one
    transaction, and commit.

    Idempotent on ``event_id``: the same event already stored writes nothing and
    returns the stored decision (``created=False``); a different event under a stored
    id raises :class:`~fraud.errors.Conflict`. Racing writers are settled by the
    primary key: the losers roll back and read the winner's row.
    """
    received_at = utc(now) if now is not None else datetime.now(UTC)
    past = past_event(event, placement, decision.action.value if decision is not None else None)
    row: dict[str, Any] = {
        "event_id": event.event_id,
        "event_type": event.type.value,
        "account_id": event.account_id,
        "occurred_at": past.occurred_at,
        "received_at": received_at,
        "event_json": event.model_dump(mode="json"),
        "ip_key": past.ip_key,
        "device_key": past.device_key,
        "ip_country": placement.country,
        "ip_latitude": placement.latitude,
        "ip_longitude": placement.longitude,
        "features": features_to_json(features),
    }
    if decision is not None:
        row.update(
            action=decision.action.value,
            score=decision.score,
            reasons=_reasons_json(decision.reasons),
            rule_hits=_hits_json(decision.rule_hits),
            rules_version=decision.rules_version,
            decided_at=received_at,
        )
    with _connected(source) as conn:
        try:
            conn.execute(insert(account_events).values(**row))
            conn.commit()
        except IntegrityError:
            conn.rollback()
            existing = find_retry(conn, event)
            if existing is None:
                raise Conflict(f"event {event.event_id!r} could not be stored") from None
            return existing
    return StoredEvent(
        event_id=event.event_id,
        event=row["event_json"],
        past=past,
        received_at=received_at,
        decision=_decision(row) if decision is not None else None,
        features=row["features"],
        created=True,
    )


# --- reading -------------------------------------------------------------------------------


def account_event_rows(
    source: Source, account_id: str, *, before: datetime | None = None, limit: int = 50
) -> list[StoredEvent]:
    """The account's latest ``limit`` events (before ``before`` when given), newest first:
    what the review page and a privacy export show."""
    stmt = select(account_events).where(account_events.c.account_id == account_id)
    if before is not None:
        stmt = stmt.where(account_events.c.occurred_at < utc(before))
    stmt = stmt.order_by(
        account_events.c.occurred_at.desc(), account_events.c.event_id.desc()
    ).limit(limit)
    with _connected(source) as conn:
        return [_stored(row) for row in conn.execute(stmt).mappings()]


def count_account_events(source: Source, account_ids: str | list[str]) -> int:
    ids = [account_ids] if isinstance(account_ids, str) else account_ids
    if not ids:
        return 0
    with _connected(source) as conn:
        return conn.execute(
            select(func.count()).select_from(account_events)
            .where(account_events.c.account_id.in_(ids))
        ).scalar_one()


def delete_account_events(conn: Connection, account_ids: list[str]) -> int:
    """Delete these accounts' events (erasure); the caller commits. Returns how many."""
    if not account_ids:
        return 0
    result = conn.execute(
        delete(account_events).where(account_events.c.account_id.in_(account_ids))
    )
    return result.rowcount or 0


def delete_events_before(conn: Connection, cutoff: datetime) -> int:
    """Delete every event that happened before ``cutoff`` (retention); the caller commits."""
    result = conn.execute(delete(account_events).where(account_events.c.occurred_at < utc(cutoff)))
    return result.rowcount or 0


def events_for_export(source: Source, account_ids: list[str]) -> list[dict[str, Any]]:
    """The accounts' events as received, with their decisions, oldest first (right of
    access)."""
    if not account_ids:
        return []
    stmt = (
        select(account_events)
        .where(account_events.c.account_id.in_(account_ids))
        .order_by(account_events.c.occurred_at, account_events.c.event_id)
    )
    with _connected(source) as conn:
        rows = conn.execute(stmt).mappings().all()
    return [
        {
            "event": dict(row["event_json"]),
            "ip_country": row["ip_country"],
            "decision": row["action"],
            "reasons": list(row["reasons"] or []),
            "received_at": row["received_at"].isoformat(),
        }
        for row in rows
    ]


_PAST_COLUMNS = (
    *(account_events.c[name] for name in (
        "event_id", "event_type", "account_id", "occurred_at", "ip_key", "device_key",
        "ip_country", "ip_latitude", "ip_longitude", "action",
    )),
    # the event as received for address events only: orders need the address added
    case(
        (account_events.c.event_type.in_(_ADDRESS_TYPES), account_events.c.event_json),
        else_=null(),
    ).label("address_json"),
)


class SqlEvents:
    """:class:`~fraud.events.history.EventsView` over ``account_events``.

    ``source`` is an engine (a connection per question) or a connection (the
    scoring request's own, so the look-up and the write share it).
    """

    def __init__(self, source: Source, limit: int = EVENT_LIMIT) -> None:
        self._source = source
        self._limit = limit

    def _window(
        self, column: Any, value: str, before: datetime, since: datetime
    ) -> list[PastEvent]:
        stmt = (
            select(*_PAST_COLUMNS)  # not the JSON columns: decoding them cost most of a read
            .where(column == value)
            .where(account_events.c.occurred_at < utc(before))
            .where(account_events.c.occurred_at >= utc(since))
            .order_by(account_events.c.occurred_at.desc(), account_events.c.event_id.desc())
            .limit(self._limit)
        )
        with _connected(self._source) as conn:
            rows = conn.execute(stmt).mappings().all()
        return [_past(row) for row in reversed(rows)]

    def account_events(
        self, account_id: str, before: datetime, since: datetime
    ) -> list[PastEvent]:
        return self._window(account_events.c.account_id, account_id, before, since)

    def ip_events(self, ip_key: str, before: datetime, since: datetime) -> list[PastEvent]:
        return self._window(account_events.c.ip_key, ip_key, before, since)


def order_events(source: Source, order: Any) -> MemoryEvents:
    """The events of ``order``'s account that its scoring may see, read in one query
    before the order's own connection is taken (see :func:`fraud.events.features.snapshot`)."""
    from fraud.events.features import snapshot

    return snapshot(SqlEvents(source), order.customer.account_id, order.created_at)


def iter_stored_events(
    session: Any, until: datetime | None = None, *, page_size: int = 2000
) -> Iterator[AccountEvent]:
    """Every stored event (occurred before ``until`` when given), oldest first, as it was
    received: history for replays and training from the store, as the service had it."""
    after: tuple[datetime, str] | None = None
    while True:
        stmt = select(account_events.c.occurred_at, account_events.c.event_id,
                      account_events.c.event_json)
        if until is not None:
            stmt = stmt.where(account_events.c.occurred_at < utc(until))
        if after is not None:
            stmt = stmt.where(or_(
                account_events.c.occurred_at > after[0],
                and_(account_events.c.occurred_at == after[0],
                     account_events.c.event_id > after[1]),
            ))
        stmt = stmt.order_by(account_events.c.occurred_at, account_events.c.event_id)
        page = session.execute(stmt.limit(page_size)).all()
        if not page:
            return
        for row in page:
            yield AccountEvent.model_validate(row.event_json)
        after = (page[-1].occurred_at, page[-1].event_id)
