"""Account events are personal data: the access export holds them, erasure deletes them,
retention purges the old ones; other customers' events stay."""

from __future__ import annotations

from datetime import UTC, datetime

from factories import make_order

from fraud.events.place import Placement
from fraud.events.schema import parse_event
from fraud.privacy import erase_customer, export_customer_data, purge
from fraud.runtime import Runtime
from fraud.store import event_store

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def login(runtime: Runtime, event_id: str, account: str, when: str, **extra: object) -> None:
    event = parse_event({"event_id": event_id, "type": "login_succeeded", "account_id": account,
                         "occurred_at": when, "ip_address": "203.0.113.66",
                         "device_id": "dev-olga", **extra})
    event_store.save_event(runtime.engine, event, Placement("NL"), {}, None)


def order(runtime: Runtime, account: str, email: str) -> None:
    runtime.score(make_order(created_at="2026-11-20T10:00:00+01:00",
                             customer={"account_id": account, "email": email}))


def test_the_access_export_holds_the_accounts_events(runtime: Runtime) -> None:
    order(runtime, "C-olga", "olga@example.org")
    login(runtime, "EV-olga-1", "C-olga", "2026-11-20T09:50:00+01:00")
    login(runtime, "EV-other", "C-other", "2026-11-20T09:51:00+01:00")
    with runtime.sessions() as session:
        data = export_customer_data(session, "olga@example.org", by="dpo")
    assert [e["event"]["event_id"] for e in data["account_events"]] == ["EV-olga-1"]
    assert data["account_events"][0]["event"]["ip_address"] == "203.0.113.66"


def test_erasure_deletes_the_accounts_events_and_only_those(runtime: Runtime) -> None:
    order(runtime, "C-olga", "olga@example.org")
    login(runtime, "EV-olga-1", "C-olga", "2026-11-20T09:50:00+01:00")
    login(runtime, "EV-olga-2", "C-olga", "2026-11-21T09:50:00+01:00")
    login(runtime, "EV-other", "C-other", "2026-11-20T09:51:00+01:00")
    with runtime.sessions() as session:
        done = erase_customer(session, email="olga@example.org", by="dpo")
    assert done.account_events == 2
    assert event_store.count_account_events(runtime.engine, "C-olga") == 0
    assert event_store.find_event(runtime.engine, "EV-olga-1") is None
    assert event_store.find_event(runtime.engine, "EV-other") is not None


def test_an_account_with_only_events_can_be_erased(runtime: Runtime) -> None:
    login(runtime, "EV-lurker", "C-lurker", "2026-11-20T09:50:00+01:00")
    with runtime.sessions() as session:
        done = erase_customer(session, account_id="C-lurker", by="dpo")
    assert done.orders == 0 and done.account_events == 1
    assert event_store.count_account_events(runtime.engine, "C-lurker") == 0


def test_retention_deletes_events_older_than_the_period(runtime: Runtime) -> None:
    login(runtime, "EV-old", "C-olga", "2025-01-10T09:00:00+01:00")
    login(runtime, "EV-new", "C-olga", "2026-11-20T09:00:00+01:00")
    with runtime.sessions() as session:
        done = purge(session, 365, now=NOW)
    assert done.account_events == 1
    assert event_store.find_event(runtime.engine, "EV-old") is None
    assert event_store.find_event(runtime.engine, "EV-new") is not None
