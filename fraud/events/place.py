"""Where an event's IP was when the event arrived, and what history keeps of the event.

An event is placed once, on arrival, with the geo database of that day: impossible
travel compares this place with the places stored beside earlier events, so history
needs no geo look-up and a newer database never moves an old login.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fraud.events.history import PastEvent
from fraud.events.schema import AccountEvent
from fraud.keys import address_key, bounded
from fraud.times import utc


@dataclass(frozen=True)
class Placement:
    """The IP's country and coordinates; ``None`` where the database does not say."""

    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


UNPLACED = Placement()


def place_ip(geo: Any | None, ip: str) -> Placement:
    """Look ``ip`` up in ``geo`` (a :class:`fraud.geo.GeoLocator`, or None: unplaced).

    A private or unknown address, or a failing database, is unplaced: the login signals
    that need a place then say "unknown" instead of guessing.
    """
    if geo is None:
        return UNPLACED
    try:
        found = geo.lookup(ip)
    except Exception:  # a broken database must not stop the event: its place is unknown
        return UNPLACED
    if not found.found:
        return UNPLACED
    return Placement(found.country_iso, found.lat, found.lon)


def ip_key(event: AccountEvent) -> str:
    """The IP as history links it (the same text as an order's ``ip`` key)."""
    return str(event.ip_address)


def changed_address_key(event: AccountEvent) -> str | None:
    """The added or changed address, normalised like an order's shipping address, so an
    order can tell it ships to the address just added."""
    changed = event.change.address if event.change is not None else None
    return None if changed is None else bounded(address_key(changed))


def past_event(
    event: AccountEvent, placement: Placement = UNPLACED, action: str | None = None
) -> PastEvent:
    """What history keeps of ``event`` once it is stored (or added to a MemoryEvents),
    with its own decision's ``action`` when it had one."""
    return PastEvent(
        event_id=event.event_id,
        type=event.type,
        account_id=event.account_id,
        occurred_at=utc(event.occurred_at),
        ip_key=ip_key(event),
        device_key=event.device_id,
        ip_country=placement.country,
        ip_latitude=placement.latitude,
        ip_longitude=placement.longitude,
        action=action,
        address_key=changed_address_key(event),
    )
