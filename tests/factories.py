"""Test data: one realistic, valid Dutch order, and overrides merged into it.

``make_order_data`` is JSON-shaped (strings for money, times and IPs), exactly as
the API receives it; ``make_order`` validates that through the real schema, in
JSON mode, because the strict model refuses strings for datetimes in Python mode.

    make_order(customer={"phone": None}, payment={"amount": "999.00"})
    make_order_data(items=[{"sku": "CAT-1", "category": "catalytic converters",
                            "unit_price": "649.00", "quantity": 1}])

Nested dicts merge key by key; lists and scalars replace; ``None`` sets ``None``.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping
from typing import Any

from fraud.schema import Order, parse_order

_UTRECHT = {
    "street": "Oudegracht",
    "house_number": "158",
    "postal_code": "3511 AZ",
    "city": "Utrecht",
    "country": "NL",
    "recipient": None,
}

_BASE_ORDER: dict[str, Any] = {
    "order_id": "",  # filled per call so every order is distinct in the store
    "created_at": "2026-11-25T14:03:00+01:00",
    "customer": {
        "account_id": "C-104233",
        "account_created_at": "2023-03-14T09:12:00+01:00",
        "name": "Sanne de Vries",
        "email": "sanne.devries@gmail.com",
        "phone": "+31 6 12345678",
    },
    "billing_address": _UTRECHT,
    "shipping_address": _UTRECHT,
    # KPN consumer broadband range (77.160.0.0/11)
    "ip_address": "77.163.112.45",
    "user_agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    ),
    "device_id": "dev-7f3a9c2e41b8",
    "payment": {
        "method": "card",
        "amount": "104.85",
        "currency": "EUR",
        "card_bin": "535522",
        "card_last4": "4242",
        "card_country": "NL",
        "three_ds": "authenticated",
    },
    "items": [
        {"sku": "BRK-PAD-2231", "category": "brakes", "unit_price": "49.95", "quantity": 1},
        {"sku": "OIL-FLT-0412", "category": "filters", "unit_price": "12.45", "quantity": 2},
    ],
    "shipping_method": "standard",
}


def new_order_id() -> str:
    """Unique across calls and across pytest-xdist workers."""
    return f"O-2026-{uuid.uuid4().hex[:12]}"


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Recursive merge: dicts merge per key, anything else (lists, None) replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = merge(current, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def make_order_data(**overrides: Any) -> dict[str, Any]:
    """A valid Dutch order as the API receives it (JSON-shaped), with overrides merged in."""
    data = merge(_BASE_ORDER, overrides)
    if not data.get("order_id"):
        data["order_id"] = new_order_id()
    return data


def make_order(**overrides: Any) -> Order:
    """The same order, validated through :func:`fraud.schema.parse_order`."""
    return parse_order(json.dumps(make_order_data(**overrides)))


def guest(**overrides: Any) -> dict[str, Any]:
    """Overrides for a guest checkout (no account), to pass to ``make_order``."""
    return merge({"customer": {"account_id": None, "account_created_at": None}}, overrides)
