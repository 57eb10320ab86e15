"""What the order page shows, gathered from what scoring already stored: the order as
received, every signal with its value and its one-sentence description, the reasons,
rule hits and model contribution of the decision, where the IP and the addresses are,
the customer's earlier orders and contact log, and the orders linked through a shared key (the keys
:mod:`fraud.keys` computed when the order was stored) with their outcomes.

Nothing is scored again here: the page shows what the decision saw.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from fraud.domain import Decision, Feature, FeatureValue, Outcome
from fraud.errors import NotFound
from fraud.links import CONTROL
from fraud.review.account_events import EventLine, events_around
from fraud.review.audit import AuditEntry, entries_for
from fraud.review.contacts import Contact, contact_log, has_phone
from fraud.review.states import ReviewState, get_state
from fraud.signals import feature_catalogue
from fraud.store import repository
from fraud.store.codecs import time_from_db
from fraud.store.tables import decisions, order_keys, orders, outcomes

LINKED_PER_KEY = 25
EARLIER_ORDERS = 25

KEY_WORDS = {
    "account": "same customer account",
    "ip": "same IP address",
    "email": "same e-mail address (normalised)",
    "phone": "same phone number",
    "device": "same device",
    "address": "same shipping address (normalised)",
    "card": "same card (BIN and last four digits)",
}
"""How a shared key reads on the page."""


@dataclass(frozen=True)
class SignalLine:
    name: str
    description: str
    value: FeatureValue
    signal: str


@dataclass(frozen=True)
class Place:
    """Where one of the order's three places is, as the signals saw it."""

    what: str
    country: str | None
    city: str | None


@dataclass(frozen=True)
class Distance:
    between: str
    km: float | None


@dataclass(frozen=True)
class OtherOrder:
    """An order related to this one: its score, action and outcomes."""

    order_id: str
    created_at: datetime
    amount_eur: float | None
    action: str | None
    score: int | None
    outcomes: tuple[Outcome, ...]
    via: tuple[str, ...] = ()  # the key kinds shared with this order
    account_id: str | None = None

    @property
    def bad(self) -> bool:
        return any(o in (Outcome.CHARGEBACK, Outcome.FRAUD_CONFIRMED) for o in self.outcomes)


@dataclass(frozen=True)
class Dossier:
    order_id: str
    order: dict[str, Any]
    decision: Decision | None
    signals: tuple[SignalLine, ...]
    places: tuple[Place, ...]
    distances: tuple[Distance, ...]
    earlier: tuple[OtherOrder, ...]
    linked: tuple[OtherOrder, ...]
    shared_keys: dict[str, int]  # key kind -> how many other orders share it
    outcomes: tuple[Outcome, ...]
    state: ReviewState
    audit: tuple[AuditEntry, ...]
    features: dict[str, FeatureValue] = field(default_factory=dict)
    contacts: tuple[Contact, ...] = ()  # the customer's contact log, over all their orders
    has_phone: bool = False
    # the account's logins and account changes around the order (fraud.review.account_events)
    account_events: tuple[EventLine, ...] = ()

    @property
    def model_reasons(self) -> tuple[Any, ...]:
        reasons = self.decision.reasons if self.decision else ()
        return tuple(r for r in reasons if r.source == "model")

    @property
    def rule_hits(self) -> tuple[Any, ...]:
        results = self.decision.rule_hits if self.decision else ()
        return tuple(h for h in results if h.status != "no_hit")


def dossier(session: Session, order_id: str) -> Dossier:
    """Everything the order page shows; :class:`NotFound` for an unknown order."""
    stored = repository.get_stored_order(session, order_id)
    if stored is None:
        raise NotFound(f"order {order_id!r} not found")
    features = dict(stored.features or {})
    catalogue = feature_catalogue()
    return Dossier(
        order_id=order_id,
        order=stored.order,
        decision=stored.decision,
        signals=_signal_lines(features, catalogue),
        places=_places(features),
        distances=_distances(features),
        earlier=tuple(_earlier_orders(session, order_id)),
        linked=tuple(_linked_orders(session, order_id)),
        shared_keys=_shared_key_counts(session, order_id),
        outcomes=tuple(o.outcome for o in stored.outcomes),
        state=get_state(session, order_id),
        audit=tuple(entries_for(session, order_id)),
        features=features,
        contacts=tuple(contact_log(session, order_id)),
        has_phone=has_phone(session, order_id),
        account_events=events_around(
            session.connection(), stored.order.get("customer", {}).get("account_id"),
            stored.created_at,
        ),
    )


def _signal_lines(
    features: dict[str, FeatureValue], catalogue: dict[str, Feature]
) -> tuple[SignalLine, ...]:
    lines = []
    for name, value in features.items():
        f = catalogue.get(name)
        description = f.description if f else "(a feature this service version no longer fills)"
        lines.append(SignalLine(name, description, value, f.signal if f else ""))
    return tuple(lines)


def _text(value: FeatureValue) -> str | None:
    return None if value is None or value == "" else str(value)


def _places(f: dict[str, FeatureValue]) -> tuple[Place, ...]:
    return (
        Place("IP address", _text(f.get("ip_country")), _text(f.get("ip_city"))),
        Place("Billing address", _text(f.get("billing_country")), _text(f.get("billing_city"))),
        Place("Shipping address", _text(f.get("shipping_country")), _text(f.get("shipping_city"))),
    )


def _km(value: FeatureValue) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _distances(f: dict[str, FeatureValue]) -> tuple[Distance, ...]:
    return (
        Distance("IP and billing address", _km(f.get("ip_billing_distance_km"))),
        Distance("IP and shipping address", _km(f.get("ip_shipping_distance_km"))),
        Distance("billing and shipping address", _km(f.get("billing_shipping_distance_km"))),
    )


def _others(session: Session, ids: list[str], via: dict[str, set[str]]) -> list[OtherOrder]:
    """The orders ``ids`` with their latest decision and outcomes, newest first."""
    if not ids:
        return []
    rows = session.execute(
        select(
            orders.c.order_id, orders.c.created_at, orders.c.amount_eur, orders.c.account_id,
            decisions.c.action, decisions.c.score,
        )
        .outerjoin(decisions, decisions.c.order_id == orders.c.order_id)
        .where(orders.c.order_id.in_(ids))
        .order_by(orders.c.created_at.desc(), decisions.c.id.desc())
    ).all()
    found_outcomes: dict[str, list[Outcome]] = defaultdict(list)
    for o in session.execute(
        select(outcomes.c.order_id, outcomes.c.outcome)
        .where(outcomes.c.order_id.in_(ids))
        .order_by(outcomes.c.at, outcomes.c.id)
    ):
        found_outcomes[o.order_id].append(Outcome(o.outcome))
    seen: set[str] = set()
    result = []
    for r in rows:
        if r.order_id in seen:  # an older decision of the same order
            continue
        seen.add(r.order_id)
        result.append(
            OtherOrder(
                r.order_id, time_from_db(r.created_at), r.amount_eur, r.action, r.score,
                tuple(found_outcomes[r.order_id]), tuple(sorted(via.get(r.order_id, ()))),
                r.account_id,
            )
        )
    return result


def _earlier_orders(session: Session, order_id: str) -> list[OtherOrder]:
    """The same account's orders placed before this one, newest first."""
    me = session.execute(
        select(orders.c.account_id, orders.c.created_at).where(orders.c.order_id == order_id)
    ).first()
    if me is None or me.account_id is None:
        return []
    ids = session.execute(
        select(orders.c.order_id)
        .where(orders.c.account_id == me.account_id, orders.c.created_at < me.created_at)
        .order_by(orders.c.created_at.desc())
        .limit(EARLIER_ORDERS)
    ).scalars().all()
    return _others(session, list(ids), {})


def _my_keys(session: Session, order_id: str) -> list[tuple[str, str]]:
    rows = session.execute(
        select(order_keys.c.kind, order_keys.c.value).where(order_keys.c.order_id == order_id)
    )
    return [(r.kind, r.value) for r in rows if r.kind in CONTROL and r.kind != "account"]


def _linked_orders(session: Session, order_id: str) -> list[OtherOrder]:
    """Other orders sharing an IP, e-mail, phone, device, shipping address or card, on
    any account, before or after this one (the most recent per key)."""
    via: dict[str, set[str]] = defaultdict(set)
    for kind, value in _my_keys(session, order_id):
        ids = session.execute(
            select(order_keys.c.order_id)
            .where(
                and_(
                    order_keys.c.kind == kind,
                    order_keys.c.value == value,
                    order_keys.c.order_id != order_id,
                )
            )
            .order_by(order_keys.c.created_at.desc())
            .limit(LINKED_PER_KEY)
        ).scalars()
        for other in ids:
            via[other].add(kind)
    return _others(session, list(via), via)


def _shared_key_counts(session: Session, order_id: str) -> dict[str, int]:
    """Per key kind, how many other orders share this order's key (a key many orders
    share, like a carrier's NAT address, links little)."""
    from sqlalchemy import func

    counts = {}
    for kind, value in _my_keys(session, order_id):
        counts[kind] = int(
            session.execute(
                select(func.count())
                .select_from(order_keys)
                .where(order_keys.c.kind == kind, order_keys.c.value == value)
            ).scalar_one()
            - 1
        )
    return counts
