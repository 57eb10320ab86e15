"""Rule sets per event type: ``<type>.yaml`` files, each a rules file like the order's
(:mod:`fraud.rules.ruleset`), checked against the event features instead of the order's.

The bundled sets live in ``fraud/rules/events/``; ``FRAUD_EVENT_RULES_DIR`` names a
folder of the shop's own. A type without a file is stored without a decision. Each
set is versioned like the order rules (its ``version`` plus a hash of the file), and
:class:`EventRuleBook` keeps the old sets when a reload finds a bad file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from fraud.errors import RulesError
from fraud.events.login import EVENT_CATALOGUE
from fraud.events.schema import EventType
from fraud.rules import RuleSet
from fraud.rules.ruleset import load_rules, parse_rules

log = logging.getLogger(__name__)

EventRules = Mapping[EventType, RuleSet]


def bundled_event_rules_dir() -> Path:
    return Path(str(resources.files("fraud.rules").joinpath("events")))


def parse_event_rules(content: str | bytes, *, source: str = "<string>") -> RuleSet:
    """Validate the text of one event rules file against the event features."""
    return parse_rules(content, EVENT_CATALOGUE, source=source)


def load_event_rules(folder: str | Path | None = None) -> EventRules:
    """Every ``<type>.yaml`` in ``folder`` (default: the bundled ones), by event type.

    A file named after no event type is refused, so a typo is not silently ignored.
    Raises :class:`~fraud.errors.RulesError` naming the file, rule, line and reason.
    """
    where = Path(folder) if folder is not None else bundled_event_rules_dir()
    if not where.is_dir():
        raise RulesError(f"{where}: not a folder of event rules files")
    known = {t.value: t for t in EventType}
    found: dict[EventType, RuleSet] = {}
    for path in sorted(where.glob("*.yaml")):
        event_type = known.get(path.stem)
        if event_type is None:
            raise RulesError(
                f"{path}: not an event type; name the file after one of: {', '.join(known)}"
            )
        found[event_type] = load_rules(path, EVENT_CATALOGUE)
    return MappingProxyType(found)


def rules_versions(rules: EventRules) -> dict[str, str]:
    return {t.value: r.version for t, r in rules.items()}


class EventRuleBook:
    """The running service's event rule sets; a reload with a bad file keeps the old."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self._lock = threading.Lock()
        self._current = load_event_rules(self.folder)
        self.last_error: RulesError | None = None

    @property
    def current(self) -> EventRules:
        return self._current

    def reload(self) -> RulesError | None:
        with self._lock:
            try:
                fresh = load_event_rules(self.folder)
            except RulesError as exc:
                log.error("event rules reload refused, keeping the old ones: %s", exc)
                self.last_error = exc
                return exc
            self._current = fresh
            self.last_error = None
            return None
