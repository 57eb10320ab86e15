"""Login signals on constructed sequences: impossible travel, credential stuffing, new
device and country, and as-of correctness (nothing at or after the event counts)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from login_events import AMSTERDAM, BERLIN, LAGOS, T0, UTRECHT, make_event, minutes, past

from fraud.decision import Thresholds
from fraud.events.history import MemoryEvents
from fraud.events.login import AIRLINER_KMH, TRAVEL_FLOOR_KM, login_features
from fraud.events.place import Placement
from fraud.events.rules import load_event_rules
from fraud.events.schema import EventType
from fraud.events.scoring import EventAction, event_features, score_event
from fraud.geo import haversine_km

THRESHOLDS = Thresholds(review=40, decline=80)


def at(place: tuple[str, str, float, float]) -> Placement:
    return Placement(place[1], place[2], place[3])


def features_after(history: list, place: tuple, delay_minutes: float, **kw) -> dict:
    return login_features(
        EventType.LOGIN_SUCCEEDED, T0 + minutes(delay_minutes), kw.get("device", "dev-home"),
        at(place), history, [],
    )


# -- impossible travel ----------------------------------------------------------------------


def test_utrecht_then_lagos_an_hour_later_is_impossible_travel() -> None:
    km = haversine_km(UTRECHT[2], UTRECHT[3], LAGOS[2], LAGOS[3])
    got = features_after([past("a", T0)], LAGOS, 60)
    assert got["last_login_km"] == pytest.approx(km, abs=0.1)
    assert got["travel_kmh"] == pytest.approx(km, abs=1)  # km in one hour
    assert got["travel_kmh"] > AIRLINER_KMH
    assert got["impossible_travel"] is True


def test_utrecht_then_lagos_ten_hours_later_is_a_flight_not_impossible() -> None:
    got = features_after([past("a", T0)], LAGOS, 600)
    assert got["travel_kmh"] < AIRLINER_KMH
    assert got["impossible_travel"] is False


def test_a_jump_between_nearby_cities_is_never_travel_however_fast() -> None:
    # Utrecht -> Amsterdam in one minute: IP places are too coarse to call that travel
    assert haversine_km(UTRECHT[2], UTRECHT[3], AMSTERDAM[2], AMSTERDAM[3]) < TRAVEL_FLOOR_KM
    got = features_after([past("a", T0)], AMSTERDAM, 1)
    assert got["travel_kmh"] is None
    assert got["impossible_travel"] is False


def test_the_airliner_speed_is_the_line_between_possible_and_impossible() -> None:
    km = haversine_km(UTRECHT[2], UTRECHT[3], BERLIN[2], BERLIN[3])
    assert km > TRAVEL_FLOOR_KM
    fast = km / AIRLINER_KMH * 60 * 0.8  # minutes at 1.25 x an airliner's speed
    slow = km / AIRLINER_KMH * 60 * 1.25
    assert features_after([past("a", T0)], BERLIN, fast)["impossible_travel"] is True
    assert features_after([past("a", T0)], BERLIN, slow)["impossible_travel"] is False


def test_two_logins_in_the_same_second_far_apart_are_impossible_not_a_crash() -> None:
    got = features_after([past("a", T0)], LAGOS, 0)
    assert got["impossible_travel"] is True


def test_travel_is_measured_from_the_last_successful_login_not_a_failed_one() -> None:
    history = [
        past("ok", T0, place=UTRECHT),
        past("fail", T0 + minutes(50), type=EventType.LOGIN_FAILED, place=LAGOS),
    ]
    got = features_after(history, LAGOS, 60)
    assert got["last_login_country"] == "NL"
    assert got["impossible_travel"] is True


def test_an_unplaced_ip_makes_travel_and_country_unknown() -> None:
    got = login_features(
        EventType.LOGIN_SUCCEEDED, T0 + minutes(5), "dev-home", Placement(), [past("a", T0)], []
    )
    assert got["impossible_travel"] is None
    assert got["country_new"] is None


# -- failed logins and credential stuffing --------------------------------------------------


def failed(event_id: str, account: str, delay: float) -> object:
    return past(event_id, T0 + minutes(delay), type=EventType.LOGIN_FAILED, account=account,
                place=LAGOS, device=None)


def test_one_ip_failing_on_many_accounts_within_the_hour_is_counted_per_account() -> None:
    ip_past = [failed(f"f{i}", f"C-{i}", i) for i in range(12)]
    ip_past += [failed("again", "C-0", 13)]  # the same account twice counts once
    got = login_features(
        EventType.LOGIN_SUCCEEDED, T0 + minutes(30), "dev-x", at(LAGOS), [], ip_past
    )
    assert got["ip_failed_accounts_1h"] == 12
    assert got["ip_failed_logins_1h"] == 13


def test_failures_older_than_the_window_do_not_count() -> None:
    ip_past = [failed(f"f{i}", f"C-{i}", i) for i in range(12)]
    got = login_features(
        EventType.LOGIN_SUCCEEDED, T0 + minutes(66), "dev-x", at(LAGOS), [], ip_past
    )
    assert got["ip_failed_accounts_1h"] == 12 - 6  # f0..f5 are more than an hour old


def test_a_stuffing_ip_that_then_logs_in_successfully_is_blocked() -> None:
    rules = load_event_rules()
    view = MemoryEvents.from_events([failed(f"f{i}", f"C-{i}", i) for i in range(10)])
    event = make_event(event_id="EV-win", account_id="C-9", ip_address=LAGOS[0],
                       occurred_at=T0 + minutes(20))
    scored = score_event(event, at(LAGOS), view, rules, THRESHOLDS)
    assert scored.decision is not None
    assert scored.decision.action == EventAction.BLOCK
    assert [r.code for r in scored.decision.reasons][0] == "credential_stuffing_ip"
    assert "10 different accounts" in scored.decision.reasons[0].message


def test_a_customer_mistyping_twice_from_home_is_allowed() -> None:
    rules = load_event_rules()
    view = MemoryEvents.from_events([
        past("old", T0 - minutes(60 * 24 * 7)),
        past("f1", T0 - minutes(3), type=EventType.LOGIN_FAILED),
        past("f2", T0 - minutes(2), type=EventType.LOGIN_FAILED),
    ])
    scored = score_event(make_event(), at(UTRECHT), view, rules, THRESHOLDS)
    assert scored.features["account_failed_logins_1h"] == 2
    assert scored.decision is not None and scored.decision.action == EventAction.ALLOW


# -- new device and country, and the decision -----------------------------------------------


def test_a_login_from_a_new_device_in_a_new_country_is_challenged_with_both_reasons() -> None:
    rules = load_event_rules()
    view = MemoryEvents.from_events([past("old", T0 - minutes(60 * 24 * 3))])
    event = make_event(event_id="EV-new", ip_address=BERLIN[0], device_id="dev-other")
    scored = score_event(event, at(BERLIN), view, rules, THRESHOLDS)
    assert scored.features["device_new"] is True and scored.features["country_new"] is True
    assert scored.decision is not None
    assert scored.decision.action == EventAction.CHALLENGE
    assert {r.code for r in scored.decision.reasons} == {"new_device", "new_country"}
    assert "DE" in next(r.message for r in scored.decision.reasons if r.code == "new_country")


def test_the_first_login_of_an_account_is_not_challenged_for_being_new() -> None:
    rules = load_event_rules()
    scored = score_event(make_event(), at(UTRECHT), MemoryEvents(), rules, THRESHOLDS)
    assert scored.features["account_known_logins"] == 0
    assert scored.decision is not None and scored.decision.action == EventAction.ALLOW


def test_a_known_device_and_country_are_not_new() -> None:
    got = features_after([past("a", T0 - minutes(60 * 24 * 30))], AMSTERDAM, 0)
    assert got["device_new"] is False and got["country_new"] is False


def test_a_change_event_without_a_rule_set_is_scored_but_not_decided() -> None:
    event = make_event(type="phone_changed", change={"phone": "+31612345678"})
    scored = score_event(event, at(UTRECHT), MemoryEvents(), load_event_rules(), THRESHOLDS)
    assert scored.decision is None
    assert scored.features["event_type"] == "phone_changed"


# -- as of the event's own time -------------------------------------------------------------


def test_events_at_or_after_the_scored_one_never_influence_it() -> None:
    event = make_event(event_id="EV-now", occurred_at=T0)
    earlier = [past("old", T0 - minutes(60 * 24))]
    later = [
        past("same-moment", T0, place=LAGOS, device="dev-x"),
        past("later-login", T0 + minutes(1), place=LAGOS, device="dev-x"),
        *[failed(f"later-f{i}", f"C-{i}", 1 + i) for i in range(15)],
    ]
    alone = event_features(event, at(UTRECHT), MemoryEvents.from_events(earlier))
    with_future = event_features(event, at(UTRECHT), MemoryEvents.from_events(earlier + later))
    assert with_future == alone
    assert alone["account_known_logins"] == 1


def test_a_login_the_service_blocked_is_not_where_the_owner_travels_from() -> None:
    history = [
        past("home", T0 - minutes(60 * 24)),
        # the fraudster's login with the right password, blocked: not the account's place
        past("fraudster", T0 - minutes(30), place=LAGOS, device="dev-x"),
    ]
    blocked = [*history[:1], replace(history[1], action="block")]
    trusted = features_after(history, UTRECHT, 0)
    assert trusted["impossible_travel"] is True  # had it been let through
    owner = features_after(blocked, UTRECHT, 0)
    assert owner["impossible_travel"] is False and owner["last_login_country"] == "NL"
    again = login_features(EventType.LOGIN_SUCCEEDED, T0, "dev-x", at(LAGOS), blocked, [])
    assert again["device_new"] is True and again["country_new"] is True
