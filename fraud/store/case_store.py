"""Reading and writing cases (:mod:`fraud.store.case_tables`); frozen dataclasses out.

Functions here do not commit: :mod:`fraud.cases` writes each change together with its
evidence record and commits once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from fraud.store.case_tables import case_notes, case_orders, cases
from fraud.store.tables import order_keys, orders


@dataclass(frozen=True)
class CaseNote:
    id: int
    author: str
    text: str
    salt: str
    at: datetime


@dataclass(frozen=True)
class CaseRow:
    id: int
    title: str
    status: str
    owner: str
    authority_ref: str | None
    created_at: datetime
    updated_at: datetime
    order_ids: tuple[str, ...]
    notes: tuple[CaseNote, ...]


def insert_case(session: Session, title: str, owner: str, now: datetime) -> int:
    result = session.execute(
        insert(cases)
        .values(title=title, status="open", owner=owner, created_at=now, updated_at=now)
        .returning(cases.c.id)
    )
    return int(result.scalar_one())


def existing_orders(session: Session, order_ids: Iterable[str]) -> set[str]:
    wanted = list(order_ids)
    if not wanted:
        return set()
    rows = session.execute(select(orders.c.order_id).where(orders.c.order_id.in_(wanted)))
    return {r.order_id for r in rows}


def insert_case_order(
    session: Session, case_id: int, order_id: str, by: str, now: datetime
) -> None:
    session.execute(
        insert(case_orders).values(case_id=case_id, order_id=order_id, added_by=by, added_at=now)
    )


def update_case(session: Session, case_id: int, now: datetime, **values: object) -> None:
    session.execute(
        update(cases).where(cases.c.id == case_id).values(updated_at=now, **values)
    )


def insert_note(
    session: Session, case_id: int, author: str, text: str, salt: str, now: datetime
) -> int:
    result = session.execute(
        insert(case_notes)
        .values(case_id=case_id, author=author, text=text, salt=salt, at=now)
        .returning(case_notes.c.id)
    )
    return int(result.scalar_one())


def find_case(session: Session, case_id: int, *, lock: bool = False) -> CaseRow | None:
    """The case with its orders and notes; ``lock`` holds its row until commit
    (PostgreSQL; SQLite's writer lock serialises anyway)."""
    stmt = select(cases).where(cases.c.id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).first()
    if row is None:
        return None
    order_ids = session.execute(
        select(case_orders.c.order_id)
        .where(case_orders.c.case_id == case_id)
        .order_by(case_orders.c.id)
    ).scalars()
    notes = session.execute(
        select(case_notes).where(case_notes.c.case_id == case_id).order_by(case_notes.c.id)
    )
    return CaseRow(
        id=row.id,
        title=row.title,
        status=row.status,
        owner=row.owner,
        authority_ref=row.authority_ref,
        created_at=row.created_at,
        updated_at=row.updated_at,
        order_ids=tuple(order_ids),
        notes=tuple(CaseNote(n.id, n.author, n.text, n.salt, n.at) for n in notes),
    )


def list_case_ids(session: Session) -> list[int]:
    return list(session.execute(select(cases.c.id).order_by(cases.c.id)).scalars())


def cases_holding(session: Session, order_ids: Sequence[str]) -> list[tuple[int, str]]:
    """(case id, status) of every case that holds one of ``order_ids``."""
    if not order_ids:
        return []
    rows = session.execute(
        select(cases.c.id, cases.c.status)
        .join(case_orders, case_orders.c.case_id == cases.c.id)
        .where(case_orders.c.order_id.in_(list(order_ids)))
        .distinct()
        .order_by(cases.c.id)
    )
    return [(r.id, r.status) for r in rows]


def orders_sharing_keys(
    session: Session, order_ids: Sequence[str]
) -> list[tuple[str, str, str, int]]:
    """Orders outside ``order_ids`` sharing a linking key with one of them, as
    (order id, kind of key, key, how many orders share that key)."""
    if not order_ids:
        return []
    mine = order_keys.alias("mine")
    theirs = order_keys.alias("theirs")
    shared = (
        select(mine.c.kind, mine.c.value)
        .where(mine.c.order_id.in_(list(order_ids)))
        .distinct()
        .subquery()
    )
    sharing = (
        select(order_keys.c.kind, order_keys.c.value, func.count().label("n"))
        .join(shared, (shared.c.kind == order_keys.c.kind) & (shared.c.value == order_keys.c.value))
        .group_by(order_keys.c.kind, order_keys.c.value)
        .subquery()
    )
    rows = session.execute(
        select(theirs.c.order_id, theirs.c.kind, theirs.c.value, sharing.c.n)
        .join(sharing, (sharing.c.kind == theirs.c.kind) & (sharing.c.value == theirs.c.value))
        .where(theirs.c.order_id.not_in(list(order_ids)))
        .order_by(theirs.c.order_id, theirs.c.kind)
    )
    return [(r.order_id, r.kind, r.value, int(r.n)) for r in rows]
