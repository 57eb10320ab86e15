"""``SqlContacts``: the verification-contact history view over the store.

One statement per look-up, all of it by index: the customer's own contacts
(``verification_contacts (customer_key, contacted_at)``, with their orders' keys), and the
denials sharing a key with this order, one probe per key into ``contact_keys (kind, value,
recorded_at)``, which holds the keys of every denied order. However many denials the
store holds, an order without a shared key reads nothing more. Compiled once per dialect
and run on the scoring path's DBAPI connection, like
:class:`fraud.store.history.SqlHistory`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, String, bindparam, literal, null, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from fraud.keys import OrderKeys
from fraud.signals.contacts import KEY_COLUMNS, RESOURCE, PastContact, customer_key
from fraud.store.codecs import UTCDateTime, time_from_db
from fraud.store.review_tables import contact_keys, verification_contacts
from fraud.store.statements import (
    LookupSource,
    RawConnection,
    lookup_connection,
    per_dialect,
)
from fraud.store.tables import orders
from fraud.times import utc

_KEY_COLUMNS = tuple(KEY_COLUMNS.values())


@per_dialect
def _lookup() -> ClauseElement:
    """The customer's contacts (``kind`` empty) and the denials of other customers' orders
    sharing a key with this one (one row per shared key), before t."""
    vc, o, ck = verification_contacts, orders, contact_keys
    before = bindparam("before", type_=UTCDateTime)
    customer = bindparam("customer", type_=String())
    contact = [vc.c.order_id, vc.c.customer_key, vc.c.result, vc.c.contacted_at,
               vc.c.recorded_at]
    own = (
        select(null().label("kind"), *contact, *(o.c[c] for c in _KEY_COLUMNS))
        .select_from(vc.join(o, o.c.order_id == vc.c.order_id))
        .where(vc.c.customer_key == customer, vc.c.recorded_at < before,
               vc.c.contacted_at < before)
    )
    denied = [
        select(literal(kind).label("kind"), *contact, *(null() for _ in _KEY_COLUMNS))
        .select_from(ck.join(vc, vc.c.id == ck.c.contact_id))
        .where(ck.c.kind == kind, ck.c.value == bindparam(kind, type_=String()),
               ck.c.recorded_at < before, vc.c.contacted_at < before,
               vc.c.customer_key != customer)
        for kind in KEY_COLUMNS
    ]
    return union_all(own, *denied)


class SqlContacts:
    """A :class:`fraud.signals.contacts.ContactsView` reading the store's contact log.

    Give it a :class:`~fraud.store.db.RawConnection` (the scoring path's: a failing
    look-up is rolled back alone), an :class:`~sqlalchemy.Engine` or a session factory.
    """

    def __init__(self, source: LookupSource) -> None:
        self._source = source

    def _connection(self) -> AbstractContextManager[RawConnection]:
        return lookup_connection(self._source, "contacts_lookup")

    def lookup(self, keys: OrderKeys, before: datetime) -> Sequence[PastContact]:
        params: dict[str, Any] = {"before": utc(before),
                                  "customer": customer_key(keys.account, keys.email)}
        for kind in KEY_COLUMNS:
            params[kind] = getattr(keys, kind)  # None never matches
        with self._connection() as conn:
            cursor = conn.run(_lookup(conn.dialect), params)
            try:
                rows = cursor.fetchall()
            finally:
                cursor.close()
        found = [_contact(tuple(r[1:])) for r in rows if r[0] is None]
        shared: dict[tuple[Any, ...], set[str]] = {}
        for r in rows:
            if r[0] is not None:
                shared.setdefault(tuple(r[1:6]), set()).add(r[0])
        for (order_id, customer, result, made, recorded), kinds in shared.items():
            # the denied order's keys as far as this order shares them: all the features use
            found.append(PastContact(
                order_id=order_id, customer=customer, result=result,
                contacted_at=time_from_db(made), recorded_at=time_from_db(recorded),
                keys=OrderKeys(**{k: getattr(keys, k) if k in kinds else None  # type: ignore[arg-type]
                                  for k in KEY_COLUMNS}),
            ))
        return found


def stored_contacts(session: Session) -> list[PastContact]:
    """Every contact in the store with its order's keys, for a batch over the store."""
    vc, o = verification_contacts, orders
    rows = session.execute(
        select(vc.c.order_id, vc.c.customer_key, vc.c.result, vc.c.contacted_at,
               vc.c.recorded_at, *(o.c[c] for c in _KEY_COLUMNS))
        .select_from(vc.join(o, o.c.order_id == vc.c.order_id))
        .order_by(vc.c.id)
    )
    return [_contact(tuple(r)) for r in rows]


def _contact(r: tuple[Any, ...]) -> PastContact:
    """A contact from (order id, customer, result, made, recorded, *key columns)."""
    return PastContact(
        order_id=r[0], customer=r[1], result=r[2],
        contacted_at=time_from_db(r[3]), recorded_at=time_from_db(r[4]),
        keys=OrderKeys(**dict(zip(KEY_COLUMNS, r[5:12], strict=True))),
    )


def contact_extras(source: Engine | Callable[[], Session] | RawConnection) -> dict[str, Any]:
    """The context extras that hand the contacts signal the store's contact log."""
    return {RESOURCE: SqlContacts(source)}
