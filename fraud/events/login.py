"""Login signals: small pure functions of one event and the past events of its account
and its IP, as of the event's own time (docs/events.md lists them with their thresholds).

Nothing here reads a clock, a database or the geo file: the caller hands in the event's
place and what an :class:`~fraud.events.history.EventsView` returned, so the service,
batch scoring and tests compute the same values from the same past.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fraud.domain import Feature, FeatureValue
from fraud.events.history import PastEvent
from fraud.events.place import Placement
from fraud.events.schema import EventType
from fraud.geo import haversine_km

KNOWN_LOOKBACK = timedelta(days=90)
"""Devices and countries of the account's successful logins this far back are 'known'."""

FAILED_WINDOW = timedelta(hours=1)
"""Failed logins per account and per IP are counted over this window."""

AIRLINER_KMH = 900.0
"""Faster than this between two successful logins is impossible travel."""

TRAVEL_FLOOR_KM = 500.0
"""Below this distance a jump is not travel at all: an IP's place is a city or a country's
centre, mobile carriers and VPN exits move it hundreds of km without anyone moving."""

MIN_ELAPSED = timedelta(minutes=1)
"""Two logins in the same second are not infinitely fast: time counts as at least this."""


@dataclass(frozen=True)
class LinkedFraud:
    """Confirmed fraud and chargebacks on orders that shared this IP or device (as of the
    event's time); ``None`` where no order history was available."""

    ip: int | None = None
    device: int | None = None


EVENT_FEATURES: tuple[Feature, ...] = (
    Feature("event_type", "cat", "What happened: login_succeeded, login_failed, ...", "login"),
    Feature("ip_country", "cat", "Country of the event's IP address (ISO code).", "login"),
    Feature("account_known_logins", "num",
            "Successful logins of the account in the 90 days before this event (not counting "
            "those the service challenged or blocked).", "login"),
    Feature("device_new", "bool",
            "The device id was not seen on a successful login of the account in 90 days "
            "(unknown without a device id).", "login"),
    Feature("country_new", "bool",
            "The IP's country was not seen on a successful login of the account in 90 days "
            "(unknown when the IP cannot be placed).", "login"),
    Feature("last_login_country", "cat",
            "Country of the account's previous successful login.", "login"),
    Feature("last_login_km", "num",
            "Distance in km between the previous successful login's IP and this one's.", "login"),
    Feature("last_login_minutes", "num",
            "Minutes since the account's previous successful login.", "login"),
    Feature("travel_kmh", "num",
            "Speed needed to get from the previous successful login to this one, in km/h "
            "(unknown below 500 km, where IP places are too coarse to tell).", "login"),
    Feature("impossible_travel", "bool",
            "Getting from the previous successful login to this one would take a speed "
            "above an airliner's (900 km/h).", "login"),
    Feature("account_failed_logins_1h", "num",
            "Failed logins on the account in the hour before this event.", "login"),
    Feature("ip_failed_logins_1h", "num",
            "Failed logins from this IP, on any account, in the hour before this event.",
            "login"),
    Feature("ip_failed_accounts_1h", "num",
            "Distinct accounts with a failed login from this IP in the hour before this "
            "event (credential stuffing tries many).", "login"),
    Feature("ip_linked_fraud", "num",
            "Confirmed fraud or chargebacks on earlier orders placed from this IP.", "login"),
    Feature("device_linked_fraud", "num",
            "Confirmed fraud or chargebacks on earlier orders placed from this device.",
            "login"),
)
"""The features event rules may use (``fraud rules check`` knows them for event files)."""

EVENT_CATALOGUE = {feature.name: feature for feature in EVENT_FEATURES}


TRUSTED_ACTIONS = frozenset({None, "allow"})
"""A login the service challenged or blocked may be the fraudster's: its device and place
are not the account's, and the owner's next login is not measured from it."""


def successful_logins(events: Iterable[PastEvent], since: datetime) -> list[PastEvent]:
    """The account's logins that succeeded and that the service let through."""
    return [
        e for e in events
        if e.type == EventType.LOGIN_SUCCEEDED and e.occurred_at >= since
        and e.action in TRUSTED_ACTIONS
    ]


def device_new(device: str | None, logins: Sequence[PastEvent]) -> bool | None:
    """Not among the devices of the account's successful logins; unknown without one."""
    if device is None:
        return None
    return all(e.device_key != device for e in logins)


def country_new(country: str | None, logins: Sequence[PastEvent]) -> bool | None:
    """Not among the countries of the account's successful logins; unknown when unplaced."""
    if country is None:
        return None
    return all(e.ip_country != country for e in logins)


def travel_km(previous: PastEvent, here: Placement) -> float | None:
    """Great-circle distance between a past login's place and this event's, or None."""
    if (
        previous.ip_latitude is None
        or previous.ip_longitude is None
        or here.latitude is None
        or here.longitude is None
    ):
        return None
    return haversine_km(previous.ip_latitude, previous.ip_longitude, here.latitude, here.longitude)


def travel_kmh(km: float | None, elapsed: timedelta) -> float | None:
    """The speed that distance in that time needs; None below :data:`TRAVEL_FLOOR_KM`."""
    if km is None or km < TRAVEL_FLOOR_KM:
        return None
    hours = max(elapsed, MIN_ELAPSED).total_seconds() / 3600.0
    return km / hours


def impossible_travel(kmh: float | None) -> bool | None:
    """Faster than an airliner. Unknown stays unknown (below the floor it is False)."""
    if kmh is None:
        return None
    return kmh > AIRLINER_KMH


def failed_logins(events: Iterable[PastEvent], since: datetime) -> list[PastEvent]:
    return [e for e in events if e.type == EventType.LOGIN_FAILED and e.occurred_at >= since]


def distinct_accounts(events: Iterable[PastEvent]) -> int:
    return len({e.account_id for e in events})


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def login_features(
    event_type: EventType,
    occurred_at: datetime,
    device: str | None,
    here: Placement,
    account_past: Sequence[PastEvent],
    ip_past: Sequence[PastEvent],
    linked: LinkedFraud = LinkedFraud(),  # noqa: B008 - frozen, never mutated
) -> dict[str, FeatureValue]:
    """Every event feature, from the account's and the IP's events strictly before
    ``occurred_at`` (oldest first; the caller asked the view for them)."""
    logins = successful_logins(account_past, occurred_at - KNOWN_LOOKBACK)
    previous = logins[-1] if logins else None
    km = travel_km(previous, here) if previous is not None else None
    elapsed = occurred_at - previous.occurred_at if previous is not None else None
    kmh = travel_kmh(km, elapsed) if elapsed is not None else None
    if kmh is None and km is not None:
        impossible: bool | None = False  # a short hop: known not to be impossible
    else:
        impossible = impossible_travel(kmh)
    window_start = occurred_at - FAILED_WINDOW
    ip_failed = failed_logins(ip_past, window_start)
    return {
        "event_type": event_type.value,
        "ip_country": here.country,
        "account_known_logins": len(logins),
        "device_new": device_new(device, logins),
        "country_new": country_new(here.country, logins),
        "last_login_country": previous.ip_country if previous is not None else None,
        "last_login_km": _rounded(km),
        "last_login_minutes": _rounded(elapsed.total_seconds() / 60.0)
        if elapsed is not None else None,
        "travel_kmh": _rounded(kmh, 0),
        "impossible_travel": impossible,
        "account_failed_logins_1h": len(failed_logins(account_past, window_start)),
        "ip_failed_logins_1h": len(ip_failed),
        "ip_failed_accounts_1h": distinct_accounts(ip_failed),
        "ip_linked_fraud": linked.ip,
        "device_linked_fraud": linked.device,
    }
