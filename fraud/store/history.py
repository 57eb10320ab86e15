"""``SqlHistory``: the history view over the store's tables.

Two indexed queries per look-up, whatever the number of features: one for the
orders linked in the window plus the account's whole past (with the outcomes
known by then), one for bad outcomes linked all-time. Both start from the
covering index on ``order_keys (kind, value, created_at, order_id)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, and_, bindparam, select, text, union_all
from sqlalchemy.orm import Session

from fraud.domain import Outcome
from fraud.history import (
    LINKED_OUTCOMES,
    HistorySnapshot,
    PastOrder,
    PastOutcome,
    key_pairs,
    utc,
)
from fraud.keys import OrderKeys
from fraud.store.tables import UTCDateTime, order_keys, orders, outcomes

# literal, not a bound list: an expanding IN would re-render the SQL on every call
_BAD = text(
    "outcomes.outcome IN ({})".format(", ".join(f"'{o.value}'" for o in sorted(LINKED_OUTCOMES)))
)


def _key_match(i: int, windowed: bool) -> Select:
    """Order ids under the i-th (kind, value) pair before t (and since, if windowed)."""
    k = order_keys.c
    conditions = [
        k.kind == bindparam(f"kind{i}"),
        k.value == bindparam(f"value{i}"),
        k.created_at < bindparam("before", type_=UTCDateTime),
    ]
    if windowed:
        conditions.append(k.created_at >= bindparam("since", type_=UTCDateTime))
    return select(k.order_id).where(and_(*conditions))


def _orders_statement(n_keys: int, has_account: bool) -> Select:
    """Orders linked in [since, before) plus the account's orders before t, with
    the outcomes known before t (one row per outcome, or one without)."""
    parts = [_key_match(i, windowed=True) for i in range(int(has_account), n_keys)]
    if has_account:  # pair 0 is the account: its whole past, not just the window
        parts.append(_key_match(0, windowed=False))
    ids = union_all(*parts).subquery()
    o, oc = orders.c, outcomes.c
    return (
        select(
            o.order_id,
            o.created_at,
            o.account_id,
            o.ip_key,
            o.email_key,
            o.phone_key,
            o.device_key,
            o.address_key,
            o.card_key,
            o.amount_eur,
            o.shipping_country,
            o.billing_country,
            o.card_country,
            oc.outcome,
            oc.at,
        )
        .select_from(
            orders.outerjoin(
                outcomes,
                and_(oc.order_id == o.order_id, oc.at < bindparam("before", type_=UTCDateTime)),
            )
        )
        .where(o.order_id.in_(select(ids.c.order_id)))
    )


def _outcomes_statement(n_keys: int) -> Select:
    """Bad outcomes known before t, of orders linked all-time by any key."""
    ids = union_all(*(_key_match(i, windowed=False) for i in range(n_keys))).subquery()
    oc = outcomes.c
    return (
        select(oc.order_id, oc.outcome, oc.at)
        .where(
            oc.order_id.in_(select(ids.c.order_id)),
            oc.at < bindparam("before", type_=UTCDateTime),
            _BAD,
        )
    )


class SqlHistory:
    """A :class:`fraud.history.HistoryView` reading the store.

    Give it an :class:`~sqlalchemy.Engine` (queries run on a pooled connection)
    or a session factory (queries run in a fresh session each time).
    """

    def __init__(self, source: Engine | Callable[[], Session]) -> None:
        self._source = source
        self._statements: dict[tuple[int, bool], tuple[Select, Select]] = {}

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if isinstance(self._source, Engine):
            with self._source.connect() as conn:
                yield conn
        else:
            with self._source() as session:
                yield session

    def _prepared(self, n_keys: int, has_account: bool) -> tuple[Select, Select]:
        """Statements per shape (which keys the order has), built once: SQLAlchemy
        then reuses the compiled SQL from its cache."""
        shape = (n_keys, has_account)
        if shape not in self._statements:
            self._statements[shape] = (
                _orders_statement(n_keys, has_account),
                _outcomes_statement(n_keys),
            )
        return self._statements[shape]

    def lookup(self, keys: OrderKeys, before: datetime, since: datetime) -> HistorySnapshot:
        before, since = utc(before), utc(since)
        pairs = key_pairs(keys)
        params: dict[str, Any] = {"before": before, "since": since}
        for i, (kind, value) in enumerate(pairs):
            params[f"kind{i}"], params[f"value{i}"] = kind, value
        orders_stmt, outcomes_stmt = self._prepared(len(pairs), bool(keys.account))
        with self._connection() as conn:
            order_rows = conn.execute(orders_stmt, params).all()
            outcome_rows = conn.execute(outcomes_stmt, params).all()
        found = _past_orders(order_rows)
        return HistorySnapshot(
            before=before,
            since=since,
            linked=tuple(p for p in found if p.created_at >= since),
            account=tuple(p for p in found if keys.account and p.account_id == keys.account),
            outcomes=tuple(
                sorted(
                    (PastOutcome(r.order_id, Outcome(r.outcome), r.at) for r in outcome_rows),
                    key=lambda e: (e.at, e.order_id, e.outcome.value),
                )
            ),
        )


def _past_orders(rows: list[Any]) -> list[PastOrder]:
    """Fold (order, outcome) rows into PastOrders, oldest first, outcomes oldest first."""
    by_id: dict[str, tuple[Any, list[PastOutcome]]] = {}
    for r in rows:
        entry = by_id.get(r.order_id)
        if entry is None:
            entry = by_id[r.order_id] = (r, [])
        if r.outcome is not None:
            entry[1].append(PastOutcome(r.order_id, Outcome(r.outcome), r.at))
    found = []
    for r, events in by_id.values():
        events.sort(key=lambda e: (e.at, e.order_id, e.outcome.value))
        found.append(
            PastOrder(
                order_id=r.order_id,
                created_at=r.created_at,
                keys=OrderKeys(
                    account=r.account_id,
                    ip=r.ip_key,
                    email=r.email_key,
                    phone=r.phone_key,
                    device=r.device_key,
                    address=r.address_key,
                    card=r.card_key,
                ),
                amount_eur=r.amount_eur,
                shipping_country=r.shipping_country,
                billing_country=r.billing_country,
                card_country=r.card_country,
                outcomes=tuple(events),
            )
        )
    found.sort(key=lambda p: (p.created_at, p.order_id))
    return found
