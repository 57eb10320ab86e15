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

from fraud.events.history import MemoryEvents
from fraud.events.place import past_event, place_ip
from fraud.events.schema import AccountEvent, parse_event


def parse_event_record(record: Mapping[str, Any]) -> AccountEvent:
    return parse_event(dict(record))


def read_event_file(path: str | Path, *, skip_bad: bool = False) -> list[AccountEvent]:
    """Validated events of a JSONL file (.gz ok).

    A bad line raises :class:`fraud.records.BadRecord` naming the file and line;
    ``skip_bad`` leaves it out instead.
    """
    from fraud.records import load_records

    return load_records(path, parse_event_record, skip_bad=skip_bad).items


def memory_events(events: Iterable[AccountEvent], geo: Any | None = None) -> MemoryEvents:
    """An in-memory view of ``events``, each placed by ``geo`` (a
    :class:`fraud.geo.GeoLocator`) as the service places a posted event; a repeated event
    id is kept once, as online."""
    return MemoryEvents.from_events(past_event(e, place_ip(geo, str(e.ip_address)))
                                    for e in events)
