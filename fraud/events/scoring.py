"""Scoring one account event: its login features as of its own time, then its type's
rule set decides ``allow``, ``challenge`` or ``block``.

The decision step is the orders' (:func:`fraud.rules.evaluate` then
:func:`fraud.decision.decide`, with the service's thresholds): ``approve`` reads
``allow``, ``review`` reads ``challenge`` and ``decline`` reads ``block``. The service,
``fraud events score`` and tests call :func:`score_event` with the event's place and a
view of the past; none of them computes a feature or combines points of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from fraud import __version__
from fraud.decision import Thresholds, decide
from fraud.domain import Action, FeatureValue, Reason, RuleResult, Versions
from fraud.events.history import EventsView
from fraud.events.login import FAILED_WINDOW, KNOWN_LOOKBACK, LinkedFraud, login_features
from fraud.events.place import Placement, ip_key
from fraud.events.rules import EventRules
from fraud.events.schema import AccountEvent
from fraud.keys import OrderKeys
from fraud.links import FRAUD_OUTCOMES
from fraud.rules import evaluate
from fraud.times import utc

LINK_WINDOW = timedelta(days=30)
"""How far back orders count for 'customers sharing the key' when links are weighed."""


class EventAction(StrEnum):
    ALLOW = "allow"
    CHALLENGE = "challenge"
    BLOCK = "block"

    @classmethod
    def of(cls, action: Action) -> EventAction:
        return _ACTIONS[action]


_ACTIONS = {
    Action.APPROVE: EventAction.ALLOW,
    Action.REVIEW: EventAction.CHALLENGE,
    Action.DECLINE: EventAction.BLOCK,
}


@dataclass(frozen=True)
class EventKeys:
    """What ``KEY in lists.NAME`` reads in an event rule (the order keys' names)."""

    account: str
    ip: str
    device: str | None


@dataclass(frozen=True)
class EventDecision:
    """What the event's rule set said: an action, a 0–100 score and plain-words reasons."""

    event_id: str
    action: EventAction
    score: int
    reasons: tuple[Reason, ...]
    rule_hits: tuple[RuleResult, ...]
    rules_version: str


@dataclass(frozen=True)
class ScoredEvent:
    """An event's features, and its decision when its type has a rule set."""

    features: dict[str, FeatureValue]
    decision: EventDecision | None
    signals_unavailable: tuple[str, ...] = ()


def linked_fraud(history: Any | None, event: AccountEvent, before: datetime) -> LinkedFraud:
    """Fraud outcomes of earlier orders from the event's IP and device, through the
    order history's own links (:meth:`fraud.history.HistoryView.lookup`), counted once
    per order and key. ``None`` without a history."""
    if history is None:
        return LinkedFraud()
    keys = OrderKeys(account=None, ip=ip_key(event), email="", phone=None,
                     device=event.device_id, address="", card=None)
    snapshot = history.lookup(keys, before, before - LINK_WINDOW)
    bad = {(link.kind, link.order_id) for link in snapshot.links
           if link.outcome in FRAUD_OUTCOMES}
    return LinkedFraud(
        ip=sum(1 for kind, _ in bad if kind == "ip"),
        device=sum(1 for kind, _ in bad if kind == "device") if event.device_id else None,
    )


def event_features(
    event: AccountEvent,
    here: Placement,
    events: EventsView,
    history: Any | None = None,
) -> dict[str, FeatureValue]:
    """The event's features from what happened strictly before its ``occurred_at``."""
    at = utc(event.occurred_at)
    account_past = events.account_events(event.account_id, at, at - KNOWN_LOOKBACK)
    ip_past = events.ip_events(ip_key(event), at, at - FAILED_WINDOW)
    return login_features(
        event.type, at, event.device_id, here, account_past, ip_past,
        linked_fraud(history, event, at),
    )


def decide_event(
    event: AccountEvent,
    features: dict[str, FeatureValue],
    rules: EventRules,
    thresholds: Thresholds,
    *,
    max_reasons: int = 5,
) -> EventDecision | None:
    """The decision of the event type's rule set, or ``None`` when the type has none."""
    ruleset = rules.get(event.type)
    if ruleset is None:
        return None
    keys = EventKeys(event.account_id, ip_key(event), event.device_id)
    results = evaluate(ruleset, features, keys)  # type: ignore[arg-type]
    versions = Versions(rules=ruleset.version, model="none", service=__version__)
    decision = decide(event.event_id, results, thresholds, versions, max_reasons=max_reasons)
    return EventDecision(
        event_id=event.event_id,
        action=EventAction.of(decision.action),
        score=decision.score,
        reasons=decision.reasons,
        rule_hits=decision.rule_hits,
        rules_version=ruleset.version,
    )


def score_event(
    event: AccountEvent,
    here: Placement,
    events: EventsView,
    rules: EventRules,
    thresholds: Thresholds,
    *,
    history: Any | None = None,
    geo_available: bool = True,
    max_reasons: int = 5,
) -> ScoredEvent:
    """Score one event as of its own time: features, then its type's rule set.

    ``history`` is the order history (:class:`fraud.history.HistoryView`) for the
    IP's and device's linked fraud; without one those two features are unknown. A
    missing geo database leaves the country features unknown and is named in
    ``signals_unavailable``; unknown values never make a rule hit.
    """
    features = event_features(event, here, events, history)
    unavailable = ("geo",) if not geo_available else ()
    if history is None:
        unavailable = (*unavailable, "history")
    return ScoredEvent(
        features=features,
        decision=decide_event(event, features, rules, thresholds, max_reasons=max_reasons),
        signals_unavailable=unavailable,
    )
