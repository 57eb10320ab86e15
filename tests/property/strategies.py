"""Hypothesis strategies: valid orders as JSON (every field the schema allows, at its
edges), and arbitrary JSON values to put where they do not belong."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pycountry
from hypothesis import strategies as st

from fraud.schema import PaymentMethod, ShippingMethod, ThreeDSResult

COUNTRIES = sorted(c.alpha_2 for c in pycountry.countries)
CURRENCIES = ["EUR", "USD", "GBP", "CHF", "PLN", "SEK", "DKK", "CZK", "JPY", "BRL"]

# Any character a person could type: no control characters (refused), no lone
# surrogates (not text), every script, emoji and combining marks included.
_typed = st.characters(blacklist_categories=("Cc", "Cs"))


def text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(_typed, min_size=1, max_size=max_size).filter(lambda s: s.strip() != "")


identifiers = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}", fullmatch=True)
# The schema accepts 2000-01-01 to 2099-12-31 as given, with any offset a zone uses.
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
local_times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23))
money = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2,
                    allow_nan=False, allow_infinity=False).map(lambda d: f"{d:.2f}")


def iso(when: datetime) -> str:
    return when.isoformat()


@st.composite
def times(draw: st.DrawFn) -> datetime:
    return draw(local_times).replace(tzinfo=draw(offsets))


@st.composite
def addresses(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "street": draw(text(200)),
        "house_number": draw(st.none() | text(40)),
        "postal_code": draw(text(40)),
        "city": draw(text(200)),
        "country": draw(st.sampled_from(COUNTRIES)),
        "recipient": draw(st.none() | text(200)),
    }


# the schema takes any e-mail text of 3 or more characters; its syntax is a signal
typed_emails = st.text(_typed, min_size=3, max_size=80).filter(lambda s: len(s.strip()) >= 3)


@st.composite
def customers(draw: st.DrawFn, created_at: datetime) -> dict[str, Any]:
    guest = draw(st.booleans())
    opened = None if guest else draw(
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=created_at.replace(tzinfo=None))
    ).replace(tzinfo=created_at.tzinfo)
    return {
        "account_id": None if guest else draw(identifiers),
        "account_created_at": None if opened is None else iso(opened),
        "name": draw(text(200)),
        "email": draw(st.emails().filter(lambda e: len(e) <= 254) | typed_emails),
        "phone": draw(st.none() | st.from_regex(r"\+?[0-9 ()-]{0,30}", fullmatch=True)
                      | st.text(_typed, max_size=32)),
    }


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "sku": draw(identifiers),
        "category": draw(text(40)),
        "unit_price": draw(money),
        "quantity": draw(st.integers(1, 10_000)),
    }


@st.composite
def orders(draw: st.DrawFn) -> dict[str, Any]:
    """A valid order as the API receives it (JSON-shaped)."""
    created = draw(times())
    return {
        "order_id": draw(identifiers),
        "created_at": iso(created),
        "customer": draw(customers(created)),
        "billing_address": draw(addresses()),
        "shipping_address": draw(addresses()),
        "ip_address": str(draw(st.ip_addresses())),
        "user_agent": draw(st.none() | st.text(_typed, max_size=300)),
        "device_id": draw(st.none() | identifiers),
        "payment": {
            "method": draw(st.sampled_from([m.value for m in PaymentMethod])),
            "amount": draw(money),
            "currency": draw(st.sampled_from(CURRENCIES)),
            "card_bin": draw(st.none() | st.from_regex(r"[0-9]{6,8}", fullmatch=True)),
            "card_last4": draw(st.none() | st.from_regex(r"[0-9]{4}", fullmatch=True)),
            "card_country": draw(st.none() | st.sampled_from(COUNTRIES)),
            "three_ds": draw(st.none() | st.sampled_from([t.value for t in ThreeDSResult])),
        },
        "items": draw(st.lists(items(), min_size=1, max_size=4)),
        "shipping_method": draw(st.sampled_from([m.value for m in ShippingMethod])),
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=10,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += paths(inner, (*prefix, i))
    return found


