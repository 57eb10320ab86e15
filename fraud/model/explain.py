"""Per-order model reasons: SHAP values turned into score points and plain words.

LightGBM's TreeSHAP (``pred_contrib``) splits the booster's margin (log-odds) into
one contribution per feature plus a bias, the expected margin over the training
data: ``margin = bias + sum(phi)``. The decision adds ``100 x p`` points for the
model, where ``p`` is the *calibrated* probability ``g(margin)``. We express each
contribution in those points with the secant slope of ``g`` between the average
order and this one::

    points_i = 100 * phi_i * (g(margin) - g(bias)) / (margin - bias)

so the points of all features add up exactly to ``100 * (p - p_base)``, the part of
the model's points this order earns beyond an average order's; the sign of each
feature's effect is kept (``g`` is non-decreasing), and no feature gets more than
its share when contributions of both signs cancel out. When ``margin == bias`` the
slope is ``g``'s derivative there. Only features that push the score up become
reasons; see docs/explanations.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from fraud.domain import FeatureValue, Reason

_EPS = 1e-9


def points_from_contributions(
    contributions: np.ndarray, bias: float, link: Callable[[Any], Any]
) -> np.ndarray:
    """Score points per feature from margin-space SHAP values (see the module docstring)."""
    phi = np.asarray(contributions, dtype=np.float64)
    margin = bias + float(phi.sum())
    delta = margin - bias
    if abs(delta) > _EPS:
        slope = (float(link(margin)) - float(link(bias))) / delta
    else:
        h = 1e-6
        slope = (float(link(bias + h)) - float(link(bias - h))) / (2 * h)
    return 100.0 * slope * phi


def model_reasons(
    names: Sequence[str],
    values: Sequence[FeatureValue],
    points: Sequence[float] | np.ndarray,
    *,
    top: int = 5,
    min_points: float = 1.0,
    descriptions: Mapping[str, str] | None = None,
    features: Mapping[str, FeatureValue] | None = None,
) -> list[Reason]:
    """The ``top`` features that raised the score most (at least ``min_points`` each),
    as :class:`Reason` objects with ``source="model"``, largest first.

    ``features``, the order's whole feature vector, lets messages name places
    (the IP's country name, the billing city) that the model itself never sees.
    """
    ranked = sorted((i for i, p in enumerate(points) if p >= min_points), key=lambda i: -points[i])[
        :top
    ]
    descriptions = descriptions or {}
    return [
        Reason(
            code=names[i],
            message=reason_message(
                names[i], values[i], float(points[i]), descriptions.get(names[i]), features
            ),
            value=values[i],
            points=round(float(points[i]), 2),
            source="model",
        )
        for i in ranked
    ]


def reason_message(
    name: str,
    value: FeatureValue,
    points: float,
    description: str | None = None,
    features: Mapping[str, FeatureValue] | None = None,
) -> str:
    """'Account created 3 minutes before the order (+18 points)'."""
    return f"{phrase(name, value, description, features)} ({format_points(points)})"


def format_points(points: float) -> str:
    n = int(abs(points) + 0.5)
    sign = "+" if points >= 0 else "-"
    return f"{sign}{n} point{'' if n == 1 else 's'}"


# --- phrasing -----------------------------------------------------------------------------


def duration(days: float) -> str:
    """A span in the largest unit that reads naturally: '3 minutes', '5 hours', '12 days'."""
    seconds = max(0.0, float(days) * 86400)
    for unit, size in (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size * (2 if unit == "year" else 1):
            n = int(seconds // size)
            return f"{n} {unit}{'' if n == 1 else 's'}"
    n = int(seconds)
    return f"{n} second{'' if n == 1 else 's'}"


def number(value: Any) -> str:
    """12, 1,840, 0.35: integers plain with thousands separators, others to two places."""
    v = float(value)
    if v.is_integer():
        return f"{int(v):,}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def euros(value: Any) -> str:
    return f"€{float(value):,.2f}"


def count(value: Any, one: str, many: str | None = None) -> str:
    n = int(round(float(value)))
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _yes_no(true: str, false: str) -> Callable[[Any], str]:
    return lambda v: true if v else false


def _fmt(template: str, fn: Callable[[Any], str] = number) -> Callable[[Any], str]:
    return lambda v: template.format(fn(v))


def _counted(template: str, one: str, many: str | None = None) -> Callable[[Any], str]:
    def words(v: Any) -> str:
        text = template.format(count(v, one, many))
        return "No " + text[2:] if text.startswith("0 ") else text  # "No orders", not "0 orders"

    return words


def _account_age(v: Any) -> str:
    return f"Account created {duration(v)} before the order"


def _amount_ratio(v: Any) -> str:
    return f"Amount {number(v)} times the account's usual order"


def km(value: Any) -> str:
    return f"{round(float(value)):,} km"


def _km_from(address: str, city_feature: str) -> Callable[[Any, Mapping], str]:
    def words(v: Any, features: Mapping) -> str:
        city = features.get(city_feature)
        where = f" in {city}" if city else ""
        return f"IP address {km(v)} from the {address} address{where}"

    return words


def _ip_country(v: Any, features: Mapping) -> str:
    return f"IP address located in {features.get('ip_country_name') or v}"


# Phrases that name a place from the order's display-only (text) features.
WITH_CONTEXT: dict[str, Callable[[Any, Mapping], str]] = {
    "ip_country": _ip_country,
    "ip_billing_distance_km": _km_from("billing", "billing_city"),
    "ip_shipping_distance_km": _km_from("shipping", "shipping_city"),
}


def _hour(v: Any) -> str:
    return f"Ordered at {int(float(v)):02d}:00-{int(float(v)):02d}:59 local time"


THREE_DS_WORDS = {
    "authenticated": "The card holder passed 3-D Secure",
    "attempted": "3-D Secure attempted, the card holder not authenticated",
    "failed": "The card holder failed 3-D Secure",
    "not_enrolled": "Card not enrolled in 3-D Secure",
    "exempt": "Payment exempt from 3-D Secure, the card holder not authenticated",
}


def _name_likeness(v: Any) -> str:
    """The similarity is 0-100; a reviewer needs the verdict before the figure."""
    n = round(float(v))
    verdict = ("looks like" if n >= 70 else "looks a little like" if n >= 40
               else "looks nothing like")
    return f"E-mail address {verdict} the customer's name (similarity {n} of 100)"


_BOOL = _yes_no
PHRASES: dict[str, Callable[[Any], str]] = {
    # basket and payment
    "amount_eur": _fmt("Order total {}", euros),
    "item_count": _counted("{} in the order", "article"),
    "distinct_skus": _counted("{} in the order", "different product"),
    "max_unit_price_eur": _fmt("Most expensive article costs {}", euros),
    "high_resale_share": lambda v: f"{float(v):.0%} of the basket is easy-to-resell parts",
    "payment_method": _fmt("Paid by {}", str),
    "card_country": _fmt("Card issued in {}", str),
    "card_country_matches_billing": _BOOL(
        "Card issued in the billing country", "Card issued outside the billing country"
    ),
    "three_ds": lambda v: THREE_DS_WORDS.get(str(v), f"3-D Secure result: {v}"),
    "shipping_method": _fmt("Delivery by {}", lambda v: str(v).replace("_", " ")),
    "shipping_express": _BOOL("Express delivery", "No express delivery"),
    "shipping_to_pickup": _BOOL("Parcel goes to a pick-up point", "Parcel goes to an address"),
    "is_guest": _BOOL("Guest checkout, no customer account", "Ordered from a customer account"),
    "order_hour_local": _hour,
    "is_night_order": _BOOL("Ordered at night (00:00-06:00 local time)", "Ordered in the daytime"),
    # geo
    "ip_country": _fmt("IP address located in {}", str),
    "ip_accuracy_km": _fmt("IP location accurate only to {}", km),
    "ip_is_private": _BOOL("IP address is private or reserved", "IP address is public"),
    "ip_unknown": _BOOL(
        "IP address not in the GeoIP database", "IP address found in the GeoIP database"
    ),
    "ip_version": _fmt("IPv{} address"),
    "ip_billing_distance_km": _fmt("IP address {} from the billing address", km),
    "ip_shipping_distance_km": _fmt("IP address {} from the shipping address", km),
    "billing_geo_precision": _fmt(
        "Billing address placed only to {}", lambda v: str(v).replace("_", " ")
    ),
    "shipping_geo_precision": _fmt(
        "Shipping address placed only to {}", lambda v: str(v).replace("_", " ")
    ),
    "ip_country_matches_billing": _BOOL(
        "IP address in the billing country", "IP address outside the billing country"
    ),
    "ip_country_matches_shipping": _BOOL(
        "IP address in the shipping country", "IP address outside the shipping country"
    ),
    "ip_country_matches_card": _BOOL(
        "IP address in the card's country", "IP address outside the card's country"
    ),
    "ip_is_hosting": _BOOL(
        "IP address belongs to a data centre", "IP address on a home or mobile network"
    ),
    "ip_is_anonymous": _BOOL(
        "IP address is a VPN, proxy or Tor exit", "IP address is not a known anonymiser"
    ),
    "ip_country_is_eu": _BOOL("IP address in the EU", "IP address outside the EU"),
    # addresses
    "billing_country": _fmt("Billing address in {}", str),
    "shipping_country": _fmt("Shipping address in {}", str),
    "shipping_differs_from_billing": _BOOL(
        "Shipping address differs from the billing address", "Shipping to the billing address"
    ),
    "shipping_country_differs_from_billing": _BOOL(
        "Shipping to another country than the billing address",
        "Shipping within the billing country",
    ),
    "billing_postal_code_valid": _BOOL(
        "Billing postal code is well-formed",
        "Billing postal code has the wrong format for its country",
    ),
    "shipping_postal_code_valid": _BOOL(
        "Shipping postal code is well-formed",
        "Shipping postal code has the wrong format for its country",
    ),
    "billing_postal_city_consistent": _BOOL(
        "Billing postal code matches the city", "Billing postal code does not match the city"
    ),
    "shipping_postal_city_consistent": _BOOL(
        "Shipping postal code matches the city", "Shipping postal code does not match the city"
    ),
    "shipping_is_forwarder": _BOOL(
        "Shipping to a known parcel forwarder", "Not shipping to a known parcel forwarder"
    ),
    "shipping_is_pickup_point": _BOOL(
        "Shipping to a pick-up point or locker", "Shipping to a home address"
    ),
    "shipping_is_po_box": _BOOL("Shipping to a P.O. box", "Not shipping to a P.O. box"),
    "billing_shipping_distance_km": _fmt("Shipping address {} from the billing address", km),
    # phone and e-mail
    "phone_present": _BOOL("Phone number given", "No phone number given"),
    "phone_valid": _BOOL("Phone number is valid", "Phone number is not a valid number"),
    "phone_country": _fmt("Phone number from {}", str),
    "phone_country_matches_billing": _BOOL(
        "Phone number from the billing country",
        "Phone number from another country than the billing address",
    ),
    "phone_line_type": _fmt("Phone line type: {}", lambda v: str(v).replace("_", " ")),
    "email_valid": _BOOL("E-mail address is valid", "E-mail address is malformed"),
    "email_domain": _fmt("E-mail at {}", str),
    "email_is_disposable": _BOOL("Disposable e-mail address", "Not a disposable e-mail address"),
    "email_is_freemail": _BOOL("Free-mail e-mail address", "E-mail at a company or private domain"),
    "email_local_digits": _counted("E-mail name has {}", "digit"),
    "email_local_length": _counted("E-mail name is {} long", "character"),
    "email_local_entropy": _fmt("E-mail name looks random ({} bits per character)"),
    "email_local_consonant_run": _counted("E-mail name has {} in a row", "consonant"),
    "email_name_similarity": _name_likeness,
    # device
    "ua_present": _BOOL("Browser sent a user agent", "No user agent sent"),
    "ua_browser_family": _fmt("Browser: {}", str),
    "ua_os_family": _fmt("Operating system: {}", str),
    "ua_device_type": _fmt("Device type: {}", str),
    "ua_is_headless": _BOOL("Headless browser or script", "Ordinary browser"),
    "ua_is_bot": _BOOL("User agent declares a bot", "User agent is not a bot"),
    "device_id_present": _BOOL("Device fingerprint sent", "No device fingerprint sent"),
    # history
    "account_age_days": _account_age,
    "account_orders_1h": _counted("{} by this account in the hour before", "order"),
    "account_orders_24h": _counted("{} by this account in the 24 hours before", "order"),
    "account_orders_30d": _counted("{} by this account in the 30 days before", "order"),
    "account_distinct_cards_24h": _counted("{} used by this account in 24 hours", "card"),
    "account_distinct_cards_30d": _counted("{} used by this account in 30 days", "card"),
    "account_distinct_ips_30d": _counted(
        "{} used by this account in 30 days", "IP address", "IP addresses"
    ),
    "account_distinct_addresses_30d": _counted(
        "{} used by this account in 30 days", "shipping address", "shipping addresses"
    ),
    "account_distinct_devices_30d": _counted("{} used by this account in 30 days", "device"),
    "ip_orders_1h": _counted("{} from this IP address in the hour before", "order"),
    "ip_orders_24h": _counted("{} from this IP address in the 24 hours before", "order"),
    "ip_accounts_24h": _counted("{} used this IP address in 24 hours", "other account"),
    "ip_accounts_30d": _counted("{} used this IP address in 30 days", "other account"),
    "email_accounts_30d": _counted("{} used this e-mail address in 30 days", "other account"),
    "phone_accounts_30d": _counted("{} used this phone number in 30 days", "other account"),
    "device_accounts_30d": _counted("{} used this device in 30 days", "other account"),
    "device_orders_24h": _counted("{} from this device in 24 hours", "order"),
    "address_accounts_30d": _counted("{} shipped to this address in 30 days", "other account"),
    "card_accounts_30d": _counted("{} used this card in 30 days", "other account"),
    "card_orders_24h": _counted("{} with this card in 24 hours", "order"),
    "linked_fraud_weight": _fmt("Weight of earlier fraud linked to this order: {}"),
    "linked_fraud_strong": _counted(
        "{} with fraud linked by an address, device, e-mail or phone few share", "earlier order"
    ),
    "linked_refund_weight": _fmt("Weight of earlier refunds linked to this order: {}"),
    "email_linked_fraud": _counted(
        "{} of another customer with this e-mail ended in fraud", "earlier order"
    ),
    "phone_linked_fraud": _counted(
        "{} of another customer with this phone number ended in fraud", "earlier order"
    ),
    "account_addresses_1h": _counted(
        "Account shipped to {} within an hour", "address", "different addresses"
    ),
    "account_prior_orders": _counted("{} by this account before", "order"),
    "account_prior_paid_orders": _counted("{} by this account paid before", "order"),
    "first_order_from_country": _BOOL(
        "First order of this account to this country", "Account shipped to this country before"
    ),
    "amount_vs_account_median": _amount_ratio,
    # account events before the order
    "minutes_since_address_change": _counted(
        "Delivery address added or changed {} before the order", "minute"),
    "ships_to_changed_address": _BOOL(
        "Ships to an address the account added or changed recently",
        "Ships to an address the account had before"),
    "minutes_since_password_change": _counted("Password reset {} before the order", "minute"),
    "minutes_since_contact_change": _counted(
        "E-mail address or phone changed {} before the order", "minute"),
    "minutes_since_account_change": _counted("Account changed {} before the order", "minute"),
    "account_changes_24h": _counted("{} in the 24 hours before", "account change"),
    "account_change_foreign": _BOOL(
        "Account changed from another country than the usual one",
        "Account changes came from the usual country"),
    "minutes_since_foreign_change": _counted(
        "Account changed from another country {} before the order", "minute"),
    "first_login_from_device": _BOOL(
        "First login from this device", "Device logged in to this account before"),
    "failed_logins_1h": _counted("{} in the hour before the order", "failed login"),
    "new_country_login_24h": _BOOL(
        "Logged in from a new country in the 24 hours before",
        "No login from a new country in the 24 hours before"),
    # verification contacts before the order
    "customer_confirmed_contacts": _counted("Customer confirmed {} when the shop asked", "order"),
    "customer_last_contact_confirmed": _BOOL(
        "Customer confirmed their last order when the shop asked",
        "Customer's last contact with the shop was not a confirmation"),
    "linked_denied_orders": _counted(
        "{} sharing a key with this one denied by their customer", "earlier order"),
}

# What a missing value means, where "not known" alone would mislead.
MISSING: dict[str, str] = {
    "account_age_days": "Guest checkout, no account age",
    "card_country": "Card's issuing country not known",
    "phone_country": "No usable phone number",
    "phone_line_type": "No usable phone number",
    "ip_billing_distance_km": "IP address could not be placed against the billing address",
    "ip_shipping_distance_km": "IP address could not be placed against the shipping address",
    "three_ds": "No 3-D Secure result",
    "amount_vs_account_median": "No earlier orders of this account to compare the amount with",
    "first_order_from_country": "No earlier orders of this account",
    "minutes_since_address_change": "No delivery address added or changed in 90 days",
    "minutes_since_password_change": "No password reset in 90 days",
    "minutes_since_contact_change": "No e-mail address or phone change in 90 days",
    "minutes_since_account_change": "No account change in 90 days",
    "minutes_since_foreign_change": "No account change from another country in 24 hours",
    "first_login_from_device": "No device id, or no earlier logins of this account known",
    "customer_confirmed_contacts": "No confirmation by this customer on record",
    "customer_last_contact_confirmed": "The shop has not contacted this customer before",
    "linked_denied_orders": "No order linked to this one was denied by its customer",
}


def _label(description: str | None, name: str) -> str:
    """A short label from a feature description: its first clause, without 'Whether'."""
    text = (description or name.replace("_", " ")).strip().rstrip(".")
    text = text.split(" (")[0].split(": ")[0].split("; ")[0]
    if text.lower().startswith("whether "):
        text = text[len("whether ") :]
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def phrase(
    name: str,
    value: FeatureValue,
    description: str | None = None,
    features: Mapping[str, FeatureValue] | None = None,
) -> str:
    """Plain words for one feature's value, without the points.

    A phrase from :data:`PHRASES` (or :data:`WITH_CONTEXT`) where one exists, else
    words built from the feature's description.
    """
    if value is None or (isinstance(value, float) and value != value):
        if name in MISSING:
            return MISSING[name]
        return f"Not known: {_lower_first(_label(description, name))}"
    try:
        if features is not None and name in WITH_CONTEXT:
            return WITH_CONTEXT[name](value, features)
        if name in PHRASES:
            return PHRASES[name](value)
    except (TypeError, ValueError):
        pass  # an odd value for the phrase: fall back to the generic words
    label = _label(description, name)
    if isinstance(value, bool):
        return label if value else f"Not the case: {_lower_first(label)}"
    if isinstance(value, int | float):
        return f"{label}: {number(value)}"
    return f"{label}: {value}"
