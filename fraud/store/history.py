"""``SqlHistory``: the history view over the store's tables.

Two indexed queries per look-up, whatever the number of features, each reading a
bounded number of rows however busy a key is: the orders linked in the window
(the latest :data:`~fraud.history.LINK_LIMIT` per key) plus the account's latest
:data:`~fraud.history.ACCOUNT_LIMIT` orders of all time, with the outcomes known
by then; and the bad outcomes of the latest LINK_LIMIT orders per key within
:data:`~fraud.links.HORIZON`. The customers sharing each key are counted from
the first query's rows (among the key's latest LINK_LIMIT orders), not read
again. Both start from the covering index on
``order_keys (kind, value, created_at, order_id)``.

The queries run on every scored order, so they are SQL text compiled once per
shape of order (which keys it has) and dialect and run on the DBAPI connection
(see :mod:`fraud.store.statements`); SQLAlchemy's per-call overhead was most of
the cost of a look-up. Times cross with the store's one codec.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text

from fraud.domain import Outcome
from fraud.history import (
    ACCOUNT_LIMIT,
    LINK_LIMIT,
    LINKED_OUTCOMES,
    HistorySnapshot,
    PastOrder,
    PastOutcome,
    identity_text,
    key_pairs,
    link_sort_key,
    utc,
)
from fraud.keys import OrderKeys
from fraud.links import HORIZON, OutcomeLink
from fraud.store.codecs import UTCDateTime, time_from_db
from fraud.store.statements import (
    LookupSource,
    RawConnection,
    Statement,
    compile_statement,
    lookup_connection,
)

# literal, not bound: the set is fixed and the SQL stays one string per shape
_BAD = "oc.outcome IN ({})".format(", ".join(f"'{o.value}'" for o in sorted(LINKED_OUTCOMES)))

_ORDER_COLUMNS = (
    "o.order_id, o.created_at, o.account_id, o.ip_key, o.email_key, o.phone_key, "
    "o.device_key, o.address_key, o.card_key, o.amount_eur, o.shipping_country, "
    "o.billing_country, o.card_country, oc.outcome, oc.at"
)


def _key_match(i: int, windowed: bool) -> str:
    """Order ids under the i-th (kind, value) pair before t (and since, if windowed)."""
    sql = (
        f"SELECT k.order_id FROM order_keys k WHERE k.kind = :kind{i} "  # noqa: S608 - fixed names; values are bound
        f"AND k.value = :value{i} AND k.created_at < :before"
    )
    return sql + " AND k.created_at >= :since" if windowed else sql


def _latest(i: int, windowed: bool = True) -> str:
    """The latest order ids under the i-th pair before t: LINK_LIMIT of them in
    [since, before), or ACCOUNT_LIMIT of all time."""
    limit = LINK_LIMIT if windowed else ACCOUNT_LIMIT
    return (
        f"SELECT order_id FROM ({_key_match(i, windowed)} "  # noqa: S608 - fixed names; values are bound
        f"ORDER BY k.created_at DESC, k.order_id DESC LIMIT {limit}) latest{i}"
    )


def orders_sql(n_keys: int, has_account: bool) -> str:
    """Orders linked in [since, before) (the latest LINK_LIMIT per key) plus the
    account's orders before t, with the outcomes known before t (one row per
    outcome, or one without)."""
    parts = [_latest(i) for i in range(int(has_account), n_keys)]
    if has_account:  # pair 0 is the account: its past beyond the window too
        parts.append(_latest(0, windowed=False))
    return (
        f"SELECT {_ORDER_COLUMNS} FROM orders o LEFT OUTER JOIN outcomes oc "  # noqa: S608 - fixed names; values are bound
        "ON oc.order_id = o.order_id AND oc.at < :before "
        f"WHERE o.order_id IN ({' UNION ALL '.join(parts)})"
    )


def links_sql(n_keys: int) -> str:
    """Bad outcomes known before t of the latest LINK_LIMIT orders linked by each key
    within the horizon."""
    return " UNION ALL ".join(
        "SELECT k.kind, k.order_id, k.created_at, o.account_id, oc.outcome, oc.at FROM ("  # noqa: S608 - fixed names; values are bound
        f"SELECT k.kind, k.order_id, k.created_at FROM order_keys k WHERE k.kind = :kind{i} "
        f"AND k.value = :value{i} AND k.created_at >= :horizon AND k.created_at < :before "
        f"ORDER BY k.created_at DESC, k.order_id DESC LIMIT {LINK_LIMIT}) k "
        "JOIN outcomes oc ON oc.order_id = k.order_id "
        f"JOIN orders o ON o.order_id = k.order_id WHERE oc.at < :before AND {_BAD}"
        for i in range(n_keys)
    )


class SqlHistory:
    """A :class:`fraud.history.HistoryView` reading the store.

    Give it an :class:`~sqlalchemy.Engine` (each look-up checks a connection out
    of its pool), a session factory (each look-up runs in a fresh session), or a
    :class:`~fraud.store.db.RawConnection` (look-ups share that connection: the
    scoring path reads history and writes the decision on one connection; a
    look-up that fails there is rolled back alone, so the decision can still be
    written).
    """

    def __init__(self, source: LookupSource) -> None:
        self._source = source
        self._statements = _STATEMENTS

    def _connection(self) -> AbstractContextManager[RawConnection]:
        return lookup_connection(self._source, "history_lookup")

    def _prepared(
        self, dialect: Any, n_keys: int, has_account: bool
    ) -> tuple[Statement, Statement]:
        """SQL per dialect and shape (which keys the order has), compiled once."""
        shape = (dialect.name, n_keys, has_account)
        found = self._statements.get(shape)
        if found is None:
            found = self._statements[shape] = (
                _compiled(orders_sql(n_keys, has_account), dialect),
                _compiled(links_sql(n_keys), dialect),
            )
        return found

    def lookup(self, keys: OrderKeys, before: datetime, since: datetime) -> HistorySnapshot:
        before, since = utc(before), utc(since)
        pairs = key_pairs(keys)
        with self._connection() as conn:
            params: dict[str, Any] = {
                "before": before,
                "since": since,
                "horizon": before - HORIZON,
            }
            for i, (kind, value) in enumerate(pairs):
                params[f"kind{i}"], params[f"value{i}"] = kind, value
            shape = (conn.dialect, len(pairs), bool(keys.account))
            orders_stmt, links_stmt = self._prepared(*shape)
            order_rows = _fetch(conn, orders_stmt, params)
            link_rows = _fetch(conn, links_stmt, params)
        time_out = time_from_db
        found = _past_orders(order_rows, time_out)
        linked = tuple(p for p in found if p.created_at >= since)
        return HistorySnapshot(
            before=before,
            since=since,
            linked=linked,
            account=tuple(p for p in found if keys.account and p.account_id == keys.account),
            links=tuple(
                sorted(
                    (
                        OutcomeLink(
                            kind=r[0],
                            order_id=r[1],
                            order_created_at=time_out(r[2]),
                            same_account=bool(keys.account) and r[3] == keys.account,
                            outcome=Outcome(r[4]),
                            at=time_out(r[5]),
                        )
                        for r in link_rows
                    ),
                    key=link_sort_key,
                )
            ),
            customers=_customers(pairs, linked, identity_text(keys.account, keys.email)),
        )


# per process, not per view: the service makes a view per scored order
_STATEMENTS: dict[tuple[str, int, bool], tuple[Statement, Statement]] = {}


def _customers(
    pairs: list[tuple[str, str]], linked: tuple[PastOrder, ...], me: str
) -> tuple[tuple[str, int], ...]:
    """Per linking key, the other customers among its latest LINK_LIMIT orders of the
    window. ``linked`` (oldest first) holds all of those: the first query read exactly
    them for every key, so nothing is read again."""
    counts = []
    for kind, value in pairs:
        if kind == "account":
            continue
        sharing = [p for p in linked if getattr(p.keys, kind) == value][-LINK_LIMIT:]
        who = {identity_text(p.account_id, p.keys.email) for p in sharing}
        counts.append((kind, len(who - {me})))
    return tuple(counts)


def _compiled(sql: str, dialect: Any) -> Statement:
    """SQL text compiled for ``dialect``, its window bounds bound as store times."""
    times = [
        bindparam(n, type_=UTCDateTime)
        for n in ("before", "since", "horizon")
        if f":{n}" in sql
    ]
    return compile_statement(text(sql).bindparams(*times), dialect)


def _fetch(conn: RawConnection, statement: Statement, params: dict[str, Any]) -> list[Any]:
    cursor = conn.run(statement, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _past_orders(rows: list[Any], time_out: Callable[[Any], Any]) -> list[PastOrder]:
    """Fold (order, outcome) rows into PastOrders, oldest first, outcomes oldest first.

    Rows are plain tuples in the column order of :func:`orders_sql`.
    """
    by_id: dict[str, tuple[Any, list[PastOutcome]]] = {}
    for r in rows:
        entry = by_id.get(r[0])
        if entry is None:
            entry = by_id[r[0]] = (r, [])
        if r[13] is not None:
            entry[1].append(PastOutcome(r[0], Outcome(r[13]), time_out(r[14])))
    found = []
    for r, events in by_id.values():
        events.sort(key=lambda e: (e.at, e.order_id, e.outcome.value))
        found.append(
            PastOrder(
                order_id=r[0],
                created_at=time_out(r[1]),
                keys=OrderKeys(
                    account=r[2],
                    ip=r[3],
                    email=r[4],
                    phone=r[5],
                    device=r[6],
                    address=r[7],
                    card=r[8],
                ),
                amount_eur=r[9],
                shipping_country=r[10],
                billing_country=r[11],
                card_country=r[12],
                outcomes=tuple(events),
            )
        )
    found.sort(key=lambda p: (p.created_at, p.order_id))
    return found
