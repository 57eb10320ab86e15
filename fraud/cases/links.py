"""Orders a case probably should hold: those sharing a linking key with its orders.

The keys are the store's (normalised by :mod:`fraud.keys` when each order was
stored: IP, e-mail, phone, device, card, normalised address, account). A
suggestion is ranked as :mod:`fraud.links` weighs a link: by how far a fraudster
controls the key (:data:`~fraud.links.CONTROL`) and how specific it is (a key
shared by many orders, such as a carrier's IP address, links little).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from fraud.links import CONTROL
from fraud.store import case_store


@dataclass(frozen=True)
class Suggestion:
    order_id: str
    via: tuple[str, ...]  # kinds of key shared, strongest first
    weight: float


def suggest_orders(session: Session, case_order_ids: tuple[str, ...], limit: int = 50) -> list[
    Suggestion
]:
    """Orders outside the case linked to it, strongest link first."""
    weights: dict[str, dict[str, float]] = {}
    for order_id, kind, _value, sharing in case_store.orders_sharing_keys(
        session, case_order_ids
    ):
        weight = CONTROL.get(kind, 0.1) / max(1, sharing - 1)
        kinds = weights.setdefault(order_id, {})
        kinds[kind] = max(kinds.get(kind, 0.0), weight)
    found = [
        Suggestion(
            order_id,
            tuple(sorted(kinds, key=lambda k: (-kinds[k], k))),
            round(sum(kinds.values()), 6),
        )
        for order_id, kinds in weights.items()
    ]
    found.sort(key=lambda s: (-s.weight, s.order_id))
    return found[:limit]
