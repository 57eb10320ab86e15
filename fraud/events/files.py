"""Account events from a file, as history for batch scoring, backtests and training.

The file holds one :class:`~fraud.events.schema.AccountEvent` per line (JSONL, .gz ok),
as ``POST /v1/events`` receives them and ``fraud simulate`` writes them. Each becomes the
:class:`~fraud.events.history.PastEvent` the store keeps of a posted event (the IP placed
by the same geo database, the address normalised like an order's), so an order scored in
batch sees exactly what it would have seen online.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fraud.events.history import MemoryEvents, PastEvent
from fraud.events.schema import AccountEvent, parse_event
from fraud.keys import address_key, bounded
from fraud.times import utc


def parse_event_record(record: Mapping[str, Any]) -> AccountEvent:
    return parse_event(dict(record))


def read_event_file(path: str | Path, *, skip_bad: bool = False) -> list[AccountEvent]:
    """Validated events of a JSONL file (.gz ok).

    A bad line raises :class:`fraud.records.BadRecord` naming the file and line;
    ``skip_bad`` leaves it out instead.
    """
    from fraud.records import load_records

    return load_records(path, parse_event_record, skip_bad=skip_bad).items


def past_event(event: AccountEvent, geo: Any | None = None) -> PastEvent:
    """What history keeps of one event; ``geo`` (a :class:`fraud.geo.GeoLocator`) places
    its IP, as the service does when the event arrives."""
    place = geo.lookup(str(event.ip_address)) if geo is not None else None
    changed = event.change.address if event.change is not None else None
    return PastEvent(
        event_id=event.event_id,
        type=event.type,
        account_id=event.account_id,
        occurred_at=utc(event.occurred_at),
        ip_key=str(event.ip_address),
        device_key=event.device_id,
        ip_country=place.country_iso if place is not None else None,
        ip_latitude=place.lat if place is not None else None,
        ip_longitude=place.lon if place is not None else None,
        address_key=bounded(address_key(changed)) if changed is not None else None,
    )


def memory_events(events: Iterable[AccountEvent], geo: Any | None = None) -> MemoryEvents:
    """An in-memory view of ``events``; a repeated event id is kept once, as online."""
    return MemoryEvents.from_events(past_event(e, geo) for e in events)
