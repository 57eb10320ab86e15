"""The order as the shop sends it: one pydantic model, strict about types and
lenient about what is optional. Unknown fields are rejected, never dropped.

Free-text fields (names, streets, e-mails) come from fraudsters: here they are
length-limited and refused when they hold control characters; they are escaped wherever
they are shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    IPvAnyAddress,
    StrictInt,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_extra_types.country import CountryAlpha2
from pydantic_extra_types.currency_code import Currency

# C0 and C1 controls (NUL included, which PostgreSQL cannot store): no name, address,
# e-mail or user agent needs them, and they hide text from whoever reads it.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def refuse_control_characters(value: Any) -> Any:
    if isinstance(value, str):
        found = _CONTROL_CHARACTER.search(value)
        if found:
            raise ValueError(f"contains a control character (U+{ord(found.group()):04X})")
    return value


NoControlCharacters = BeforeValidator(refuse_control_characters)
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    NoControlCharacters,
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    NoControlCharacters,
]
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$"
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN)
]


def _text_or_value(kind: type, what: str) -> Callable[[Any], Any]:
    """Refuse numbers (and other JSON types) where text was expected."""

    def check(value: Any) -> Any:
        if isinstance(value, str | kind):
            return value
        raise ValueError(f"{what} must be given as text, got {type(value).__name__}")

    return check


# Lax mode would read "1764075780" as a Unix time; only ISO 8601 dates are times here.
_ISO_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]")
# Orders and outcomes happen in this century; near year 1 or 9999 an offset cannot even
# be converted to UTC. Checked on the year as given, so no conversion can overflow.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099


def _iso_8601(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_DATE_TIME.match(value):
        raise ValueError("a time must be ISO 8601 text such as 2026-11-25T14:03:00+01:00")
    return value


def _in_this_century(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"a time must lie in the years {EARLIEST_YEAR} to {LATEST_YEAR}")
    return value


# Lax mode so JSON strings become times and decimals, but no silent guessing:
# a number is not a time, a string is not a quantity, an integer is not an IP.
Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(_in_this_century),
    BeforeValidator(_iso_8601),
    BeforeValidator(_text_or_value(datetime, "a time (ISO 8601 with offset)")),
]


def _no_zone_id(value: Any) -> Any:
    """'fe80::1%eth0' names an interface on the sender's machine: meaningless here."""
    if isinstance(value, str) and "%" in value:
        raise ValueError("an IPv6 zone id (%...) is not accepted")
    return value


IpAddress = Annotated[
    IPvAnyAddress,
    BeforeValidator(_text_or_value(IPv4Address | IPv6Address, "an IP address")),
    BeforeValidator(_no_zone_id),
]
# Python's Decimal reads "١٢٤٩.٠٠", full-width digits and "1_249.00"; an amount is ASCII.
_ASCII_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _ascii_decimal(value: Any) -> Any:
    if isinstance(value, str) and not _ASCII_DECIMAL.fullmatch(value):
        raise ValueError("an amount must be ASCII digits with an optional '.' and decimals")
    return value


Money = Annotated[
    Decimal, BeforeValidator(_ascii_decimal), Field(ge=0, max_digits=12, decimal_places=2)
]

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=2000)


class PaymentMethod(StrEnum):
    CARD = "card"
    IDEAL = "ideal"
    BANCONTACT = "bancontact"
    PAYPAL = "paypal"
    KLARNA = "klarna"
    BANK_TRANSFER = "bank_transfer"
    APPLE_PAY = "apple_pay"
    GOOGLE_PAY = "google_pay"


class ThreeDSResult(StrEnum):
    AUTHENTICATED = "authenticated"
    ATTEMPTED = "attempted"
    FAILED = "failed"
    NOT_ENROLLED = "not_enrolled"
    EXEMPT = "exempt"


class ShippingMethod(StrEnum):
    STANDARD = "standard"
    EXPRESS = "express"
    PICKUP_POINT = "pickup_point"
    STORE_PICKUP = "store_pickup"


class Address(_Strict):
    """A postal address. ``house_number`` keeps additions such as "12-A" or "3 bis"."""

    street: Text = Field(description="Street name, as typed", examples=["Oudegracht"])
    house_number: ShortText | None = Field(
        None, description="House number with any addition; absent when the street line has "
        "none", examples=["158"]
    )
    postal_code: ShortText = Field(
        description="Postal code in any common spelling (checked against the country)",
        examples=["3511 AZ"],
    )
    city: Text = Field(description="City or town, as typed", examples=["Utrecht"])
    country: CountryAlpha2 = Field(description="Country, ISO 3166-1 alpha-2", examples=["NL"])
    recipient: Text | None = Field(
        None,
        description="Name on the parcel when not the customer's own",
        examples=["Garage Jansen"],
    )


class Customer(_Strict):
    account_id: Identifier | None = Field(
        None, description="Shop account id; absent for guest checkout", examples=["C-104233"]
    )
    account_created_at: Timestamp | None = Field(
        None,
        description="When the account was created (required with account_id)",
        examples=["2023-03-14T09:12:00+01:00"],
    )
    name: Text = Field(description="The customer's full name, as typed",
                       examples=["Sanne de Vries"])
    email: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=3, max_length=254),
        NoControlCharacters,
    ] = Field(
        description="As typed by the customer; syntax is checked as a signal",
        examples=["sanne.devries@gmail.com"],
    )
    phone: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=32), NoControlCharacters
    ] | None = Field(
        None, description="Optional; any common format, ideally E.164", examples=["+31612345678"]
    )

    @model_validator(mode="after")
    def _account_time_with_account(self) -> Customer:
        if self.account_created_at is not None and self.account_id is None:
            raise ValueError("account_created_at given without account_id")
        if self.account_id is not None and self.account_created_at is None:
            raise ValueError("account_id given without account_created_at")
        return self


class Payment(_Strict):
    method: PaymentMethod = Field(description="How the customer pays", examples=["card"])
    amount: Money = Field(
        description="Total charged, tax and shipping included", examples=["189.90"]
    )
    currency: Currency = Field(description="ISO 4217", examples=["EUR"])
    card_bin: Annotated[str, StringConstraints(pattern=r"^[0-9]{6,8}$")] | None = Field(
        None, description="First 6-8 digits of the card number", examples=["535522"]
    )
    card_last4: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] | None = Field(
        None,
        description="Last 4 digits of the card number; with card_bin it tells cards apart",
        examples=["4242"],
    )
    card_country: CountryAlpha2 | None = Field(
        None, description="Issuing country of the card, where known", examples=["NL"]
    )
    three_ds: ThreeDSResult | None = Field(
        None, description="3-D Secure result, where known", examples=["authenticated"]
    )


class Item(_Strict):
    sku: Identifier = Field(description="The shop's article number", examples=["BRK-PAD-2231"])
    category: ShortText = Field(
        description="The shop's product category (some resell easily: see the rules)",
        examples=["brakes"],
    )
    unit_price: Money = Field(
        description="Price of one unit in the payment's currency", examples=["49.95"]
    )
    quantity: StrictInt = Field(ge=1, le=10_000, description="Units ordered", examples=[2])


class Order(_Strict):
    """A new order, sent by the order service before payment capture or shipping."""

    order_id: Identifier = Field(
        description="The shop's order id, unique per order: sending it again returns the "
        "stored decision; sending it with a different order is a 409",
        examples=["O-2026-000123"],
    )
    created_at: Timestamp = Field(
        description="When the customer placed the order (ISO 8601 with offset); history "
        "signals count only what happened before it",
        examples=["2026-11-25T14:03:00+01:00"],
    )
    customer: Customer = Field(description="Who ordered")
    billing_address: Address = Field(description="The address the payment belongs to")
    shipping_address: Address = Field(description="Where the parcel goes")
    ip_address: IpAddress = Field(
        description="The customer's IP address (v4 or v6) as the shop's front end saw it",
        examples=["145.53.12.7"],
    )
    user_agent: Annotated[
        str, StringConstraints(max_length=1000), NoControlCharacters
    ] | None = Field(
        None,
        description="The browser's User-Agent header, where known",
        examples=["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"],
    )
    device_id: Identifier | None = Field(
        None,
        description="Device fingerprint from the shop's front end",
        examples=["dev-7f3a9c2e41b8"],
    )
    payment: Payment = Field(description="How the order is paid")
    items: list[Item] = Field(min_length=1, max_length=500, description="What was ordered")
    shipping_method: ShippingMethod = Field(
        description="How the parcel travels", examples=["standard"]
    )

    @model_validator(mode="after")
    def _account_not_newer_than_order(self) -> Order:
        created = self.customer.account_created_at
        if created is not None and created > self.created_at:
            raise ValueError("customer.account_created_at is after created_at")
        return self

    @property
    def card_key(self) -> str | None:
        """A stable, non-reversible-enough key for 'the same card' across orders."""
        p = self.payment
        if p.card_bin is None or p.card_last4 is None:
            return None
        return f"{p.card_bin}:{p.card_last4}"


def parse_order(data: object) -> Order:
    """Validate JSON text, or a JSON-decoded object, as an :class:`Order`.

    Raises ``pydantic.ValidationError``.
    """
    if isinstance(data, (str, bytes)):
        return Order.model_validate_json(data)
    return Order.model_validate(data)


def order_time(order: Order) -> datetime:
    return order.created_at


def safe_error_message(err: Mapping[str, Any]) -> str:
    """Pydantic's message for one error, with the offending input cut out.

    Some messages quote the input; it is attacker-chosen and may be huge.
    """
    msg = str(err.get("msg", "invalid"))
    value = err.get("input")
    if isinstance(value, str) and value and value in msg:
        msg = msg.replace(value, "<input>")
    return msg[:300]


# An unknown field's name is attacker-chosen: an error repeats at most this much of it.
MAX_FIELD_NAME_SHOWN = 64


def _shown(part: object) -> str:
    text = str(part)
    if len(text) <= MAX_FIELD_NAME_SHOWN:
        return text
    return f"{text[:MAX_FIELD_NAME_SHOWN]}...(+{len(text) - MAX_FIELD_NAME_SHOWN} chars)"


def error_location(err: Mapping[str, Any]) -> str:
    return ".".join(_shown(p) for p in err.get("loc", ()) if p != "body") or "order"


def describe_validation_error(exc: ValidationError, limit: int = 3) -> str:
    """One line naming the fields and reasons, without echoing the (hostile) input."""
    errors = exc.errors()
    parts = [f"{error_location(e)}: {safe_error_message(e)}" for e in errors[:limit]]
    more = f" (+{len(errors) - limit} more)" if len(errors) > limit else ""
    return "; ".join(parts) + more
