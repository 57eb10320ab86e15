"""The same history gives the same decision online and in batch: simulated orders and
their account events, posted to the service one by one in time order (SQLite and
PostgreSQL), and scored in batch from the files by ``fraud score --events``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fraud.cli import app
from fraud.events.schema import parse_event
from fraud.events.service import EventService
from fraud.runtime import Runtime
from fraud.schema import parse_order
from fraud.settings import Settings, get_settings

EVENT_RULES = {"ships_to_address_just_added", "password_reset_just_before",
               "contact_changed_just_before", "account_change_from_another_country",
               "first_login_from_device", "login_from_new_country",
               "failed_logins_before_order", "account_changed_after_new_login"}


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from fraud.simulate import simulate

    sim = simulate(400, days=12, seed=41, rates={"account_takeover": 0.04})
    folder = tmp_path_factory.mktemp("traffic")
    sim.write(folder / "orders.jsonl")
    sim.write_events(folder / "events.jsonl")
    return folder / "orders.jsonl", folder / "events.jsonl"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _summary(d: dict) -> tuple:
    return d["action"], d["score"], [(r["code"], r["message"]) for r in d["reasons"]]


def _online(settings: Settings, orders: Path, events: Path) -> dict:
    """Each event and order sent when it happened, the service answering from its store."""
    from fraud.batch import decision_json

    arrivals = [(parse_event(e).occurred_at, 0, parse_event(e)) for e in _lines(events)]
    arrivals += [(parse_order(json.dumps(o)).created_at, 1, parse_order(json.dumps(o)))
                 for o in _lines(orders)]
    arrivals.sort(key=lambda a: (a[0], a[1]))
    runtime = Runtime.start(settings)
    decided = {}
    try:
        service = EventService.from_runtime(runtime)
        for _, kind, item in arrivals:
            if kind == 0:
                service.record(item)
            else:
                d = decision_json(runtime.score(item).decision)
                decided[d["order_id"]] = _summary(d)
    finally:
        runtime.close()
    return decided


def _replayed_from_the_store(settings: Settings) -> dict:
    """A backtest's view of the same store: its orders, outcomes and account events."""
    from sqlalchemy.orm import Session

    from fraud.batch import decision_json
    from fraud.replay import replay_store
    from fraud.rules import load_rules
    from fraud.scoring import decide_on, thresholds_from
    from fraud.store.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            replay = replay_store(session, settings=settings)
    finally:
        engine.dispose()
    rules = load_rules(settings.rules_path)
    return {oid: _summary(decision_json(decide_on(a, rules, thresholds_from(settings))))
            for oid, a in replay.orders["assessment"].items()}


def _cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict:
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path / "cli-var"))
    monkeypatch.setenv("FRAUD_MODEL_DIR", str(tmp_path / "no-models"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["score", *args])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "account events from" in result.stderr
    return {d["order_id"]: _summary(d) for d in map(json.loads, result.stdout.splitlines())}


def test_online_via_the_store_and_batch_via_files_decide_alike(
    traffic: tuple[Path, Path], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders, events = traffic
    settings = Settings(data_dir=tmp_path / "var", database_url=db_url,
                        model_dir=tmp_path / "no-models", _env_file=None)
    online = _online(settings, orders, events)
    batch = _cli(tmp_path, monkeypatch, str(orders), "--no-store", "--events", str(events))
    assert batch == online
    assert _replayed_from_the_store(settings) == online
    hits = [code for _, _, reasons in online.values() for code, _ in reasons]
    assert {"account_changed_after_new_login", "first_login_from_device"} <= set(hits)
    assert sum(code in EVENT_RULES for code in hits) >= 10  # the events did decide things


def test_fraud_score_stores_the_events_before_scoring_with_store(
    traffic: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders, events = traffic
    stored = _cli(tmp_path / "a", monkeypatch, str(orders), "--store", "--events", str(events))
    in_memory = _cli(tmp_path / "b", monkeypatch, str(orders), "--no-store", "--events",
                     str(events))
    assert stored == in_memory


def test_the_readme_takeover_example_names_the_account_changes(tmp_path: Path) -> None:
    """The README's events and order, through the service's own path on a fresh store."""
    import re

    from fraud.batch import decision_json

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    bodies = re.findall(r"'(\{\"event_id\": \"EV-ATO-.*?\})'", readme)
    assert len(bodies) == 4
    runtime = Runtime.start(Settings(data_dir=tmp_path, _env_file=None))
    try:
        service = EventService.from_runtime(runtime)
        actions = [service.record(parse_event(b)).decision for b in bodies]
        order = parse_order((root / "api" / "examples" / "takeover_order.json").read_bytes())
        answer = decision_json(runtime.score(order).decision)
    finally:
        runtime.close()
    assert actions[1] is not None and actions[1].action.value == "challenge"
    words = [r["message"] for r in answer["reasons"]]
    assert "Delivery address added 6 minutes before the order, and the order ships there." in words
    assert any(w.startswith("Password reset 20 minutes before the order from another country")
               for w in words)
    assert answer["action"] != "approve"
