"""Verification contacts: a reviewer calls the customer (when the order has a phone
number) or writes an e-mail (always possible; a missing phone is normal), and records
when, how, why and what came of it. The records form the customer's contact log, shown on
every later order of the same customer (same account, or same e-mail for a guest).

Recorded through :func:`fraud.review.actions.act` (action ``contact``), like every other
reviewer action, so each one is in the audit log too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from fraud.errors import InvalidInput, NotFound
from fraud.signals.contacts import KEY_COLUMNS, customer_key
from fraud.store.review_tables import contact_keys, verification_contacts
from fraud.store.tables import orders

CONTACT_LOG_SIZE = 50


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"


class ContactResult(StrEnum):
    CONFIRMED = "confirmed"  # the customer confirmed placing the order
    DENIED = "denied"  # the customer denied placing it
    NO_ANSWER = "no_answer"
    AWAITING_REPLY = "awaiting_reply"


@dataclass(frozen=True)
class ContactIn:
    """What the reviewer records: how, when, and the result (the why is act's reason)."""

    channel: Channel
    result: ContactResult
    contacted_at: datetime


@dataclass(frozen=True)
class Contact:
    order_id: str
    channel: Channel
    result: ContactResult
    reason: str
    contacted_at: datetime
    actor: str


def _order_customer(session: Session, order_id: str) -> tuple[str, bool]:
    """The order's customer key and whether the order gave a phone number."""
    row = session.execute(
        select(orders.c.account_id, orders.c.email_key, orders.c.phone_key).where(
            orders.c.order_id == order_id
        )
    ).first()
    if row is None:
        raise NotFound(f"order {order_id!r} not found")
    return customer_key(row.account_id, row.email_key), bool(row.phone_key)


def append(
    session: Session, order_id: str, contact: ContactIn, reason: str, actor: str, at: datetime
) -> None:
    """Add the contact to the caller's transaction (the caller commits)."""
    key, has_phone = _order_customer(session, order_id)
    if contact.channel is Channel.PHONE and not has_phone:
        raise InvalidInput("channel: this order has no phone number; contact by e-mail")
    contact_id = session.execute(
        insert(verification_contacts).values(
            order_id=order_id, customer_key=key, channel=contact.channel.value,
            result=contact.result.value, reason=reason, contacted_at=contact.contacted_at,
            actor=actor, recorded_at=at,
        ).returning(verification_contacts.c.id)
    ).scalar_one()
    if contact.result is ContactResult.DENIED:  # scoring finds later orders sharing a key
        session.execute(insert(contact_keys), [
            {"contact_id": contact_id, "order_id": order_id, "kind": kind, "value": value,
             "recorded_at": at}
            for kind, value in _linking_keys(session, order_id)
        ])


def _linking_keys(session: Session, order_id: str) -> list[tuple[str, str]]:
    row = session.execute(select(*(orders.c[c] for c in KEY_COLUMNS.values()))
                          .where(orders.c.order_id == order_id)).one()
    return [(kind, value) for kind, value in zip(KEY_COLUMNS, row, strict=True) if value]


def contact_log(session: Session, order_id: str) -> list[Contact]:
    """The contact log of this order's customer, across all their orders, newest first."""
    key, _ = _order_customer(session, order_id)
    rows = session.execute(
        select(verification_contacts)
        .where(verification_contacts.c.customer_key == key)
        .order_by(verification_contacts.c.contacted_at.desc(), verification_contacts.c.id.desc())
        .limit(CONTACT_LOG_SIZE)
    )
    return [
        Contact(r.order_id, Channel(r.channel), ContactResult(r.result), r.reason,
                r.contacted_at, r.actor)
        for r in rows
    ]


def has_phone(session: Session, order_id: str) -> bool:
    return _order_customer(session, order_id)[1]
