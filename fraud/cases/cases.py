"""Cases: the orders of one fraud, grouped for the authorities.

Each change (opened, order added, status, owner, note) is written with its evidence
record in one transaction, so the case's history is the chain's. Note texts are
not hashed as they are (a reviewer may quote the customer): the record holds a
salted commitment to the text, checkable by whoever is shown the note.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fraud.errors import InvalidInput, NotFound
from fraud.evidence import append
from fraud.evidence.canonical import digest
from fraud.store import case_store
from fraud.store.case_store import CaseRow
from fraud.store.case_tables import CASE_STATUSES

MAX_TITLE = 200
MAX_NAME = 120
MAX_NOTE = 10_000


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _text(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidInput(f"{what} must be 1 to {limit} characters")
    return value


def note_commitment(salt: str, text: str) -> str:
    """What the chain holds for a note: SHA-256 of canonical ``{"salt", "text"}``."""
    return digest({"salt": salt, "text": text})


def open_case(
    session: Session,
    title: str,
    owner: str,
    order_ids: Sequence[str] = (),
    *,
    now: datetime | None = None,
) -> CaseRow:
    """Open a case owned by ``owner`` holding ``order_ids`` (each must be stored), and
    commit. Opening is recorded as evidence, as is each order added."""
    at = _now(now)
    title = _text(title, "a case title", MAX_TITLE)
    owner = _text(owner, "a case owner", MAX_NAME)
    _check_orders(session, order_ids)
    case_id = case_store.insert_case(session, title, owner, at)
    append(session, kind="case_opened", subject=f"case:{case_id}", actor=owner,
           data={"case": case_id, "owner": owner, "status": "open"}, at=at)
    _add(session, case_id, order_ids, owner, at)
    session.commit()
    return get_case(session, case_id)


def add_orders(
    session: Session, case_id: int, order_ids: Sequence[str], by: str,
    *, now: datetime | None = None,
) -> CaseRow:
    """Add stored orders to a case (those already in it are left alone), and commit.

    Two reviewers adding the same order at once: the case row lock (PostgreSQL)
    serialises them; on SQLite the loser's insert hits the unique key, and it
    starts again, now seeing the order in the case."""
    at = _now(now)
    by = _text(by, "who adds", MAX_NAME)
    for attempt in (1, 2):
        case = _locked(session, case_id)
        _check_orders(session, order_ids)
        new = [o for o in dict.fromkeys(order_ids) if o not in case.order_ids]
        try:
            _add(session, case_id, new, by, at)
            session.commit()
        except IntegrityError:
            session.rollback()
            if attempt == 2:
                raise
            continue
        break
    return get_case(session, case_id)


def set_status(
    session: Session, case_id: int, status: str, by: str,
    *, authority_ref: str | None = None, now: datetime | None = None,
) -> CaseRow:
    """Move a case to ``status`` (open, reported, closed), optionally with the
    authority's reference (e.g. a police report number), and commit."""
    if status not in CASE_STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(CASE_STATUSES)}")
    at = _now(now)
    case = _locked(session, case_id)
    values: dict[str, object] = {"status": status}
    if authority_ref is not None:
        values["authority_ref"] = _text(authority_ref, "an authority reference", MAX_NAME)
    case_store.update_case(session, case_id, at, **values)
    append(session, kind="case_status", subject=f"case:{case_id}",
           actor=_text(by, "who changes the status", MAX_NAME),
           data={"case": case_id, "from": case.status, "to": status,
                 "authority_ref": values.get("authority_ref", case.authority_ref)}, at=at)
    session.commit()
    return get_case(session, case_id)


def set_owner(
    session: Session, case_id: int, owner: str, by: str, *, now: datetime | None = None
) -> CaseRow:
    at = _now(now)
    case = _locked(session, case_id)
    owner = _text(owner, "a case owner", MAX_NAME)
    case_store.update_case(session, case_id, at, owner=owner)
    append(session, kind="case_owner", subject=f"case:{case_id}",
           actor=_text(by, "who changes the owner", MAX_NAME),
           data={"case": case_id, "from": case.owner, "to": owner}, at=at)
    session.commit()
    return get_case(session, case_id)


def add_note(
    session: Session, case_id: int, author: str, text: str, *, now: datetime | None = None
) -> CaseRow:
    at = _now(now)
    _locked(session, case_id)
    author = _text(author, "a note's author", MAX_NAME)
    text = _text(text, "a note", MAX_NOTE)
    salt = os.urandom(16).hex()
    note_id = case_store.insert_note(session, case_id, author, text, salt, at)
    append(session, kind="case_note", subject=f"case:{case_id}", actor=author,
           data={"case": case_id, "note": note_id,
                 "commitment": note_commitment(salt, text)}, at=at)
    session.commit()
    return get_case(session, case_id)


def get_case(session: Session, case_id: int) -> CaseRow:
    found = case_store.find_case(session, case_id)
    if found is None:
        raise NotFound(f"case {case_id} not found")
    return found


def list_cases(session: Session) -> list[CaseRow]:
    return [get_case(session, i) for i in case_store.list_case_ids(session)]


def _locked(session: Session, case_id: int) -> CaseRow:
    found = case_store.find_case(session, case_id, lock=True)
    if found is None:
        raise NotFound(f"case {case_id} not found")
    return found


def _check_orders(session: Session, order_ids: Sequence[str]) -> None:
    missing = sorted(set(order_ids) - case_store.existing_orders(session, order_ids))
    if missing:
        raise NotFound(f"order(s) not stored: {', '.join(missing[:5])}")


def _add(session: Session, case_id: int, order_ids: Sequence[str], by: str, at: datetime) -> None:
    for order_id in order_ids:
        case_store.insert_case_order(session, case_id, order_id, by, at)
        append(session, kind="case_order_added", subject=f"case:{case_id}", actor=by,
               data={"case": case_id, "order_id": order_id}, at=at)
