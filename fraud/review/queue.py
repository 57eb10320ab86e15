"""The review queue: orders whose decision was ``review``, newest or riskiest first,
filtered and searched, one page at a time.

Pages are cut by keyset (the sort value and the decision id of the last row seen), not
by offset: page 200 costs what page 1 costs. The indexes ``decisions (action,
decided_at, id)`` and ``decisions (action, score, id)`` (migration 0005) let the store
walk the held orders in either order without sorting them.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from fraud.errors import InvalidInput
from fraud.keys import normalise_email
from fraud.review.states import Status
from fraud.store.codecs import time_from_db
from fraud.store.review_tables import review_states
from fraud.store.tables import decisions, order_keys, orders

PAGE_SIZE = 50
TOP_REASONS = 3


class Sort(StrEnum):
    NEWEST = "newest"
    RISKIEST = "riskiest"


class StatusFilter(StrEnum):
    TO_DO = "to_do"  # open or escalated: not decided yet
    OPEN = "open"
    ESCALATED = "escalated"
    CLAIMED = "claimed"
    APPROVED = "approved"
    CANCELLED = "cancelled"
    ALL = "all"


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer asked for. ``search`` finds an order id, e-mail, IP or part of
    a name; ``after`` is the cursor of the previous page's last row."""

    sort: Sort = Sort.NEWEST
    status: StatusFilter = StatusFilter.TO_DO
    reason: str | None = None
    country: str | None = None
    min_amount: float | None = None
    max_amount: float | None = None
    min_score: int | None = None
    max_score: int | None = None
    search: str | None = None
    after: str | None = None
    limit: int = PAGE_SIZE


@dataclass(frozen=True)
class QueueReason:
    code: str
    message: str


@dataclass(frozen=True)
class QueueRow:
    order_id: str
    score: int
    amount_eur: float | None
    currency: str
    billing_country: str
    shipping_country: str
    name: str
    email: str
    held_since: datetime
    status: Status
    claimed_by: str | None
    version: int
    reasons: tuple[QueueReason, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[QueueRow, ...]
    next_after: str | None  # the cursor of the next page, None on the last


_STATUS = func.coalesce(review_states.c.status, Status.OPEN.value)


def _status_clause(wanted: StatusFilter) -> Any:
    undecided = _STATUS.in_([Status.OPEN.value, Status.ESCALATED.value])
    if wanted is StatusFilter.ALL:
        return None
    if wanted is StatusFilter.TO_DO:
        return undecided
    if wanted is StatusFilter.CLAIMED:
        return and_(undecided, review_states.c.claimed_by.is_not(None))
    return wanted.value == _STATUS


def _search_clause(text: str, dialect: str) -> Any:
    """An e-mail matches its normalised key, an IP its key; anything else an order id
    exactly or a part of the customer's name, case-insensitively (also beyond ASCII)."""
    text = text.strip()
    if "@" in text:
        return _keyed("email", normalise_email(text))
    try:
        return _keyed("ip", str(ipaddress.ip_address(text)))
    except ValueError:
        pass
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # SQLite's own lower() folds only ASCII: for other letters the store's unicode_lower
    # (fraud.store.db), which costs a Python call per held order, so only when needed
    lower = func.unicode_lower if dialect == "sqlite" and not text.isascii() else func.lower
    found = or_(
        orders.c.order_id == text,
        lower(_NAME).like(f"%{escaped}%", escape="\\"),
    )
    if dialect == "sqlite" and _PLAIN.fullmatch(text):
        # first a plain scan of the stored JSON text (SQLite's LIKE ignores ASCII case):
        # printable ASCII other than quote and backslash is stored as typed, so no match
        # is lost, and the JSON is parsed only for the few rows that pass (about 2x faster
        # at 100,000 orders)
        found = and_(cast(orders.c.order_json, String).like(f"%{escaped}%", escape="\\"),
                     found)
    return found


_PLAIN = re.compile(r"[ !#-\[\]-~]+")  # printable ASCII without " and \


def _keyed(kind: str, value: str) -> Any:
    """Orders with this linking key, found through the ``order_keys`` index rather than
    by reading every held order."""
    return decisions.c.order_id.in_(
        select(order_keys.c.order_id).where(order_keys.c.kind == kind, order_keys.c.value == value)
    )


_NAME = orders.c.order_json["customer"]["name"].as_string()
_EMAIL = orders.c.order_json["customer"]["email"].as_string()


def _cursor(sort: Sort, row: Any) -> str:
    key = str(row.score) if sort is Sort.RISKIEST else time_from_db(row.decided_at).isoformat()
    return f"{key}~{row.id}"


def _after_clause(sort: Sort, cursor: str) -> Any:
    """Rows after ``cursor`` in descending (key, id) order."""
    try:
        key_text, id_text = cursor.rsplit("~", 1)
        last_id = int(id_text)
        key: Any = int(key_text) if sort is Sort.RISKIEST else datetime.fromisoformat(key_text)
        if isinstance(key, datetime) and key.tzinfo is None:
            raise ValueError("no time zone")
    except ValueError:
        raise InvalidInput("after: not a page cursor of this queue") from None
    column = decisions.c.score if sort is Sort.RISKIEST else decisions.c.decided_at
    return or_(column < key, and_(column == key, decisions.c.id < last_id))


def queue_page(session: Session, wanted: QueueFilter) -> QueuePage:
    """One page of the queue as ``wanted`` asks."""
    stmt = (
        select(
            decisions.c.id, decisions.c.order_id, decisions.c.score, decisions.c.reasons,
            decisions.c.decided_at, orders.c.amount_eur, orders.c.currency,
            orders.c.billing_country, orders.c.shipping_country,
            _NAME.label("name"), _EMAIL.label("email"),
            _STATUS.label("status"), review_states.c.claimed_by,
            func.coalesce(review_states.c.version, 0).label("version"),
        )
        .join(orders, orders.c.order_id == decisions.c.order_id)
        .outerjoin(review_states, review_states.c.order_id == decisions.c.order_id)
        .where(decisions.c.action == "review")
    )
    for clause in _clauses(wanted, session.get_bind().dialect.name):
        stmt = stmt.where(clause)
    if wanted.sort is Sort.RISKIEST:
        stmt = stmt.order_by(decisions.c.action, decisions.c.score.desc(), decisions.c.id.desc())
    else:
        stmt = stmt.order_by(
            decisions.c.action, decisions.c.decided_at.desc(), decisions.c.id.desc()
        )
    limit = max(1, min(wanted.limit, 500))
    found = session.execute(stmt.limit(limit + 1)).all()
    rows = found[:limit]
    more = len(found) > limit
    return QueuePage(
        tuple(_row(r) for r in rows),
        _cursor(wanted.sort, rows[-1]) if more and rows else None,
    )


def _clauses(w: QueueFilter, dialect: str) -> list[Any]:
    clauses = [_status_clause(w.status)]
    if w.reason:
        # codes are identifiers; both backends write JSON objects as {"code": "...", ...}
        code = w.reason.strip().replace("%", "").replace("_", "\\_").replace('"', "")
        clauses.append(
            cast(decisions.c.reasons, String).like(f'%"code": "{code}"%', escape="\\")
        )
    if w.country:
        c = w.country.strip().upper()
        clauses.append(or_(orders.c.billing_country == c, orders.c.shipping_country == c))
    if w.min_amount is not None:
        clauses.append(orders.c.amount_eur >= w.min_amount)
    if w.max_amount is not None:
        clauses.append(orders.c.amount_eur <= w.max_amount)
    if w.min_score is not None:
        clauses.append(decisions.c.score >= w.min_score)
    if w.max_score is not None:
        clauses.append(decisions.c.score <= w.max_score)
    if w.search and w.search.strip():
        clauses.append(_search_clause(w.search, dialect))
    if w.after:
        clauses.append(_after_clause(w.sort, w.after))
    return [c for c in clauses if c is not None]


def _row(r: Any) -> QueueRow:
    reasons = tuple(
        QueueReason(str(x.get("code", "")), str(x.get("message", "")))
        for x in (r.reasons or [])[:TOP_REASONS]
        if isinstance(x, dict)
    )
    return QueueRow(
        order_id=r.order_id, score=r.score, amount_eur=r.amount_eur, currency=r.currency,
        billing_country=r.billing_country, shipping_country=r.shipping_country,
        name=r.name or "", email=r.email or "", held_since=time_from_db(r.decided_at),
        status=Status(r.status), claimed_by=r.claimed_by, version=int(r.version),
        reasons=reasons,
    )


def next_in_queue(session: Session, order_id: str) -> str | None:
    """The held order after this one in the default queue (newest first, still to do):
    where "next" goes from an order page."""
    row = session.execute(
        select(decisions.c.id, decisions.c.decided_at, decisions.c.score)
        .where(decisions.c.order_id == order_id, decisions.c.action == "review")
        .order_by(decisions.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    page = queue_page(session, QueueFilter(after=_cursor(Sort.NEWEST, row), limit=1))
    return page.rows[0].order_id if page.rows else None
