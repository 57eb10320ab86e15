"""``SqlContacts``: the verification-contact history view over the store.

One statement per look-up, two indexed parts: the customer's own contacts (index
``verification_contacts (customer_key, contacted_at)``) and the *denied* contacts of
orders sharing a key with this one (index ``(result, recorded_at)``: denials are few,
and each joins its order by primary key to compare the keys). Compiled once per
dialect and run on the scoring path's DBAPI connection, like
:class:`fraud.store.history.SqlHistory`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, String, bindparam, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from fraud.keys import OrderKeys
from fraud.signals.contacts import DENIED, RESOURCE, PastContact, customer_key
from fraud.store.codecs import UTCDateTime, time_from_db
from fraud.store.review_tables import verification_contacts
from fraud.store.statements import RawConnection, per_dialect, raw_connection, raw_of
from fraud.store.tables import orders
from fraud.times import utc

_KEY_COLUMNS = ("account_id", "ip_key", "email_key", "phone_key", "device_key",
                "address_key", "card_key")


@per_dialect
def _lookup() -> ClauseElement:
    """The customer's contacts and the denials of orders sharing a key, before t."""
    vc, o = verification_contacts, orders
    before = bindparam("before", type_=UTCDateTime)
    customer = bindparam("customer", type_=String())
    columns = [vc.c.order_id, vc.c.customer_key, vc.c.result, vc.c.contacted_at,
               vc.c.recorded_at, *(o.c[name] for name in _KEY_COLUMNS)]
    joined = vc.join(o, o.c.order_id == vc.c.order_id)
    known = (vc.c.recorded_at < before, vc.c.contacted_at < before)
    own = select(*columns).select_from(joined).where(vc.c.customer_key == customer, *known)
    linked = (
        select(*columns)
        .select_from(joined)
        .where(
            vc.c.result == bindparam("denied"),
            *known,
            vc.c.customer_key != customer,
            or_(*(o.c[name] == bindparam(name) for name in _KEY_COLUMNS)),
        )
    )
    return union_all(own, linked)


class SqlContacts:
    """A :class:`fraud.signals.contacts.ContactsView` reading ``verification_contacts``.

    Give it a :class:`~fraud.store.db.RawConnection` (the scoring path's: a failing
    look-up is rolled back alone), an :class:`~sqlalchemy.Engine` or a session factory.
    """

    def __init__(self, source: Engine | Callable[[], Session] | RawConnection) -> None:
        self._source = source

    @contextmanager
    def _connection(self) -> Iterator[RawConnection]:
        if isinstance(self._source, RawConnection):
            with self._source.savepoint("contacts_lookup"):
                yield self._source
        elif isinstance(self._source, Engine):
            with raw_connection(self._source) as conn:
                yield conn
        else:
            with self._source() as session:
                yield raw_of(session)

    def lookup(self, keys: OrderKeys, before: datetime) -> Sequence[PastContact]:
        params: dict[str, Any] = {
            "before": utc(before),
            "customer": customer_key(keys.account, keys.email),
            "denied": DENIED,
            "account_id": keys.account,
            "ip_key": keys.ip,
            "email_key": keys.email,
            "phone_key": keys.phone,
            "device_key": keys.device,
            "address_key": keys.address,
            "card_key": keys.card,
        }
        with self._connection() as conn:
            cursor = conn.run(_lookup(conn.dialect), params)
            try:
                rows = cursor.fetchall()
            finally:
                cursor.close()
        return [_contact(tuple(r)) for r in rows]


def stored_contacts(session: Session) -> list[PastContact]:
    """Every contact in the store with its order's keys, for a batch over the store."""
    vc, o = verification_contacts, orders
    rows = session.execute(
        select(vc.c.order_id, vc.c.customer_key, vc.c.result, vc.c.contacted_at,
               vc.c.recorded_at, *(o.c[name] for name in _KEY_COLUMNS))
        .select_from(vc.join(o, o.c.order_id == vc.c.order_id))
        .order_by(vc.c.id)
    )
    return [_contact(tuple(r)) for r in rows]


def _contact(r: tuple[Any, ...]) -> PastContact:
    return PastContact(
        order_id=r[0], customer=r[1], result=r[2],
        contacted_at=time_from_db(r[3]), recorded_at=time_from_db(r[4]),
        keys=OrderKeys(account=r[5], ip=r[6], email=r[7], phone=r[8], device=r[9],
                       address=r[10], card=r[11]),
    )


def contact_extras(source: Engine | Callable[[], Session] | RawConnection) -> dict[str, Any]:
    """The context extras that hand the contacts signal the store's contact log."""
    return {RESOURCE: SqlContacts(source)}
