"""How much an earlier bad outcome says about a new order linked to it.

A chargeback on an order that shared *something* with this one is evidence only
in proportion to three things:

* **who controls the key.** A fraudster chooses the shipping address, e-mail,
  phone and device; a victim's identity brings the card, the account (after a
  takeover the real owner keeps ordering on it) and the IP address of whatever
  network the customer happens to be on. A key this order's account already
  had before the linked order was placed (its e-mail and phone from the day it
  was opened, an address or device it used) is the owner's, borrowed by the
  fraud: it links as the account does.
* **how specific the key is.** An IP address behind a carrier's NAT, an office
  network or a pick-up point is used by many customers; a link through it is
  divided among them (specificity = 1 / other customers who used the key in
  the 30 days before the order, at least 1: a key shared only with the
  fraudster is as specific as a link gets).
* **how recent it is.** The weight halves every :data:`HALF_LIFE` since the
  linked order was placed, and nothing older than :data:`HORIZON` is read.

Each linked order counts once, by its strongest link. The functions here are
pure; :mod:`fraud.history` hands them what a history view returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from fraud.domain import FeatureValue, Outcome

HALF_LIFE = timedelta(days=90)
HORIZON = timedelta(days=365)
"""Bad outcomes of orders placed longer ago than this are not read at all (weight < 1/16)."""

CONTROL = {
    "email": 1.0,
    "phone": 1.0,
    "device": 1.0,
    "address": 1.0,
    "card": 0.3,
    "ip": 0.3,
    "account": 0.2,
}
"""How far a fraudster chooses the key (1) rather than a victim's identity bringing it."""

FRAUDSTER_KEYS = frozenset({"email", "phone", "device", "address"})

FRAUD_OUTCOMES = frozenset({Outcome.CHARGEBACK, Outcome.FRAUD_CONFIRMED})
BAD_OUTCOMES = FRAUD_OUTCOMES | {Outcome.REFUNDED}
"""Outcomes that taint the orders linked to the one they happened to."""

SHARED_PLACE_CUSTOMERS = 25
"""A known parcel forwarder's or pick-up point's address links as a key this many other
customers share, however few of them ordered in the look-back: it is a warehouse or a shop
counter that serves thousands, and one reshipper's chargeback there says nothing about the
honest customers who ship to it (in the generalisation bench, 9 of 20 honest declines)."""

STRONG_LINK = 0.25
"""A link at least this heavy (a fraudster's key shared by at most ~3 customers, recent)."""


@dataclass(frozen=True)
class OutcomeLink:
    """One bad outcome of an earlier order, and the key through which it links.

    An outcome linked through several keys appears once per key.
    ``same_account``: the earlier order was placed on this order's account.
    """

    kind: str
    order_id: str
    order_created_at: datetime
    same_account: bool
    outcome: Outcome
    at: datetime


def effective_kind(link: OutcomeLink, owned_since: Mapping[str, datetime]) -> str:
    """A key of this account's (on the same account, or the account had it before the
    linked order) is the owner's identity: it links as the account does."""
    if link.kind in ("email", "phone") and link.same_account:
        return "account"
    since = owned_since.get(link.kind)
    if since is not None and since < link.order_created_at:
        return "account"
    return link.kind


def specificity(kind: str, customers: Mapping[str, int]) -> float:
    """1 / other customers who used the key in the look-back, at least 1 (account: 1)."""
    if kind == "account":
        return 1.0
    return 1.0 / max(1, customers.get(kind, 0))


def decay(t: datetime, placed: datetime) -> float:
    return float(0.5 ** ((t - placed) / HALF_LIFE))


def link_weight(
    link: OutcomeLink, t: datetime, customers: Mapping[str, int], kind: str
) -> float:
    return CONTROL[kind] * specificity(kind, customers) * decay(t, link.order_created_at)


def linked_outcome_features(
    t: datetime,
    links: Iterable[OutcomeLink],
    customers: Mapping[str, int],
    owned_since: Mapping[str, datetime] | None = None,
    shared_places: frozenset[str] = frozenset(),
) -> dict[str, FeatureValue]:
    """Weighted taint from earlier bad outcomes known before ``t``.

    ``customers``: per key kind, the *other* customers who used this order's key
    in the look-back window. ``owned_since``: per key kind, since when this
    order's account has had its key (see :func:`effective_kind`). ``shared_places``:
    key kinds whose value is a place known to serve many customers (a parcel forwarder's
    or pick-up point's address): they link as :data:`SHARED_PLACE_CUSTOMERS` customers do.
    """
    owned = owned_since or {}
    if shared_places:
        customers = {**customers, **{k: max(customers.get(k, 0), SHARED_PLACE_CUSTOMERS)
                                     for k in shared_places if k in customers}}
    fraud: dict[str, float] = {}
    refunds: dict[str, float] = {}
    strong: set[str] = set()
    by_email: set[str] = set()
    by_phone: set[str] = set()
    for link in links:
        if link.at >= t or link.order_created_at >= t or link.outcome not in BAD_OUTCOMES:
            continue
        kind = effective_kind(link, owned)
        weight = link_weight(link, t, customers, kind)
        if link.outcome in FRAUD_OUTCOMES:
            fraud[link.order_id] = max(fraud.get(link.order_id, 0.0), weight)
            if kind in FRAUDSTER_KEYS and weight >= STRONG_LINK:
                strong.add(link.order_id)
            if kind == "email":
                by_email.add(link.order_id)
            elif kind == "phone":
                by_phone.add(link.order_id)
        else:
            refunds[link.order_id] = max(refunds.get(link.order_id, 0.0), weight)
    return {
        "linked_fraud_weight": round(sum(fraud.values()), 6),
        "linked_fraud_strong": len(strong),
        "linked_refund_weight": round(sum(refunds.values()), 6),
        "email_linked_fraud": len(by_email),
        "phone_linked_fraud": None if "phone" not in customers else len(by_phone),
    }
