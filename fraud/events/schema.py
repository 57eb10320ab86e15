"""The account event as the shop sends it: a login, a failed login, a password reset or
a change to the account's e-mail, phone or addresses.

Strict like the order (:mod:`fraud.schema`), with the same field types: the values come
from whoever holds the account, fraudster included, and are escaped wherever shown.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from fraud.schema import (
    Address,
    Identifier,
    IpAddress,
    NoControlCharacters,
    Timestamp,
    _Strict,
)


class EventType(StrEnum):
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105 (an event name)
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name)
    EMAIL_CHANGED = "email_changed"
    PHONE_CHANGED = "phone_changed"
    ADDRESS_ADDED = "address_added"
    ADDRESS_CHANGED = "address_changed"
    ACCOUNT_CREATED = "account_created"


LOGIN_TYPES = frozenset({EventType.LOGIN_SUCCEEDED, EventType.LOGIN_FAILED})

ACCOUNT_CHANGES = frozenset({
    EventType.PASSWORD_RESET_REQUESTED,
    EventType.PASSWORD_CHANGED,
    EventType.EMAIL_CHANGED,
    EventType.PHONE_CHANGED,
    EventType.ADDRESS_ADDED,
    EventType.ADDRESS_CHANGED,
})
"""The changes an account takeover makes before its first order."""

Email = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254), NoControlCharacters
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), NoControlCharacters
]
UserAgent = Annotated[str, StringConstraints(max_length=1000), NoControlCharacters]


class AccountChange(_Strict):
    """The new value an account change set: which one depends on the event's type."""

    email: Email | None = Field(
        None, description="The new e-mail (email_changed)", examples=["sanne@example.nl"]
    )
    phone: Phone | None = Field(
        None, description="The new phone (phone_changed)", examples=["+31612345678"]
    )
    address: Address | None = Field(
        None, description="The added or changed address (address_added, address_changed)",
        examples=[{"street": "Kerkstraat", "house_number": "12", "postal_code": "1017 GM",
                   "city": "Amsterdam", "country": "NL"}],
    )


_REQUIRED_CHANGE: dict[EventType, str] = {
    EventType.EMAIL_CHANGED: "email",
    EventType.PHONE_CHANGED: "phone",
    EventType.ADDRESS_ADDED: "address",
    EventType.ADDRESS_CHANGED: "address",
}


class AccountEvent(_Strict):
    """One thing that happened to a customer's account, as the shop saw it."""

    event_id: Identifier = Field(
        description="The shop's id for this event: a retried event is stored once",
        examples=["EV-2026-000123"],
    )
    type: EventType = Field(description="What happened", examples=["login_succeeded"])
    account_id: Identifier = Field(description="The shop's account id", examples=["C-104233"])
    occurred_at: Timestamp = Field(
        description="When it happened (ISO 8601 with offset)",
        examples=["2026-11-25T13:57:00+01:00"],
    )
    ip_address: IpAddress = Field(
        description="The IP address the shop's front end saw", examples=["145.53.12.7"]
    )
    user_agent: UserAgent | None = Field(
        None, description="The browser's User-Agent header",
        examples=["Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Firefox/133.0"],
    )
    device_id: Identifier | None = Field(
        None, description="Device fingerprint from the shop's front end",
        examples=["dev-7f3a9c2e41b8"],
    )
    change: AccountChange | None = Field(
        None, description="The new value, for the change events that set one",
        validate_default=True,
    )

    @field_validator("change")
    @classmethod
    def _change_fits_type(
        cls, change: AccountChange | None, info: ValidationInfo
    ) -> AccountChange | None:
        # a field validator, not a model one: the 422 then names `change`, not the body
        event_type = info.data.get("type")
        if event_type is None:  # the type itself was refused; that error says enough
            return change
        needed = _REQUIRED_CHANGE.get(event_type)
        given = (
            {k for k, v in change.model_dump().items() if v is not None}
            if change is not None
            else set()
        )
        if needed is None and given:
            raise ValueError(f"a {event_type.value} event carries no change")
        if needed is not None and given != {needed}:
            raise ValueError(f"a {event_type.value} event needs change.{needed} and nothing else")
        return change


def parse_event(data: object) -> AccountEvent:
    """Validate JSON text, or a JSON-decoded object, as an :class:`AccountEvent`.

    Raises ``pydantic.ValidationError``.
    """
    if isinstance(data, (str, bytes)):
        return AccountEvent.model_validate_json(data)
    return AccountEvent.model_validate(data)
