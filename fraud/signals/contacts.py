"""Verification-contact signal: what the customer told the shop when it asked before.

A reviewer's verification contact (:mod:`fraud.review.contacts`) counts as history:
a customer who confirmed their last order when asked is less suspicious; an order whose
customer *denied* placing it was placed by somebody else, so later orders sharing its
account, e-mail, phone, device, shipping address, card or IP are suspect.

The features are one pure function, :func:`contact_features`, over the contacts known
strictly before the order's ``created_at`` (recorded, and made, before it). They come
from ``ctx.extras["contacts"]``, a :class:`ContactsView`: the store's
(:class:`fraud.store.contact_history.SqlContacts`) online, :class:`MemoryContacts` in
batch. A context without a contact log (a batch file that carries no contacts) leaves
every feature empty, never zero: "not known" is not "none", and a missing log is no
reason to suspect anyone, so the signal is not reported unavailable for it. Without any
earlier contact the features are empty too, so online and batch agree on a store with
no contacts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from fraud.domain import Feature, FeatureValue
from fraud.keys import OrderKeys, order_keys
from fraud.signals import Context, Signal
from fraud.times import utc

if TYPE_CHECKING:
    from fraud.schema import Order

CONFIRMED = "confirmed"
DENIED = "denied"
RESOURCE = "contacts"
"""The name of the context extra holding the :class:`ContactsView`."""

LINK_KINDS = ("account", "email", "phone", "device", "address", "card", "ip")
"""Keys through which a denied order links to this one, in the order reasons name them."""

KEY_COLUMNS = {"account": "account_id", "email": "email_key", "phone": "phone_key",
               "device": "device_key", "address": "address_key", "card": "card_key",
               "ip": "ip_key"}
"""Each linking kind's column in the store's ``orders`` table."""


def customer_key(account_id: str | None, email_key: str) -> str:
    """Who a contact is about: the account, or for a guest checkout the normalised e-mail
    (the spelling of ``verification_contacts.customer_key``)."""
    return account_id if account_id else f"email:{email_key}"


@dataclass(frozen=True)
class PastContact:
    """One verification contact, with the linking keys of the order it was about."""

    order_id: str
    customer: str
    result: str
    contacted_at: datetime
    recorded_at: datetime
    keys: OrderKeys


@runtime_checkable
class ContactsView(Protocol):
    """Answers "which contacts did the shop know of before t" for one order."""

    def lookup(self, keys: OrderKeys, before: datetime) -> Sequence[PastContact]:
        """The customer's contacts and the denied contacts of orders sharing a key with
        ``keys``, made and recorded strictly before ``before`` (others may be added:
        :func:`contact_features` filters again)."""
        ...


def _known_before(contact: PastContact, before: datetime) -> bool:
    # a contact counts from when the shop knew it: recorded (and made) before the order
    return contact.recorded_at < before and contact.contacted_at < before


def shared_kinds(keys: OrderKeys, other: OrderKeys) -> list[str]:
    """The linking keys two orders share, in :data:`LINK_KINDS` order."""
    return [k for k in LINK_KINDS if getattr(keys, k) and getattr(keys, k) == getattr(other, k)]


def contact_features(
    keys: OrderKeys, order_id: str, before: datetime, contacts: Iterable[PastContact]
) -> dict[str, FeatureValue]:
    """The contact features of the order with ``keys`` placed at ``before``. Pure."""
    me = customer_key(keys.account, keys.email)
    known = sorted(
        (c for c in contacts if _known_before(c, before) and c.order_id != order_id),
        key=lambda c: (c.contacted_at, c.recorded_at, c.order_id),
    )
    own = [c for c in known if c.customer == me]
    denied: dict[str, list[str]] = {}
    for c in known:
        if c.result == DENIED:
            via = shared_kinds(keys, c.keys)
            if via:
                denied.setdefault(c.order_id, []).extend(via)
    confirmed = sum(1 for c in own if c.result == CONFIRMED)
    kinds = {k for found in denied.values() for k in found}
    return {
        "customer_confirmed_contacts": confirmed or None,
        "customer_last_contact_confirmed": own[-1].result == CONFIRMED if own else None,
        "linked_denied_orders": len(denied) or None,
        "linked_denied_via": ", ".join(k for k in LINK_KINDS if k in kinds) or None,
    }


EMPTY: dict[str, FeatureValue] = {
    "customer_confirmed_contacts": None,
    "customer_last_contact_confirmed": None,
    "linked_denied_orders": None,
    "linked_denied_via": None,
}


class MemoryContacts:
    """A :class:`ContactsView` over contacts held in memory (batch scoring, tests)."""

    def __init__(self, contacts: Iterable[PastContact] = ()) -> None:
        self._contacts = tuple(contacts)

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, object]], orders: Iterable[Order]
    ) -> MemoryContacts:
        """Contacts ``{order_id, result, contacted_at, recorded_at?}`` about ``orders``
        (the keys and customer come from the order; ``recorded_at`` defaults to
        ``contacted_at``). A contact about an order not given raises ``KeyError``."""
        keyed = {o.order_id: order_keys(o) for o in orders}
        out = []
        for r in records:
            keys = keyed[str(r["order_id"])]
            made = _time(r["contacted_at"])
            out.append(
                PastContact(
                    order_id=str(r["order_id"]),
                    customer=customer_key(keys.account, keys.email),
                    result=str(r["result"]),
                    contacted_at=made,
                    recorded_at=_time(r.get("recorded_at") or made),
                    keys=keys,
                )
            )
        return cls(out)

    def lookup(self, keys: OrderKeys, before: datetime) -> Sequence[PastContact]:
        return self._contacts


def _time(value: object) -> datetime:
    if isinstance(value, datetime):
        return utc(value)
    return utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def _f(name: str, kind: str, description: str) -> Feature:
    return Feature(name, kind, description)  # type: ignore[arg-type]


_BEFORE = "recorded before this order"
FEATURES = (
    _f(
        "customer_confirmed_contacts",
        "num",
        "Verification contacts in which this customer (the account, or a guest's e-mail) "
        f"confirmed placing an order, {_BEFORE}; empty when none or without a contact log.",
    ),
    _f(
        "customer_last_contact_confirmed",
        "bool",
        "Whether the customer's latest verification contact before this order was a "
        "confirmation (no: denied, no answer or awaiting reply); empty without one.",
    ),
    _f(
        "linked_denied_orders",
        "num",
        "Earlier orders sharing the account, e-mail, phone, device, shipping address, card "
        "or IP with this one whose customer denied placing them when the shop asked, "
        f"{_BEFORE}; empty when none or without a contact log.",
    ),
    _f(
        "linked_denied_via",
        "text",
        "The keys this order shares with those denied orders, for reasons "
        "(e.g. 'card, device').",
    ),
)


def compute(order: Order, ctx: Context) -> Mapping[str, FeatureValue]:
    """Contact features of ``order`` as of its own ``created_at``."""
    view: ContactsView | None = ctx.extras.get(RESOURCE)
    if view is None:
        return EMPTY
    keys = ctx.order_keys if ctx.order_keys is not None else order_keys(order)
    before = utc(order.created_at)
    return contact_features(keys, order.order_id, before, view.lookup(keys, before))


SIGNALS = [Signal("contacts", compute, FEATURES)]
