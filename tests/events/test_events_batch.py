"""A file of events scored in batch gets the decisions the service gives the same events
sent one by one, and `fraud events score` reports bad lines by number."""

from __future__ import annotations

import json
import random

from login_events import BERLIN, LAGOS, T0, UTRECHT, make_event, minutes
from test_event_store import FixedGeo
from typer.testing import CliRunner

from fraud.cli import app
from fraud.events.batch import decision_dict, read_events, score_events
from fraud.events.rules import EventRuleBook, load_event_rules
from fraud.events.scoring import ScoredEvent
from fraud.events.service import EventService
from fraud.history import MemoryHistory
from fraud.scoring import thresholds_from
from fraud.settings import Settings


def _traffic() -> list:
    """Two customers at home, one travelling too fast, one IP stuffing credentials."""
    events = []
    for day in range(5):
        events.append(make_event(event_id=f"EV-anna-{day}", account_id="C-anna",
                                 occurred_at=T0 + minutes(60 * 24 * day)))
        events.append(make_event(event_id=f"EV-bert-{day}", account_id="C-bert",
                                 ip_address=BERLIN[0], device_id="dev-bert",
                                 occurred_at=T0 + minutes(60 * 24 * day + 7)))
    events.append(make_event(event_id="EV-anna-far", account_id="C-anna", ip_address=LAGOS[0],
                             device_id="dev-x", occurred_at=T0 + minutes(60 * 24 * 4 + 20)))
    for i in range(12):
        events.append(make_event(event_id=f"EV-stuff-{i}", type="login_failed",
                                 account_id=f"C-victim-{i}", ip_address=LAGOS[0],
                                 device_id=None, occurred_at=T0 + minutes(60 * 24 * 5 + i)))
    events.append(make_event(event_id="EV-stuff-win", account_id="C-bert",
                             ip_address=LAGOS[0], device_id=None,
                             occurred_at=T0 + minutes(60 * 24 * 5 + 30)))
    events.append(make_event(event_id="EV-anna-reset", type="password_reset_requested",
                             account_id="C-anna", ip_address=LAGOS[0], device_id="dev-x",
                             occurred_at=T0 + minutes(60 * 24 * 5 + 40)))
    return events


def test_batch_gives_the_decisions_the_service_gives_the_same_events(engine, tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)
    events = _traffic()
    service = EventService(settings, engine, FixedGeo(), EventRuleBook())
    online = {e.event_id: service.record(e).decision for e in events}  # in time order

    shuffled = events[:]
    random.Random(3).shuffle(shuffled)  # noqa: S311 - test data
    lines = [(i, e.model_dump(mode="json"), None) for i, e in enumerate(shuffled, 1)]
    placed, errors = read_events(lines, FixedGeo(), "events.jsonl")
    assert errors == []
    batch = {
        event.event_id: scored.decision
        for event, scored in score_events(placed, load_event_rules(), thresholds_from(settings),
                                          history=MemoryHistory())
    }
    assert batch == online
    actions = {k: v.action.value for k, v in online.items() if v is not None}
    assert actions["EV-anna-far"] == "block" and actions["EV-stuff-win"] == "block"
    assert actions["EV-anna-reset"] == "challenge" and actions["EV-bert-3"] == "allow"


def test_the_cli_scores_a_file_and_names_the_bad_lines(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path))
    good = make_event()
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([
        json.dumps(good.model_dump(mode="json")),
        "{not json",
        json.dumps({**good.model_dump(mode="json"), "event_id": "EV-2", "ip_address": "x"}),
        json.dumps({**good.model_dump(mode="json"), "device_id": "dev-changed"}),
    ]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["events", "score", str(path)])
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [o["event_id"] for o in out] == ["EV-1"]
    assert out[0]["decision"] == "allow"
    assert f"{path}:2: malformed JSON" in result.stderr
    assert f"{path}:3: ip_address" in result.stderr
    assert f"{path}:4: event 'EV-1' was given before with different contents" in result.stderr
    assert "Traceback" not in result.output


def test_decision_lines_carry_what_the_api_answers() -> None:
    event = make_event()
    line = decision_dict(event, ScoredEvent({}, None))
    assert line == {"event_id": "EV-1", "type": "login_succeeded", "decision": None,
                    "score": None, "reasons": [], "rules_version": None}
    assert UTRECHT[0] == event.model_dump(mode="json")["ip_address"]
