"""The order page shows the account's logins and account changes around the order:
what, when relative to the order, IP country, new device or not, decision; escaped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from holding import PASSWORD, hold
from review_client import signed_in_client

from fraud.events.place import Placement
from fraud.events.schema import EventType, parse_event
from fraud.events.scoring import EventAction, EventDecision
from fraud.review.account_events import events_around, relative_to
from fraud.review.roles import Role
from fraud.review.users import add_user
from fraud.runtime import Runtime
from fraud.settings import Settings
from fraud.store import event_store

ORDER_TIME = "2026-11-25T14:03:00+01:00"  # the factory order's created_at
HOSTILE_STREET = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models", _env_file=None)


@pytest.fixture
def runtime(settings) -> Iterator[Runtime]:
    rt = Runtime.start(settings)
    with rt.sessions() as s:
        add_user(s, "rita", Role.REVIEWER, PASSWORD)
    yield rt
    rt.close()


def report(runtime: Runtime, event_id: str, type_: EventType, when: str, *,
           country: str, device_new: bool, action: EventAction | None = None,
           change: dict | None = None) -> None:
    event = parse_event({"event_id": event_id, "type": type_.value, "account_id": "C-104233",
                         "occurred_at": when, "ip_address": "81.2.69.160",
                         "device_id": "dev-new", "change": change})
    decision = None if action is None else EventDecision(event_id, action, 50, (), (), "test")
    event_store.save_event(runtime.engine, event, Placement(country), {"device_new": device_new},
                           decision)


@pytest.fixture
def held_after_takeover(runtime) -> str:
    report(runtime, "EV-home", EventType.LOGIN_SUCCEEDED, "2026-11-18T09:00:00+01:00",
           country="NL", device_new=False, action=EventAction.ALLOW)
    report(runtime, "EV-login", EventType.LOGIN_SUCCEEDED, "2026-11-25T13:40:00+01:00",
           country="GB", device_new=True, action=EventAction.CHALLENGE)
    report(runtime, "EV-address", EventType.ADDRESS_ADDED, "2026-11-25T13:57:00+01:00",
           country="GB", device_new=True,
           change={"address": {"street": HOSTILE_STREET, "house_number": "1",
                               "postal_code": "1017 GM", "city": "Amsterdam", "country": "NL"}})
    with runtime.sessions() as s:
        return hold(s)


def test_times_read_relative_to_the_order() -> None:
    order = datetime(2026, 11, 25, 13, 3, tzinfo=UTC)
    assert relative_to(datetime(2026, 11, 25, 12, 57, tzinfo=UTC), order) == \
        "6 minutes before the order"
    assert relative_to(datetime(2026, 11, 18, 8, 0, tzinfo=UTC), order) == \
        "7 days before the order"
    assert relative_to(datetime(2026, 11, 25, 15, 3, tzinfo=UTC), order) == \
        "2 hours after the order"
    assert relative_to(order, order) == "at the order's time"


def test_the_dossier_lists_the_accounts_events_newest_first(runtime, held_after_takeover) -> None:
    order_time = datetime.fromisoformat(ORDER_TIME)
    with runtime.engine.connect() as conn:
        lines = events_around(conn, "C-104233", order_time)
        assert events_around(conn, "C-nobody", order_time) == ()
        assert events_around(conn, None, order_time) == ()
    assert [e.event_id for e in lines] == ["EV-address", "EV-login", "EV-home"]
    assert lines[0].relative == "6 minutes before the order"
    assert lines[1].device_new is True and lines[1].decision == "challenge"
    assert lines[2].device_new is False and lines[2].country == "NL"


def test_the_order_page_shows_the_events_escaped(settings, runtime, held_after_takeover) -> None:
    rita: TestClient = signed_in_client(settings, runtime, "rita", PASSWORD)
    page = rita.get(f"/review/orders/{held_after_takeover}").text
    section = page[page.index("<h2>Account events</h2>"):page.index("<h2>Linked orders</h2>")]
    assert "address added" in section and "6 minutes before the order" in section
    assert "GB" in section and "<strong>new</strong>" in section and "challenge" in section
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
