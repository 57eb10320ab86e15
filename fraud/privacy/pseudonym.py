"""What an order looks like after erasure (pure functions).

Personal fields are replaced by values that still pass the order schema (so batch
jobs, backtests and training keep reading erased orders) but identify no one and
match nothing: each erased order gets its own random token, so erased orders do
not even link to each other. Decisions keep score, action and reason codes; any
text or value that quotes the customer's data becomes ``[erased]``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from fraud.evidence.records import PERSONAL_FEATURES
from fraud.keys import address_key, normalise_email, normalise_phone
from fraud.schema import Order

ERASED = "[erased]"
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never be a real address


def token() -> str:
    return os.urandom(8).hex()


def pseudonymised_order(order: Mapping[str, Any], tag: str) -> dict[str, Any]:
    """The stored order JSON with every personal field replaced (``tag`` unique per order)."""
    out = dict(order)
    customer = dict(out["customer"])
    customer.update(name=ERASED, email=f"erased-{tag}@{ERASED_DOMAIN}", phone=None)
    if customer.get("account_id"):
        customer["account_id"] = f"erased-{tag}"
    out["customer"] = customer
    for part in ("billing_address", "shipping_address"):
        address = dict(out[part])
        address.update(street=f"erased-{tag}", house_number=None, postal_code=ERASED,
                       city=ERASED, recipient=None)
        out[part] = address
    # 100::/64 is the IPv6 discard prefix (RFC 6666): never a customer's address
    digits = int(tag, 16)
    out["ip_address"] = "100::" + ":".join(f"{(digits >> s) & 0xFFFF:x}" for s in (48, 32, 16, 0))
    out["user_agent"] = None
    out["device_id"] = None
    out["payment"] = {**out["payment"], "card_last4": None}
    return out


def personal_strings(order: Order, features: Mapping[str, Any] | None) -> set[str]:
    """The texts by which a decision could quote this customer (as typed and normalised)."""
    c = order.customer
    found = {c.name, c.email, normalise_email(c.email), str(order.ip_address)}
    found.update(x for x in (c.phone, c.account_id, order.device_id, order.user_agent,
                             order.card_key, order.payment.card_last4) if x)
    phone = normalise_phone(c.phone, order.billing_address.country)
    if phone:
        found.add(phone)
    for a in (order.billing_address, order.shipping_address):
        found.update(x for x in (a.street, a.postal_code, a.city, a.recipient) if x)
        found.add(address_key(a))
    for name in PERSONAL_FEATURES:
        value = (features or {}).get(name)
        if isinstance(value, str) and value:
            found.add(value)
    return {s for s in found if len(s) >= 3}  # "NL" or "12" would blank out everything


def _quotes(value: Any, strings: Iterable[str]) -> bool:
    text = str(value)
    return any(s in text for s in strings)


def scrubbed_features(features: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (None if k in PERSONAL_FEATURES else v) for k, v in features.items()}


def scrubbed_reasons(reasons: Iterable[Mapping[str, Any]], strings: set[str]) -> list[dict]:
    out = []
    for r in reasons:
        r = dict(r)
        if _quotes(r.get("message", ""), strings):
            r["message"] = ERASED
        if r.get("value") is not None and _quotes(r["value"], strings):
            r["value"] = None
        out.append(r)
    return out


def scrubbed_rule_hits(hits: Iterable[Mapping[str, Any]], strings: set[str]) -> list[dict]:
    out = []
    for h in hits:
        h = dict(h)
        if _quotes(h.get("message", ""), strings):
            h["message"] = ERASED
        h["values"] = {
            k: (None if k in PERSONAL_FEATURES or _quotes(v, strings) else v)
            for k, v in (h.get("values") or {}).items()
        }
        out.append(h)
    return out
