"""Order features from the account's events, as the pipeline computes them, and what the
default rules decide on them: a takeover is held with reasons naming the changes, an
honest customer who moved a week before ordering is not."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from factories import guest, make_order

from fraud.events.features import EMPTY
from fraud.events.files import memory_events
from fraud.events.history import MemoryEvents, PastEvent
from fraud.events.place import past_event
from fraud.events.schema import EventType, parse_event
from fraud.history import MemoryHistory
from fraud.keys import address_key, bounded
from fraud.rules import load_rules
from fraud.runtime import load_geo
from fraud.schema import Address, Order
from fraud.scoring import score_order
from fraud.settings import Settings
from fraud.signals import Context, compute_signals, feature_catalogue
from fraud.signals.account_events import FEATURES

T0 = datetime(2026, 11, 25, 13, 3, tzinfo=UTC)  # the factory order's created_at
ACCOUNT = "C-104233"
HOME_DEVICE = "dev-home-1"
ATTACKER_DEVICE = "dev-7f3a9c2e41b8"  # the factory order's device
DROP = {"street": "Kanaalweg", "house_number": "12", "postal_code": "3526 KL",
        "city": "Utrecht", "country": "NL", "recipient": None}
_seq = iter(range(1_000_000))


def ev(kind: EventType, minutes_before: float, *, country: str | None = "NL",
       device: str | None = HOME_DEVICE, address: dict | None = None,
       account: str = ACCOUNT) -> PastEvent:
    """One past event of the account, ``minutes_before`` the order (negative: after it)."""
    return PastEvent(
        event_id=f"E-{next(_seq)}", type=kind, account_id=account,
        occurred_at=T0 - timedelta(minutes=minutes_before), ip_key="198.51.100.7",
        device_key=device, ip_country=country,
        address_key=None if address is None else bounded(address_key(Address(**address))),
    )


def habits(days: int = 60) -> list[PastEvent]:
    """Ordinary logins from home, one every ten days for ``days`` days."""
    return [ev(EventType.LOGIN_SUCCEEDED, d * 1440) for d in range(days, 1, -10)]


def features(order: Order, events: Iterable[PastEvent] | None) -> dict:
    view = None if events is None else MemoryEvents.from_events(events)
    out = compute_signals(order, Context(settings=Settings(), events=view))
    assert "account_events" not in out.unavailable
    return {name: out.values[name] for name in EMPTY}


def takeover() -> list[PastEvent]:
    """Failed logins, a login from abroad on a new device, a password reset and a new
    delivery address from there, then the order 6 minutes later."""
    far = {"country": "RO", "device": ATTACKER_DEVICE}
    return [*habits(),
            *(ev(EventType.LOGIN_FAILED, 45 - i, **far) for i in range(3)),
            ev(EventType.LOGIN_SUCCEEDED, 30, **far),
            ev(EventType.PASSWORD_RESET_REQUESTED, 28, **far),
            ev(EventType.PASSWORD_CHANGED, 20, **far),
            ev(EventType.ADDRESS_ADDED, 6, address=DROP, **far)]


def test_the_signal_declares_every_feature_it_fills() -> None:
    assert {f.name for f in FEATURES} == set(EMPTY)
    for f in FEATURES:
        assert feature_catalogue()[f.name].signal == "account_events"


def test_without_events_or_for_a_guest_the_features_are_empty_not_unavailable() -> None:
    assert all(v is None for v in features(make_order(), None).values())
    assert all(v is None for v in features(make_order(**guest()), takeover()).values())


def test_a_takeover_shows_every_step_before_the_order() -> None:
    got = features(make_order(shipping_address=DROP), takeover())
    assert got["minutes_since_address_change"] == 6
    assert got["address_change_words"] == "Delivery address added"
    assert got["ships_to_changed_address"] is True
    assert got["minutes_since_password_change"] == 20
    assert got["password_change_words"] == "Password changed"  # noqa: S105 (words)
    assert got["account_changes_24h"] == 3
    assert got["account_change_foreign"] is True
    assert got["foreign_change_words"] == "Password reset"
    assert got["minutes_since_foreign_change"] == 28
    assert (got["account_change_country"], got["usual_login_country"]) == ("RO", "NL")
    assert got["first_login_from_device"] is True
    assert got["failed_logins_1h"] == 3
    assert got["new_country_login_24h"] is True
    assert got["new_login_country"] == "RO"


def test_an_event_at_or_after_the_order_never_influences_it() -> None:
    order = make_order(shipping_address=DROP)
    before = features(order, habits())
    later = [ev(t, m, country="RO", device=ATTACKER_DEVICE, address=DROP if a else None)
             for m in (0, -0.01, -5, -600)
             for t, a in ((EventType.LOGIN_FAILED, False), (EventType.LOGIN_SUCCEEDED, False),
                          (EventType.PASSWORD_CHANGED, False), (EventType.ADDRESS_ADDED, True))]
    assert features(order, habits() + later) == before
    assert before["minutes_since_account_change"] is None
    assert before["first_login_from_device"] is True  # the home device only, so far
    assert before["failed_logins_1h"] == 0


def test_a_view_that_returns_too_much_still_cannot_leak_the_future() -> None:
    class Leaky:
        def account_events(self, account_id: str, before: datetime, since: datetime) -> list:
            return [*habits(), ev(EventType.ADDRESS_ADDED, 0, address=DROP)]

        def ip_events(self, ip_key: str, before: datetime, since: datetime) -> list:
            return []

    out = compute_signals(make_order(shipping_address=DROP),
                          Context(settings=Settings(), events=Leaky()))
    assert out.values["minutes_since_address_change"] is None


def test_the_device_counts_as_known_once_it_logged_in_before_the_last_day() -> None:
    order = make_order()
    seen = [*habits(), ev(EventType.LOGIN_SUCCEEDED, 3 * 1440, device=ATTACKER_DEVICE)]
    assert features(order, seen)["first_login_from_device"] is False
    just_now = [*habits(), ev(EventType.LOGIN_SUCCEEDED, 10, device=ATTACKER_DEVICE)]
    assert features(order, just_now)["first_login_from_device"] is True
    no_history = [ev(EventType.LOGIN_SUCCEEDED, 10, device=ATTACKER_DEVICE)]
    assert features(order, no_history)["first_login_from_device"] is None


def test_the_usual_country_is_where_most_logins_came_from() -> None:
    events = [*habits(), ev(EventType.LOGIN_SUCCEEDED, 5000, country="BE"),
              ev(EventType.EMAIL_CHANGED, 30, country="BE")]
    got = features(make_order(), events)
    assert got["usual_login_country"] == "NL"
    assert got["account_change_foreign"] is True
    assert got["contact_change_words"] == "E-mail address changed"
    assert got["new_country_login_24h"] is False  # BE was seen days before


def test_the_takeovers_own_logins_never_make_its_country_the_usual_one() -> None:
    """One login from home weeks ago, then the fraudster's login and change: a tie in
    numbers, but only the logins before the last day say where the customer lives."""
    far = {"country": "RO", "device": ATTACKER_DEVICE}
    events = [ev(EventType.LOGIN_SUCCEEDED, 21 * 1440), ev(EventType.LOGIN_SUCCEEDED, 32, **far),
              ev(EventType.PASSWORD_RESET_REQUESTED, 20, **far)]
    got = features(make_order(), events)
    assert (got["account_change_foreign"], got["usual_login_country"]) == (True, "NL")
    assert got["foreign_change_words"] == "Password reset"


RULES = load_rules(Settings().rules_path)
GEO = load_geo(Settings(), {})


def decide(order: Order, events: list[PastEvent]):  # noqa: ANN201 - a Decision
    ctx = Context(settings=Settings(), geo=GEO, history=MemoryHistory(),
                  events=MemoryEvents.from_events(events))
    return score_order(order, ctx, RULES).decision


@pytest.mark.parametrize("amount", ["104.85", "689.00"])
def test_the_takeover_is_held_with_reasons_naming_the_account_changes(amount: str) -> None:
    decision = decide(make_order(shipping_address=DROP, payment={"amount": amount}), takeover())
    assert decision.action.name in ("REVIEW", "DECLINE")
    hits = {r.code for r in decision.reasons}
    assert "account_changed_after_new_login" in hits
    words = " ".join(r.message for r in decision.reasons)
    assert "Delivery address added 6 minutes before the order" in words
    assert "Password reset 28 minutes before the order from another country (RO" in words


def test_an_honest_customer_who_moved_a_week_before_ordering_is_not_held() -> None:
    events = [*habits(),
              ev(EventType.ADDRESS_CHANGED, 7 * 1440 + 30, address=DROP),
              ev(EventType.LOGIN_SUCCEEDED, 12)]
    order = make_order(shipping_address=DROP, billing_address=DROP,
                       payment={"amount": "689.00"})
    got = features(order, events)
    assert got["ships_to_changed_address"] is True
    assert got["minutes_since_address_change"] == 7 * 1440 + 30
    decision = decide(order, events)
    assert decision.action.name == "APPROVE"
    assert not {r.code for r in decision.reasons} & {
        "ships_to_address_just_added", "account_changed_after_new_login"}


def test_a_new_phone_or_a_forgotten_password_alone_is_not_held_but_both_are() -> None:
    order = make_order(payment={"amount": "689.00"})  # from ATTACKER_DEVICE
    new_phone = [*habits(), ev(EventType.LOGIN_SUCCEEDED, 8, device=ATTACKER_DEVICE)]
    assert decide(order, new_phone).action.name == "APPROVE"
    forgot = [*habits(), ev(EventType.PASSWORD_CHANGED, 12)]
    home = make_order(payment={"amount": "689.00"}, device_id=HOME_DEVICE)
    assert decide(home, forgot).action.name == "APPROVE"
    # a password reset on a device never seen before, then a large order: the takeover's
    # shape, which an honest customer with a new phone shares; a reviewer looks
    both = [*new_phone, ev(EventType.PASSWORD_CHANGED, 5, device=ATTACKER_DEVICE)]
    assert decide(order, both).action.name == "REVIEW"


def test_an_events_file_line_becomes_the_same_past_event_as_the_store_keeps() -> None:
    line = {"event_id": "EV-1", "type": "address_added", "account_id": ACCOUNT,
            "occurred_at": "2026-11-25T13:57:00+01:00", "ip_address": "77.163.112.45",
            "device_id": "dev-1", "change": {"address": {**DROP, "street": "kanaalweg "}}}
    event = parse_event(line)
    kept = past_event(event)
    assert kept.occurred_at == T0 - timedelta(minutes=6)
    assert kept.address_key == bounded(address_key(Address(**DROP)))  # normalised alike
    view = memory_events([event, event])
    assert len(view) == 1  # a retried event is kept once
