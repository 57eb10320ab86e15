"""Scoring a file of account events the way the service scores them one by one.

Every valid event is placed, then the events are scored in time order through
:func:`~fraud.events.scoring.score_event`, each against a
:class:`~fraud.events.history.MemoryEvents` of the earlier ones with their decisions. A
file thus gives the decisions the service gives the same events sent in time order,
whatever order the file lists them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError

from fraud.decision import Thresholds
from fraud.events.history import MemoryEvents
from fraud.events.place import Placement, past_event, place_ip
from fraud.events.rules import EventRules
from fraud.events.schema import AccountEvent, parse_event
from fraud.events.scoring import ScoredEvent, score_event
from fraud.jsonable import json_safe
from fraud.schema import describe_validation_error
from fraud.times import utc

Line = tuple[int, dict | None, str | None]
"""(line number, JSON object or None, error or None), as the CLI reads a JSONL file."""


def decision_dict(event: AccountEvent, scored: ScoredEvent) -> dict[str, Any]:
    """One output line: the API's answer for the event, less when it was stored."""
    decision = scored.decision
    return {
        "event_id": event.event_id,
        "type": event.type.value,
        "decision": decision.action.value if decision is not None else None,
        "score": decision.score if decision is not None else None,
        "reasons": [
            {"code": r.code, "message": r.message, "value": json_safe(r.value)}
            for r in (decision.reasons if decision is not None else ())
        ],
        "rules_version": decision.rules_version if decision is not None else None,
    }


def read_events(
    lines: Iterable[Line], geo: Any | None, source: str
) -> tuple[list[tuple[AccountEvent, Placement]], list[str]]:
    """The file's valid events with their places, and one message per bad line.

    An ``event_id`` given twice with the same content is kept once (a retry); with
    different content the second line is refused, as the service would refuse it.
    """
    kept: dict[str, tuple[AccountEvent, Placement]] = {}
    errors: list[str] = []
    for lineno, obj, error in lines:
        if error is not None or obj is None:
            errors.append(error or f"{source}:{lineno}: empty")
            continue
        try:
            event = parse_event(obj)
        except ValidationError as exc:
            errors.append(f"{source}:{lineno}: {describe_validation_error(exc)}")
            continue
        seen = kept.get(event.event_id)
        if seen is not None:
            if seen[0] != event:
                errors.append(f"{source}:{lineno}: event {event.event_id!r} was given before "
                              "with different contents; an event id must not be reused")
            continue
        kept[event.event_id] = (event, place_ip(geo, str(event.ip_address)))
    return list(kept.values()), errors


def score_events(
    events: list[tuple[AccountEvent, Placement]],
    rules: EventRules,
    thresholds: Thresholds,
    *,
    geo_available: bool = True,
    history: Any | None = None,
    max_reasons: int = 5,
) -> Iterator[tuple[AccountEvent, ScoredEvent]]:
    """Each event scored as of its own time, in time order (ties by event id), and then
    kept with its decision for the later ones, as the service keeps what it stored."""
    view = MemoryEvents()
    for event, place in sorted(events, key=lambda pair: (utc(pair[0].occurred_at),
                                                         pair[0].event_id)):
        scored = score_event(
            event, place, view, rules, thresholds,
            history=history, geo_available=geo_available, max_reasons=max_reasons,
        )
        action = scored.decision.action.value if scored.decision is not None else None
        view.add(past_event(event, place, action))
        yield event, scored
