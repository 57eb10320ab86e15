"""The event store on SQLite and PostgreSQL: SqlEvents answers as MemoryEvents does, an
event is stored once however often and however simultaneously it is sent."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from helpers.races import at_once
from login_events import BERLIN, LAGOS, T0, UTRECHT, make_event, minutes
from sqlalchemy import func, select

from fraud.decision import Thresholds
from fraud.errors import Conflict
from fraud.events.history import MemoryEvents
from fraud.events.place import Placement, past_event
from fraud.events.rules import EventRuleBook, load_event_rules
from fraud.events.schema import EventType
from fraud.events.scoring import EventAction, score_event
from fraud.events.service import EventService
from fraud.geo import IpLocation
from fraud.settings import Settings
from fraud.store import event_store
from fraud.store.event_store import SqlEvents
from fraud.store.event_tables import account_events

THRESHOLDS = Thresholds(review=40, decline=80)
PLACES = [UTRECHT, BERLIN, LAGOS]


def _random_events(n: int, seed: int = 7) -> list:
    rnd = random.Random(seed)  # noqa: S311 - test data, not secrets
    events = []
    for i in range(n):
        place = rnd.choice(PLACES)
        events.append((
            make_event(
                event_id=f"EV-{i:03d}",
                type=rnd.choice([EventType.LOGIN_SUCCEEDED.value, EventType.LOGIN_FAILED.value]),
                account_id=rnd.choice(["C-1", "C-2", "C-3"]),
                # some share a moment: ties are broken by event id in both views
                occurred_at=T0 + minutes(rnd.randrange(0, 600, 5)),
                ip_address=place[0],
                device_id=rnd.choice(["dev-a", "dev-b", None]),
            ),
            Placement(place[1], place[2], place[3]),
        ))
    return events


def test_sql_events_answer_exactly_as_memory_events(engine) -> None:
    events = _random_events(120)
    for event, place in events:
        event_store.save_event(engine, event, place, {}, None)
    limit = 7  # small, so the "latest N" cut is exercised too
    memory = MemoryEvents.from_events((past_event(e, p) for e, p in events), limit=limit)
    sql = SqlEvents(engine, limit=limit)
    for before_min in range(0, 620, 35):
        before = T0 + minutes(before_min)
        for since in (before - timedelta(hours=1), before - timedelta(days=90)):
            for account in ("C-1", "C-2", "C-3", "C-none"):
                assert sql.account_events(account, before, since) == memory.account_events(
                    account, before, since)
            for place in PLACES:
                assert sql.ip_events(place[0], before, since) == memory.ip_events(
                    place[0], before, since)


def test_an_event_is_stored_with_its_place_features_and_decision(engine) -> None:
    event = make_event()
    place = Placement("NL", UTRECHT[2], UTRECHT[3])
    scored = score_event(event, place, SqlEvents(engine), load_event_rules(), THRESHOLDS)
    stored = event_store.save_event(engine, event, place, scored.features, scored.decision)
    found = event_store.find_event(engine, event.event_id)
    assert stored.created and found is not None and not found.created
    assert found.decision == stored.decision == scored.decision
    assert found.features == scored.features
    assert found.past.ip_country == "NL" and found.event == event.model_dump(mode="json")


def test_a_retry_returns_the_stored_decision_and_a_changed_event_is_refused(engine) -> None:
    event = make_event()
    first = event_store.save_event(engine, event, Placement(), {}, None)
    again = event_store.save_event(engine, event, Placement("DE"), {"x": 1}, None)
    assert again.created is False and again.past == first.past
    with pytest.raises(Conflict, match="already stored with different contents"):
        event_store.save_event(engine, make_event(device_id="dev-other"), Placement(), {}, None)
    with pytest.raises(Conflict):
        event_store.find_retry(engine, make_event(device_id="dev-other"))


def _count(engine, event_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(account_events)
                            .where(account_events.c.event_id == event_id)).scalar_one()


class FixedGeo:
    """A geo database that knows the test places (the service only calls ``lookup``)."""

    def lookup(self, ip: str) -> IpLocation:
        for address, country, lat, lon in PLACES:
            if address == ip:
                return IpLocation(ip, 4, True, False, country, country, None, lat, lon)
        return IpLocation(ip, 4, False, False)


def test_the_same_event_posted_at_once_is_stored_once_and_all_get_its_decision(
    engine, tmp_path
) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)
    service = EventService(settings, engine, FixedGeo(), EventRuleBook())
    for round_ in range(3):
        # an earlier login at home, so the raced login has a decision worth comparing
        service.record(make_event(event_id=f"EV-home-{round_}", account_id=f"C-race-{round_}"))
        event = make_event(event_id=f"EV-race-{round_}", account_id=f"C-race-{round_}",
                           ip_address=LAGOS[0], device_id="dev-new",
                           occurred_at=T0 + minutes(30))
        results, errors = at_once(6, lambda _, event=event: service.record(event))
        assert errors == []
        assert _count(engine, event.event_id) == 1
        assert sum(1 for r in results if r.created) == 1
        decisions = [r.decision for r in results]
        assert all(d == decisions[0] for d in decisions)
        assert decisions[0].action == EventAction.BLOCK  # impossible travel, new everything
        assert {r.code for r in decisions[0].reasons} >= {"impossible_travel", "new_country"}
