"""Account events in the running service: place the IP, score against the stored past,
store the event with its decision. The API is a thin layer over :meth:`EventService.record`.

The retry check, the look-ups and the write each take a pooled connection in turn and
give it back: a request never holds one connection while waiting for another, so a
burst of events cannot starve the pool that order scoring shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fraud.events.place import place_ip
from fraud.events.rules import EventRuleBook
from fraud.events.schema import AccountEvent
from fraud.events.scoring import score_event
from fraud.scoring import thresholds_from
from fraud.settings import Settings
from fraud.store import event_store
from fraud.store.event_store import SqlEvents, StoredEvent
from fraud.store.history import SqlHistory

if TYPE_CHECKING:
    from fraud.runtime import Runtime


@dataclass
class EventService:
    settings: Settings
    engine: Any
    geo: Any | None
    rulebook: EventRuleBook

    @classmethod
    def from_runtime(cls, runtime: Runtime, rules_dir: Path | None = None) -> EventService:
        """The runtime's store and geo database, and the event rules the settings name."""
        folder = rules_dir if rules_dir is not None else runtime.settings.event_rules_dir
        return cls(runtime.settings, runtime.engine, runtime.geo, EventRuleBook(folder))

    def record(self, event: AccountEvent) -> StoredEvent:
        """Score and store one event; a retry returns the stored decision, a different
        event under a stored id raises :class:`~fraud.errors.Conflict`."""
        existing = event_store.find_retry(self.engine, event)
        if existing is not None:
            return existing
        here = place_ip(self.geo, str(event.ip_address))
        scored = score_event(
            event,
            here,
            SqlEvents(self.engine),
            self.rulebook.current,
            thresholds_from(self.settings),
            history=SqlHistory(self.engine),
            geo_available=self.geo is not None,
            max_reasons=self.settings.max_reasons,
        )
        return event_store.save_event(self.engine, event, here, scored.features, scored.decision)

    def get(self, event_id: str) -> StoredEvent | None:
        return event_store.find_event(self.engine, event_id)
