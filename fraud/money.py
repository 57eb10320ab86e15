"""Money: order amounts in euros at the configured exchange rates.

Neutral ground for every layer that compares amounts (signals, history, the
store, model data sets), so none of them imports another's module for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from fraud.schema import Order
from fraud.settings import get_settings


def amount_eur(order: Order, fx_rates: Mapping[str, Decimal]) -> float | None:
    """The order total in EUR, or ``None`` when there is no rate for its currency."""
    rate = fx_rates.get(str(order.payment.currency))
    if rate is None:
        return None
    return float(order.payment.amount * rate)


def default_fx_rates() -> Mapping[str, Decimal]:
    """The configured rates, for callers that were not handed settings."""
    return get_settings().fx_rates
