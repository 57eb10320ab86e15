"""`fraud score --outcomes`: outcomes reported beside the orders give batch scoring
the history the service has, so both decide alike; and the two fraud shapes that
were once approved reach review with a reason that names them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import make_order_data
from typer.testing import CliRunner

from fraud.cli import app
from fraud.domain import Outcome
from fraud.runtime import Runtime
from fraud.schema import parse_order
from fraud.settings import Settings, get_settings

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def at(**delta: float) -> str:
    return (T0 + timedelta(**delta)).isoformat()


def _other(n: int, **overrides: object) -> dict:
    """An order of customer ``n``, sharing nothing with the others unless overridden."""
    base = {
        "order_id": f"O-{n}-{overrides.pop('suffix', 'a')}",
        "customer": {"account_id": f"C-{n}", "email": f"c{n}@example.org", "phone": None},
        "ip_address": f"192.0.2.{n}",
        "device_id": f"dev-{n}",
        "shipping_address": {"postal_code": f"{1000 + n} AB"},
        "payment": {"card_last4": f"{n:04d}"},
    }
    for key, value in overrides.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) else value  # type: ignore[dict-item]
    return make_order_data(**base)


@pytest.fixture
def shop() -> tuple[list[dict], list[dict]]:
    """A chargeback whose e-mail and phone come back on another account, one account
    shipping to three addresses in an hour, and honest orders around them."""
    reused = {"email": "piet.fraud@example.org", "phone": "+31612345678"}
    orders = [
        _other(1, created_at=at(days=-30), customer=reused),  # the fraud
        _other(2, created_at=at(days=-20), customer=reused),  # before the chargeback is known
        _other(3, created_at=at(days=-1), customer=reused),  # after: linked
        *[
            _other(4, suffix=s, created_at=at(minutes=m), shipping_address={"postal_code": p})
            for s, m, p in (("a", 0, "2000 AA"), ("b", 20, "2100 BB"), ("c", 40, "2200 CC"))
        ],
        *[_other(n, created_at=at(days=-n)) for n in range(5, 9)],
    ]
    orders.sort(key=lambda o: o["created_at"])
    outcomes = [
        {"order_id": "O-1-a", "outcome": "chargeback", "at": at(days=-10)},
        {"order_id": "O-5-a", "outcome": "paid", "at": at(days=-5, minutes=1)},
        {"order_id": "O-2-a", "outcome": "refunded", "at": at(days=-20)},  # the exact time
    ]
    return orders, outcomes


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _through_the_service(settings: Settings, orders: list[dict], outcomes: list[dict]) -> dict:
    """Orders scored one by one, each outcome reported as soon as it happened."""
    runtime = Runtime.start(settings)
    waiting = sorted(outcomes, key=lambda e: e["at"])
    decided = {}
    try:
        for data in orders:
            order = parse_order(json.dumps(data))
            due = [e for e in waiting if e["at"] <= data["created_at"] and e["order_id"] in decided]
            for event in due:  # reported as they happened, for orders the service knows
                waiting.remove(event)
                runtime.record_outcome(
                    event["order_id"], Outcome(event["outcome"]),
                    datetime.fromisoformat(event["at"]),
                )
            d = runtime.score(order).decision
            decided[d.order_id] = (d.action.label, d.score, [r.code for r in d.reasons])
    finally:
        runtime.close()
    return decided


def _through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict:
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path / "cli-var"))
    monkeypatch.setenv("FRAUD_MODEL_DIR", str(tmp_path / "no-models"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["score", *args])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return {
        d["order_id"]: (d["action"], d["score"], [r["code"] for r in d["reasons"]]) for d in lines
    }


@pytest.mark.parametrize("store", ["--no-store", "--store"])
def test_batch_with_outcomes_decides_as_the_service_does(
    shop: tuple[list[dict], list[dict]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    store: str,
) -> None:
    orders, outcomes = shop
    settings = Settings(data_dir=tmp_path / "svc", model_dir=tmp_path / "no-models",
                        _env_file=None)
    online = _through_the_service(settings, orders, outcomes)
    batch = _through_the_cli(
        tmp_path, monkeypatch, str(_write(tmp_path / "orders.jsonl", orders)), store,
        "--outcomes", str(_write(tmp_path / "outcomes.jsonl", outcomes)),
    )
    assert batch == online
    without = _through_the_cli(
        tmp_path / "again", monkeypatch, str(tmp_path / "orders.jsonl"), "--no-store"
    )
    assert without["O-3-a"] != online["O-3-a"]  # the outcomes made the difference


def test_an_email_and_phone_linked_to_a_chargeback_reach_review_saying_so(
    shop: tuple[list[dict], list[dict]], tmp_path: Path,
) -> None:
    orders, outcomes = shop
    settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models", _env_file=None)
    decided = _through_the_service(settings, orders, outcomes)
    action, _, codes = decided["O-3-a"]
    assert action in ("review", "decline")
    assert {"email_linked_chargeback", "phone_linked_chargeback"} <= set(codes)
    assert decided["O-2-a"][0] == "approve"  # the chargeback was not known yet


def test_one_account_shipping_to_three_addresses_in_an_hour_reaches_review(
    shop: tuple[list[dict], list[dict]], tmp_path: Path,
) -> None:
    orders, outcomes = shop
    settings = Settings(data_dir=tmp_path, model_dir=tmp_path / "no-models", _env_file=None)
    decided = _through_the_service(settings, orders, outcomes)
    assert decided["O-4-b"][0] == "approve"  # two addresses: a corrected typo, perhaps
    action, _, codes = decided["O-4-c"]
    assert action in ("review", "decline")
    assert "many_addresses_in_an_hour" in codes


def test_a_bad_outcomes_file_is_named_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "orders.jsonl", [make_order_data()])
    (tmp_path / "outcomes.jsonl").write_text(
        '{"order_id": "O-1", "outcome": "paid", "at": "2026-11-20T12:00:00+00:00"}\n'
        '{"order_id": "O-1", "outcome": "stolen", "at": "2026-11-20T12:00:00+00:00"}\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("FRAUD_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["score", str(tmp_path / "orders.jsonl"), "--no-store",
                                      "--outcomes", str(tmp_path / "outcomes.jsonl")])
    get_settings.cache_clear()
    assert result.exit_code == 1
    assert "outcomes.jsonl:2" in result.output and "unknown outcome 'stolen'" in result.output
    assert "Traceback" not in result.output
