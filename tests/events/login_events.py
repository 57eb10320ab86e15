"""Account events for tests: ``make_event(**overrides)`` validated through the real schema,
and ``past(...)`` for the PastEvent rows a view returns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fraud.events.history import PastEvent
from fraud.events.schema import AccountEvent, EventType, parse_event

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

# IP addresses and where a geo database would place them (fixed here, so distances are)
UTRECHT = ("77.160.34.12", "NL", 52.0908, 5.1222)
AMSTERDAM = ("77.161.1.1", "NL", 52.3676, 4.9041)
BERLIN = ("87.128.200.7", "DE", 52.5200, 13.4050)
LAGOS = ("105.112.1.1", "NG", 6.5244, 3.3792)


def make_event(**overrides: Any) -> AccountEvent:
    data: dict[str, Any] = {
        "event_id": "EV-1",
        "type": "login_succeeded",
        "account_id": "C-1",
        "occurred_at": T0.isoformat(),
        "ip_address": UTRECHT[0],
        "user_agent": "Mozilla/5.0",
        "device_id": "dev-home",
    }
    for key, value in overrides.items():
        data[key] = value.isoformat() if isinstance(value, datetime) else value
    return parse_event(data)


def past(
    event_id: str,
    at: datetime,
    *,
    type: EventType = EventType.LOGIN_SUCCEEDED,  # noqa: A002 - the field's name
    account: str = "C-1",
    place: tuple[str, str, float, float] = UTRECHT,
    device: str | None = "dev-home",
) -> PastEvent:
    ip, country, lat, lon = place
    return PastEvent(event_id, type, account, at, ip, device, country, lat, lon)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
