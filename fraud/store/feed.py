"""What the store committed since a point: the feed an in-memory feature store follows.

Decisions and outcomes have integer keys that grow with each insert, so "everything
after id N" is an indexed range read that returns nothing when nothing is new. The
feature store (:mod:`fraud.featurestore`) reads it to rebuild itself at start (from id
0, in batches) and to catch up before each look-up with what other writers committed:
another worker, a reviewer's action, ``fraud`` commands.

On PostgreSQL a sequence value is taken at insert, not at commit, so a transaction
that commits late can hold an id below one already read. :class:`FeedPosition` keeps
the ids skipped over as *gaps* and reads them again until they turn up or
:data:`GAP_SECONDS` pass (a rolled-back insert leaves a gap for ever).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select

from fraud.domain import Outcome
from fraud.history import PastOrder
from fraud.keys import OrderKeys
from fraud.store.statements import RawConnection, Statement, per_dialect
from fraud.store.tables import decisions, orders, outcomes

GAP_SECONDS = 30.0
"""How long an id skipped over is looked for again; far above any scoring transaction."""

MAX_GAPS = 1000
NO_END = 2**31 - 1  # the largest Integer key on every backend


@per_dialect
def _orders_between() -> Any:
    o = orders.c
    return (
        select(
            decisions.c.id, o.order_id, o.created_at, o.account_id, o.ip_key, o.email_key,
            o.phone_key, o.device_key, o.address_key, o.card_key, o.amount_eur,
            o.shipping_country, o.billing_country, o.card_country,
        )
        .join(orders, orders.c.order_id == decisions.c.order_id)
        .where(decisions.c.id > bindparam("after"), decisions.c.id <= bindparam("upto"))
        .order_by(decisions.c.id)
        .limit(bindparam("n"))
    )


@per_dialect
def _outcomes_between() -> Any:
    c = outcomes.c
    return (
        select(c.id, c.order_id, c.outcome, c.at)
        .where(c.id > bindparam("after"), c.id <= bindparam("upto"))
        .order_by(c.id)
        .limit(bindparam("n"))
    )


@dataclass
class FeedPosition:
    """How far one table's feed has been read: the highest id, and ids skipped over."""

    last: int = 0
    gaps: dict[int, float] = field(default_factory=dict)  # id -> when it was first missed

    def advance(self, ids: list[int], now: float) -> None:
        for i in ids:
            self.gaps.pop(i, None)
        for i in ids:
            if i > self.last + 1:
                for missing in range(self.last + 1, min(i, self.last + 1 + MAX_GAPS)):
                    self.gaps.setdefault(missing, now)
            self.last = max(self.last, i)
        for i, since in list(self.gaps.items()):
            if now - since > GAP_SECONDS:
                del self.gaps[i]


def _rows(conn: RawConnection, statement: Statement, after: int, upto: int, n: int) -> list[Any]:
    cursor = conn.run(statement, {"after": after, "upto": upto, "n": n})
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _read(
    conn: RawConnection, statement: Statement, position: FeedPosition, limit: int
) -> list[Any]:
    """Rows after ``position`` (at most ``limit``), then those that filled its gaps."""
    rows = _rows(conn, statement, position.last, NO_END, limit)
    if position.gaps:  # one range read over the gaps, rows outside them dropped
        gaps = position.gaps
        rows += [
            r for r in _rows(conn, statement, min(gaps) - 1, max(gaps), MAX_GAPS + 1)
            if r[0] in gaps
        ]
    position.advance([r[0] for r in rows], time.monotonic())
    return rows


def orders_after(
    conn: RawConnection, position: FeedPosition, limit: int
) -> list[PastOrder]:
    """History facts of orders decided after ``position`` (and in its gaps), at most
    ``limit`` new ones, oldest decision first; ``position`` moves past them."""
    statement = _orders_between(conn.dialect)
    rows = _read(conn, statement, position, limit)
    time_out = statement.results["created_at"]
    return [_past(r, time_out) for r in rows]


def outcomes_after(
    conn: RawConnection, position: FeedPosition, limit: int
) -> list[tuple[str, Outcome, Any]]:
    """``(order_id, outcome, at)`` of outcomes recorded after ``position`` (and in its
    gaps), at most ``limit`` new ones; ``position`` moves past them."""
    statement = _outcomes_between(conn.dialect)
    rows = _read(conn, statement, position, limit)
    time_out = statement.results["at"]
    return [(r[1], Outcome(r[2]), time_out(r[3])) for r in rows]


def _past(r: Any, time_out: Any) -> PastOrder:
    # One string object per distinct value (the feature store holds a key's value once
    # for all its orders, not once per row read)
    return PastOrder(
        order_id=r[1],
        created_at=time_out(r[2]),
        keys=OrderKeys(
            account=_shared(r[3]), ip=sys.intern(r[4]), email=sys.intern(r[5]),
            phone=_shared(r[6]), device=_shared(r[7]), address=sys.intern(r[8]),
            card=_shared(r[9]),
        ),
        amount_eur=r[10],
        shipping_country=sys.intern(r[11]),
        billing_country=sys.intern(r[12]),
        card_country=_shared(r[13]),
    )


def _shared(value: str | None) -> str | None:
    return None if value is None else sys.intern(value)
