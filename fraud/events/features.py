"""Order features from the account's events: what happened to the account just before
it ordered (a login from a new device or country, failed logins, a password reset, a new
e-mail, phone or delivery address).

Pure functions over the order's facts and the account's events strictly before the
order's ``created_at`` (an :class:`~fraud.events.history.EventsView` hands them over,
oldest first): an event at the order's own instant or later never counts, so an order
scored online, in batch or in a backtest sees the same events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fraud.domain import FeatureValue
from fraud.events.history import EventsView, MemoryEvents, PastEvent
from fraud.events.schema import ACCOUNT_CHANGES, EventType
from fraud.times import utc

LOOKBACK = timedelta(days=90)
"""How far back the account's events are read: the usual login country and the devices
the account logged in from are learnt over this window."""

RECENT = timedelta(hours=24)
"""A login from a new device or country, or an account change, counts as "just before the
order" within this window (a takeover orders within hours of getting in)."""

FAILED_WINDOW = timedelta(hours=1)

ADDRESS_CHANGES = frozenset({EventType.ADDRESS_ADDED, EventType.ADDRESS_CHANGED})
PASSWORD_CHANGES = frozenset({EventType.PASSWORD_RESET_REQUESTED, EventType.PASSWORD_CHANGED})
CONTACT_CHANGES = frozenset({EventType.EMAIL_CHANGED, EventType.PHONE_CHANGED})

CHANGE_WORDS: dict[EventType, str] = {
    EventType.ADDRESS_ADDED: "Delivery address added",
    EventType.ADDRESS_CHANGED: "Delivery address changed",
    EventType.PASSWORD_RESET_REQUESTED: "Password reset",
    EventType.PASSWORD_CHANGED: "Password changed",
    EventType.EMAIL_CHANGED: "E-mail address changed",
    EventType.PHONE_CHANGED: "Phone number changed",
}
"""How a reason names each change ("Delivery address added 6 minutes before the order")."""


@dataclass(frozen=True)
class OrderFacts:
    """The little an order contributes to its event features."""

    account_id: str | None
    created_at: datetime
    device_key: str | None
    shipping_address_key: str


EMPTY: dict[str, FeatureValue] = {
    "minutes_since_address_change": None,
    "address_change_words": None,
    "ships_to_changed_address": None,
    "minutes_since_password_change": None,
    "password_change_words": None,
    "minutes_since_contact_change": None,
    "contact_change_words": None,
    "minutes_since_account_change": None,
    "account_change_words": None,
    "account_changes_24h": None,
    "account_change_foreign": None,
    "foreign_change_words": None,
    "minutes_since_foreign_change": None,
    "account_change_country": None,
    "usual_login_country": None,
    "first_login_from_device": None,
    "failed_logins_1h": None,
    "new_country_login_24h": None,
    "new_login_country": None,
}
"""Every feature this module fills; all empty for a guest or when no events are known."""


def minutes_between(earlier: datetime, later: datetime) -> float:
    """Whole minutes, rounded down: "6 minutes before" means at least 6, not 5.5."""
    return float((later - earlier) // timedelta(minutes=1))


def last_of(events: Sequence[PastEvent], types: frozenset[EventType]) -> PastEvent | None:
    """The latest event of one of ``types`` (events come oldest first)."""
    for event in reversed(events):
        if event.type in types:
            return event
    return None


def successful_logins(events: Sequence[PastEvent]) -> list[PastEvent]:
    return [e for e in events if e.type is EventType.LOGIN_SUCCEEDED]


def usual_country(logins: Sequence[PastEvent], before: datetime) -> str | None:
    """The country most of the account's successful logins before ``before`` came from
    (the most recent of equally common ones); None when none could be placed."""
    counts: Counter[str] = Counter()
    latest: dict[str, datetime] = {}
    for login in logins:
        if login.occurred_at < before and login.ip_country:
            counts[login.ip_country] += 1
            latest[login.ip_country] = login.occurred_at
    if not counts:
        return None
    return max(counts, key=lambda c: (counts[c], latest[c]))


def change_features(facts: OrderFacts, events: Sequence[PastEvent]) -> dict[str, FeatureValue]:
    """How long before the order the address, password and contact details changed,
    whether the order ships to the address just added, and whether a change of the last
    24 hours came from another country than the account usually logs in from."""
    out: dict[str, FeatureValue] = {}
    for prefix, types in (("address", ADDRESS_CHANGES), ("password", PASSWORD_CHANGES),
                          ("contact", CONTACT_CHANGES), ("account", ACCOUNT_CHANGES)):
        last = last_of(events, types)
        out[f"minutes_since_{prefix}_change"] = (
            None if last is None else minutes_between(last.occurred_at, facts.created_at))
        out[f"{prefix}_change_words"] = None if last is None else CHANGE_WORDS[last.type]
    addresses = [e.address_key for e in events if e.type in ADDRESS_CHANGES]
    out["ships_to_changed_address"] = (
        facts.shipping_address_key in addresses if addresses else None)
    recent = [e for e in events
              if e.type in ACCOUNT_CHANGES and facts.created_at - e.occurred_at <= RECENT]
    out["account_changes_24h"] = float(len(recent))
    out.update(foreign_change(recent, successful_logins(events), facts.created_at))
    return out


def foreign_change(
    recent: Sequence[PastEvent], logins: Sequence[PastEvent], at: datetime
) -> dict[str, FeatureValue]:
    """The first of the recent account changes that came from another country than the
    account usually logs in from (a takeover's changes come from where it logged in).
    The usual country is where most successful logins before the last 24 hours came from."""
    out: dict[str, FeatureValue] = {
        "account_change_foreign": None, "foreign_change_words": None,
        "minutes_since_foreign_change": None, "account_change_country": None,
        "usual_login_country": None,
    }
    # learnt from logins before the last day only: a takeover's own logins just before
    # its changes must not make the fraudster's country the usual one
    usual = usual_country(logins, at - RECENT)
    for change in recent:
        if usual is None or not change.ip_country:
            continue
        out["account_change_foreign"] = change.ip_country != usual
        if change.ip_country != usual:
            out.update(foreign_change_words=CHANGE_WORDS[change.type],
                       minutes_since_foreign_change=minutes_between(change.occurred_at, at),
                       account_change_country=change.ip_country, usual_login_country=usual)
            break
    return out


def login_features(facts: OrderFacts, events: Sequence[PastEvent]) -> dict[str, FeatureValue]:
    """First login from the order's device, failed logins in the hour before, and a login
    from a country the account never logged in from, in the 24 hours before."""
    logins = successful_logins(events)
    recent_from = facts.created_at - RECENT
    old = [e for e in logins if e.occurred_at < recent_from]
    out: dict[str, FeatureValue] = {
        "failed_logins_1h": float(sum(
            1 for e in events
            if e.type is EventType.LOGIN_FAILED
            and facts.created_at - e.occurred_at <= FAILED_WINDOW)),
        "first_login_from_device": None,
        "new_country_login_24h": None,
        "new_login_country": None,
    }
    # "First login from this device": the account logged in before, but never from this
    # device until the last 24 hours (a takeover logs in, then orders, from one device).
    if facts.device_key is not None and old:
        out["first_login_from_device"] = all(e.device_key != facts.device_key for e in old)
    known = {e.ip_country for e in old if e.ip_country}
    if known:
        new = [e.ip_country for e in logins
               if e.occurred_at >= recent_from and e.ip_country and e.ip_country not in known]
        out["new_country_login_24h"] = bool(new)
        out["new_login_country"] = new[-1] if new else None
    return out


def event_features(facts: OrderFacts, events: Sequence[PastEvent]) -> dict[str, FeatureValue]:
    """Every event feature of one order from its account's earlier events (oldest first)."""
    if facts.account_id is None:
        return dict(EMPTY)
    early = [e for e in events if e.occurred_at < facts.created_at]  # never trust the caller
    return {**EMPTY, **change_features(facts, early), **login_features(facts, early)}


def read_events(view: EventsView, facts: OrderFacts) -> list[PastEvent]:
    """The account's events in the look-back window before the order, oldest first."""
    if facts.account_id is None:
        return []
    return view.account_events(facts.account_id, facts.created_at,
                               facts.created_at - LOOKBACK)


def snapshot(view: EventsView, account_id: str | None, created_at: datetime) -> MemoryEvents:
    """The account's events an order at ``created_at`` can see, read once from ``view``.

    The service reads them before it takes the connection it scores and stores the order
    on, so one request never holds a connection while waiting for another.
    """
    if account_id is None:
        return MemoryEvents()
    at = utc(created_at)
    return MemoryEvents.from_events(view.account_events(account_id, at, at - LOOKBACK))
