"""Account events as of a point in time: what an order's or a login's score may see.

The same rule as order history (:mod:`fraud.history`): an event at or after the moment
asked about is invisible. :class:`EventsView` is the one question both scoring paths
ask; :class:`MemoryEvents` answers it from memory (batch scoring, backtests, training,
tests) and the store answers it from ``account_events`` (online), with the same
:class:`PastEvent` rows, so online and batch features cannot disagree.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from fraud.events.schema import EventType

EVENT_LIMIT = 200
"""Per account or IP, only the latest this many events are read: a stuffed IP with
thousands of failed logins must not cost a read of all of them per event."""


@dataclass(frozen=True)
class PastEvent:
    """What history keeps of one earlier account event.

    ``ip_country`` and the coordinates are where the IP was placed when the event arrived
    (None when it could not be placed). ``action`` is the event's own decision (``allow``,
    ``challenge``, ``block``; None when its type is not decided): a login the service
    challenged or blocked does not make its device or country the account's own.
    ``address_key`` is the added or changed address, normalised like an order's shipping
    address (:func:`fraud.keys.address_key`), so an order can tell it ships there.
    """

    event_id: str
    type: EventType
    account_id: str
    occurred_at: datetime
    ip_key: str
    device_key: str | None = None
    ip_country: str | None = None
    ip_latitude: float | None = None
    ip_longitude: float | None = None
    action: str | None = None
    address_key: str | None = None


@runtime_checkable
class EventsView(Protocol):
    """Earlier account events, strictly before ``before`` and not before ``since``,
    oldest first, at most :data:`EVENT_LIMIT` (the latest ones)."""

    def account_events(
        self, account_id: str, before: datetime, since: datetime
    ) -> list[PastEvent]: ...

    def ip_events(self, ip_key: str, before: datetime, since: datetime) -> list[PastEvent]: ...


def _sort_key(event: PastEvent) -> tuple[datetime, str]:
    return (event.occurred_at, event.event_id)


def _window(
    events: list[PastEvent], before: datetime, since: datetime, limit: int
) -> list[PastEvent]:
    times = [e.occurred_at for e in events]
    lo = bisect.bisect_left(times, since)
    hi = bisect.bisect_left(times, before)
    return events[max(lo, hi - limit) : hi]


class MemoryEvents:
    """Events held in memory, indexed by account and by IP."""

    def __init__(self, limit: int = EVENT_LIMIT) -> None:
        self._limit = limit
        self._by_account: dict[str, list[PastEvent]] = defaultdict(list)
        self._by_ip: dict[str, list[PastEvent]] = defaultdict(list)
        self._ids: set[str] = set()

    @classmethod
    def from_events(cls, events: Iterable[PastEvent], limit: int = EVENT_LIMIT) -> MemoryEvents:
        view = cls(limit)
        for event in events:
            view.add(event)
        return view

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, event: PastEvent) -> bool:
        """Keep one event; False when its id was already kept (a retried event)."""
        if event.event_id in self._ids:
            return False
        self._ids.add(event.event_id)
        for index in (self._by_account[event.account_id], self._by_ip[event.ip_key]):
            bisect.insort(index, event, key=_sort_key)
        return True

    def account_events(
        self, account_id: str, before: datetime, since: datetime
    ) -> list[PastEvent]:
        return _window(self._by_account.get(account_id, []), before, since, self._limit)

    def ip_events(self, ip_key: str, before: datetime, since: datetime) -> list[PastEvent]:
        return _window(self._by_ip.get(ip_key, []), before, since, self._limit)
