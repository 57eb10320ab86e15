"""Basket and payment signal: what is bought, for how much, paid how, sent where,
and at what local hour.

Amounts in EUR come from :func:`fraud.money.amount_eur`, shared with history and the store.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

import yaml

from fraud.domain import Feature, FeatureValue
from fraud.keys import fold
from fraud.money import amount_eur
from fraud.schema import Order, ShippingMethod
from fraud.signals import Context, Signal

FEATURES: tuple[Feature, ...] = (
    Feature(
        "amount_eur",
        "num",
        "Order total in euros, converted at the configured rate (unknown for other currencies).",
    ),
    Feature("item_count", "num", "Number of articles ordered, counting quantities."),
    Feature("distinct_skus", "num", "Number of different products (SKUs) in the order."),
    Feature("max_unit_price_eur", "num", "Price in euros of the most expensive single article."),
    Feature(
        "high_resale_share",
        "num",
        "Share (0 to 1) of the basket value in categories thieves resell easily, such as "
        "catalytic converters, ECUs, navigation, LED/xenon headlights and alloy wheels.",
    ),
    Feature("payment_method", "cat", "How the customer pays: card, iDEAL, PayPal, Klarna, ..."),
    Feature(
        "card_country", "cat", "Country that issued the card, where the payment provider knows."
    ),
    Feature(
        "card_country_matches_billing",
        "bool",
        "Whether the card was issued in the billing address country (unknown without a card "
        "country).",
    ),
    Feature(
        "three_ds",
        "cat",
        "3-D Secure result: authenticated, attempted, failed, not_enrolled or exempt, where known.",
    ),
    Feature(
        "shipping_method", "cat", "Delivery chosen: standard, express, pick-up point or store."
    ),
    Feature("shipping_express", "bool", "Whether express delivery was chosen."),
    Feature(
        "shipping_to_pickup",
        "bool",
        "Whether the parcel goes to a parcel pick-up point rather than an address "
        "(collection in the shop's own store does not count).",
    ),
    Feature("is_guest", "bool", "Whether the order was placed without a customer account."),
    Feature(
        "order_hour_local",
        "num",
        "Hour of the day (0-23) the order was placed, in the billing country's time zone.",
    ),
    Feature(
        "is_night_order",
        "bool",
        "Whether the order was placed between midnight and 6 in the morning, local time.",
    ),
)

# Countries with one time zone (mainland where a country has overseas parts);
# anything else is read in UTC.
_COUNTRY_TZ = {
    "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "LU": "Europe/Luxembourg",
    "DE": "Europe/Berlin", "FR": "Europe/Paris", "AT": "Europe/Vienna", "CH": "Europe/Zurich",
    "LI": "Europe/Vaduz", "DK": "Europe/Copenhagen", "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo", "FI": "Europe/Helsinki", "IS": "Atlantic/Reykjavik",
    "GB": "Europe/London", "IE": "Europe/Dublin", "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon", "IT": "Europe/Rome", "MT": "Europe/Malta", "PL": "Europe/Warsaw",
    "CZ": "Europe/Prague", "SK": "Europe/Bratislava", "HU": "Europe/Budapest",
    "SI": "Europe/Ljubljana", "HR": "Europe/Zagreb", "RO": "Europe/Bucharest",
    "BG": "Europe/Sofia", "GR": "Europe/Athens", "CY": "Asia/Nicosia", "EE": "Europe/Tallinn",
    "LV": "Europe/Riga", "LT": "Europe/Vilnius", "MC": "Europe/Monaco",
}
_UTC = ZoneInfo("UTC")
_NIGHT_HOURS = range(0, 6)


def category_key(category: str) -> str:
    """'LED-Headlights ' -> 'led_headlight': case, accents, separators, plural 's' folded."""
    words = fold(category).split()
    words = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
             for w in words]
    return "_".join(words)


@cache
def high_resale_categories() -> frozenset[str]:
    """Normalised keys of the bundled high-resale category list, loaded once."""
    text = resources.files("fraud.data").joinpath("high_resale_categories.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return frozenset(category_key(str(c)) for c in data["categories"])


@lru_cache(maxsize=4096)
def is_high_resale(category: str) -> bool:
    """Whether a shop category (free text) is in the high-resale list."""
    return category_key(category) in high_resale_categories()


@cache
def _zone(country: str) -> ZoneInfo:
    """Time zone for a billing country, UTC when not mapped."""
    name = _COUNTRY_TZ.get(country)
    return ZoneInfo(name) if name else _UTC


def compute(order: Order, ctx: Context) -> dict[str, FeatureValue]:
    payment = order.payment
    billing_country = order.billing_address.country
    rate = ctx.settings.fx_rates.get(str(payment.currency))

    total = Decimal(0)
    resale = Decimal(0)
    max_unit = Decimal(0)
    count = 0
    for item in order.items:
        line = item.unit_price * item.quantity
        total += line
        count += item.quantity
        max_unit = max(max_unit, item.unit_price)
        if is_high_resale(item.category):
            resale += line

    hour = order.created_at.astimezone(_zone(billing_country)).hour
    card_country = payment.card_country
    return {
        "amount_eur": amount_eur(order, ctx.settings.fx_rates),
        "item_count": count,
        "distinct_skus": len({item.sku for item in order.items}),
        "max_unit_price_eur": None if rate is None else float(max_unit * rate),
        "high_resale_share": float(resale / total) if total else 0.0,
        "payment_method": payment.method.value,
        "card_country": card_country,
        "card_country_matches_billing": (
            None if card_country is None else card_country == billing_country
        ),
        "three_ds": None if payment.three_ds is None else payment.three_ds.value,
        "shipping_method": order.shipping_method.value,
        "shipping_express": order.shipping_method is ShippingMethod.EXPRESS,
        "shipping_to_pickup": order.shipping_method is ShippingMethod.PICKUP_POINT,
        "is_guest": order.customer.account_id is None,
        "order_hour_local": hour,
        "is_night_order": hour in _NIGHT_HOURS,
    }


high_resale_categories()
for _country in ("NL", "BE", "DE", "FR"):
    _zone(_country)

SIGNALS = [Signal("basket", compute, FEATURES)]
