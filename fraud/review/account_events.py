"""The account's events on the order page: logins and account changes around the order,
each with when it happened relative to the order, where its IP was, whether its device
was new to the account and what the service decided (read from what was stored, never
scored again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from fraud.store.event_store import account_event_rows

SHOWN = 25
"""The account's latest this many events up to a day after the order."""

AFTER = timedelta(days=1)

TYPE_WORDS = {
    "login_succeeded": "login",
    "login_failed": "failed login",
    "password_reset_requested": "password reset requested",
    "password_changed": "password changed",
    "email_changed": "e-mail changed",
    "phone_changed": "phone changed",
    "address_added": "address added",
    "address_changed": "address changed",
    "account_created": "account created",
}


@dataclass(frozen=True)
class EventLine:
    event_id: str
    what: str
    occurred_at: datetime
    relative: str  # "6 minutes before the order"
    country: str | None
    device_new: bool | None
    decision: str | None
    account_change: bool
    detail: str | None = None  # the new e-mail, phone or address: customer text, escaped

    @property
    def after_order(self) -> bool:
        return self.relative.endswith("after the order")


def relative_to(moment: datetime, order_time: datetime) -> str:
    """'6 minutes before the order', '2 days after the order', 'at the order's time'."""
    seconds = (moment - order_time).total_seconds()
    if abs(seconds) < 60:
        return "at the order's time"
    side = "before" if seconds < 0 else "after"
    minutes = abs(seconds) / 60
    for size, unit in ((60 * 24, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size:
            n = int(minutes // size)
            return f"{n} {unit}{'s' if n != 1 else ''} {side} the order"
    return f"{side} the order"  # pragma: no cover - minutes >= 1 here


def change_detail(change: Any) -> str | None:
    """What an account change set, in one line: the e-mail, the phone or the address."""
    if not isinstance(change, dict):
        return None
    if change.get("email"):
        return str(change["email"])
    if change.get("phone"):
        return str(change["phone"])
    address = change.get("address")
    if isinstance(address, dict):
        street = " ".join(str(address.get(k) or "") for k in ("street", "house_number")).strip()
        place = " ".join(str(address.get(k) or "") for k in ("postal_code", "city")).strip()
        return ", ".join(p for p in (street, place, str(address.get("country") or "")) if p)
    return None


def events_around(conn: Connection, account_id: str | None, order_time: datetime) -> tuple[
    EventLine, ...
]:
    """The account's latest events up to a day after ``order_time``, newest first."""
    if account_id is None:
        return ()
    lines = []
    for stored in account_event_rows(conn, account_id, before=order_time + AFTER, limit=SHOWN):
        device_new = stored.features.get("device_new")
        lines.append(EventLine(
            event_id=stored.event_id,
            what=TYPE_WORDS.get(stored.type.value, stored.type.value),
            occurred_at=stored.past.occurred_at,
            relative=relative_to(stored.past.occurred_at, order_time),
            country=stored.past.ip_country,
            device_new=device_new if isinstance(device_new, bool) else None,
            decision=stored.decision.action.value if stored.decision is not None else None,
            account_change=stored.type.value not in ("login_succeeded", "login_failed"),
            detail=change_detail(stored.event.get("change")),
        ))
    return tuple(lines)
